"""Report stage for the command: located findings as text, JSON, GitHub annotations or SARIF.

Each reporter is a function from the findings of a run to the text to print;
:data:`REPORTERS` picks one by name, and :data:`STATISTICS` one for
``--statistics`` (a count per rule instead of each finding).

Text output is one finding a line whatever a file is named: a file name's
``%``, ``:`` and control characters are percent-encoded, as GitHub annotations
encode them, so ``file:line:column`` always splits one way; bytes of a name
that are not UTF-8 are percent-encoded too, as in SARIF's URIs.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from caliper_contract import __version__
from caliper_contract._files import Finding
from caliper_contract.rules import RULES

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


@dataclass(frozen=True)
class Run:
    """What one ``check`` run found: the findings in file and line order, and how many files were read."""

    findings: Sequence[Finding]
    #: Files checked, expected-invalid ones included, skipped ones not.
    files: int
    color: bool = False
    #: Files that had to break the contract, and did.
    invalid_as_expected: int = 0
    #: .json files that hold no Caliper payload.
    skipped: int = 0
    #: Errors only: no warnings (the caller leaves them out of ``findings``) and no summary line.
    quiet: bool = False

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def summary(run: Run) -> str:
    """One line: how many files were checked and what was found."""
    checked = f"checked {_plural(run.files, 'file')}"
    parts = [f"{checked}: no problems found"]
    if run.findings:
        parts = [f"{checked}: {_plural(run.errors, 'error')}, {_plural(run.warnings, 'warning')}"]
        unreadable = len({f.file for f in run.findings if f.unreadable})
        if unreadable:
            parts.append(f"{unreadable} could not be read")
    if run.invalid_as_expected:
        parts.append(f"{run.invalid_as_expected} invalid as expected")
    if run.skipped:
        parts.append(
            f"{run.skipped} skipped: {'not a Caliper payload' if run.skipped == 1 else 'not Caliper payloads'}"
        )
    return "; ".join(parts)


def _summary_lines(run: Run) -> list[str]:
    return [] if run.quiet else [summary(run)]


# Percent-encoded in a file name: "%" itself, ":" (it separates the position), control characters.
_NAME_ESCAPES = re.compile(r"[%:\x00-\x1f\x7f-\x9f]")
# Characters os.fsdecode makes of bytes that are not UTF-8.
_UNDECODABLE = re.compile(r"[\udc80-\udcff]")


def escape_name(name: str) -> str:
    """A file name as text output shows it: one line, with no ``:`` to mistake for a position's."""
    drive, rest = os.path.splitdrive(name)  # "C:" stays as it is on Windows
    rest = _NAME_ESCAPES.sub(lambda match: "".join(f"%{byte:02X}" for byte in match[0].encode()), rest)
    return drive + _UNDECODABLE.sub(lambda match: f"%{ord(match[0]) - 0xDC00:02X}", rest)


def _one_line(text: str) -> str:
    return re.sub(r"[\r\n]", lambda match: {"\r": "\\r", "\n": "\\n"}[match[0]], text)


# -- text ---------------------------------------------------------------------

_BOLD, _RED, _YELLOW, _DIM, _RESET = "\033[1m", "\033[31m", "\033[33m", "\033[2m", "\033[0m"


def text(run: Run) -> str:
    """``file:line:column: severity rule pointer: message``, one finding a line, then a summary."""

    def paint(code: str, words: str) -> str:
        return f"{code}{words}{_RESET}" if run.color else words

    lines = []
    for finding in run.findings:
        name = escape_name(finding.file)
        where = name if finding.line is None else f"{name}:{finding.line}:{finding.column}"
        severity = paint(_RED if finding.severity == "error" else _YELLOW, finding.severity)
        message = _one_line(finding.message)
        if finding.rule is None:
            lines.append(f"{paint(_BOLD, where)}: {severity}: {message}")
            continue
        pointer = "" if finding.path is None else f" {_one_line(finding.path) or '(root)'}"
        lines.append(f"{paint(_BOLD, where)}: {severity} {paint(_DIM, finding.rule)}{pointer}: {message}")
    lines.extend(_summary_lines(run))
    return "".join(f"{line}\n" for line in lines)


# -- json ---------------------------------------------------------------------


def json_list(run: Run) -> str:
    """A JSON array of objects with the keys of :meth:`Finding.to_dict`, always all present."""
    return json.dumps([finding.to_dict() for finding in run.findings], indent=2) + "\n"


# -- github -------------------------------------------------------------------


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def github(run: Run) -> str:
    """GitHub Actions workflow commands: each finding an annotation on its file and line, then a summary."""
    lines = []
    for finding in run.findings:
        properties = [f"file={_escape_property(finding.file)}"]
        if finding.line is not None:
            properties += [f"line={finding.line}", f"col={finding.column}"]
        title = "caliper-contract" if finding.rule is None else f"caliper-contract {finding.rule}"
        properties.append(f"title={_escape_property(title)}")
        message = finding.message if finding.path is None else f"{finding.path or '(root)'}: {finding.message}"
        lines.append(f"::{finding.severity} {','.join(properties)}::{_escape_data(message)}")
    lines.extend(_summary_lines(run))
    return "".join(f"{line}\n" for line in lines)


# -- sarif --------------------------------------------------------------------


def sarif(run: Run) -> str:
    """A SARIF 2.1.0 log with one run: every catalogue rule, every finding as a result.

    A file that could not be read at all is a tool execution notification, not
    a result: no rule was checked on it.
    """
    index = {rule_id: number for number, rule_id in enumerate(RULES)}
    results: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    for finding in run.findings:
        location: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": _uri(finding.file)}}}
        if finding.line is not None:
            location["physicalLocation"]["region"] = {"startLine": finding.line, "startColumn": finding.column}
        if finding.path is not None:
            location["logicalLocations"] = [{"fullyQualifiedName": finding.path or "/", "kind": "element"}]
        if finding.rule is None:  # nothing was checked, or an expected-invalid payload is valid
            notifications.append(
                {"level": "error", "message": {"text": finding.message}, "locations": [location]},
            )
            continue
        results.append(
            {
                "ruleId": finding.rule,
                "ruleIndex": index[finding.rule],
                "level": finding.severity,
                "message": {"text": f"{finding.path or '(root)'}: {finding.message}"},
                "locations": [location],
            }
        )
    rules = [
        {
            "id": rule.id,
            "name": rule.id,
            "shortDescription": {"text": rule.title},
            "fullDescription": {"text": rule.explanation},
            "defaultConfiguration": {"level": rule.severity},
            "properties": {"source": rule.source},
        }
        for rule in RULES.values()
    ]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "caliper-contract", "version": __version__, "rules": rules}},
                "invocations": [
                    {
                        "executionSuccessful": not any(finding.unreadable for finding in run.findings),
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"


def _uri(name: str) -> str:
    # Relative paths stay relative references: code-scanning tools resolve them against the repository root.
    # The name's own bytes are quoted, so a name that is not UTF-8 keeps them.
    path = PurePath(name)
    return path.as_uri() if path.is_absolute() else quote(os.fsencode(path.as_posix()))


REPORTERS: dict[str, Callable[[Run], str]] = {"text": text, "json": json_list, "github": github, "sarif": sarif}


# -- statistics ---------------------------------------------------------------

_UNREADABLE = "files or texts that could not be read, or held no payload"
_UNMET = "payloads expected to break the contract that meet it"


def _counts(run: Run) -> list[tuple[int, str | None, str, str]]:
    """(count, rule, severity, title) for each rule found, most found first; a rule of None for the rest."""
    counts = Counter((f.rule, f.severity, f.unmet_expectation) for f in run.findings)
    rows = []
    for (rule, severity, unmet), count in counts.items():
        title = RULES[rule].title if rule is not None else _UNMET if unmet else _UNREADABLE
        rows.append((count, rule, severity, title))
    return sorted(rows, key=lambda row: (-row[0], row[1] or "", row[2]))


def statistics_text(run: Run) -> str:
    """``count  rule  severity  title``, one rule a line, most found first, then the summary."""
    rows = _counts(run)
    width = max((len(rule or "-") for _, rule, _, _ in rows), default=0)
    lines = [f"{count:>6}  {rule or '-':<{width}}  {severity:<7}  {title}" for count, rule, severity, title in rows]
    lines.extend(_summary_lines(run))
    return "".join(f"{line}\n" for line in lines)


def statistics_json(run: Run) -> str:
    """A JSON array of ``{"rule", "severity", "count", "title"}``, most found first."""
    rows = [
        {"rule": rule, "severity": severity, "count": count, "title": title}
        for count, rule, severity, title in _counts(run)
    ]
    return json.dumps(rows, indent=2) + "\n"


STATISTICS: dict[str, Callable[[Run], str]] = {"text": statistics_text, "json": statistics_json}
