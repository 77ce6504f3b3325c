"""The rule catalogue: every check caliper-contract makes, defined once.

The validator, the README's rules table, the CLI's ``rules`` and ``explain``
commands and the invalid-data strategies all read from :data:`RULES`.  A rule
is checked either by the Timeback profile schema (``x-rule`` in
``caliper_contract/timeback-profile.schema.json``), by the OpenAPI schema layer
(one rule per JSON Schema keyword) or by a small Python check in
:mod:`caliper_contract.profile`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Literal

from caliper_contract._breaches import DELETE, Breach
from caliper_contract.errors import UnknownRuleError

Severity = Literal["error", "warning"]
#: Where a rule comes from: the OpenAPI document, the prose of the published
#: page, behaviour of the live API seen from public clients, or JSON itself.
Source = Literal["openapi", "prose", "observed", "json"]
#: What a rule is about: JSON text and values, the OpenAPI schema, the envelope
#: as a whole, Caliper events in general, or the Timeback profile.
Family = Literal["json", "openapi", "envelope", "caliper", "timeback"]


@dataclass(frozen=True)
class Rule:
    """One check, with the words a person needs to act on a violation of it."""

    id: str
    severity: Severity
    title: str
    explanation: str
    source: Source
    #: How to break it, shown by `caliper-contract explain` and used by tests and
    #: strategies; None where no payload can break it under the default contract.
    breach: Breach | None = None
    #: Set for a whole section of the catalogue (see :func:`_section`).
    family: Family = "timeback"
    #: False for rules about payloads that cannot be read: ignoring them would leave nothing checked.
    ignorable: bool = True
    #: When rules of different precedence speak of one value, only the highest are reported:
    #: the more specific rule explains the value better, and one cause gets one report.
    precedence: int = 0


def _section(family: Family, *rules: Rule, ignorable: bool = True, precedence: int) -> tuple[Rule, ...]:
    """A part of the catalogue: rules of one family, ignorable or not, at least ``precedence``."""
    return tuple(
        replace(rule, family=family, ignorable=ignorable, precedence=max(rule.precedence, precedence)) for rule in rules
    )


def _nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


# A second event with the first one's id (the seed examples' only event id).
_SAME_EVENT = {
    "id": "urn:uuid:c51570e4-f8ed-4c18-bb3a-dfe51b2cc594",
    "type": "Event",
    "actor": "https://example.com/users/1",
    "action": "Created",
    "object": "https://example.com/things/1",
    "eventTime": "2024-04-24T14:12:00.000Z",
    "profile": "GeneralProfile",
}

_CATALOGUE = (
    # -- JSON itself: nothing else can be said of a payload that cannot be read
    *_section(
        "json",
        Rule(
            "json.syntax",
            "error",
            "payload is not valid JSON text",
            "The payload could not be parsed as JSON (RFC 8259). Fix the syntax at the "
            "reported position: comments, trailing commas, single quotes and trailing "
            "garbage are not JSON.",
            "json",
            breach=Breach("activity", (), "", text='{"sensor": "https://example.com",}'),
        ),
        Rule(
            "json.duplicate-key",
            "error",
            "an object has the same key twice",
            "JSON parsers disagree on which of two equal keys wins, so the receiver may "
            "not see the value you meant. Keep one of them.",
            "json",
            breach=Breach("activity", (), "", text='{"sensor": "https://a.example", "sensor": "https://b.example"}'),
        ),
        Rule(
            "json.value",
            "error",
            "value cannot be represented in JSON",
            "NaN, Infinity, non-string object keys, lone surrogates and non-JSON Python "
            "types have no JSON form; a sender would crash or emit text the API rejects.",
            "json",
            breach=Breach(
                "activity", (("/data/0/generated/items/2/value", float("nan")),), "/data/0/generated/items/2/value"
            ),
        ),
        Rule(
            "json.too-deep",
            "error",
            "payload is nested too deeply",
            "The payload nests objects and arrays deeper than any Caliper envelope needs "
            "(the limit is in caliper_contract._jsonvalue.MAX_DEPTH); it was not checked further.",
            "json",
            breach=Breach(
                "activity", (("/data/0/object/extensions", _nested(300)),), "/data/0/object/extensions" + "/0" * 252
            ),
        ),
        ignorable=False,
        precedence=3,
    ),
    # -- the OpenAPI schema (one rule per JSON Schema keyword) ---------------
    *_section(
        "openapi",
        Rule(
            "openapi.required",
            "error",
            "a required property is missing",
            "The OpenAPI schema lists this property as required. The path points at the object that lacks it.",
            "openapi",
            breach=Breach("activity", (("/sensor", DELETE),), ""),
        ),
        Rule(
            "openapi.type",
            "error",
            "value has the wrong JSON type",
            "The OpenAPI schema requires another JSON type here (string, number, object, "
            "array...). Booleans are not numbers and null is not a string.",
            "openapi",
            breach=Breach("activity", (("/data", {}),), "/data"),
        ),
        Rule(
            "openapi.format",
            "error",
            "string is not in the required format",
            "The OpenAPI schema requires a format: `date-time` is RFC 3339 "
            "(2024-04-24T14:12:00.000Z), `uri` is an absolute RFC 3986 URI with a scheme.",
            "openapi",
            breach=Breach("activity", (("/sendTime", "yesterday"),), "/sendTime"),
        ),
        Rule(
            "openapi.const",
            "error",
            "value differs from the one allowed value",
            "The OpenAPI schema allows exactly one value here, e.g. dataVersion "
            "http://purl.imsglobal.org/ctx/caliper/v1p2.",
            "openapi",
            breach=Breach(
                "activity", (("/dataVersion", "http://purl.imsglobal.org/ctx/caliper/v1p1"),), "/dataVersion"
            ),
        ),
        Rule(
            "openapi.enum",
            "error",
            "value is not one of the allowed values",
            "The OpenAPI schema lists the allowed values, e.g. the Caliper "
            "profiles; the message suggests the closest one.",
            "openapi",
            breach=Breach("activity", (("/data/0/profile", "TimebackProfil"),), "/data/0/profile"),
        ),
        Rule(
            "openapi.pattern",
            "error",
            "string does not match the required pattern",
            "The OpenAPI schema requires the string to match a regular expression, "
            "e.g. event ids start with urn:uuid:.",
            "openapi",
            breach=Breach(
                "activity",
                (("/data/0/profile", "GeneralProfile"), ("/data/0/id", "c51570e4-f8ed-4c18-bb3a-dfe51b2cc594")),
                "/data/0/id",
            ),
        ),
        Rule(
            "openapi.additional-properties",
            "error",
            "property is not allowed here",
            "Events and entities do not allow properties beyond those the OpenAPI schema "
            "names; put custom data under `extensions`. The message suggests the closest "
            "known name.",
            "openapi",
            breach=Breach("activity", (("/data/0/evenTime", "2024-04-24T14:12:00.000Z"),), "/data/0/evenTime"),
        ),
        Rule(
            "openapi.min-items",
            "error",
            "array has too few items",
            "The envelope's `data` array must hold at least one event or entity.",
            "openapi",
            breach=Breach("activity", (("/data", []),), "/data"),
        ),
        Rule(
            "openapi.schema",
            "error",
            "value breaks another OpenAPI schema keyword",
            "The value breaks a JSON Schema keyword of the OpenAPI document that has no "
            "rule of its own (minimum, maxLength, uniqueItems...); the message names it.",
            "openapi",
        ),
        precedence=1,
    ),
    # -- the envelope ---------------------------------------------------------
    *_section(
        "envelope",
        Rule(
            "envelope.duplicate-event-id",
            "error",
            "two events in one envelope share an id",
            "Each Caliper event id identifies one event; Timeback would count a repeated "
            "id as the same event. Give every event its own urn:uuid.",
            "prose",
            breach=Breach("activity", (("/data/1", _SAME_EVENT),), "/data/1/id"),
        ),
        Rule(
            "envelope.send-time-utc",
            "warning",
            "sendTime is not in UTC",
            "The OpenAPI schema describes sendTime as an ISO 8601 date and time in UTC; "
            "send it with a `Z` (or +00:00) offset.",
            "openapi",
            breach=Breach("activity", (("/sendTime", "2024-04-24T16:12:05.000+02:00"),), "/sendTime"),
        ),
        precedence=1,
    ),
    # -- Caliper events in general ----------------------------------------------
    *_section(
        "caliper",
        Rule(
            "caliper.non-timeback-profile",
            "warning",
            "event is not TimebackProfile: stored but not counted",
            "The API accepts events of the other Caliper profiles and stores them, but "
            "Timeback analytics count only TimebackProfile events towards XP and time.",
            "observed",
            breach=Breach("activity", (("/data/0/profile", "GeneralProfile"),), "/data/0/profile"),
        ),
        precedence=1,
    ),
    # -- the Timeback profile: more specific than the OpenAPI schema ------------
    *_section(
        "timeback",
        Rule(
            "timeback.event.type",
            "error",
            "event type is not ActivityEvent or TimeSpentEvent",
            "The Timeback profile has two event types: ActivityEvent (XP, questions, "
            "units) and TimeSpentEvent (seconds by category).",
            "prose",
            breach=Breach("activity", (("/data/0/type", "AssessmentEvent"),), "/data/0/type"),
        ),
        Rule(
            "timeback.event.action",
            "error",
            "action does not match the event type",
            "An ActivityEvent's action is `Completed`; a TimeSpentEvent's action is "
            "`SpentTime`. No other actions are supported.",
            "prose",
            breach=Breach("activity", (("/data/0/action", "Submitted"),), "/data/0/action"),
        ),
        Rule(
            "timeback.event.id",
            "error",
            "event id is not urn:uuid: and an RFC 4122 UUID",
            "The prose says the id must be a UUID expressed as a URN; the OpenAPI pattern "
            "accepts anything after `urn:uuid:`. Use urn:uuid: followed by a UUID with "
            "the RFC 4122 variant, e.g. from uuid.uuid4().",
            "prose",
            breach=Breach("activity", (("/data/0/id", "urn:uuid:1234"),), "/data/0/id"),
        ),
        Rule(
            "timeback.actor",
            "error",
            "actor is not a TimebackUser object",
            "The actor must be an object with type `TimebackUser`, an `id` and an `email`, not a bare URI string.",
            "prose",
            breach=Breach("activity", (("/data/0/actor", "https://example.com/users/1"),), "/data/0/actor"),
        ),
        Rule(
            "timeback.actor.id",
            "error",
            "actor.id is missing or not an absolute URI",
            "actor.id identifies the student; the prose asks for the OneRoster URL of the user.",
            "prose",
            breach=Breach("activity", (("/data/0/actor/id", "student 42"),), "/data/0/actor/id"),
        ),
        Rule(
            "timeback.actor.email",
            "error",
            "actor.email is missing or not an email address",
            "actor.email is required and must be the user's current, non-empty email address.",
            "prose",
            breach=Breach("activity", (("/data/0/actor/email", "student.example.com"),), "/data/0/actor/email"),
        ),
        Rule(
            "timeback.actor.oneroster-id",
            "warning",
            "actor.id is not a OneRoster users URL",
            "The prose asks for the OneRoster URL of the user, "
            "`https://<host>/ims/oneroster/rostering/v1p2/users/<userId>`, so Timeback can "
            "find the student.",
            "prose",
            breach=Breach(
                "activity", (("/data/0/actor/id", "https://app.example.com/students/42"),), "/data/0/actor/id"
            ),
        ),
        Rule(
            "timeback.object",
            "error",
            "object is not a TimebackActivityContext object",
            "The object must be an object with type `TimebackActivityContext`, an `id` and "
            "a `subject`, not a bare URI string.",
            "prose",
            breach=Breach("activity", (("/data/0/object/type", "DigitalResource"),), "/data/0/object/type"),
        ),
        Rule(
            "timeback.object.id",
            "error",
            "object.id is missing or not an absolute URI",
            "object.id is the unique URL of the lesson or activity: a component-resources "
            "OneRoster URL or the activity's URL in your app.",
            "prose",
            breach=Breach("activity", (("/data/0/object/id", "lesson 7"),), "/data/0/object/id"),
        ),
        Rule(
            "timeback.object.subject",
            "error",
            "object.subject is missing or not a Timeback subject",
            "The subject is one of Reading, Language, Vocabulary, Social Studies, "
            "Writing, Science, FastMath, Math, None.",
            "prose",
            breach=Breach("activity", (("/data/0/object/subject", "Maths"),), "/data/0/object/subject"),
        ),
        Rule(
            "timeback.object.subject-other",
            "warning",
            "object.subject is `Other`",
            "`Other` is used by the vendor's own SDK but is not among the documented "
            "subjects; prefer one of the nine documented values.",
            "prose",
            breach=Breach("activity", (("/data/0/object/subject", "Other"),), "/data/0/object/subject"),
        ),
        Rule(
            "timeback.object.app",
            "error",
            "object.app is missing",
            "The docs say only third-party apps need object.app, but the live API rejects "
            "events without it. Send `app: {name: ...}`.",
            "observed",
            breach=Breach("activity", (("/data/0/object/app", DELETE),), "/data/0/object"),
        ),
        Rule(
            "timeback.object.course",
            "warning",
            "course is missing or not a OneRoster course",
            "An ActivityEvent should carry object.course with the OneRoster URL of the "
            "course, `https://<host>/ims/oneroster/rostering/v1p2/courses/<courseId>`, so "
            "XP lands on the right course.",
            "prose",
            breach=Breach("activity", (("/data/0/object/course", DELETE),), "/data/0/object"),
        ),
        Rule(
            "timeback.property-type",
            "error",
            "a Timeback property has the wrong JSON type",
            "The Timeback profile fixes the JSON types of its properties: names and ids are "
            "strings, process is a boolean, app, activity and course are objects, items is "
            "an array of objects.",
            "prose",
            breach=Breach("activity", (("/data/0/object/process", "false"),), "/data/0/object/process"),
        ),
        Rule(
            "timeback.null",
            "error",
            "explicit null in a Timeback event",
            "The live API rejects null values. Omit the key instead of sending null.",
            "observed",
            # An explicit null explains every other complaint about the same value.
            precedence=3,
            breach=Breach("activity", (("/data/0/object/activity/name", None),), "/data/0/object/activity/name"),
        ),
        Rule(
            "timeback.unknown-property",
            "warning",
            "property unknown to the Timeback profile",
            "The Timeback profile does not define this property, so Timeback ignores it; "
            "check the spelling or move custom data to `extensions`.",
            "prose",
            breach=Breach(
                "time-spent", (("/data/0/generated/items/1/sub_type", "eating"),), "/data/0/generated/items/1/sub_type"
            ),
        ),
        Rule(
            "timeback.generated",
            "error",
            "generated is not the metrics collection of this event type",
            "generated must be an object with an `id`, `items`, and type "
            "`TimebackActivityMetricsCollection` for an ActivityEvent or "
            "`TimebackTimeSpentMetricsCollection` for a TimeSpentEvent.",
            "prose",
            breach=Breach(
                "activity",
                (("/data/0/generated/type", "TimebackTimeSpentMetricsCollection"),),
                "/data/0/generated/type",
            ),
        ),
        Rule(
            "timeback.generated.items-empty",
            "warning",
            "generated.items is empty",
            "An event with no metrics records nothing in Timeback analytics.",
            "prose",
            breach=Breach("activity", (("/data/0/generated/items", []),), "/data/0/generated/items"),
        ),
        Rule(
            "timeback.generated.attempt",
            "error",
            "generated.attempt is not an integer >= 1",
            "attempt numbers the tries of one activity, starting at 1.",
            "prose",
            breach=Breach(
                "activity",
                (("/data/0/object/process", True), ("/data/0/generated/attempt", 0)),
                "/data/0/generated/attempt",
            ),
        ),
        Rule(
            "timeback.generated.attempt-without-process",
            "warning",
            "generated.attempt is given but object.process is not true",
            "attempt only matters together with object.process = true, which writes an Assessment Result to OneRoster.",
            "prose",
            breach=Breach("activity", (("/data/0/generated/attempt", 2),), "/data/0/generated/attempt"),
        ),
        Rule(
            "timeback.activity-metric.type",
            "error",
            "activity metric type is not supported",
            "ActivityEvent metrics are totalQuestions, correctQuestions, xpEarned and masteredUnits.",
            "prose",
            breach=Breach("activity", (("/data/0/generated/items/2/type", "xp"),), "/data/0/generated/items/2/type"),
        ),
        Rule(
            "timeback.activity-metric.value",
            "error",
            "activity metric value is not a number",
            "Each metric has a numeric `value`; booleans and numeric strings are not numbers. "
            "Decimal and negative XP are allowed (negative XP corrects an earlier event).",
            "prose",
            breach=Breach("activity", (("/data/0/generated/items/2/value", "100"),), "/data/0/generated/items/2/value"),
        ),
        Rule(
            "timeback.activity-metric.count",
            "warning",
            "question or unit count is negative or fractional",
            "totalQuestions, correctQuestions and masteredUnits count things: they are "
            "whole numbers >= 0. (xpEarned may be decimal or negative.)",
            "prose",
            breach=Breach("activity", (("/data/0/generated/items/3/value", 1.5),), "/data/0/generated/items/3/value"),
        ),
        Rule(
            "timeback.activity-metric.correct-exceeds-total",
            "error",
            "correctQuestions is greater than totalQuestions",
            "A student cannot answer more questions correctly than were asked in the same collection.",
            "prose",
            breach=Breach("activity", (("/data/0/generated/items/1/value", 11),), "/data/0/generated/items/1/value"),
        ),
        Rule(
            "timeback.time-metric.type",
            "error",
            "time metric type is not supported",
            "TimeSpentEvent metrics are active, inactive, waste, unknown and anti-pattern.",
            "prose",
            breach=Breach(
                "time-spent", (("/data/0/generated/items/0/type", "idle"),), "/data/0/generated/items/0/type"
            ),
        ),
        Rule(
            "timeback.time-metric.value",
            "error",
            "time metric value is not a number of seconds >= 0",
            "Each time metric's `value` is a number of seconds, zero or more.",
            "prose",
            breach=Breach("time-spent", (("/data/0/generated/items/0/value", -10),), "/data/0/generated/items/0/value"),
        ),
        Rule(
            "timeback.time-metric.over-a-day",
            "warning",
            "one time metric is over 86,400 seconds",
            "A single time metric above one day is almost always milliseconds sent as seconds.",
            "prose",
            breach=Breach(
                "time-spent", (("/data/0/generated/items/0/value", 90000),), "/data/0/generated/items/0/value"
            ),
        ),
        Rule(
            "timeback.metric.duplicate",
            "warning",
            "the same metric appears twice in one collection",
            "An activity collection should name each metric type once, and a time "
            "collection each (type, subType) pair once; otherwise which value counts is "
            "unclear.",
            "prose",
            breach=Breach("time-spent", (("/data/0/generated/items/2/type", "active"),), "/data/0/generated/items/2"),
        ),
        precedence=2,
    ),
)

#: Every rule, by id, in catalogue order.
RULES: Mapping[str, Rule] = MappingProxyType({rule.id: rule for rule in _CATALOGUE})


def get_rule(rule_id: str) -> Rule:
    """Return the rule with this id, or raise :class:`UnknownRuleError` with a suggestion."""
    try:
        return RULES[rule_id]
    except (KeyError, TypeError):
        raise UnknownRuleError(_unknown_message(rule_id)) from None


def check_rule_ids(rule_ids: Iterable[str]) -> frozenset[str]:
    """Validate user-supplied rule ids (``ignore=``, ``--ignore``) up front."""
    if isinstance(rule_ids, str):
        # A lone string would otherwise be read as a set of one-letter ids.
        rule_ids = (rule_ids,)
    return frozenset(get_rule(rule_id).id for rule_id in rule_ids)


def check_ignorable(rule_ids: Iterable[str]) -> frozenset[str]:
    """Validate rule ids a caller wants to skip: known, and ignorable; raise :class:`UnknownRuleError` otherwise."""
    ids = check_rule_ids(rule_ids)
    for rule_id in sorted(ids):
        if not RULES[rule_id].ignorable:
            raise UnknownRuleError(f"{rule_id} cannot be ignored: a payload that cannot be read cannot be checked")
    return ids


def _unknown_message(rule_id: object) -> str:
    message = f"unknown rule id {rule_id!r}"
    if isinstance(rule_id, str):
        close = difflib.get_close_matches(rule_id, list(RULES), n=1)
        if close:
            return f"{message}; did you mean {close[0]!r}?"
    return f"{message}; `caliper-contract rules` lists them"
