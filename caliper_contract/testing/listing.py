"""``GET /caliper/events``: the stored events, filtered and paged.

The parameter names are those of the published Caliper API document
(``limit``, ``offset``, ``sensor``, ``startDate``, ``endDate``, ``actorId``,
``actorEmail``).  Unknown or repeated parameters are refused, so a sender that
polls with a misspelt filter learns it here rather than in production.
"""

from __future__ import annotations

import difflib
import re
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

PARAMETERS = ("limit", "offset", "sensor", "startDate", "endDate", "actorId", "actorEmail")
DEFAULT_LIMIT = 100

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
    """One event as stored, with the envelope's sensor it came under."""

    sensor: Any
    event: dict[str, Any]


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
            return f"unknown query parameter {name!r}{hint}"
        if name in values:
            return f"the query parameter {name!r} appears more than once"
        values[name] = value
    numbers: dict[str, int] = {}
    for name, default in (("limit", DEFAULT_LIMIT), ("offset", 0)):
        text = values.get(name)
        if text is not None and not _WHOLE.fullmatch(text):
            return f"{name} must be a whole number >= 0, got {text!r}"
        numbers[name] = int(text) if text is not None else default
    bounds: dict[str, datetime | None] = {}
    for name in ("startDate", "endDate"):
        text = values.get(name)
        instant = parse_instant(text) if text is not None else None
        if text is not None and instant is None:
            return f"{name} must be an ISO 8601 date (2024-04-24) or date-time (2024-04-24T14:12:00Z), got {text!r}"
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
    """The response body: the matching events in the order they were accepted, one page of them."""
    matching = [item.event for item in stored if query.matches(item)]
    events = matching[query.offset : query.offset + query.limit]
    return {
        "status": "success",
        "message": f"{len(events)} of {len(matching)} matching event(s)",
        "events": events,
        "total": len(matching),
        "limit": query.limit,
        "offset": query.offset,
    }


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
