"""The field strategies a sender's inputs are fuzzed with, checked against the validator.

Each value, put at its field of one of the contract's own valid envelopes,
must validate with no violation at all; with ``allow_warnings=True`` it may
add the field's warnings, never an error.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from caliper_contract import validate
from caliper_contract.strategies import (
    activity_metrics,
    activity_urls,
    actors,
    course_urls,
    emails,
    event_ids,
    subjects,
    time_metrics,
    timestamps,
    user_urls,
)
from tests import seeds

#: For find(): no example database (its examples belong to other conditions).
NO_DATABASE = settings(database=None, max_examples=2000)

ACTOR = ("data", 0, "actor")
CONTEXT = ("data", 0, "object")
ITEMS = ("data", 0, "generated", "items")
#: (strategy, the base example, where its value goes), by test id.
FIELDS: dict[str, tuple[st.SearchStrategy[Any], str, tuple[str | int, ...]]] = {
    "actors": (actors(), "activity", ACTOR),
    "emails": (emails(), "activity", (*ACTOR, "email")),
    "emails-at-your-domains": (emails(domains=["alpha.school", "students.example.org"]), "activity", (*ACTOR, "email")),
    "user_urls": (user_urls(), "activity", (*ACTOR, "id")),
    "course_urls": (course_urls(), "activity", (*CONTEXT, "course", "id")),
    "activity_urls": (activity_urls(), "activity", (*CONTEXT, "id")),
    "subjects": (subjects(), "activity", (*CONTEXT, "subject")),
    "activity_metrics": (activity_metrics(), "activity", ITEMS),
    "time_metrics": (time_metrics(), "time-spent", ITEMS),
    "event_ids": (event_ids(), "activity", ("data", 0, "id")),
    "timestamps-as-event-time": (timestamps(), "activity", ("data", 0, "eventTime")),
    "utc-timestamps-as-send-time": (timestamps(utc=True), "activity", ("sendTime",)),
}


def placed(value: Any, base: str, location: tuple[str | int, ...]) -> dict[str, Any]:
    """The contract's base example of that kind, with ``value`` at ``location``."""
    envelope: dict[str, Any] = seeds.activity() if base == "activity" else seeds.time_spent()
    node: Any = envelope
    for token in location[:-1]:
        node = node[token]
    node[location[-1]] = value
    return envelope


@pytest.mark.parametrize("name", FIELDS)
def test_each_value_validates_at_its_field_with_no_error_and_no_warning(name):
    strategy, base, location = FIELDS[name]

    @settings(max_examples=100, database=None)
    @given(strategy)
    def check(value):
        assert validate(placed(value, base, location)).violations == ()

    check()


#: The warning-level values allow_warnings=True adds, by the rule that reports them.
WARNING_FIELDS = {
    "actors": (
        actors(allow_warnings=True),
        ACTOR,
        {"timeback.actor.oneroster-id", "timeback.unknown-property"},
    ),
    "user_urls": (user_urls(allow_warnings=True), (*ACTOR, "id"), {"timeback.actor.oneroster-id"}),
    "course_urls": (course_urls(allow_warnings=True), (*CONTEXT, "course", "id"), {"timeback.object.course"}),
    "subjects": (subjects(allow_warnings=True), (*CONTEXT, "subject"), {"timeback.object.subject-other"}),
    "activity_metrics": (
        activity_metrics(allow_warnings=True),
        ITEMS,
        {"timeback.activity-metric.count", "timeback.generated.items-empty", "timeback.metric.duplicate"},
    ),
    "time_metrics": (
        time_metrics(allow_warnings=True),
        ITEMS,
        {"timeback.time-metric.over-a-day", "timeback.generated.items-empty", "timeback.metric.duplicate"},
    ),
}


@pytest.mark.parametrize("name", WARNING_FIELDS)
def test_allow_warnings_adds_the_field_s_warnings_and_never_an_error(name):
    strategy, location, expected = WARNING_FIELDS[name]
    base = "time-spent" if name == "time_metrics" else "activity"
    found: set[str] = set()

    @settings(max_examples=200, database=None, derandomize=True)
    @given(strategy)
    def check(value):
        report = validate(placed(value, base, location))
        assert report.ok, str(report)
        found.update(violation.rule for violation in report)

    check()
    assert found == expected


ONEROSTER = "https://api.alpha-1edtech.ai/ims/oneroster/rostering/v1p2"


@pytest.mark.parametrize(
    ("strategy", "minimal"),
    [
        (
            actors(),
            {"id": f"{ONEROSTER}/users/0", "type": "TimebackUser", "email": "ada.lovelace@example.com"},
        ),
        (emails(), "ada.lovelace@example.com"),
        (emails(domains=["alpha.school"]), "ada.lovelace@alpha.school"),
        (user_urls(), f"{ONEROSTER}/users/0"),
        (course_urls(), f"{ONEROSTER}/courses/0"),
        (activity_urls(), f"{ONEROSTER}/courses/component-resources/0"),
        (subjects(), "Reading"),
        (activity_metrics(), [{"type": "totalQuestions", "value": 0}]),
        (time_metrics(), [{"type": "active", "value": 0}]),
        (event_ids(), "urn:uuid:00000000-0000-4000-8000-000000000000"),
        (timestamps(), "2020-01-01T00:00:00.000Z"),
        (timestamps(utc=True), "2020-01-01T00:00:00.000Z"),
    ],
    ids=[
        "actors",
        "emails",
        "emails-at-your-domain",
        "user_urls",
        "course_urls",
        "activity_urls",
        "subjects",
        "activity_metrics",
        "time_metrics",
        "event_ids",
        "timestamps",
        "utc-timestamps",
    ],
)
def test_each_field_shrinks_to_a_short_readable_value(strategy, minimal):
    assert find(strategy, lambda value: True, settings=NO_DATABASE) == minimal


@pytest.mark.parametrize(
    ("strategy", "condition", "minimal"),
    [
        # Beyond the realistic values, the variety shrinks to short values too.
        (emails(), lambda email: "." not in email.split("@")[0], "a@example.com"),
        (
            actors(),
            lambda actor: "name" in actor and " " not in actor["name"],
            {
                "id": f"{ONEROSTER}/users/0",
                "type": "TimebackUser",
                "email": "ada.lovelace@example.com",
                "name": "a",
            },
        ),
        # sourcedIds from 100,000 up are UUIDs.
        (
            user_urls(),
            lambda url: len(url.rsplit("/", 1)[1]) > 6,
            f"{ONEROSTER}/users/00000000-0000-4000-8000-0000000186a0",
        ),
        (
            activity_metrics(),
            # Exactly two: a set of three is a local minimum the shrinker can stop at now and then.
            lambda items: len(items) == 2,
            [{"type": "totalQuestions", "value": 0}, {"type": "correctQuestions", "value": 0}],
        ),
        (
            timestamps(),
            lambda time: not time.endswith("Z"),
            "2020-01-01T00:00:00.000+01:00",
        ),
    ],
    ids=["email-any-local-part", "actor-any-name", "user-uuid", "two-metrics", "timestamp-offset"],
)
def test_shrinking_finds_short_readable_values_beyond_the_realistic_ones(strategy, condition, minimal):
    assert find(strategy, condition, settings=NO_DATABASE) == minimal


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: actors(allow_warnings="yes"), r"allow_warnings='yes' must be True or False"),
        (lambda: user_urls(allow_warnings=None), r"allow_warnings=None must be True or False"),
        (lambda: course_urls(allow_warnings=0), r"allow_warnings=0 must be True or False"),
        (lambda: subjects(allow_warnings=1), r"allow_warnings=1 must be True or False"),
        (lambda: activity_metrics(allow_warnings="no"), r"allow_warnings='no' must be True or False"),
        (lambda: time_metrics(allow_warnings=[]), r"allow_warnings=\[\] must be True or False"),
        (lambda: timestamps(utc="Z"), r"utc='Z' must be True or False"),
        (lambda: emails(domains="example.com"), r"domains= must be a list of domain names, e.g. \['school"),
        (lambda: emails(domains=[]), r"domains= is empty"),
        (lambda: emails(domains=[42]), r"domains= must hold domain names \(strings\), got int 42"),
        (
            lambda: emails(domains=["alpha.school", "localhost"]),
            r"domains= entry 'localhost' \(as student@localhost\) breaks the Timeback Events API contract:\n"
            r"  \(the value itself\): \"student@localhost\" is not an email address \[timeback.actor.email\]",
        ),
    ],
)
def test_bad_arguments_are_refused_up_front(call, message):
    with pytest.raises(InvalidArgument, match=message):
        call()


@pytest.mark.parametrize("function", [actors, user_urls, course_urls, subjects, activity_metrics, time_metrics])
def test_arguments_are_keyword_only(function):
    with pytest.raises(TypeError, match="positional argument"):
        function(True)
