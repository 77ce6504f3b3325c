"""Payload files: paths to files, files to payloads, payloads to located findings.

One reader, :func:`read`, serves ``caliper-contract check`` and the pytest
plugin's fixture-file tests, so a file means the same thing to both:

- a ``.json`` file is one JSON text; a ``.jsonl`` or ``.ndjson`` file is one
  JSON text per line, read a line at a time (blank lines are skipped);
- each JSON text holds one envelope, one event, or a non-empty list of either,
  each recognised on its own unless a kind is forced (an event has ``action``,
  ``eventTime`` or ``profile`` and none of an envelope's keys);
- a file that holds no payload (empty, only whitespace or blank lines, or an
  empty list) is a problem, as is a file that cannot be read or a text that is
  not strict JSON; problems are :class:`Finding` objects with the file's line
  and column, and never stop the rest of the file.

Each file's bytes are read once and each text parsed once; positions inside a
payload are worked out (with :func:`~caliper_contract._jsontext.locate`) only when
asked for, that is only for payloads that have something to point at.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from caliper_contract._jsontext import JSONTextError, Located, Position, as_parsed, decode, load, locate
from caliper_contract.profile import is_event
from caliper_contract.rules import RULES

if TYPE_CHECKING:
    from caliper_contract.contract import Contract
    from caliper_contract.report import Report
    from caliper_contract.rules import Severity

PayloadKind = Literal["envelope", "event"]
Kind = Literal["auto", "envelope", "event"]
#: Suffixes searched for in folders; a file named on the command line is checked whatever its name.
SUFFIXES = (".json", ".jsonl", ".ndjson")
LINE_SUFFIXES = (".jsonl", ".ndjson")
STDIN = "-"
# What a file that holds no payload, and a JSON text that is an empty list, are told.
_EMPTY_FILE = "no payload to check: empty or blank"
_EMPTY_LIST = "no payload to check: an empty list"
#: Keys only an envelope has: a top-level object with none of them but with an event's keys is an event.
_ENVELOPE_KEYS = ("sensor", "sendTime", "dataVersion", "data")
_BLANK = re.compile(r"[ \t\r\n]*")  # JSON's whitespace, as the parser skips it


@dataclass(frozen=True, order=True)
class Finding:
    """One problem at one place in one file: a broken rule, or a file that could not be checked.

    ``line`` and ``column`` are 1-based (columns count characters); ``path`` is
    the JSON Pointer of the offending value inside the payload.  All three are
    None when the file as a whole is the problem.  ``rule`` is None when there
    was nothing to check a rule on: a missing file, a folder without payload
    files, a pattern that matches nothing, a file or a list that holds no payload.
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
        """True when the file, or a payload in it, could not be read or held nothing to check: exit status 2."""
        return self.rule is None or RULES[self.rule].family == "json"

    def to_dict(self) -> dict[str, Any]:
        """The form ``--format json`` prints: every field, always present, in the order declared above."""
        return asdict(self)


@dataclass(frozen=True)
class Source:
    """A file to check, or standard input, with the name findings use."""

    name: str
    path: Path | None  # None: standard input
    lines: bool  # one JSON text per line (.jsonl, .ndjson)

    @classmethod
    def file(cls, path: Path, name: str | None = None) -> Source:
        """A file, read a line at a time when its suffix says so."""
        return cls(str(path) if name is None else name, path, path.suffix.lower() in LINE_SUFFIXES)


def whole_file(name: str, message: str) -> Finding:
    return Finding(name, None, None, None, None, "error", message)


class _Text:
    """One JSON text of a file, and the file line it starts on; located only when a position is asked for."""

    def __init__(self, text: str, first_line: int) -> None:
        self.text = text
        self.first_line = first_line

    @cached_property
    def located(self) -> Located:
        # A second, slower parse: only payloads with something to point at pay for it.
        return locate(self.text)

    def position(self, pointer: str) -> Position:
        line, column = self.located.position(pointer)
        return Position(self.first_line + line - 1, column)


@dataclass(frozen=True)
class Payload:
    """One payload read from a file: an envelope or a lone event, and where it is."""

    value: Any
    kind: PayloadKind
    #: Its index in a list of payloads; None when it is the whole JSON text.
    index: int | None
    #: The file line where it starts.
    line: int
    #: The JSON text it was read from (one for all the payloads of a list), to locate violations in.
    text: _Text = field(repr=False, compare=False)

    @property
    def pointer(self) -> str:
        """Its JSON Pointer inside its JSON text: "" for the whole text, "/2" for the third of a list."""
        return "" if self.index is None else f"/{self.index}"

    def position(self, path: str) -> Position:
        """Where in the file the value at ``path`` (a JSON Pointer inside the payload) starts.

        A path to something the file does not hold (a missing property) gets
        the position of its nearest enclosing value.
        """
        return self.text.position(self.pointer + path)

    def validate(self, contract: Contract, *, strict: bool = False, ignore: Iterable[str] = ()) -> Report:
        """The contract's report on it: as an envelope, or as one event (paths relative to the event)."""
        check = contract.validate_event if self.kind == "event" else contract.validate
        return check(as_parsed(self.value), strict=strict, ignore=ignore)


@dataclass(frozen=True)
class PayloadText:
    """What one JSON text of a file gave: its payloads, or the problem that stopped it.

    A .json file is one text (``line`` None); a .jsonl or .ndjson file is one
    text per line (``line`` is that line).  A problem with the whole file (it
    cannot be read, or holds no payload) is a text of its own with ``line`` None.
    """

    line: int | None
    payloads: tuple[Payload, ...] = ()
    problem: Finding | None = None


def read(source: Source, kind: Kind = "auto") -> Iterator[PayloadText]:
    """The payloads of one source, a JSON text at a time, in file order; never raises for what it holds.

    See the module docstring for what a file may hold.  ``kind`` forces what
    every payload is taken to be ("auto": each recognised on its own).
    """
    found = False
    try:
        if not source.lines:
            data = source.path.read_bytes() if source.path is not None else sys.stdin.buffer.read()
            text = _read_text(source.name, data, 1, None, kind)
            if text is not None:
                found = True
                yield text
        else:
            opened = open(source.path, "rb") if source.path is not None else nullcontext(sys.stdin.buffer)  # noqa: SIM115
            with opened as stream:  # a line at a time: constant memory, whatever the file's size
                number = 1
                for line in stream:
                    text = _read_text(source.name, line, number, number, kind)
                    if text is not None:
                        found = True
                        yield text
                    # A lone CR ends a line too, as editors and locate() count lines.
                    number += 1 + line.count(b"\r") - line.count(b"\r\n")
    except OSError as error:  # what was read before a read failed is kept
        yield PayloadText(None, problem=whole_file(source.name, f"cannot read: {error.strerror or error}"))
        return
    if not found:
        yield PayloadText(None, problem=whole_file(source.name, _EMPTY_FILE))


def _read_text(name: str, data: bytes, first_line: int, line: int | None, kind: Kind) -> PayloadText | None:
    """The payloads in one JSON text that starts on line ``first_line`` of its file; None for a blank text.

    ``line`` is what :attr:`PayloadText.line` says: the .jsonl line, or None for a whole .json file.
    """
    try:
        text = decode(data)
        if _BLANK.fullmatch(text):
            return None
        loaded = load(text)
    except JSONTextError as error:
        where = error.position
        problem = Finding(
            name, first_line + where.line - 1, where.column, error.pointer, error.rule, "error", error.message
        )
        return PayloadText(line, problem=problem)
    shared = _Text(text, first_line)
    value = loaded.value
    if not isinstance(value, list):
        payload = Payload(value, _kind(value, kind), None, first_line + loaded.start.line - 1, shared)
        return PayloadText(line, (payload,))
    if not value:
        start = loaded.start
        return PayloadText(
            line, problem=Finding(name, first_line + start.line - 1, start.column, None, None, "error", _EMPTY_LIST)
        )
    payloads = tuple(
        Payload(item, _kind(item, kind), index, first_line + start.line - 1, shared)
        for index, (item, start) in enumerate(zip(value, loaded.items, strict=True))
    )
    return PayloadText(line, payloads)


def _kind(value: Any, kind: Kind) -> PayloadKind:
    """What a payload is: as forced, or an event when it has action, eventTime or profile and no envelope key."""
    if kind != "auto":
        return kind
    if isinstance(value, dict) and is_event(value) and not any(key in value for key in _ENVELOPE_KEYS):
        return "event"
    return "envelope"
