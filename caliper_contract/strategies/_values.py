"""Realistic leaf values: URLs, ids, emails, times, names, text.

Each value shrinks towards a short, readable one: the first element of a
``sampled_from``, zero, the earliest time.  Variety beyond the realistic values
(any text, any email address) is the *second* branch of a choice, so a failing
example still shrinks to the readable form.

Speed: Hypothesis spends tens of microseconds on every choice it makes, so
these values take few: a OneRoster URL is two choices (host, sourcedId), a time
two (milliseconds since 2020, style), where ``st.datetimes()`` or
``st.from_regex()`` would take many.  The ``draw_*`` functions draw straight
from prebuilt strategies inside a composite; the strategy versions wrap them
for use elsewhere.

Fresh runs: no strategy here makes Hypothesis build its Unicode tables.
``st.text()``, ``st.characters()`` and ``st.emails()`` compute them on first
use (over a second for ``st.text()``'s default alphabet) and cache them in
``.hypothesis/``, which a CI run never has; inside a composite that first use
falls in the first draws, which Hypothesis's ``too_slow`` health check times.
So text is drawn from a fixed alphabet (:func:`texts`).
"""

from __future__ import annotations

import datetime as dt
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass
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
UTC_STYLES = st.sampled_from(tuple((0, precision) for precision in _PRECISIONS))
LOCAL_STYLES = st.sampled_from(tuple((offset, precision) for offset in _OFFSETS for precision in _PRECISIONS))
NON_UTC_STYLES = st.sampled_from(tuple((offset, precision) for offset in _OFFSETS[1:] for precision in _PRECISIONS))
_UUID_NUMBERS = st.integers(0, 2**128 - 1)
_PAGE_NUMBERS = st.integers(1, 99_999)
# Small numbers read well ("users/0"); larger ones become UUIDs, as many OneRoster sourcedIds are.
_SMALL = 100_000
_REALISTIC_FIRST = st.integers(0, 7)  # 0-6: a realistic value (where examples shrink to); 7: any text
_WARNING_DICE = st.integers(0, 3)  # shrinks to 0: the warning-free value


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


def draw_text(draw: st.DrawFn, realistic: st.SearchStrategy[str], other: st.SearchStrategy[str] | None = None) -> str:
    """Usually a realistic name, sometimes ``other`` text (default: any non-empty text; senders must cope)."""
    return draw(realistic) if draw(_REALISTIC_FIRST) < 7 else draw(_TEXT if other is None else other)


def draw_email(draw: st.DrawFn, addresses: EmailAddresses | None = None) -> str:
    """first.last@school addresses, sometimes any local part the contract accepts at those domains."""
    addresses = _DEFAULT_EMAILS if addresses is None else addresses
    if draw(_REALISTIC_FIRST) < 7:
        return draw(addresses.realistic)
    return f"{draw(_LOCAL_PARTS)}@{draw(addresses.domains)}"


def draw_warning(draw: st.DrawFn, allow_warnings: bool) -> bool:
    """Whether this value is a warning-level one: never unless warnings are allowed, then about one in four."""
    return allow_warnings and draw(_WARNING_DICE) == 3


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


# Characters for free text, readable ones first (where examples shrink to), then
# a few of each kind that trouble senders: JSON's escapes and control
# characters; accents, a combining mark and case-mapping traps (Turkish dotless
# and dotted i, ß, a titlecase digraph, the ﬁ ligature); digits str.isdigit()
# takes but int() does not, and the other way round; Greek, Cyrillic,
# right-to-left, Indic, Thai and CJK scripts, fullwidth forms; spaces that are
# not U+0020, zero-width and directional marks, U+2028 (a line end to
# JavaScript), the byte-order mark, private-use and noncharacter code points; and
# characters outside the Basic Multilingual Plane (emoji with a skin tone and
# a variation selector, a flag, mathematical letters, CJK Extension B, the last
# code point), which take two UTF-16 code units.  No surrogate: a str holding
# one cannot be sent as UTF-8.
_ALPHABET = (
    string.ascii_lowercase
    + string.ascii_uppercase
    + string.digits
    + " .,;:-_'!?&()[]{}@#%*+=<>|~^$`"
    + '"\\/\t\n\r\x00\x01\x08\x0c\x1b\x1f\x7f\x85'
    + "éñüçøåÅÉÑÜ\u0301\u0308\u0327ıİßẞǅﬁŁőžğ"
    + "²½Ⅻ٣０"
    + "ΩπΣςЖяѢ"
    + "עבריתعربي،"
    + "नमस्तेก"
    + "中文日本語アカナ「」、。한국어Ａ"
    + "€£¥©®™°±×÷→∞≠✓★♥"
    + "\u00a0\u2002\u2009\u3000\u200b\u200c\u200d\u2060\u200e\u200f\u202e\u2066\u2069"
    + "\u2028\u2029\ufeff\ufffd\ue000\uf8ff\ufdd0\ufffe\uffff"
    + "😀👍\U0001f3fd\u2764\ufe0f\U0001f1fa\U0001f1f8\U0001d518\U0001d7d8\U00010330\U0001d11e\U0002000b"
    + "\U000e0041\U000f0000\U0010ffff"
)


def texts(*, min_size: int = 0, max_size: int | None = None) -> st.SearchStrategy[str]:
    """Text of ``min_size`` to ``max_size`` characters of the alphabet above; shrinks to ``""`` or ``"a"``s.

    Not ``st.text()``: its alphabets need the Unicode tables described above.
    Bytes mapped to characters are one choice per string, where a list of
    characters would be two or three per character (and three times slower).
    """
    return _text_of(_ALPHABET, min_size, max_size)


def _text_of(alphabet: str, min_size: int, max_size: int | None) -> st.SearchStrategy[str]:
    # Byte b is alphabet[b % len(alphabet)]: with fewer than 256 characters the
    # first ones (the readable ones) come up more often.
    return st.binary(min_size=min_size, max_size=max_size).map(
        lambda raw: "".join(alphabet[byte % len(alphabet)] for byte in raw)
    )


_TEXT = texts(min_size=1, max_size=40)
SHORT_TEXT = texts(max_size=10)

# The email format (formats.py) takes any local part without "@" or whitespace:
# dot-separated atoms of RFC 5322's characters, and letters beyond ASCII
# (internationalised addresses, RFC 6531).  Shrinks to "a".
_ATOM_ALPHABET = string.ascii_lowercase + string.digits + string.ascii_uppercase + "!#$%&'*+-/=?^_`{|}~" + "éüñøß中文"
_ATOMS = _text_of(_ATOM_ALPHABET, 1, 16)
_LOCAL_PARTS = st.lists(_ATOMS, min_size=1, max_size=3).map(".".join)


@dataclass(frozen=True)
class EmailAddresses:
    """Where email addresses come from: realistic first.last ones, and the domains of any others."""

    realistic: st.SearchStrategy[str]
    domains: st.SearchStrategy[str]

    @classmethod
    def at(cls, domains: tuple[str, ...]) -> EmailAddresses:
        names = [f"{first}.{last}" for first in _FIRST_NAMES for last in _LAST_NAMES]
        return cls(
            realistic=st.sampled_from(tuple(f"{name}@{domain}" for name in names for domain in domains)),
            domains=st.sampled_from(domains),
        )


_DEFAULT_EMAILS = EmailAddresses.at(_EMAIL_DOMAINS)
PERSON_NAMES = st.sampled_from(tuple(f"{first} {last}".title() for first in _FIRST_NAMES for last in _LAST_NAMES))
APP_NAMES = realistic("PowerPath UI", "AlphaRead", "Math Academy", "Vocab Builder")
ACTIVITY_NAMES = realistic("Answered quiz", "Read chapter 3", "Practice set 12", "Unit test")
COURSE_NAMES = realistic("Reading G3", "Math G5", "Science G7", "Writing G4")
TIME_SUBTYPES = realistic("eating", "talking", "off-task browsing", "bathroom")
SENSORS = st.sampled_from(tuple(f"https://{host}" for host in _APP_HOST_NAMES))
