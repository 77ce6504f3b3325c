"""The values a sender puts into a Timeback event, one field at a time.

Each public function here is a strategy for one field of an event (the actor,
its email, the course URL, the metrics...): every value it draws, put at that
field of a valid envelope, validates with no error and no warning, unless
``allow_warnings=True`` widens it to values the contract accepts with one.
They are the building blocks of the event strategies in ``_timeback``, which
draw the same ``draw_*`` functions, and of a sender's own test inputs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from itertools import combinations
from typing import Any, TypeVar

from hypothesis import strategies as st

from caliper_contract.strategies import _arguments as args
from caliper_contract.strategies import _values as values

T = TypeVar("T")

ACTIVITY_METRICS = ("totalQuestions", "correctQuestions", "xpEarned", "masteredUnits")
TIME_METRICS = ("active", "inactive", "waste", "unknown", "anti-pattern")
COUNT_METRICS = ("totalQuestions", "correctQuestions", "masteredUnits")
_MAX_QUESTIONS = 200
_MAX_UNITS = 20


def event_ids() -> st.SearchStrategy[str]:
    """Event ids: ``urn:uuid:`` and a version 4 UUID; shrinks to ``urn:uuid:00000000-0000-4000-8000-000000000000``."""
    return _EVENT_IDS


def timestamps(*, utc: bool = False) -> st.SearchStrategy[str]:
    """RFC 3339 times from 2020 to 2035, to the second, millisecond or microsecond.

    Any UTC offset (UTC written ``Z`` first), as an ``eventTime`` may have;
    ``utc=True`` keeps to ``Z``, as a ``sendTime`` should.  Shrinks to
    ``2020-01-01T00:00:00.000Z``.
    """
    args.check_bool("utc", utc)
    return _UTC_TIMES if utc else _TIMES


def emails(*, domains: Sequence[str] | None = None) -> st.SearchStrategy[str]:
    """Email addresses: mostly ``first.last@domain``, sometimes any local part the contract accepts.

    ``domains`` replaces the default domains (example.com, students.example.edu)
    with yours; each is checked up front as ``student@<domain>`` in an actor's
    ``email``.  Shrinks to ``ada.lovelace@`` the first domain.
    """
    if domains is None:
        return _EMAILS
    addresses = values.EmailAddresses.at(args.checked_domains(domains))
    return st.composite(lambda draw: values.draw_email(draw, addresses))()


def user_urls(*, allow_warnings: bool = False) -> st.SearchStrategy[str]:
    """An actor's ``id``: the OneRoster URL of a user, ``https://<host>/ims/oneroster/rostering/v1p2/users/<id>``.

    The sourcedId shrinks to ``0`` and grows into UUIDs.  ``allow_warnings=True``
    adds URLs in an app (``https://app.example.com/students/7``), which the
    contract accepts with the ``timeback.actor.oneroster-id`` warning.
    """
    args.check_bool("allow_warnings", allow_warnings)
    return _warning_aware(draw_user_url, allow_warnings)


def course_urls(*, allow_warnings: bool = False) -> st.SearchStrategy[str]:
    """A course's ``id``: the OneRoster URL of a course, ``https://<host>/ims/oneroster/rostering/v1p2/courses/<id>``.

    ``allow_warnings=True`` adds URLs in an app, which the contract accepts with
    the ``timeback.object.course`` warning.
    """
    args.check_bool("allow_warnings", allow_warnings)
    return _warning_aware(draw_course_url, allow_warnings)


def activity_urls() -> st.SearchStrategy[str]:
    """An activity context's ``id``: the lesson's URL in an app, or its OneRoster component-resources URL."""
    return _ACTIVITY_URLS


def subjects(*, allow_warnings: bool = False) -> st.SearchStrategy[str]:
    """The nine documented subjects, Reading first; ``allow_warnings=True`` adds ``"Other"``."""
    args.check_bool("allow_warnings", allow_warnings)
    return _ANY_SUBJECTS if allow_warnings else _DOCUMENTED_SUBJECTS


def actors(*, allow_warnings: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """TimebackUser actors: a OneRoster user URL, an email, sometimes a name and a role.

    ``allow_warnings=True`` adds app URLs as ids and properties the profile does
    not know (``grade``...), which the contract accepts with a warning.
    """
    args.check_bool("allow_warnings", allow_warnings)
    return _warning_aware(draw_actor, allow_warnings)


def activity_metrics(*, allow_warnings: bool = False) -> st.SearchStrategy[list[dict[str, Any]]]:
    """An ActivityEvent's ``generated.items``: questions, XP and mastered units, each metric at most once.

    Counts are whole numbers >= 0 with correctQuestions <= totalQuestions; XP
    may be decimal or negative.  ``allow_warnings=True`` adds fractional and
    negative counts, no metric at all, and a metric twice.  Shrinks to
    ``[{"type": "totalQuestions", "value": 0}]``.
    """
    args.check_bool("allow_warnings", allow_warnings)
    return _warning_aware(draw_activity_metrics, allow_warnings)


def time_metrics(*, allow_warnings: bool = False) -> st.SearchStrategy[list[dict[str, Any]]]:
    """A TimeSpentEvent's ``generated.items``: seconds (0 to a day) by category, sometimes a subType and dates.

    ``allow_warnings=True`` adds metrics over a day (milliseconds sent as
    seconds), no metric at all, and a metric twice.  Shrinks to
    ``[{"type": "active", "value": 0}]``.
    """
    args.check_bool("allow_warnings", allow_warnings)
    return _warning_aware(draw_time_metrics, allow_warnings)


def _warning_aware(drawer: Callable[[st.DrawFn, bool], T], allow_warnings: bool) -> st.SearchStrategy[T]:
    return st.composite(lambda draw: drawer(draw, allow_warnings))()


# -- the drawers the event strategies share ------------------------------------------------


def _subsets(names: tuple[str, ...]) -> st.SearchStrategy[tuple[str, ...]]:
    # One choice for which metrics a collection has (each at most once), in the
    # documented order; the smallest, first subset is where examples shrink to.
    return st.sampled_from([subset for size in range(1, len(names) + 1) for subset in combinations(names, size)])


_BOOLEANS = st.booleans()
_ROLES = st.sampled_from(("student", "teacher", "aide", "guardian"))
_UNKNOWN_ACTOR_KEYS = st.sampled_from(("grade", "userId", "locale"))
_ACTIVITY_METRIC_SETS = _subsets(ACTIVITY_METRICS)
_TIME_METRIC_SETS = _subsets(TIME_METRICS)
_QUESTION_COUNTS = st.integers(0, _MAX_QUESTIONS)
_UNIT_COUNTS = st.integers(0, _MAX_UNITS)
_NEGATIVE_COUNTS = st.integers(-5, -1)
_FRACTIONS = st.floats(0, _MAX_QUESTIONS).filter(lambda value: not value.is_integer())
# Decimal and negative XP are allowed: negative XP corrects an earlier event.
_XP = st.one_of(st.integers(0, 500), st.floats(-500, 500))
_SECONDS = st.one_of(st.integers(0, 3600), st.floats(0, values.DAY))
_OVER_A_DAY = st.integers(values.DAY + 1, 10_000_000)
_DOCUMENTED_SUBJECTS = st.sampled_from(values.SUBJECTS)
_ANY_SUBJECTS = st.sampled_from((*values.SUBJECTS, values.OTHER_SUBJECT))


def draw_user_url(draw: st.DrawFn, allow_warnings: bool) -> str:
    if values.draw_warning(draw, allow_warnings):
        return values.draw_app_url(draw, "students")
    return values.draw_oneroster_url(draw, "users")


def draw_course_url(draw: st.DrawFn, allow_warnings: bool) -> str:
    if values.draw_warning(draw, allow_warnings):
        return values.draw_app_url(draw, "courses")
    return values.draw_oneroster_url(draw, "courses")


def draw_activity_url(draw: st.DrawFn) -> str:
    if draw(_BOOLEANS):
        return values.draw_app_url(draw, "lessons")
    return values.draw_oneroster_url(draw, "courses/component-resources")


def draw_actor(draw: st.DrawFn, allow_warnings: bool) -> dict[str, Any]:
    user_id = draw_user_url(draw, allow_warnings)
    actor: dict[str, Any] = {"id": user_id, "type": "TimebackUser", "email": values.draw_email(draw)}
    if draw(_BOOLEANS):
        actor["name"] = values.draw_text(draw, values.PERSON_NAMES)
    if draw(_BOOLEANS):
        actor["role"] = draw(_ROLES)
    if values.draw_warning(draw, allow_warnings):
        actor[draw(_UNKNOWN_ACTOR_KEYS)] = draw(values.SHORT_TEXT)
    return actor


def _draw_count(draw: st.DrawFn, counts: st.SearchStrategy[int], allow_warnings: bool) -> Any:
    # Warning-level counts are fractional.
    return draw(_FRACTIONS) if values.draw_warning(draw, allow_warnings) else draw(counts)


def draw_activity_metrics(draw: st.DrawFn, allow_warnings: bool) -> list[dict[str, Any]]:
    names = () if values.draw_warning(draw, allow_warnings) else draw(_ACTIVITY_METRIC_SETS)
    # Two draws, the larger one the total: correctQuestions <= totalQuestions
    # however the metrics are ordered, and both shrink to 0.
    first = _draw_count(draw, _QUESTION_COUNTS, allow_warnings)
    second = _draw_count(draw, _QUESTION_COUNTS, allow_warnings)
    values_by_name = {"totalQuestions": max(first, second), "correctQuestions": min(first, second)}
    if "correctQuestions" in names and values.draw_warning(draw, allow_warnings):
        values_by_name["correctQuestions"] = draw(_NEGATIVE_COUNTS)
    items = []
    for name in names:
        if name in values_by_name:
            value = values_by_name[name]
        elif name == "masteredUnits":
            if values.draw_warning(draw, allow_warnings):
                value = draw(_NEGATIVE_COUNTS)
            else:
                value = _draw_count(draw, _UNIT_COUNTS, allow_warnings)
        else:
            value = draw(_XP)
        items.append({"type": name, "value": value})
    return _maybe_repeat(draw, items, allow_warnings)


def draw_time_metrics(draw: st.DrawFn, allow_warnings: bool) -> list[dict[str, Any]]:
    items = []
    for name in () if values.draw_warning(draw, allow_warnings) else draw(_TIME_METRIC_SETS):
        seconds = draw(_OVER_A_DAY) if values.draw_warning(draw, allow_warnings) else draw(_SECONDS)
        metric: dict[str, Any] = {"type": name, "value": seconds}
        if draw(_BOOLEANS):
            metric["subType"] = values.draw_text(draw, values.TIME_SUBTYPES)
        if draw(_BOOLEANS):
            start = values.draw_moment(draw)
            metric["startDate"] = values.rfc3339(start)
            metric["endDate"] = values.rfc3339(start + dt.timedelta(seconds=seconds))
        items.append(metric)
    return _maybe_repeat(draw, items, allow_warnings)


def _maybe_repeat(draw: st.DrawFn, items: list[dict[str, Any]], allow_warnings: bool) -> list[dict[str, Any]]:
    """With warnings allowed, sometimes the same metric twice (the later copy is the warning)."""
    if items and values.draw_warning(draw, allow_warnings):
        items.append(dict(items[0]))
    return items


_EVENT_IDS = values.as_strategy(values.draw_urn)
_TIMES = values.as_strategy(values.draw_time)
_UTC_TIMES = st.composite(lambda draw: values.draw_time(draw, values.UTC_STYLES))()
_EMAILS = values.as_strategy(values.draw_email)
_ACTIVITY_URLS = values.as_strategy(draw_activity_url)
