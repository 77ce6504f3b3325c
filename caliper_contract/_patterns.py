"""The regular expressions of a contract (``pattern``, ``patternProperties``), matched in bounded time.

A document's patterns come from its author, and Python's ``re`` backtracks
without limit: ``^(a|aa)+$`` against forty ``a`` and a ``!`` runs for hours.
So every pattern a payload is checked against is matched by the ``regex``
module (in its ``re``-compatible mode, so patterns mean what they mean to
python-jsonschema) with a timeout: a match that takes longer than
:data:`MATCH_TIMEOUT` seconds counts as *not matching*, and the violation says
so.  The same matcher serves python-jsonschema (see :data:`KEYWORDS`) and the
fastjsonschema engine; jsonschema-rs matches with the Rust ``regex`` crate,
which runs in linear time.
"""

from __future__ import annotations

import threading
import types
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import regex

#: Seconds one match may take before it counts as not matching.
MATCH_TIMEOUT = 0.25
#: The (pattern, text) pairs whose match ran out of time, most recent last: a value is
#: usually checked more than once (a fast verdict, then an explanation), and should
#: cost the timeout once.
_timed_out: dict[tuple[str, str], None] = {}
_REMEMBERED = 64
_timed_out_lock = threading.Lock()


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> regex.Pattern[str]:
    """``pattern`` compiled as python-jsonschema reads it (raises ``regex.error`` when it is not a regex)."""
    import regex  # here, not at the top: a contract without patterns never needs it

    return regex.compile(pattern, regex.VERSION0)


def search(pattern: str, text: str) -> bool:
    """Whether ``pattern`` matches somewhere in ``text``; False when that cannot be decided in time."""
    if (pattern, text) in _timed_out:
        return False
    try:
        return compile_pattern(pattern).search(text, timeout=MATCH_TIMEOUT) is not None
    except TimeoutError:
        with _timed_out_lock:
            _timed_out[pattern, text] = None
            while len(_timed_out) > _REMEMBERED:
                del _timed_out[next(iter(_timed_out))]
        return False


def timed_out(pattern: object, text: object) -> bool:
    """Whether matching ``pattern`` against ``text`` ran out of time."""
    try:
        return (pattern, text) in _timed_out
    except TypeError:  # not hashable: not a pair this module matched
        return False


def is_regex(pattern: object) -> bool:
    """The ``regex`` format of the metaschema: a pattern this module can match with."""
    if not isinstance(pattern, str):
        return True
    import regex

    try:
        compile_pattern(pattern)
    except (regex.error, OverflowError, RecursionError):
        return False
    return True


class _BoundedRe:
    """What python-jsonschema's pattern keywords use of ``re``: ``search``, returning a truth value."""

    @staticmethod
    def search(pattern: str, text: str) -> bool:
        return search(pattern, text)


def _rebound(function: Callable[..., Any], **names: Any) -> Callable[..., Any]:
    """A copy of ``function`` that sees ``names`` in place of its module's globals of those names.

    python-jsonschema has no hook for how patterns are matched: its keyword
    functions call ``re.search`` directly.  Rather than copying them, each is
    re-made here over a copy of its module's namespace, with ``re`` (and the
    helpers that use it) replaced; jsonschema's own modules are not touched.
    """
    namespace = {**function.__globals__, **names}
    return types.FunctionType(function.__code__, namespace, function.__name__, function.__defaults__)


def _keywords() -> dict[str, Callable[..., Any]]:
    from jsonschema import _keywords as keywords
    from jsonschema import _utils as utils

    find_additional = _rebound(utils.find_additional_properties, re=_BoundedRe)
    find_evaluated = _rebound(utils.find_evaluated_property_keys_by_schema, re=_BoundedRe)
    find_evaluated.__globals__["find_evaluated_property_keys_by_schema"] = find_evaluated  # it recurses
    return {
        "pattern": _rebound(keywords.pattern, re=_BoundedRe),
        "patternProperties": _rebound(keywords.patternProperties, re=_BoundedRe),
        "additionalProperties": _rebound(keywords.additionalProperties, find_additional_properties=find_additional),
        "unevaluatedProperties": _rebound(
            keywords.unevaluatedProperties, find_evaluated_property_keys_by_schema=find_evaluated
        ),
    }


@lru_cache(maxsize=1)
def bounded_validator_class() -> Any:
    """Draft 2020-12 as python-jsonschema implements it, with every pattern matched by :func:`search`."""
    from jsonschema import Draft202012Validator
    from jsonschema.validators import extend

    return extend(Draft202012Validator, validators=_keywords())  # type: ignore[no-untyped-call]
