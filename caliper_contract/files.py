"""Payload files checked against a contract: paths to files, files to located findings.

A ``.json`` file holds one envelope, one event, or a non-empty list of either;
``.jsonl`` and ``.ndjson`` files hold one per line (blank lines are skipped) and
are read a line at a time.  Each file's bytes are read once and each payload is
validated once; positions are worked out (with :func:`~caliper_contract.locate.locate`)
only for payloads that have something to point at.
"""

from __future__ import annotations

import glob
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from caliper_contract.locate import JSONTextError, as_parsed, decode, loads, locate
from caliper_contract.profile import is_event

if TYPE_CHECKING:
    from caliper_contract.checker import Contract
    from caliper_contract.report import Violation
    from caliper_contract.rules import Severity

Kind = Literal["auto", "envelope", "event"]
#: Suffixes searched for in folders; a file named on the command line is checked whatever its name.
SUFFIXES = (".json", ".jsonl", ".ndjson")
LINE_SUFFIXES = (".jsonl", ".ndjson")
STDIN = "-"
#: Keys only an envelope has: a top-level object with none of them but with an event's keys is an event.
_ENVELOPE_KEYS = ("sensor", "sendTime", "dataVersion", "data")


@dataclass(frozen=True, order=True)
class Finding:
    """One problem at one place in one file: a broken rule, or a file that could not be read.

    ``line`` and ``column`` are 1-based (columns count characters); ``path`` is
    the JSON Pointer of the offending value inside the payload.  All three are
    None when the file as a whole is the problem, and so is ``rule`` when the
    file could not be read at all (a missing file, a folder without payload
    files, a pattern that matches nothing).
    """

    file: str
    line: int | None
    column: int | None
    path: str | None
    rule: str | None
    severity: Severity
    message: str
    schema_location: str | None = None

    @property
    def unreadable(self) -> bool:
        """True when the file, or a payload in it, could not be read as JSON: exit status 2."""
        return self.rule is None or self.rule.startswith("json.")

    def to_dict(self) -> dict[str, Any]:
        """The form ``--format json`` prints: every field, always present, in the order declared above."""
        return asdict(self)


@dataclass(frozen=True)
class Options:
    """How to check: the options of ``caliper-contract check`` once settled."""

    strict: bool = False
    ignore: frozenset[str] = frozenset()
    #: Report only these rules (None: every rule).  Files that cannot be read are always reported.
    select: frozenset[str] | None = None
    kind: Kind = "auto"


@dataclass(frozen=True)
class Source:
    """A file to check, or standard input, with the name findings use."""

    name: str
    path: Path | None  # None: standard input
    lines: bool  # one payload per line (.jsonl, .ndjson)


def sources(arguments: Sequence[str], *, stdin_name: str = "<stdin>") -> Iterator[Source | Finding]:
    """The files that PATH arguments name, in order, each once; a Finding for an argument that names none.

    A folder is searched recursively for :data:`SUFFIXES`, skipping hidden
    files and folders; an argument that is not an existing path but contains
    ``*``, ``?`` or ``[`` is a glob (``**`` crosses folders).
    """
    seen: set[str] = set()

    def once(path: Path) -> Iterator[Source]:
        # abspath, not resolve(): no system call per path component, and a file named twice is still seen once.
        key = os.path.normcase(os.path.abspath(path))
        if key not in seen:
            seen.add(key)
            yield Source(str(path), path, path.suffix.lower() in LINE_SUFFIXES)

    for argument in arguments:
        if argument == STDIN:
            yield Source(stdin_name, None, Path(stdin_name).suffix.lower() in LINE_SUFFIXES)
            continue
        path = Path(argument)
        if not os.path.lexists(path) and any(char in argument for char in "*?["):
            matches = sorted(glob.glob(argument, recursive=True))
            if not matches:
                yield _whole_file(argument, "no file matches this pattern")
            for match in matches:
                found = list(_folder(Path(match))) if os.path.isdir(match) else [Path(match)]
                for file in found:
                    yield from once(file)
        elif path.is_dir():
            files = list(_folder(path))
            if not files:
                yield _whole_file(argument, f"no {', '.join(SUFFIXES)} files in this folder")
            for file in files:
                yield from once(file)
        else:
            yield from once(path)


def _folder(folder: Path) -> Iterator[Path]:
    for root, folders, names in os.walk(folder):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in sorted(names):
            if not name.startswith(".") and name.lower().endswith(SUFFIXES):
                yield Path(root, name)


def _whole_file(name: str, message: str) -> Finding:
    return Finding(name, None, None, None, None, "error", message)


class FileChecker:
    """Checks sources against one contract with one set of options."""

    def __init__(self, contract: Contract, options: Options) -> None:
        self.contract = contract
        self.options = options

    def check(self, source: Source) -> list[Finding]:
        """Every finding in one source, in line order; never raises for what the file holds."""
        findings: list[Finding] = []
        try:
            if not source.lines:
                data = source.path.read_bytes() if source.path is not None else sys.stdin.buffer.read()
                return self._check_text(source.name, data, 1)
            opened = open(source.path, "rb") if source.path is not None else nullcontext(sys.stdin.buffer)  # noqa: SIM115
            with opened as stream:  # a line at a time: constant memory, whatever the file's size
                for number, line in enumerate(stream, start=1):
                    if line.strip():
                        findings.extend(self._check_text(source.name, line, number))
        except OSError as error:  # what was found before a read failed is kept
            findings.append(_whole_file(source.name, f"cannot read: {error.strerror or error}"))
        return findings

    def _check_text(self, name: str, data: bytes, first_line: int) -> list[Finding]:
        """The findings in one JSON text that starts on line ``first_line`` of its file."""
        try:
            text = decode(data)
            value = loads(text)
        except JSONTextError as error:
            line, column = error.position
            return [Finding(name, first_line + line - 1, column, error.pointer, error.rule, "error", error.message)]
        violations = [
            (prefix + violation.path, violation)
            for prefix, kind, payload in _payloads(value, self.options.kind)
            for violation in self._validate(kind, payload)
        ]
        if not violations:
            return []
        located = locate(text)
        findings = []
        for pointer, violation in violations:
            line, column = located.position(pointer)
            findings.append(
                Finding(
                    name,
                    first_line + line - 1,
                    column,
                    pointer,
                    violation.rule,
                    violation.severity,
                    violation.message,
                    violation.schema_location,
                )
            )
        return sorted(findings)

    def _validate(self, kind: Kind, payload: Any) -> tuple[Violation, ...]:
        options = self.options
        check = self.contract.validate_event if kind == "event" else self.contract.validate
        violations = check(as_parsed(payload), strict=options.strict, ignore=options.ignore).violations
        if options.select is None:
            return violations
        return tuple(v for v in violations if v.rule in options.select or v.rule.startswith("json."))


def _payloads(value: Any, kind: Kind) -> Iterator[tuple[str, Kind, Any]]:
    """The payloads in one JSON value, each with its pointer prefix: the value, or each item of a non-empty list."""
    items = enumerate(value) if isinstance(value, list) and value else [(None, value)]
    for index, item in items:
        yield ("" if index is None else f"/{index}"), (kind if kind != "auto" else _kind(item)), item


def _kind(value: Any) -> Kind:
    if isinstance(value, dict) and is_event(value) and not any(key in value for key in _ENVELOPE_KEYS):
        return "event"
    return "envelope"
