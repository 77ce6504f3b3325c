"""The string formats caliper-contract asserts: a fixed set, the same on every install.

Draft 2020-12 makes ``format`` an annotation unless a validator chooses to
assert it.  caliper-contract asserts exactly the formats of
:data:`FORMAT_FUNCTIONS`, with the functions below, whatever else is
installed; every other format (``date``, ``ipv4``, ``uuid``, ``hostname``...)
is an annotation.  python-jsonschema is given a FormatChecker holding these
alone (its own checkers depend on which helper packages happen to be present),
and the fast-path engines call the same functions back, so every engine agrees.

The functions are written here, and not taken from rfc3339-validator and
rfc3986-validator, for speed and to pin their meaning: each is one
precompiled pattern (plus a calendar check for dates), and they accept
exactly the strings those packages accept (``validate_rfc3339`` on the
upper-cased string; ``validate_rfc3986`` with the rule ``URI`` or
``URI_reference``), which a differential test checks.  The URI patterns say
the RFC 3986 grammar of those packages with each repeated
"character or percent-escape" unrolled into a character class, which Python's
regular expressions run several times as fast.  Like those packages' patterns
they end in ``$``, which also matches before a final newline.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jsonschema import FormatChecker

#: Human words for each asserted format, used in violation messages.
FORMAT_HINTS: Mapping[str, str] = MappingProxyType(
    {
        "date-time": "an RFC 3339 date and time such as 2024-04-24T14:12:00.000Z",
        "uri": "an absolute URI with a scheme, such as https://example.com/users/1",
        "uri-reference": "a URI or a relative reference",
        "email": "an email address such as student@example.com",
    }
)

# Each pattern is written in what Python's re and ECMA-262 (the dialect of JSON Schema's "pattern") read alike:
# no \d, \s or \w, no escapes inside a character class, no "{,n}".  So the same text serves both, and the
# jsonschema-rs engine can check the formats itself (see ENGINE_PATTERNS).

# -- date-time: RFC 3339 section 5.6, without leap seconds ----------------------------------------------------

_TIME = r"[Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
_DATE_TIME = re.compile(rf"^([0-9]{{4}})-(0[1-9]|1[0-2])-([0-9]{{2}}){_TIME}$")
_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# The calendar as a pattern, for engines that take patterns only: a year other than 0000, then a day its month
# has; February 29th in leap years (multiples of 4, not of 100 unless of 400).
_MULTIPLE_OF_FOUR = "(?:0[48]|[2468][048]|[13579][26])"  # two digits, not 00
_CALENDAR_DATE = (
    "(?:(?:[0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-"
    "(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
    f"|(?:[0-9]{{2}}{_MULTIPLE_OF_FOUR}|{_MULTIPLE_OF_FOUR}00)-02-29)"
)


def _is_date_time(text: str) -> bool:
    match = _DATE_TIME.match(text)
    if match is None:
        return False
    year_digits, month_digits, day_digits = match.group(1, 2, 3)
    if year_digits == "0000" or day_digits == "00":
        return False
    if day_digits <= "28":  # two ASCII digits each: compared as text, every month has the day
        return True
    year, month = int(year_digits), int(month_digits)
    leap = month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return int(day_digits) <= _DAYS_IN_MONTH[month] + leap


# -- uri, uri-reference: RFC 3986 appendix A --------------------------------------------------------------------


def _run(characters: str) -> str:
    """``(?:[characters]|%XX)*``, unrolled: the same strings, matched without a group per character."""
    return f"[{characters}]*(?:%[0-9A-Fa-f]{{2}}[{characters}]*)*"


def _one(characters: str) -> str:
    """``(?:[characters]|%XX)``: one character or one percent-escape."""
    return f"(?:[{characters}]|%[0-9A-Fa-f]{{2}})"


_SUB = "-a-zA-Z0-9_.~!$&'()*+,;="  # unreserved and sub-delims ("-" first: a literal, not a range)
_PCHAR = _SUB + ":@"
_HEX4 = "[0-9A-Fa-f]{1,4}"
_IPV4 = r"(?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)"
_LOW = f"(?:{_HEX4}:{_HEX4}|{_IPV4})"  # the last 32 bits
_IPV6 = (
    f"(?:(?:{_HEX4}:){{6}}{_LOW}|::(?:{_HEX4}:){{5}}{_LOW}|(?:{_HEX4})?::(?:{_HEX4}:){{4}}{_LOW}"
    f"|(?:(?:{_HEX4}:)?{_HEX4})?::(?:{_HEX4}:){{3}}{_LOW}|(?:(?:{_HEX4}:){{0,2}}{_HEX4})?::(?:{_HEX4}:){{2}}{_LOW}"
    f"|(?:(?:{_HEX4}:){{0,3}}{_HEX4})?::(?:{_HEX4}:){_LOW}|(?:(?:{_HEX4}:){{0,4}}{_HEX4})?::{_LOW}"
    f"|(?:(?:{_HEX4}:){{0,5}}{_HEX4})?::{_HEX4}|(?:(?:{_HEX4}:){{0,6}}{_HEX4})?::)"
)


def _uri_bodies(userinfo_guard: str) -> tuple[str, str]:
    """The patterns of an absolute URI and of a relative reference, without anchors."""
    # [ userinfo "@" ] host [ ":" port ]; an IPv4 address is also a reg-name, so it needs no alternative of its own.
    authority = (
        f"(?:{userinfo_guard}{_run(_SUB + ':')}@)?"
        rf"(?:\[(?:{_IPV6}|v[0-9A-Fa-f]+\.[{_SUB}:]+)\]|{_run(_SUB)})"
        "(?::[0-9]*)?"
    )
    abempty = f"(?:/{_run(_PCHAR + '/')})?"  # (/ segment)*
    query_fragment = rf"(?:\?{_run(_PCHAR + '/?')})?(?:#{_run(_PCHAR + '/?')})?"
    # "/" or nothing, then optionally a non-empty first segment and more: path-absolute, -rootless, -empty.
    other_paths = f"/?(?:{_one(_PCHAR)}{_run(_PCHAR + '/')})?"
    uri = f"[a-zA-Z][-a-zA-Z0-9+.]*:(?://{authority}{abempty}|{other_paths}){query_fragment}"
    no_colon = _SUB + "@"  # a relative path's first segment has no ":" (it would read as a scheme)
    relative = (
        f"(?://{authority}{abempty}|/(?:{_one(_PCHAR)}{_run(_PCHAR + '/')})?"
        f"|{_one(no_colon)}{_run(no_colon)}(?:/{_run(_PCHAR + '/')})?|){query_fragment}"
    )
    return uri, relative


# The lookahead only spares Python trying a userinfo where no "@" follows (userinfo holds no "/", "?", "#" or
# "@"); jsonschema-rs's automaton needs no such help, and runs faster without lookaround.
_URI_BODY, _RELATIVE_BODY = _uri_bodies("(?=[^/?#@]*@)")
_URI = re.compile(f"^{_URI_BODY}$")
_URI_REFERENCE = re.compile(f"^(?:{_URI_BODY}|{_RELATIVE_BODY})$")

# -- email --------------------------------------------------------------------------------------------------------

# jsonschema's own "email" check only asks for an "@"; a sender needs to know
# that "student@" will not reach anyone.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
# What Python's \s matches (the characters str.isspace() says are space, all below U+10000), spelt out for
# ECMA-262, whose \s is another set; a test keeps it in step with Python.
_SPACE = (
    r"\u0009\u000a\u000b\u000c\u000d\u001c\u001d\u001e\u001f\u0020\u0085\u00a0\u1680"
    r"\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def is_date_time(instance: object) -> bool:
    """An RFC 3339 date-time (``T`` and ``Z`` in either case); any non-string passes, as formats ignore them."""
    return not isinstance(instance, str) or _is_date_time(instance)


def is_uri(instance: object) -> bool:
    """An absolute RFC 3986 URI (with a scheme)."""
    return not isinstance(instance, str) or _URI.match(instance) is not None


def is_uri_reference(instance: object) -> bool:
    """An RFC 3986 URI or relative reference."""
    return not isinstance(instance, str) or _URI_REFERENCE.match(instance) is not None


def is_email(instance: object) -> bool:
    """Something that can reach a mailbox: a local part, an ``@``, and a domain with a dot."""
    return not isinstance(instance, str) or _EMAIL.match(instance) is not None


#: Every format caliper-contract asserts, by name, and the function that decides it.
#: Any other format is an annotation.
FORMAT_FUNCTIONS: Mapping[str, Callable[[object], bool]] = MappingProxyType(
    {"date-time": is_date_time, "uri": is_uri, "uri-reference": is_uri_reference, "email": is_email}
)

_RUST_URI, _RUST_RELATIVE = _uri_bodies("")

#: For each format of :data:`FORMAT_FUNCTIONS`, an ECMA-262 pattern that matches exactly the strings its
#: function accepts, except one ending in a newline (``$`` is the end of the text in ECMA-262, while Python's also
#: matches before a final newline).  The jsonschema-rs engine checks formats with these, without calling back into
#: Python; a string only the function accepts is then explained by python-jsonschema, which finds it valid.
ENGINE_PATTERNS: Mapping[str, str] = MappingProxyType(
    {
        "date-time": f"^{_CALENDAR_DATE}{_TIME}$",
        "uri": f"^{_RUST_URI}$",
        "uri-reference": f"^(?:{_RUST_URI}|{_RUST_RELATIVE})$",
        "email": f"^[^@{_SPACE}]+@[^@{_SPACE}.]+(?:\\.[^@{_SPACE}.]+)+$",
    }
)


def string_checks() -> dict[str, Callable[[str], bool]]:
    """The functions of :data:`FORMAT_FUNCTIONS` for an engine that calls them on strings only (fastjsonschema).

    No cache of verdicts: with these functions a cache gains less than a
    microsecond an envelope where students, courses and sensors repeat, and
    costs three where every string is new (see README "Speed").
    """
    return {
        "date-time": _is_date_time,
        "uri": lambda text: _URI.match(text) is not None,
        "uri-reference": lambda text: _URI_REFERENCE.match(text) is not None,
        "email": lambda text: _EMAIL.match(text) is not None,
    }


def format_checker() -> FormatChecker:
    """A python-jsonschema FormatChecker that asserts exactly :data:`FORMAT_FUNCTIONS`."""
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    for name, function in FORMAT_FUNCTIONS.items():
        checker.checks(name)(function)
    return checker
