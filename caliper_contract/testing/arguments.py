"""Checks for the fake server's settings, made when they are given rather than on the first request.

A NaN compares false with everything, so ``token_ttl=nan`` once passed a
``<= 0`` check and made every token request a 500; infinities overflow the
``expires_in`` and socket timeouts they feed.  Every number of seconds is
checked to be finite here.
"""

from __future__ import annotations

import math


def seconds(name: str, value: object, *, zero: bool = False) -> float:
    """``value`` as a finite number of seconds, > 0 (or >= 0 with ``zero``); ``ValueError`` naming ``name`` if not."""
    bound = ">= 0" if zero else "> 0"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number of seconds {bound}, got {value!r}")
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
        raise ValueError(f"{name} must be a finite number of seconds {bound}, got {value!r}")
    return float(value)


def whole(name: str, value: object, *, least: int, most: int | None = None) -> int:
    """``value`` as an int from ``least`` (to ``most``); ``ValueError`` naming ``name`` if not."""
    if isinstance(value, bool) or not isinstance(value, int) or value < least or (most is not None and value > most):
        span = f">= {least}" if most is None else f"from {least} to {most}"
        raise ValueError(f"{name} must be a whole number {span}, got {value!r}")
    return value
