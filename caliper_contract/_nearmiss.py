"""Near misses: the documented name a person most likely meant by another one.

One definition serves every did-you-mean (enum values, profiles, property
names), the misnamed-property rule and its fix: two names are a near miss when they are
equal ignoring case, ``_``, ``-`` and spaces (``sub_type``, ``SubType``,
``subtype`` all mean ``subType``), or when difflib finds them close
(``evenTime``, ``TimebackProfil``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from functools import lru_cache

#: difflib's similarity ratio from which two normalised names are a near miss.
CUTOFF = 0.7


def closest(value: str, options: Iterable[str]) -> str | None:
    """The option ``value`` is a near miss of, or None."""
    return _closest(value, tuple(options))


@lru_cache(maxsize=1024)
def _closest(value: str, options: tuple[str, ...]) -> str | None:
    # Cached: a fixture suite or a fuzzing run repeats the same near misses, and
    # difflib is the slowest part of explaining them.
    candidates = {_normalise(option): option for option in options}
    key = _normalise(value)
    if key in candidates:
        return candidates[key]
    close = difflib.get_close_matches(key, list(candidates), n=1, cutoff=CUTOFF)
    return candidates[close[0]] if close else None


def near_misses(value: str, options: Iterable[str]) -> tuple[str, ...]:
    """Every option ``value`` is a near miss of, in their order: those equal to it but for case, ``_``, ``-`` and
    spaces when there are any, else those difflib finds close.

    A fix renames a key only when this is one option: :func:`closest` picks the
    best of several, which is enough for a suggestion but not for an edit.
    """
    return _near_misses(value, tuple(options))


@lru_cache(maxsize=1024)
def _near_misses(value: str, options: tuple[str, ...]) -> tuple[str, ...]:
    normalised = {option: _normalise(option) for option in options}
    key = _normalise(value)
    equal = tuple(option for option, name in normalised.items() if name == key)
    if equal or not options:
        return equal
    close = set(difflib.get_close_matches(key, list(normalised.values()), n=len(options), cutoff=CUTOFF))
    return tuple(option for option, name in normalised.items() if name in close)


def _normalise(text: str) -> str:
    return re.sub(r"[\s_\-]", "", text).lower()
