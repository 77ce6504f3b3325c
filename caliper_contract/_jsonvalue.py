"""Load stage for payloads: JSON text to a value, and a value checked to be JSON.

Both never raise: what is wrong becomes a :class:`~caliper_contract.report.Violation`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from caliper_contract.pointers import pointer
from caliper_contract.report import Violation

#: Deeper payloads are refused before any schema sees them: no Caliper envelope
#: needs this much nesting, and it keeps every later stage far from Python's
#: recursion limit.
MAX_DEPTH = 256


class _Invalid(Exception):
    def __init__(self, violation: Violation) -> None:
        self.violation = violation


@dataclass(frozen=True)
class Parsed:
    """The outcome of reading a payload: the value, or why there is none."""

    value: Any
    violations: tuple[Violation, ...] = ()


def show(value: object, limit: int = 80) -> str:
    """A value as a person reads it in a message: JSON, cut short when long."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_text(text: str | bytes | bytearray) -> Parsed:
    """Parse JSON text strictly: no NaN/Infinity, no duplicate keys, bounded depth."""
    if isinstance(text, (bytes, bytearray)):
        try:
            # utf-8-sig: a leading BOM is tolerated, as most JSON readers do.
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as error:
            return _syntax(f"not UTF-8 text: {error.reason} at byte {error.start}")
    elif text.startswith("\ufeff"):
        text = text[1:]
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constants)
    except _Invalid as invalid:
        return Parsed(None, (invalid.violation,))
    except json.JSONDecodeError as error:
        return _syntax(f"line {error.lineno} column {error.colno}: {error.msg}")
    except ValueError:
        # An integer longer than Python converts (sys.get_int_max_str_digits(), 4300 digits by
        # default; RFC 8259 §6 lets a reader limit numbers).  Worded as the file reader words it.
        return Parsed(None, (Violation("", "json.value", "error", "number has too many digits to be read"),))
    except RecursionError:
        return Parsed(None, (_too_deep(""),))
    return Parsed(value)


def _syntax(message: str) -> Parsed:
    return Parsed(None, (Violation("", "json.syntax", "error", message),))


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                # The parser does not say where this object sits; the CLI's
                # position-aware reader does, for files.
                raise _Invalid(
                    Violation("", "json.duplicate-key", "error", f"key {json.dumps(key)} appears twice in one object")
                )
            seen.add(key)
    return result


def _no_constants(name: str) -> Any:
    raise _Invalid(Violation("", "json.value", "error", f"{name} is not a JSON number"))


def _too_deep(path: str) -> Violation:
    return Violation(path, "json.too-deep", "error", f"nested deeper than {MAX_DEPTH} levels; not checked further")


@dataclass(frozen=True)
class Scan:
    """What :func:`scan` found: JSON problems, and whether any null occurs at all."""

    violations: tuple[Violation, ...]
    has_null: bool


_INFINITIES = (math.inf, -math.inf)


def scan(value: Any) -> Scan:
    """Check that a Python value is made of JSON types and is not nested too deeply.

    Runs on every payload, so the common case (nothing wrong) is one tight loop
    without paths; only when something is wrong does :func:`_locate_problems`
    walk again to say where.  Iterative: payloads of any depth are safe here.
    """
    if type(value) is not dict and type(value) is not list:
        return Scan((), True) if value is None else Scan((), False) if _is_json_scalar(value) else _slow_scan(value)
    has_null = False
    stack: list[tuple[Any, int]] = [(value, 0)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        if depth >= MAX_DEPTH:
            return _slow_scan(value)
        if type(node) is dict:
            for key in node:
                if type(key) is not str:
                    return _slow_scan(value)
            children: Any = node.values()
        else:  # only exact dicts and lists are pushed
            children = node
        for child in children:
            kind = type(child)
            if kind is str:
                if not child.isascii() and _has_lone_surrogate(child):
                    return _slow_scan(value)
            elif kind is dict or kind is list:
                push((child, depth + 1))
            elif child is None:
                has_null = True
            elif kind is not int and kind is not bool and not _is_json_scalar(child):
                return _slow_scan(value)
    return Scan((), has_null)


def _slow_scan(value: Any) -> Scan:
    # Something unusual (a problem, or a dict/list subclass): locate problems with
    # paths, and let the null walk run, since this scan stopped early.
    return Scan(_locate_problems(value), True)


def _is_json_scalar(value: Any) -> bool:
    if isinstance(value, (dict, list)):
        return False  # a subclass of dict or list: walked by _locate_problems, which accepts it
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return not _has_lone_surrogate(value)
    return value is None or isinstance(value, (int, bool))


def _locate_problems(value: Any) -> tuple[Violation, ...]:
    """The slow, path-tracking walk behind :func:`scan`, run only when something is wrong."""
    problems: list[Violation] = []
    stack: list[tuple[Any, tuple[object, ...]]] = [(value, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            if len(path) >= MAX_DEPTH:
                return (_too_deep(pointer(path)),)
            for key, child in node.items():
                if isinstance(key, str):
                    stack.append((child, (*path, key)))
                else:
                    problems.append(
                        _not_json(path, f"object key {key!r} is a {type(key).__name__}; JSON keys are strings")
                    )
        elif isinstance(node, list):
            if len(path) >= MAX_DEPTH:
                return (_too_deep(pointer(path)),)
            stack.extend((child, (*path, index)) for index, child in enumerate(node))
        elif isinstance(node, str):
            if _has_lone_surrogate(node):
                problems.append(_not_json(path, "string has a lone surrogate, which cannot be encoded as UTF-8"))
        elif isinstance(node, float):
            if not math.isfinite(node):
                problems.append(_not_json(path, f"{node!r} is not a JSON number"))
        elif node is not None and not isinstance(node, int):
            problems.append(_not_json(path, f"a Python {type(node).__name__} has no JSON form"))
    return tuple(problems)


def _not_json(path: tuple[object, ...], message: str) -> Violation:
    return Violation(pointer(path), "json.value", "error", message)


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
