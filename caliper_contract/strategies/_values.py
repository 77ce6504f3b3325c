"""Realistic leaf values: URLs, ids, emails, times, names.

Each value shrinks towards a short, readable one: the first element of a
``sampled_from``, zero, the earliest time.  Variety beyond the realistic values
comes from Hypothesis's own strategies (``st.emails``, ``st.text``) as the
*second* branch of a ``one_of``, so a failing example still shrinks to the
readable form.

Speed: Hypothesis spends tens of microseconds on every choice it makes, so
these values take few: a OneRoster URL is two choices (host, sourcedId), a time
two (milliseconds since 2020, style), where ``st.datetimes()`` or
``st.from_regex()`` would take many.  The ``draw_*`` functions draw straight
from prebuilt strategies inside a composite; the strategy versions wrap them
for use elsewhere.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import TypeVar

from hypothesis import strategies as st

T = TypeVar("T")

CALIPER_CONTEXT = "http://purl.imsglobal.org/ctx/caliper/v1p2"
#: The subjects the Timeback prose documents; "Other" is a warning-level extra.
SUBJECTS = ("Reading", "Language", "Vocabulary", "Social Studies", "Writing", "Science", "FastMath", "Math", "None")
OTHER_SUBJECT = "Other"
ONEROSTER_PATH = "/ims/oneroster/rostering/v1p2"
#: Seconds in a day: a single time metric above it is warning-level.
DAY = 86_400

_ONEROSTER_HOSTS = st.sampled_from(("api.alpha-1edtech.ai", "oneroster.example.edu"))
_APP_HOST_NAMES = ("alpharead.alpha.school", "app.example.com", "learn.example.edu")
_APP_HOSTS = st.sampled_from(_APP_HOST_NAMES)
_EMAIL_DOMAINS = ("example.com", "students.example.edu")
_FIRST_NAMES = ("ada", "grace", "alan", "katherine", "linus", "maría", "zoë", "oluwaseun")
_LAST_NAMES = ("lovelace", "hopper", "turing", "johnson", "o'neil", "nguyen", "müller")
_EPOCH = dt.datetime(2020, 1, 1)
_MILLISECONDS = st.integers(0, 16 * 365 * 86_400_000)  # 2020 to 2035
# Offsets in minutes, UTC first so times shrink to "Z"; then how many second decimals.
_OFFSETS = (0, 60, -300, 330, 120, -480, 545, -210)
_PRECISIONS = ("milliseconds", "seconds", "microseconds")
UTC_STYLES = st.sampled_from(_PRECISIONS)
LOCAL_STYLES = st.sampled_from(tuple((offset, precision) for offset in _OFFSETS for precision in _PRECISIONS))
NON_UTC_STYLES = st.sampled_from(tuple((offset, precision) for offset in _OFFSETS[1:] for precision in _PRECISIONS))
_UUID_NUMBERS = st.integers(0, 2**128 - 1)
_PAGE_NUMBERS = st.integers(1, 99_999)
# Small numbers read well ("users/0"); larger ones become UUIDs, as many OneRoster sourcedIds are.
_SMALL = 100_000
_TEXT = st.text(min_size=1, max_size=40)
_REALISTIC_FIRST = st.integers(0, 7)  # 0-6: a realistic value (where examples shrink to); 7: any text


def as_strategy(drawer: Callable[[st.DrawFn], T]) -> st.SearchStrategy[T]:
    """A strategy from a ``draw_*`` function."""
    return st.composite(drawer)()


def draw_uuid(draw: st.DrawFn) -> uuid.UUID:
    """A version 4 UUID that shrinks to 00000000-0000-4000-8000-000000000000.

    ``st.uuids()`` draws from a shared random generator, which does not shrink;
    a UUID built from a drawn integer does.
    """
    return uuid.UUID(int=draw(_UUID_NUMBERS), version=4)


def draw_urn(draw: st.DrawFn) -> str:
    """``urn:uuid:`` and a version 4 UUID, as the Timeback prose asks for event ids."""
    return f"urn:uuid:{draw_uuid(draw)}"


def draw_sourced_id(draw: st.DrawFn) -> str:
    number = draw(_UUID_NUMBERS)
    return str(number) if number < _SMALL else str(uuid.UUID(int=number, version=4))


def draw_oneroster_url(draw: st.DrawFn, collection: str) -> str:
    """``https://<host>/ims/oneroster/rostering/v1p2/<collection>/<sourcedId>``."""
    return f"https://{draw(_ONEROSTER_HOSTS)}{ONEROSTER_PATH}/{collection}/{draw_sourced_id(draw)}"


def draw_app_url(draw: st.DrawFn, segment: str) -> str:
    """A URL in a learning app, e.g. ``https://app.example.com/lessons/42``."""
    return f"https://{draw(_APP_HOSTS)}/{segment}/{draw(_PAGE_NUMBERS)}"


def draw_text(draw: st.DrawFn, realistic: st.SearchStrategy[str]) -> str:
    """Usually a realistic name, sometimes any non-empty text (senders must cope with Unicode)."""
    return draw(realistic) if draw(_REALISTIC_FIRST) < 7 else draw(_TEXT)


def draw_email(draw: st.DrawFn) -> str:
    """first.last@school addresses, sometimes anything Hypothesis's ``emails()`` makes at those domains."""
    return draw(_REALISTIC_EMAILS) if draw(_REALISTIC_FIRST) < 7 else draw(_ANY_EMAILS)


def draw_time(draw: st.DrawFn, styles: st.SearchStrategy[tuple[int, str]] = LOCAL_STYLES) -> str:
    """An RFC 3339 time at any offset (UTC first): valid wherever no UTC rule applies."""
    return rfc3339(draw_moment(draw), *draw(styles))


def draw_moment(draw: st.DrawFn) -> dt.datetime:
    """A naive time, to the millisecond, from 2020 to 2035; shrinks to 2020-01-01T00:00:00."""
    return _EPOCH + dt.timedelta(milliseconds=draw(_MILLISECONDS))


def rfc3339(moment: dt.datetime, offset_minutes: int = 0, precision: str = "milliseconds") -> str:
    """``moment`` (a wall-clock time at ``offset_minutes`` from UTC) as RFC 3339 text, UTC as ``Z``."""
    zone = dt.timezone(dt.timedelta(minutes=offset_minutes))
    text = moment.replace(tzinfo=zone).isoformat(timespec=precision)
    return text[:-6] + "Z" if offset_minutes == 0 else text


def realistic(*names: str) -> st.SearchStrategy[str]:
    return st.sampled_from(names)


_REALISTIC_EMAILS = st.sampled_from(
    tuple(f"{first}.{last}@{domain}" for first in _FIRST_NAMES for last in _LAST_NAMES for domain in _EMAIL_DOMAINS)
)
_ANY_EMAILS = st.emails(domains=st.sampled_from(_EMAIL_DOMAINS))
PERSON_NAMES = st.sampled_from(tuple(f"{first} {last}".title() for first in _FIRST_NAMES for last in _LAST_NAMES))
APP_NAMES = realistic("PowerPath UI", "AlphaRead", "Math Academy", "Vocab Builder")
ACTIVITY_NAMES = realistic("Answered quiz", "Read chapter 3", "Practice set 12", "Unit test")
COURSE_NAMES = realistic("Reading G3", "Math G5", "Science G7", "Writing G4")
TIME_SUBTYPES = realistic("eating", "talking", "off-task browsing", "bathroom")
SENSORS = st.sampled_from(tuple(f"https://{host}" for host in _APP_HOST_NAMES))
