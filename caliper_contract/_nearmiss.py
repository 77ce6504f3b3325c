"""Near misses: the documented name a person most likely meant by another one.

One definition serves every did-you-mean (enum values, profiles, property
names) and the misnamed-property rule: two names are a near miss when they are
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


def _normalise(text: str) -> str:
    return re.sub(r"[\s_\-]", "", text).lower()
