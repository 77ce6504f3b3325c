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
  and column, and never stop the rest of the file;
- only regular files are read (a named pipe or a device is a problem, never
  opened to wait on), and a ``.json`` file (or standard input read whole) over
  :data:`MAX_JSON_BYTES` is a problem; a ``.jsonl`` file is read a line at a time,
  whatever its size;
- ``\n``, ``\r\n`` and a lone ``\r`` each end a line, for splitting a
  ``.jsonl`` file into texts as for the positions inside one.

:func:`is_not_a_payload` tells a ``.json`` file that holds something else
(``package.json``, ``tsconfig.json``) from a payload, broken or not.

Each file's bytes are read once and each text parsed once; positions inside a
payload are worked out (with :func:`~caliper_contract._jsontext.find`) only when
asked for, that is only for payloads that have something to point at.

With orjson installed (the ``fast`` extra) a line that opens an object is read
by orjson first.  orjson is not as strict as the reader of
:mod:`caliper_contract._jsontext` (it keeps the last of two equal keys and
reads integers beyond 64 bits as floats), so its value is taken only when it
is certainly the strict reader's; anything else goes to the strict reader, so
what a line means, and every message and position, stay the same.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, NamedTuple

from caliper_contract._jsontext import JSONTextError, Located, Position, as_parsed, decode, find, load, locate
from caliper_contract._paths import open_regular
from caliper_contract.profile import EVENT_KEYS, is_event
from caliper_contract.rules import RULES

if TYPE_CHECKING:
    from caliper_contract.contract import Contract
    from caliper_contract.report import Report
    from caliper_contract.rules import Severity


def _import_orjson() -> Any:
    try:
        import orjson
    except ImportError:  # a default install: the strict reader reads every line
        return None
    return orjson


_ORJSON: Any = _import_orjson()

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
#: Top-level keys of an envelope or of a Caliper event: a JSON object with none of them is not a payload.
PAYLOAD_KEYS = frozenset(
    (
        *_ENVELOPE_KEYS,
        *EVENT_KEYS,
        "@context",
        "actor",
        "object",
        "edApp",
        "generated",
        "target",
        "referrer",
        "group",
        "membership",
        "session",
        "federatedSession",
    )
)
#: The largest .json file (or standard input read whole) read: its parsed form takes several times as much memory.
MAX_JSON_BYTES = 64 * 1024 * 1024
# A CR that does not start a CRLF: it ends a line too (splitting after it keeps it with its line).
_LONE_CR = re.compile(rb"(?<=\r)(?!\n)")
_EXTRA_TEXT = "extra text after the JSON value"


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
    #: A payload of a file that must break the contract, and does not (``rule`` is None: no rule was broken).
    unmet_expectation: bool = field(default=False, kw_only=True)

    @property
    def unreadable(self) -> bool:
        """True when the file, or a payload in it, could not be read or held nothing to check: exit status 2."""
        if self.unmet_expectation:
            return False
        return self.rule is None or RULES[self.rule].family == "json"

    def to_dict(self) -> dict[str, Any]:
        """The form ``--format json`` prints: the fields above, always present, in the order declared."""
        fields = asdict(self)
        del fields["unmet_expectation"]  # said by the message; the keys stay those documented
        return fields


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


def cannot_read(name: str, error: OSError) -> Finding:
    """The finding for a file whose reading failed; what was read before is kept."""
    return whole_file(name, f"cannot read: {error.strerror or error}")


def holds_nothing(name: str) -> Finding:
    """The finding for a file with nothing but blank lines or whitespace."""
    return whole_file(name, _EMPTY_FILE)


class _Text:
    """One JSON text of a file, and the file line it starts on; located only when a position is asked for."""

    #: Positions found by walking the text; past these, one full reading places every value at once.
    WALKS = 8

    def __init__(self, text: str, first_line: int) -> None:
        self.text = text
        self.first_line = first_line
        self._walks = 0
        self._located: Located | None = None

    def position(self, pointer: str) -> Position:
        # Worked out only for payloads with something to point at: a violation or two walk the text (each walk
        # costs a pass over it), a file full of them has it read once with every position.
        if self._located is None and self._walks < self.WALKS:
            self._walks += 1
            line, column = find(self.text, pointer)
        else:
            if self._located is None:
                self._located = locate(self.text)
            line, column = self._located.position(pointer)
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
    #: Whether a null occurs in it, when the reader vouches that it is JSON nested no deeper than the contract
    #: checks (orjson's reading of a line); None when the contract is to scan it.
    has_null: bool | None = field(default=None, repr=False, compare=False)

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
        if self.has_null is not None:
            event, has_null = self.kind == "event", self.has_null
            return contract._validate_json(self.value, event=event, has_null=has_null, strict=strict, ignore=ignore)
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


class Vouched(NamedTuple):
    """A line orjson read, vouched for (see ``_strict_object``): what checking it needs, its Payload on demand.

    Most lines of a large file are valid: they are checked from this alone,
    and only a line with something to report becomes a :class:`Payload`.
    """

    line: int
    value: dict[str, Any]
    kind: PayloadKind
    has_null: bool
    data: bytes

    def payload(self) -> Payload:
        return Payload(self.value, self.kind, None, self.line, _Text(self.data.decode(), self.line), self.has_null)

    def validate(self, contract: Contract, *, strict: bool = False, ignore: Iterable[str] = ()) -> Report:
        """What :meth:`Payload.validate` says of its payload."""
        event = self.kind == "event"
        return contract._validate_json(self.value, event=event, has_null=self.has_null, strict=strict, ignore=ignore)


def read(source: Source, kind: Kind = "auto") -> Iterator[PayloadText]:
    """The payloads of one source, a JSON text at a time, in file order; never raises for what it holds.

    See the module docstring for what a file may hold.  ``kind`` forces what
    every payload is taken to be ("auto": each recognised on its own).
    """
    for text in read_lazily(source, kind):
        yield text if isinstance(text, PayloadText) else PayloadText(text.line, (text.payload(),))


def read_lazily(source: Source, kind: Kind = "auto") -> Iterator[PayloadText | Vouched]:
    """What :func:`read` gives, with the lines orjson vouches for as :class:`Vouched` (see there)."""
    found = False
    try:
        if source.path is None and sys.stdin is None:
            raise OSError("standard input is closed")
        if not source.lines:
            data, size = _read_whole(source)
            if size > MAX_JSON_BYTES:
                yield PayloadText(None, problem=whole_file(source.name, _too_large(size)))
                return
            text = _read_text(source.name, data, 1, None, kind)
            if text is not None:
                found = True
                yield _hint_json_lines(source, text, data)
        else:
            with open_lines(source) as stream:  # a line at a time: constant memory, whatever the file's size
                for line in read_lines_lazily(source.name, stream, 1, kind):
                    found = True
                    yield line
    except OSError as error:  # what was read before a read failed is kept
        yield PayloadText(None, problem=cannot_read(source.name, error))
        return
    if not found:
        yield PayloadText(None, problem=holds_nothing(source.name))


def read_lines(name: str, lines: Iterable[bytes], first_line: int, kind: Kind = "auto") -> Iterator[PayloadText]:
    """The payloads of JSON Lines, the first of them on line ``first_line`` of the file ``name``; blank lines skipped.

    ``lines`` are the file's lines as iterating a binary file gives them (each
    ends with its ``\\n``; a lone ``\\r`` inside ends a line too): :func:`read`
    passes a file, and ``check --jobs`` a block of a file's lines.
    """
    for text in read_lines_lazily(name, lines, first_line, kind):
        yield text if isinstance(text, PayloadText) else PayloadText(text.line, (text.payload(),))


def read_lines_lazily(
    name: str, lines: Iterable[bytes], first_line: int, kind: Kind = "auto"
) -> Iterator[PayloadText | Vouched]:
    """What :func:`read_lines` gives, with the lines orjson vouches for as :class:`Vouched` (see there)."""
    number = first_line
    for line in _lines(lines):
        value = _strict_object(line)
        if value is not None:
            # orjson wrote the object back (see _strict_object), so it is nested no deeper than orjson writes (254
            # levels), and a null in it is the word null on the line (a search by pattern: faster than `in`).
            yield Vouched(number, value, _kind(value, kind), _NULL.search(line) is not None, line)
        else:
            text = _read_text(name, line, number, number, kind)
            if text is not None:
                yield text
        number += 1


def open_lines(source: Source) -> AbstractContextManager[BinaryIO]:
    """The JSON Lines of ``source`` as a binary stream (standard input is not closed after)."""
    return open_regular(source.path)[0] if source.path is not None else nullcontext(sys.stdin.buffer)


def blocks(stream: BinaryIO, size: int) -> Iterator[bytes]:
    """The stream's lines in blocks of about ``size`` bytes, each cut after a ``\\n`` (reading may raise OSError)."""
    while True:
        block = stream.read(size)
        if not block:
            return
        if not block.endswith(b"\n"):
            block += stream.readline()
        yield block


def regions(path: Path, size: int) -> Iterator[tuple[int, int | None]]:
    """Where the blocks of :func:`blocks` lie in a file: (start, length), the last one's length None (to the end).

    Only the ends of blocks are looked for, so the file can be read by several
    processes at once; raises OSError as reading does.
    """
    stream, total = open_regular(path)
    with stream:
        start = 0
        while start + size < total:
            stream.seek(start + size - 1)  # a line ending right there ends the block
            stream.readline()
            end = stream.tell()
            if end >= total:
                break
            yield start, end - start
            start = end
        yield start, None


def read_region(path: Path, start: int, length: int | None) -> bytes:
    """The bytes of a region that :func:`regions` gave."""
    stream, _ = open_regular(path)
    with stream:
        stream.seek(start)
        return stream.read() if length is None else stream.read(length)


def line_count(block: bytes) -> int:
    """How many lines :func:`read_lines` counts in ``block``, a file's lines up to and including a ``\\n``."""
    count = block.count(b"\n")
    if b"\r" in block:  # a lone CR ends a line too
        count += block.count(b"\r") - block.count(b"\r\n")
    return count


def _read_whole(source: Source) -> tuple[bytes, int]:
    """The bytes of a .json file or of standard input, and its size; nothing is read past :data:`MAX_JSON_BYTES`."""
    if source.path is None:
        data = sys.stdin.buffer.read(MAX_JSON_BYTES + 1)
        return data, len(data)
    stream, size = open_regular(source.path)
    with stream:
        if size > MAX_JSON_BYTES:
            return b"", size
        data = stream.read(MAX_JSON_BYTES + 1)  # the file may have grown since it was looked at
        return data, max(size, len(data))


def _too_large(size: int) -> str:
    return (
        f"too large to check: {size:,} bytes or more, over the {MAX_JSON_BYTES // (1024 * 1024)} MiB limit for one "
        ".json file (a .jsonl or .ndjson file, one payload per line, has no limit)"
    )


def _lines(stream: Iterable[bytes]) -> Iterator[bytes]:
    """The lines of a binary stream, where ``\\n``, ``\\r\\n`` and a lone ``\\r`` each end one, as positions count."""
    for line in stream:
        if b"\r" in line:
            yield from (piece for piece in _LONE_CR.split(line) if piece)
        else:
            yield line


def _hint_json_lines(source: Source, text: PayloadText, data: bytes) -> PayloadText:
    """Standard input holding a JSON value per line, read as one JSON text: say how to read it a line at a time."""
    problem = text.problem
    if source.path is not None or problem is None or not problem.message.startswith(_EXTRA_TEXT):
        return text
    first = next((line for line in data.splitlines() if line.strip()), b"")
    try:
        load(decode(first))
    except JSONTextError:
        return text  # not a value a line: pretty-printed values one after another, or plain broken text
    hint = "several JSON values, one a line: name standard input with --stdin-name x.jsonl to check one a line"
    return PayloadText(text.line, problem=replace(problem, message=f"{problem.message} ({hint})"))


#: Text orjson may read differently from the strict reader: an escaped ":" (see _strict_object),
#: and 19 digits in a row, which may be an integer orjson reads as a float.
_ESCAPED_COLON = re.compile(rb"\\u003")  # a pattern: searching for a literal one is faster than `in`
_DIGITS_AS_ZERO = bytes(48 if 48 <= byte <= 57 else 32 for byte in range(256))
_LONG_NUMBER = b"0" * 19
_NULL = re.compile(b"null")


def _strict_object(line: bytes) -> dict[str, Any] | None:
    """The object on ``line`` as orjson reads it, when that is certainly what the strict reader reads; else None.

    The line must open with "{" (so the object starts on the line's first
    column, as the strict reader would say), orjson must read it, and it must
    hold no text orjson reads differently (see ``_LONG_NUMBER``).  Duplicate
    keys, which orjson keeps quietly, are ruled out by counting: written back,
    the object has one ":" per key plus those inside strings, so fewer than the
    line has means a key was lost (an escaped ":" would hide one, hence
    ``_ESCAPED_COLON``).  orjson refuses NaN, Infinity, numbers beyond a
    double, lone surrogates and invalid UTF-8 itself, and the strict reader then
    says why (a test holds orjson to that).
    """
    orjson = _ORJSON
    if orjson is None or not line.startswith(b"{"):
        return None
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if _ESCAPED_COLON.search(line) or _LONG_NUMBER in line.translate(_DIGITS_AS_ZERO):
        return None
    try:
        written = orjson.dumps(value)
    except orjson.JSONEncodeError:  # e.g. nested deeper than orjson writes
        return None
    if written.count(b":") != line.count(b":"):
        return None
    result: dict[str, Any] = value
    return result


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
    if isinstance(value, dict) and "data" in value:  # the common case first, said at once
        return "envelope"
    if isinstance(value, dict) and is_event(value) and not any(key in value for key in _ENVELOPE_KEYS):
        return "event"
    return "envelope"


def is_not_a_payload(text: PayloadText) -> bool:
    """Whether a whole JSON text holds something other than Caliper payloads, such as ``package.json``.

    That is an object, or a list of objects, with none of :data:`PAYLOAD_KEYS`
    at the top level and no ``type`` naming an event.  Anything else (a string,
    a number, an object with one envelope key) is taken for a payload, broken
    or not; so is a text that is not strict JSON.
    """
    return bool(text.payloads) and all(_not_a_payload(payload.value) for payload in text.payloads)


def _not_a_payload(value: Any) -> bool:
    if not isinstance(value, dict) or not PAYLOAD_KEYS.isdisjoint(value):
        return False
    kind = value.get("type")
    return not (isinstance(kind, str) and kind.endswith("Event"))
