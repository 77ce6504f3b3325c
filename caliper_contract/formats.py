"""The string formats the contract uses, always checked.

jsonschema silently skips a format whose helper package is missing, so the
checkers the contract relies on are registered here explicitly, from packages
that are hard dependencies: a missing one fails at import, loudly.
rfc3987-syntax (jsonschema's own choice for IRIs) is deliberately not used:
importing it costs most of a second on every run.
"""

from __future__ import annotations

import re

from jsonschema import FormatChecker
from rfc3339_validator import validate_rfc3339
from rfc3986_validator import validate_rfc3986

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


def _is_date_time(instance: object) -> bool:
    # RFC 3339 allows lower-case "t" and "z"; the validator expects upper case.
    return not isinstance(instance, str) or bool(validate_rfc3339(instance.upper()))


def _is_uri(instance: object) -> bool:
    return not isinstance(instance, str) or bool(validate_rfc3986(instance, rule="URI"))


def _is_uri_reference(instance: object) -> bool:
    return not isinstance(instance, str) or bool(validate_rfc3986(instance, rule="URI_reference"))


def _is_email(instance: object) -> bool:
    return not isinstance(instance, str) or _EMAIL.match(instance) is not None


def is_date_time(value: str) -> bool:
    """Whether ``value`` is an RFC 3339 date-time (the ``date-time`` format)."""
    return _is_date_time(value)


def format_checker() -> FormatChecker:
    """jsonschema's checkers for every format it can check, ours for the contract's."""
    checker = FormatChecker()
    for name, function in (
        ("date-time", _is_date_time),
        ("uri", _is_uri),
        ("uri-reference", _is_uri_reference),
        ("email", _is_email),
    ):
        checker.checks(name)(function)
    return checker
