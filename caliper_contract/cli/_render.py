"""Report stage for the command: located findings as text, JSON, GitHub annotations or SARIF.

Each reporter is a function from the findings of a run to the text to print;
:data:`REPORTERS` picks one by name.
"""

from __future__ import annotations

import json
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
    files: int
    color: bool = False

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
    if not run.findings:
        return f"{checked}: no problems found"
    counts = f"{checked}: {_plural(run.errors, 'error')}, {_plural(run.warnings, 'warning')}"
    unreadable = len({f.file for f in run.findings if f.unreadable})
    return f"{counts}; {unreadable} could not be read" if unreadable else counts


# -- text ---------------------------------------------------------------------

_BOLD, _RED, _YELLOW, _DIM, _RESET = "\033[1m", "\033[31m", "\033[33m", "\033[2m", "\033[0m"


def text(run: Run) -> str:
    """``file:line:column: severity rule pointer: message``, one finding a line, then a summary."""

    def paint(code: str, words: str) -> str:
        return f"{code}{words}{_RESET}" if run.color else words

    lines = []
    for finding in run.findings:
        where = finding.file if finding.line is None else f"{finding.file}:{finding.line}:{finding.column}"
        severity = paint(_RED if finding.severity == "error" else _YELLOW, finding.severity)
        if finding.rule is None:
            lines.append(f"{paint(_BOLD, where)}: {severity}: {finding.message}")
            continue
        pointer = "" if finding.path is None else f" {finding.path or '(root)'}"
        lines.append(f"{paint(_BOLD, where)}: {severity} {paint(_DIM, finding.rule)}{pointer}: {finding.message}")
    lines.append(summary(run))
    return "\n".join(lines) + "\n"


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
    lines.append(summary(run))
    return "\n".join(lines) + "\n"


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
        if finding.rule is None:
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
                    {"executionSuccessful": not notifications, "toolExecutionNotifications": notifications}
                ],
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"


def _uri(name: str) -> str:
    # Relative paths stay relative references: code-scanning tools resolve them against the repository root.
    path = PurePath(name)
    return path.as_uri() if path.is_absolute() else quote(path.as_posix())


REPORTERS: dict[str, Callable[[Run], str]] = {"text": text, "json": json_list, "github": github, "sarif": sarif}
