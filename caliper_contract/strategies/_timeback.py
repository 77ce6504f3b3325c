"""Valid Timeback events and envelopes, written from the Timeback profile.

Valid means: ``validate()`` reports no error and, unless ``allow_warnings=True``,
no warning either.  With ``allow_warnings=True`` the leaves widen to values the
contract accepts with a warning (a subject of "Other", a non-UTC sendTime, a
metric over a day, generic Caliper items beside the Timeback events...), so a
receiver can be fuzzed with everything it must accept.

An event is put together from the field drawers of ``_fields`` (actor,
subject, course, metrics...), the ones the public field strategies wrap, so a
sender's inputs and a generated event draw their values the same way.

Every strategy is built once, when the public function is called: the
composite functions below only draw from prebuilt strategies, which keeps
generation fast (building a strategy per draw costs more than drawing from it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from caliper_contract.strategies import _arguments as args
from caliper_contract.strategies import _fields as fields
from caliper_contract.strategies import _values as values

Event = dict[str, Any]

TIMEBACK_PROFILE = "TimebackProfile"
DATA_VERSION = "http://purl.imsglobal.org/ctx/caliper/v1p2"


@dataclass(frozen=True)
class Kind:
    """One Timeback event type: its type, action and metrics collection type."""

    type: str
    action: str
    collection: str


ACTIVITY = Kind("ActivityEvent", "Completed", "TimebackActivityMetricsCollection")
TIME_SPENT = Kind("TimeSpentEvent", "SpentTime", "TimebackTimeSpentMetricsCollection")


def activity_events(
    *,
    actor: dict[str, Any] | st.SearchStrategy[dict[str, Any]] | None = None,
    subject: str | st.SearchStrategy[str] | None = None,
    allow_warnings: bool = False,
) -> st.SearchStrategy[Event]:
    """Valid Timeback ActivityEvents: questions, XP and mastered units, correctQuestions <= totalQuestions.

    ``actor=`` pins the TimebackUser (a dict, or a strategy of dicts) and
    ``subject=`` the subject (a string from the documented set, or a strategy);
    a pinned value is checked against the contract up front, a pinned strategy
    on every value it draws (either way a breach raises ``InvalidArgument``).
    """
    return _events(st.just(ACTIVITY), _parts(actor, subject, allow_warnings))


def time_spent_events(
    *,
    actor: dict[str, Any] | st.SearchStrategy[dict[str, Any]] | None = None,
    subject: str | st.SearchStrategy[str] | None = None,
    allow_warnings: bool = False,
) -> st.SearchStrategy[Event]:
    """Valid Timeback TimeSpentEvents: seconds by category (active, inactive, waste, unknown, anti-pattern)."""
    return _events(st.just(TIME_SPENT), _parts(actor, subject, allow_warnings))


def timeback_events(
    *,
    actor: dict[str, Any] | st.SearchStrategy[dict[str, Any]] | None = None,
    subject: str | st.SearchStrategy[str] | None = None,
    allow_warnings: bool = False,
) -> st.SearchStrategy[Event]:
    """ActivityEvents and TimeSpentEvents; shrinks towards an ActivityEvent."""
    return _events(_KINDS, _parts(actor, subject, allow_warnings))


def envelopes(
    *,
    events: st.SearchStrategy[Event] | None = None,
    min_events: int = 1,
    max_events: int | None = 3,
    actor: dict[str, Any] | st.SearchStrategy[dict[str, Any]] | None = None,
    subject: str | st.SearchStrategy[str] | None = None,
    sensor: str | st.SearchStrategy[str] | None = None,
    send_time: str | st.SearchStrategy[str] | None = None,
    allow_warnings: bool = False,
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid envelopes of ``min_events`` to ``max_events`` items with distinct ids.

    ``events=`` replaces the item strategy (default :func:`timeback_events`,
    plus generic Caliper events and entities when ``allow_warnings=True``);
    ``actor=`` and ``subject=`` are passed to the default one.  ``sensor=`` and
    ``send_time=`` pin those fields; by default sendTime is a UTC time at or
    up to five minutes after the latest eventTime.
    """
    args.check_bool("allow_warnings", allow_warnings)
    args.check_event_counts(min_events, max_events)
    if events is None:
        items = timeback_events(actor=actor, subject=subject, allow_warnings=allow_warnings)
        if allow_warnings:
            from caliper_contract.strategies._caliper import caliper_entities, caliper_events

            items = st.one_of(items, caliper_events(), caliper_entities())
    else:
        args.check_strategy("events", events)
        if actor is not None or subject is not None:
            raise InvalidArgument(
                "actor= and subject= pin parts of the default events; pass them to your events= strategy"
            )
        items = events
    sensors = args.pinned("sensor", sensor, str, allow_warnings=allow_warnings)
    send_times = args.pinned("send_time", send_time, str, allow_warnings=allow_warnings)
    return _envelopes(
        st.lists(items, min_size=min_events, max_size=max_events, unique_by=_item_id),
        sensors if sensors is not None else values.SENSORS,
        send_times,
        st.one_of(values.UTC_STYLES, values.NON_UTC_STYLES) if allow_warnings else values.UTC_STYLES,
    )


# -- the parts of an event -----------------------------------------------------


@dataclass(frozen=True)
class _Parts:
    """The options of one event strategy: pinned actors and subjects, and whether warnings may appear."""

    allow_warnings: bool
    actors: st.SearchStrategy[dict[str, Any]] | None
    subjects: st.SearchStrategy[str]


_KINDS = st.sampled_from((ACTIVITY, TIME_SPENT))
_BOOLEANS = st.booleans()
_PROCESS = st.sampled_from((None, False, True))
_ATTEMPTS = st.integers(1, 5)
_SEND_DELAYS = st.integers(0, 300)
_EXTENSION_KEYS = st.sampled_from(("source", "build", "locale", "sessionLength"))
# No null: the live API rejects nulls anywhere in a Timeback event.
_EXTENSION_VALUES = st.one_of(
    values.texts(max_size=20),
    st.integers(-1000, 1000),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
)
_EXTENSION_SIZES = st.integers(0, 3)
_UNKNOWN_CONTEXT_KEYS = st.sampled_from(("lesson", "url", "lessonId"))


def _parts(actor: Any, subject: Any, allow_warnings: bool) -> _Parts:
    args.check_bool("allow_warnings", allow_warnings)
    subjects = args.pinned("subject", subject, str, allow_warnings=allow_warnings)
    return _Parts(
        allow_warnings=allow_warnings,
        actors=args.pinned("actor", actor, dict, allow_warnings=allow_warnings),
        subjects=subjects if subjects is not None else fields.subjects(allow_warnings=allow_warnings),
    )


def _draw_extensions(draw: st.DrawFn) -> dict[str, Any]:
    return {draw(_EXTENSION_KEYS): draw(_EXTENSION_VALUES) for _ in range(draw(_EXTENSION_SIZES))}


def _draw_actor(draw: st.DrawFn, parts: _Parts) -> dict[str, Any]:
    if parts.actors is not None:
        return draw(parts.actors)
    return fields.draw_actor(draw, parts.allow_warnings)


def _draw_named(draw: st.DrawFn, names: st.SearchStrategy[str], segment: str) -> dict[str, Any]:
    named = {"name": values.draw_text(draw, names)}
    if draw(_BOOLEANS):
        named["id"] = values.draw_app_url(draw, segment)
    return named


def _draw_context(draw: st.DrawFn, kind: Kind, parts: _Parts) -> dict[str, Any]:
    context: dict[str, Any] = {
        "id": fields.draw_activity_url(draw),
        "type": "TimebackActivityContext",
        "subject": draw(parts.subjects),
        "app": _draw_named(draw, values.APP_NAMES, "apps"),
    }
    if draw(_BOOLEANS):
        context["activity"] = _draw_named(draw, values.ACTIVITY_NAMES, "activities")
    # The prose asks for a course on ActivityEvents (warning-level without); on
    # TimeSpentEvents it is optional.  Both kinds make the same draws, so an
    # ActivityEvent (the first kind) is also the simplest example in Hypothesis's
    # order (fewest choices first), and examples shrink from one kind to the other.
    wants_course = draw(_BOOLEANS)
    course = {"id": fields.draw_course_url(draw, parts.allow_warnings)}
    if draw(_BOOLEANS):
        course["name"] = values.draw_text(draw, values.COURSE_NAMES)
    if wants_course or (kind is ACTIVITY and not parts.allow_warnings):
        context["course"] = course
    process = draw(_PROCESS)
    if kind is ACTIVITY and process is not None:
        context["process"] = process
    if values.draw_warning(draw, parts.allow_warnings):
        context[draw(_UNKNOWN_CONTEXT_KEYS)] = draw(values.SHORT_TEXT)
    return context


def _draw_generated(draw: st.DrawFn, kind: Kind, process: object, parts: _Parts) -> dict[str, Any]:
    collection_id = values.draw_app_url(draw, "metrics/collections") if draw(_BOOLEANS) else values.draw_urn(draw)
    if kind is ACTIVITY:
        items = fields.draw_activity_metrics(draw, parts.allow_warnings)
    else:
        items = fields.draw_time_metrics(draw, parts.allow_warnings)
    generated: dict[str, Any] = {"id": collection_id, "type": kind.collection, "items": items}
    # attempt only matters with object.process = true; without it, it is warning-level.
    attempt = draw(_ATTEMPTS) if draw(_BOOLEANS) else None
    if kind is ACTIVITY and (process is True or parts.allow_warnings) and attempt is not None:
        generated["attempt"] = attempt
    return generated


@st.composite
def _events(draw: st.DrawFn, kinds: st.SearchStrategy[Kind], parts: _Parts) -> Event:
    kind = draw(kinds)
    event: Event = {}
    if draw(_BOOLEANS):
        event["@context"] = values.CALIPER_CONTEXT
    event["id"] = values.draw_urn(draw)
    event["eventTime"] = values.draw_time(draw)
    event["profile"] = TIMEBACK_PROFILE
    event["type"] = kind.type
    event["actor"] = _draw_actor(draw, parts)
    event["action"] = kind.action
    event["object"] = _draw_context(draw, kind, parts)
    event["generated"] = _draw_generated(draw, kind, event["object"].get("process"), parts)
    if draw(_BOOLEANS):
        event["extensions"] = _draw_extensions(draw)
    return event


# -- envelopes -----------------------------------------------------------------


def _item_id(item: Any) -> object:
    return item.get("id") if isinstance(item, dict) else id(item)


def _latest_event_time(items: list[Any]) -> dt.datetime | None:
    """The latest eventTime of the items, in UTC, naive; None when no item has a readable one."""
    latest = None
    for item in items:
        text = item.get("eventTime") if isinstance(item, dict) else None
        if not isinstance(text, str):
            continue
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is not None:
                moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
        except (ValueError, OverflowError):  # not ISO 8601, or at the edge of the calendar
            continue
        latest = moment if latest is None or moment > latest else latest
    return latest


def _shifted(moment: dt.datetime, delta: dt.timedelta) -> dt.datetime:
    try:
        return moment + delta
    except OverflowError:  # an eventTime at the end of year 9999 (from a user's events= strategy)
        return moment


@st.composite
def _envelopes(
    draw: st.DrawFn,
    data: st.SearchStrategy[list[Event]],
    sensors: st.SearchStrategy[str],
    send_times: st.SearchStrategy[str] | None,
    styles: st.SearchStrategy[tuple[int, str]],
) -> dict[str, Any]:
    items = draw(data)
    sensor = draw(sensors)
    if send_times is not None:
        send_time = draw(send_times)
    else:
        latest = _latest_event_time(items)
        delay = dt.timedelta(seconds=draw(_SEND_DELAYS))
        offset, precision = draw(styles)
        sent = _shifted(
            latest if latest is not None else values.draw_moment(draw), delay + dt.timedelta(minutes=offset)
        )
        send_time = values.rfc3339(sent, offset, precision)
    return {"sensor": sensor, "sendTime": send_time, "dataVersion": DATA_VERSION, "data": items}
