"""``GET /caliper/events`` and ``GET /caliper/events/{id}``: stored events as the API's records.

No published document defines these responses; the vendor's Python SDK
(``timeback-caliper`` 0.4.0: ``StoredEvent``, ``Pagination``, ``ListEventsResult``)
is the evidence of their shape, and :meth:`StoredEvent.record` follows it.  The
query parameters are those of the published Caliper API document and the SDK
(``limit``, ``offset``, ``sensor``, ``startDate``, ``endDate``, ``actorId``,
``actorEmail``).  Unknown or repeated parameters are refused, so a sender that
polls with a misspelt filter learns it here rather than in production.
"""

from __future__ import annotations

import difflib
import math
import re
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

PARAMETERS = ("limit", "offset", "sensor", "startDate", "endDate", "actorId", "actorEmail")
DEFAULT_LIMIT = 100
#: limit and offset take at most this many digits: far beyond any store, and far
#: below the length Python refuses to convert (4300 digits), which was a 500.
_MAX_DIGITS = 18

# The entity properties of a Caliper event that the SDK's StoredEvent carries, by their JSON names.
_ENTITIES = (
    "actor",
    "object",
    "generated",
    "target",
    "referrer",
    "edApp",
    "group",
    "membership",
    "session",
    "federatedSession",
    "extensions",
)

# datetime.fromisoformat reads "Z" and fractions of any length only from Python
# 3.11 on; this project supports 3.10, so RFC 3339 instants are read here.
# re.ASCII: without it \d also matches other scripts' digits, which int() then reads ("١" is 1).
_INSTANT = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[Tt ](?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d+))?)?"
    r"(?P<zone>[Zz]|[+-]\d{2}:?\d{2})?)?",
    re.ASCII,
)
_WHOLE = re.compile(r"\d+", re.ASCII)


@dataclass(frozen=True)
class StoredEvent:
    """One stored event: the id the store allocated, the envelope it came in, and the event itself."""

    record_id: int
    sensor: Any
    send_time: Any
    created_at: str  # RFC 3339, UTC
    client_id: str  # the OAuth client whose token sent it
    event: dict[str, Any]

    @property
    def external_id(self) -> Any:
        return self.event.get("id")

    def record(self) -> dict[str, Any]:
        """The event as the listing and ``GET /caliper/events/{id}`` show it (the SDK's ``StoredEvent``)."""
        event = self.event
        return {
            "id": self.record_id,
            "externalId": event.get("id"),
            "sensor": self.sensor,
            "type": event.get("type"),
            "profile": event.get("profile"),
            "action": event.get("action"),
            "eventTime": event.get("eventTime"),
            "sendTime": self.send_time,
            "created_at": self.created_at,
            "updated_at": self.created_at,  # never updated
            "deleted_at": None,  # never deleted
            **{name: event.get(name) for name in _ENTITIES},
            "clientAppId": self.client_id,
        }


@dataclass(frozen=True)
class EventQuery:
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    sensor: str | None = None
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # inclusive
    actor_id: str | None = None
    actor_email: str | None = None

    def matches(self, stored: StoredEvent) -> bool:
        event = stored.event
        actor = event.get("actor")
        actor_id = actor.get("id") if isinstance(actor, dict) else actor
        actor_email = actor.get("email") if isinstance(actor, dict) else None
        if self.sensor is not None and stored.sensor != self.sensor:
            return False
        if self.actor_id is not None and actor_id != self.actor_id:
            return False
        if self.actor_email is not None and actor_email != self.actor_email:
            return False
        if self.start is None and self.end is None:
            return True
        when = parse_instant(event.get("eventTime"))
        return (
            when is not None
            and (self.start is None or when[0] >= self.start)
            and (self.end is None or when[0] <= self.end)
        )


def parse_query(query: str) -> EventQuery | str:
    """The query, or a message saying which parameter is wrong and how."""
    values: dict[str, str] = {}
    for name, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
        if name not in PARAMETERS:
            close = difflib.get_close_matches(name, PARAMETERS, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(PARAMETERS)}"
            return f"unknown query parameter {shown(name)}{hint}"
        if name in values:
            return f"the query parameter {name!r} appears more than once"
        values[name] = value
    numbers: dict[str, int] = {}
    for name, default, least in (("limit", DEFAULT_LIMIT, 1), ("offset", 0, 0)):
        text = values.get(name)
        if text is None:
            numbers[name] = default
            continue
        if not _WHOLE.fullmatch(text) or len(text) > _MAX_DIGITS or int(text) < least:
            return f"{name} must be a whole number >= {least} of at most {_MAX_DIGITS} digits, got {shown(text)}"
        numbers[name] = int(text)
    bounds: dict[str, datetime | None] = {}
    for name in ("startDate", "endDate"):
        text = values.get(name)
        instant = parse_instant(text) if text is not None else None
        if text is not None and instant is None:
            return (
                f"{name} must be an ISO 8601 date (2024-04-24) or date-time (2024-04-24T14:12:00Z), got {shown(text)}"
            )
        if instant is None:
            bounds[name] = None
        elif name == "endDate" and instant[1]:  # a date alone ends with the last moment of that day
            bounds[name] = instant[0] + timedelta(days=1, microseconds=-1)
        else:
            bounds[name] = instant[0]
    return EventQuery(
        limit=numbers["limit"],
        offset=numbers["offset"],
        sensor=values.get("sensor"),
        start=bounds["startDate"],
        end=bounds["endDate"],
        actor_id=values.get("actorId"),
        actor_email=values.get("actorEmail"),
    )


def page(stored: Sequence[StoredEvent], query: EventQuery) -> dict[str, Any]:
    """The listing: one page of the matching records, in the order they were accepted.

    ``pagination`` is the SDK's ``Pagination`` (pages counted from 1), with the
    ``offset`` asked for beside it: a page that starts between two page
    boundaries is not one ``currentPage`` can name.
    """
    matching = [item for item in stored if query.matches(item)]
    records = [item.record() for item in matching[query.offset : query.offset + query.limit]]
    return {
        "status": "success",
        "message": f"{len(records)} of {len(matching)} matching event(s)",
        "events": records,
        "pagination": {
            "total": len(matching),
            "totalPages": math.ceil(len(matching) / query.limit),
            "currentPage": query.offset // query.limit + 1,
            "limit": query.limit,
            "offset": query.offset,
        },
    }


def shown(text: str, limit: int = 80) -> str:
    """Text a client sent, quoted for a message and cut short when long."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text)} characters)"


def parse_instant(text: object) -> tuple[datetime, bool] | None:
    """An RFC 3339 date-time or a date as an aware UTC datetime, and whether it was a date alone."""
    found = _INSTANT.fullmatch(text) if isinstance(text, str) else None
    if found is None:
        return None
    parts = found.groupdict()
    try:
        zone = timezone.utc
        if parts["zone"] and parts["zone"] not in ("Z", "z"):
            sign = -1 if parts["zone"][0] == "-" else 1
            digits = parts["zone"][1:].replace(":", "")
            zone = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        day = datetime.strptime(parts["date"], "%Y-%m-%d")
        moment = day.replace(
            hour=int(parts["hour"] or 0),
            minute=int(parts["minute"] or 0),
            second=int(parts["second"] or 0),
            microsecond=int((parts["fraction"] or "0")[:6].ljust(6, "0")),
            tzinfo=zone,
        )
        utc = moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):  # month 13, hour 25, an offset of a day or more, a year 0 or 10000 in UTC
        return None
    return utc, parts["hour"] is None
