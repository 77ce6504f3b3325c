"""Load stage for files: JSON text to a value, and where in the text each value starts.

    >>> located = locate('{"actor": {\\n  "email": "student.example.com"}}')
    >>> located.position("/actor/email")
    Position(line=2, column=12)

Lines and columns are 1-based, as compilers and linters print them; a column
counts characters (Unicode code points), and ``\\n``, ``\\r\\n`` and a lone
``\\r`` each end a line.

Python's json module gives no positions: a parsed value does not remember where
it came from, and ``JSONDecodeError`` covers syntax only, not duplicate keys or
NaN.  No well-kept library fills the gap offline and strictly, so
:func:`locate` is a small hand-written reader.  It is iterative (an explicit
stack), so no nesting depth can crash it, and strict: duplicate keys,
NaN/Infinity and anything after the value are :class:`JSONTextError` with a
position.  Scalars are decoded by the json module itself, so strings and
numbers mean exactly what ``json.loads`` says they mean.

:func:`load` is the fast path: the C parser with the same strictness, and
:func:`locate` only to explain a failure.  It also says where the value starts
and, for a top-level array, where each item starts (the C parser reads the
array an item at a time, so this costs no second parse).  Callers that need
other positions only for payloads with violations parse with :func:`load` and
call :func:`locate` when there is something to point at.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, NamedTuple

from caliper_contract._jsonvalue import TOO_LONG_MESSAGE
from caliper_contract.pointers import pointer, tokens

__all__ = [
    "JSONTextError",
    "Loaded",
    "Located",
    "Position",
    "Spans",
    "as_parsed",
    "decode",
    "find",
    "line_index",
    "load",
    "locate",
    "parse",
    "spans",
]

#: The rules a text that cannot be read breaks (ids in caliper_contract.rules.RULES).
TextRule = Literal["json.syntax", "json.duplicate-key", "json.value"]

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_SCALAR_START = frozenset('"-0123456789tfnNI')
# RFC 6901 array index: ASCII digits without a leading zero ("01", "²" and "١" are not indexes, though str.isdigit
# says they are digits).
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")


class Position(NamedTuple):
    """A 1-based line and column (in characters)."""

    line: int
    column: int


class JSONTextError(ValueError):
    """Text that is not one strict JSON value: what is wrong, which rule it breaks, and where."""

    def __init__(self, rule: TextRule, message: str, position: Position, pointer: str | None = None) -> None:
        super().__init__(f"{position.line}:{position.column}: {message}")
        self.rule: TextRule = rule
        self.message = message
        self.position = position
        #: The JSON Pointer of the value being read when the problem was found (None: before any was).
        self.pointer = pointer


class _Spot:
    """Where one value starts, and for a container where each of its children does."""

    __slots__ = ("children", "offset")

    def __init__(self, offset: int, children: dict[str, _Spot] | list[_Spot] | None = None) -> None:
        self.offset = offset
        self.children = children


@dataclass(frozen=True)
class Located:
    """A parsed JSON value and where each of its values starts in the text."""

    value: Any
    text: str = field(repr=False)
    _root: _Spot = field(repr=False)

    def position(self, pointer: str) -> Position:
        """Where the value at the JSON Pointer ``pointer`` starts.

        A pointer to something the text does not hold (such as a missing
        property) gets the position of its nearest enclosing value.
        """
        spot = self._root
        for token in tokens(pointer):
            children = spot.children
            if isinstance(children, dict):
                child = children.get(token)
            elif isinstance(children, list) and _ARRAY_INDEX.fullmatch(token) and int(token) < len(children):
                child = children[int(token)]
            else:
                child = None
            if child is None:
                break
            spot = child
        return self._lines.position(spot.offset)

    @cached_property
    def _lines(self) -> _LineIndex:
        return _LineIndex(self.text)


class _LineIndex:
    def __init__(self, text: str) -> None:
        self._starts = [0, *(match.end() for match in _LINE_BREAK.finditer(text))]

    def position(self, offset: int) -> Position:
        line = bisect.bisect_right(self._starts, offset) - 1
        return Position(line + 1, offset - self._starts[line] + 1)


def decode(data: bytes) -> str:
    """UTF-8 bytes to text (a leading byte order mark is dropped); :class:`JSONTextError` where they are not UTF-8."""
    try:
        # The utf-8 codec, and the mark dropped by hand: utf-8-sig is several times
        # slower, and counts the offsets of its errors from after the mark.
        text = data.decode("utf-8")
        return text[1:] if text.startswith("\ufeff") else text
    except UnicodeDecodeError as error:
        before = data[: error.start].decode("utf-8").removeprefix("\ufeff")
        position = _LineIndex(before).position(len(before))
        raise JSONTextError(
            "json.syntax", f"not UTF-8 text: {error.reason} (byte 0x{data[error.start]:02x})", position
        ) from None


class _Refused(Exception):
    """A duplicate key or a NaN/Infinity seen by the fast parser."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _Refused
    return result


def _no_constant(name: str) -> Any:
    raise _Refused


_STRICT = json.JSONDecoder(object_pairs_hook=_unique_keys, parse_constant=_no_constant)


def parse(text: str | bytes | bytearray) -> Any:
    """One strict JSON value from text or UTF-8 bytes, fast; a :class:`JSONTextError` with a position otherwise.

    What ``validate()`` reads JSON text with: the same refusals, words and
    positions as a payload file gets.  A leading byte order mark is dropped.
    """
    if not isinstance(text, str):
        text = decode(bytes(text))
    elif text.startswith("\ufeff"):
        text = text[1:]
    try:
        return _STRICT.decode(text)
    except (ValueError, _Refused, RecursionError):
        return locate(text).value  # bad text only: this raises, saying what is wrong and where


class Loaded(NamedTuple):
    """One JSON value read by :func:`load`, and where it starts."""

    value: Any
    start: Position
    #: Where each item of a top-level array starts; empty for any other value.
    items: tuple[Position, ...]


def load(text: str) -> Loaded:
    """Parse one strict JSON value, fast; a :class:`JSONTextError` with a position when that fails."""
    try:
        start = _skip(text, 0)
        if text.startswith("[", start):
            value, offsets = _array(text, start)
        else:
            value, offsets = _STRICT.decode(text), []
    except (ValueError, _Refused, RecursionError):
        # Slow path, for bad text only (or nesting deeper than the C parser takes).
        located = locate(text)
        children = located._root.children
        value, start = located.value, located._root.offset
        offsets = [spot.offset for spot in children] if isinstance(children, list) else []
    lines = _LineIndex(text[: max([start, *offsets]) + 1])
    return Loaded(value, lines.position(start), tuple(lines.position(offset) for offset in offsets))


def _skip(text: str, at: int) -> int:
    return _WHITESPACE.match(text, at).end()  # type: ignore[union-attr]  # matches the empty string


def _array(text: str, at: int) -> tuple[list[Any], list[int]]:
    """The top-level array that opens at ``at``, an item at a time, and the offset where each item starts.

    As strict as ``json.loads``: anything it would refuse raises, and :func:`load` lets :func:`locate` say why.
    """
    items: list[Any] = []
    offsets: list[int] = []
    at = _skip(text, at + 1)
    if text.startswith("]", at):
        at += 1
    else:
        while True:
            offsets.append(at)
            item, at = _STRICT.raw_decode(text, at)
            items.append(item)
            at = _skip(text, at)
            if text.startswith(",", at):
                at = _skip(text, at + 1)
            elif text.startswith("]", at):
                at += 1
                break
            else:
                raise _Refused
    if _skip(text, at) != len(text):
        raise _Refused
    return items, offsets


def find(text: str, pointer: str) -> Position:
    """Where the value at ``pointer`` starts in ``text``, one strict JSON value (as :func:`load` reads it).

    Says what ``locate(text).position(pointer)`` says, without building a
    position for every value: it walks down the pointer's path, and the json
    module skips every value beside it.  That is what a payload with a
    violation or two needs, several times faster.
    """
    try:
        return _LineIndex(text).position(_offset(text, tokens(pointer)))
    except (ValueError, IndexError, RecursionError, _Constant):  # deeper than the json module reads, or not JSON
        return locate(text).position(pointer)


def _offset(text: str, path: list[str]) -> int:
    """The offset of the value at ``path`` in ``text``, or of the nearest enclosing value."""
    at = _skip(text, 0)
    for token in path:
        opening = text[at]
        if opening == "{":
            inner = _skip(text, at + 1)
            while text[inner] != "}":
                key, inner = _SCALARS.raw_decode(text, inner)
                inner = _skip(text, _skip(text, inner) + 1)  # past the ":"
                if key == token:
                    break
                inner = _skip(text, _SCALARS.raw_decode(text, inner)[1])
                if text[inner] == ",":
                    inner = _skip(text, inner + 1)
            else:
                return at
        elif opening == "[" and _ARRAY_INDEX.fullmatch(token):
            inner = _skip(text, at + 1)
            for _ in range(int(token)):
                if text[inner] == "]":
                    return at
                inner = _skip(text, _SCALARS.raw_decode(text, inner)[1])
                if text[inner] == ",":
                    inner = _skip(text, inner + 1)
            if text[inner] == "]":
                return at
        else:
            return at
        at = inner
    return at


def as_parsed(value: Any) -> Any:
    """A value parsed from a file, in the form ``Contract.validate`` checks as that value.

    validate() takes a str as JSON text to parse: a file holding a JSON string
    would have the string parsed again, and one holding an envelope serialised
    into a string would pass.  A string goes in as its own JSON text instead.
    """
    return json.dumps(value) if isinstance(value, str) else value


class _Constant(Exception):
    def __init__(self, name: str) -> None:
        self.name = name


def _raise_constant(name: str) -> Any:
    raise _Constant(name)


_SCALARS = json.JSONDecoder(parse_constant=_raise_constant)


def _syntax_message(message: str, found: str) -> str:
    """The json module's words for a bad scalar, as this module words its own."""
    if message == "Expecting value":
        return f"expected a JSON value, {found}"
    if message.startswith("Unterminated string"):
        return "unterminated string"
    if message.startswith("Invalid control character"):
        return f"control character {found.removeprefix('found ')} must be escaped in a string"
    if message.startswith("Invalid \\"):
        return "invalid escape sequence in a string"
    return f"{message[:1].lower()}{message[1:]}, {found}"


@dataclass
class _Open:
    """A container being read, and where its children start."""

    container: Any  # the dict or list being filled
    spot: _Spot
    key: str = ""  # an object's key being read
    keys: dict[str, int] = field(default_factory=dict)  # an object's keys -> offsets, to name the first of two


def locate(text: str) -> Located:
    """Parse one strict JSON value, recording where each value starts; see the module docstring."""
    stack: list[_Open] = []
    end = len(text)

    def skip(at: int) -> int:
        return _skip(text, at)

    def here(frames: int) -> str:
        """The JSON Pointer of the value being read in the first ``frames`` open containers."""
        return pointer(
            frame.key if isinstance(frame.container, dict) else len(frame.container) for frame in stack[:frames]
        )

    def fail(rule: TextRule, message: str, at: int, *, in_container: bool = False) -> JSONTextError:
        # A problem with a value points at it; one with separators at the container being read.
        where = here(len(stack) - 1 if in_container else len(stack))
        return JSONTextError(rule, message, _LineIndex(text).position(at), where)

    def found(at: int) -> str:
        return f"found {text[at]!r}" if at < end else "found the end of the text"

    def scalar(at: int, *, key: bool = False) -> tuple[Any, int]:
        try:
            return _SCALARS.raw_decode(text, at)
        except _Constant as constant:
            raise fail("json.value", f"{constant.name} is not a JSON number", at) from None
        except json.JSONDecodeError as error:
            message = _syntax_message(error.msg, found(error.pos))
            raise fail("json.syntax", message, error.pos, in_container=key) from None
        except ValueError:  # an integer longer than Python converts (sys.get_int_max_str_digits())
            raise fail("json.value", TOO_LONG_MESSAGE, at) from None

    def read_key(at: int, frame: _Open) -> int:
        """Read `"key" :` at ``at``; return where the property's value starts."""
        if at >= end or text[at] != '"':
            raise fail("json.syntax", f"expected a property name in double quotes, {found(at)}", at, in_container=True)
        key, after = scalar(at, key=True)
        frame.key = key
        if key in frame.keys:
            first = _LineIndex(text).position(frame.keys[key])
            raise fail(
                "json.duplicate-key",
                f"key {json.dumps(key)} appears twice in one object "
                f"(first at line {first.line}, column {first.column})",
                at,
            )
        frame.keys[key] = at
        at = skip(after)
        if at >= end or text[at] != ":":
            raise fail("json.syntax", f"expected ':' after the property name, {found(at)}", at, in_container=True)
        return skip(at + 1)

    at = skip(0)
    while True:
        # -- read the value that starts at `at`
        char = text[at] if at < end else ""
        value: Any
        spot: _Spot
        if char in ("{", "["):
            frame = _Open({} if char == "{" else [], _Spot(at, {} if char == "{" else []))
            inner = skip(at + 1)
            if inner < end and text[inner] == ("}" if char == "{" else "]"):
                value, spot, at = frame.container, frame.spot, inner + 1
            else:
                stack.append(frame)
                at = read_key(inner, frame) if char == "{" else inner
                continue
        elif char in _SCALAR_START:
            spot = _Spot(at)
            value, at = scalar(at)
        else:
            raise fail("json.syntax", f"expected a JSON value, {found(at)}", at)
        # -- a value is complete: put it in its container, then read what follows
        while True:
            at = skip(at)
            if not stack:
                if at < end:
                    raise fail("json.syntax", f"extra text after the JSON value, {found(at)}", at)
                return Located(value, text, spot)
            frame = stack[-1]
            children = frame.spot.children
            if isinstance(children, dict):
                frame.container[frame.key] = value
                children[frame.key] = spot
                closing = "}"
            else:
                frame.container.append(value)
                children.append(spot)  # type: ignore[union-attr]  # a container's spot has children
                closing = "]"
            if at < end and text[at] == ",":
                at = skip(at + 1)
                if closing == "}":
                    at = read_key(at, frame)
                break
            if at < end and text[at] == closing:
                stack.pop()
                value, spot, at = frame.container, frame.spot, at + 1
                continue
            what = "a property value" if closing == "}" else "an array item"
            raise fail("json.syntax", f"expected ',' or '{closing}' after {what}, {found(at)}", at, in_container=True)


class Spans:
    """Where one value of a JSON text is, as offsets: ``text[start:end]`` is its JSON; a property's key likewise.

    ``children`` are an object's properties by key (in text order) or an
    array's items; None for a scalar.  What :func:`spans` gives, to edit a text
    at its values without touching anything else.
    """

    __slots__ = ("children", "end", "key", "start")

    def __init__(self, start: int, children: dict[str, Spans] | list[Spans] | None = None) -> None:
        self.start = start
        self.end = start
        #: For a property's value: where its key is, quotes included.
        self.key: tuple[int, int] | None = None
        self.children = children

    def find(self, path: list[str]) -> Spans | None:
        """The spans of the value at these JSON Pointer tokens, or None when the text has none there."""
        node: Spans | None = self
        for token in path:
            children = node.children if node is not None else None
            if isinstance(children, dict):
                node = children.get(token)
            elif isinstance(children, list) and _ARRAY_INDEX.fullmatch(token) and int(token) < len(children):
                node = children[int(token)]
            else:
                return None
        return node


def spans(text: str) -> Spans:
    """Where each value, and each property's key, of one JSON text is (see :class:`Spans`).

    For a text :func:`load` has accepted: it reads without the words and
    positions :func:`locate` gives a broken text, and raises ValueError on one.
    Like :func:`locate` it is iterative, so any depth is safe, and it runs only
    when a text is to be edited, so :func:`load` pays nothing for it.
    """
    stack: list[tuple[Spans, str, tuple[int, int]]] = []  # open containers, each with the key being read

    def read_key(at: int) -> tuple[str, tuple[int, int], int]:
        """`"key" :` at ``at``: the key, where it is, and where its value starts."""
        key, after = _SCALARS.raw_decode(text, at) if text.startswith('"', at) else (None, at)
        colon = _skip(text, after)
        if not isinstance(key, str) or not text.startswith(":", colon):
            raise ValueError(f"expected a property name at offset {at}")
        return key, (at, after), _skip(text, colon + 1)

    at = _skip(text, 0)
    while True:
        char = text[at : at + 1]
        if char in ("{", "["):
            node = Spans(at, {} if char == "{" else [])
            inner = _skip(text, at + 1)
            if not text.startswith("}" if char == "{" else "]", inner):
                key, key_span, at = read_key(inner) if char == "{" else ("", (inner, inner), inner)
                stack.append((node, key, key_span))
                continue
            node.end = inner + 1
        else:
            node = Spans(at)
            try:
                node.end = _SCALARS.raw_decode(text, at)[1]  # a ValueError where no value starts
            except _Constant as constant:
                raise ValueError(f"{constant.name} at offset {at}") from None
        # A value is complete: put it in its container, then read what follows.
        while True:
            at = _skip(text, node.end)
            if not stack:
                if at != len(text):
                    raise ValueError(f"extra text at offset {at}")
                return node
            container, key, key_span = stack[-1]
            children = container.children
            if isinstance(children, dict):
                node.key = key_span
                children[key] = node
            else:
                children.append(node)  # type: ignore[union-attr]  # a container's spans have children
            if text.startswith(",", at):
                at = _skip(text, at + 1)
                if isinstance(children, dict):
                    key, key_span, at = read_key(at)
                    stack[-1] = (container, key, key_span)
                break
            if not text.startswith("}" if isinstance(children, dict) else "]", at):
                raise ValueError(f"expected ',' or the end of a container at offset {at}")
            stack.pop()
            container.end = at + 1
            node = container


def line_index(text: str) -> Callable[[int], Position]:
    """The line and column of an offset into ``text``, counted as every position here is."""
    return _LineIndex(text).position
