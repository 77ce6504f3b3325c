"""The string formats the contract uses, always checked.

jsonschema silently skips a format whose helper package is missing, so the
checkers the contract relies on are registered here explicitly, from packages
that are hard dependencies: a missing one fails at import, loudly.
rfc3987-syntax (jsonschema's own choice for IRIs) is deliberately not used:
importing it costs most of a second on every run.  The same functions serve
python-jsonschema and the fast-path engines, so all of them agree on formats.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from rfc3339_validator import validate_rfc3339
from rfc3986_validator import validate_rfc3986

if TYPE_CHECKING:
    from jsonschema import FormatChecker

# jsonschema's own "email" check only asks for an "@"; a sender needs to know
# that "student@" will not reach anyone.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")

#: Human words for each checked format, used in violation messages.
FORMAT_HINTS = {
    "date-time": "an RFC 3339 date and time such as 2024-04-24T14:12:00.000Z",
    "uri": "an absolute URI with a scheme, such as https://example.com/users/1",
    "uri-reference": "a URI or a relative reference",
    "email": "an email address such as student@example.com",
}


def is_date_time(instance: object) -> bool:
    """RFC 3339 date-time; RFC 3339 allows lower-case "t" and "z", the validator wants upper case."""
    return not isinstance(instance, str) or bool(validate_rfc3339(instance.upper()))


def is_uri(instance: object) -> bool:
    """An absolute RFC 3986 URI (with a scheme)."""
    return not isinstance(instance, str) or bool(validate_rfc3986(instance, rule="URI"))


def is_uri_reference(instance: object) -> bool:
    return not isinstance(instance, str) or bool(validate_rfc3986(instance, rule="URI_reference"))


def is_email(instance: object) -> bool:
    return not isinstance(instance, str) or _EMAIL.match(instance) is not None


#: Every format the contract checks, by name.  A schema using another format
#: is checked by python-jsonschema alone (see caliper_contract._engines).
FORMAT_FUNCTIONS: dict[str, Callable[[object], bool]] = {
    "date-time": is_date_time,
    "uri": is_uri,
    "uri-reference": is_uri_reference,
    "email": is_email,
}


def format_checker() -> FormatChecker:
    """jsonschema's checkers for every format it can check, ours for the contract's."""
    from jsonschema import FormatChecker

    checker = FormatChecker()
    for name, function in FORMAT_FUNCTIONS.items():
        checker.checks(name)(function)
    return checker
