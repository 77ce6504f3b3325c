"""Load stage for parsed payloads: a value checked to be made of JSON types, without a walk in the common case.

It never raises: what is wrong becomes a :class:`~caliper_contract.report.Violation`.
JSON *text* is read by :mod:`caliper_contract._jsontext`.
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
#: Python converts integers of at most this many digits to text (its int_max_str_digits
#: default); a longer one cannot appear in a message, so a payload with one is not checked further.
MAX_INT_DIGITS = 4300
_TOO_LONG = 10**MAX_INT_DIGITS


def show(value: object, limit: int = 80) -> str:
    """A value as a person reads it in a message: JSON, cut short when long."""
    if isinstance(value, int) and not -_TOO_LONG < value < _TOO_LONG:
        return f"an integer of about {int(value.bit_length() * math.log10(2)):,} digits"
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _too_deep(path: str) -> Violation:
    return Violation(path, "json.too-deep", "error", f"nested deeper than {MAX_DEPTH} levels; not checked further")


TOO_LONG_MESSAGE = f"a number with more than {MAX_INT_DIGITS:,} digits is too long to check"


@dataclass(frozen=True)
class Scan:
    """What :func:`scan` found: JSON problems, and whether any null occurs at all."""

    violations: tuple[Violation, ...]
    has_null: bool

    @property
    def checkable(self) -> bool:
        """Whether schemas can check the value: not nested too deeply, no number too long to show."""
        return not any(v.rule == "json.too-deep" or v.message == TOO_LONG_MESSAGE for v in self.violations)


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
            elif kind is int:
                if not -_TOO_LONG < child < _TOO_LONG:
                    return _slow_scan(value)
            elif kind is not bool and not _is_json_scalar(child):
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
    if isinstance(value, int) and not isinstance(value, bool):
        return bool(-_TOO_LONG < value < _TOO_LONG)
    return value is None or isinstance(value, bool)


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
        elif isinstance(node, int) and not -_TOO_LONG < node < _TOO_LONG:
            problems.append(_not_json(path, TOO_LONG_MESSAGE))
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
