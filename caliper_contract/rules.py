"""The rule catalogue: every check caliper-contract makes, defined once.

The validator, the README's rules table, the CLI's ``rules`` and ``explain``
commands and the invalid-data strategies all read from :data:`RULES`.  A rule
is checked either by the Timeback profile schema (``x-rule`` in
``caliper_contract/timeback-profile.schema.json``), by the OpenAPI schema layer
(one rule per JSON Schema keyword) or by a small Python check in
:mod:`caliper_contract.profile`; ``timeback.misnamed-property`` is the one
unknown property (``timeback.unknown-property``) that is a near miss of a
documented, absent one (:mod:`caliper_contract._explain`).  A rule whose
violations have exactly one right edit declares it (``Rule.fix``);
:mod:`caliper_contract._fixes` makes it.
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
#: Where a rule comes from:
#:
#: - ``openapi``: the OpenAPI document (a schema keyword, or a schema's description);
#: - ``prose``: a sentence of the published page, quoted in the explanation between “ and ”;
#: - ``observed``: behaviour of the live API or of its clients (the vendor's SDK) that
#:   the page does not state;
#: - ``derived``: follows from other rules and the page's words (correctQuestions <=
#:   totalQuestions, seconds >= 0), quoting the words it rests on;
#: - ``json``: JSON itself (RFC 8259): what text and values a payload can be at all.
Source = Literal["openapi", "prose", "observed", "derived", "json"]
#: What a rule is about: JSON text and values, the OpenAPI schema, the envelope
#: as a whole, Caliper events in general, or the Timeback profile.
Family = Literal["json", "openapi", "envelope", "caliper", "timeback"]
#: The edits :mod:`caliper_contract._fixes` knows how to make:
#:
#: - ``rename``: a misnamed property's key becomes the documented one it is a near miss of;
#: - ``remove-null``: a property whose value is an explicit null is removed;
#: - ``utc``: a date-time with another offset is written in UTC with ``Z``;
#: - ``urn-uuid``: an event id that is a bare UUID gets the ``urn:uuid:`` prefix;
#: - ``allowed-value``: a string becomes the one value the schema allows that it
#:   differs from only by case or surrounding whitespace.
FixKind = Literal["rename", "remove-null", "utc", "urn-uuid", "allowed-value"]


@dataclass(frozen=True)
class Fix:
    """The one right edit of a rule's violations, made by ``caliper-contract check --fix``.

    A fix is made only where it applies (see ``description``) and only when
    checking the payload again shows the violation gone without a new one at
    the place it edited; nothing that changes a number, removes a required
    property or invents a value is a fix.  A ``safe`` fix keeps what the sender
    meant and is made by ``--fix``; an unsafe one guesses at it a little and
    needs ``--unsafe-fixes`` too.
    """

    kind: FixKind
    #: What the fix does and when, in words: `rules`, `explain`, the README and SARIF show it.
    description: str
    safe: bool = True
    #: A breach this fix mends (tests, ``explain``); None: the rule's own breach is one.
    example: Breach | None = None

    @property
    def applicability(self) -> Literal["safe", "unsafe"]:
        return "safe" if self.safe else "unsafe"


@dataclass(frozen=True)
class Rule:
    """One check, with the words a person needs to act on a violation of it.

    One cause gets one report: of the violations that speak of one value, a
    report keeps only the highest ranked (see ``precedence``), errors first.
    """

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
    #: Of the rules that speak of one value (one "target": the value's JSON Pointer, or
    #: a missing or misnamed property's), only the highest ranked are reported: errors
    #: above warnings, since a value that breaks an error rule needs no warning about it
    #: too; then among rules of one severity, the highest precedence, since the more
    #: specific rule explains the value better.  One cause gets one report.
    precedence: int = 0
    #: The edit that mends a violation of it, where there is exactly one right edit.
    fix: Fix | None = None


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
# An event of another Caliper profile, beside the seed example's Timeback event.
_GENERIC_EVENT = {**_SAME_EVENT, "id": "urn:uuid:8e7f5bc4-8c21-4d43-9c5c-37d4a3ec3d0e"}


def _allowed_value(example: Breach) -> Fix:
    return Fix(
        "allowed-value",
        "replaces a string with the one allowed value it differs from only by case or surrounding whitespace "
        '("math" becomes "Math")',
        safe=False,
        example=example,
    )


_URN_UUID = "prefixes an event id that is a bare UUID with urn:uuid:"

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
            fix=_allowed_value(
                Breach("activity", (("/dataVersion", "HTTP://PURL.IMSGLOBAL.ORG/CTX/CALIPER/V1P2"),), "/dataVersion")
            ),
        ),
        Rule(
            "openapi.enum",
            "error",
            "value is not one of the allowed values",
            "The OpenAPI schema lists the allowed values, e.g. the Caliper "
            "profiles; the message suggests the closest one.",
            "openapi",
            breach=Breach(
                "activity", (("/data/1", {**_GENERIC_EVENT, "profile": "GeneralProfil"}),), "/data/1/profile"
            ),
            fix=_allowed_value(
                Breach("activity", (("/data/1", {**_GENERIC_EVENT, "profile": "generalprofile"}),), "/data/1/profile")
            ),
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
                (("/data/1", {**_GENERIC_EVENT, "id": "8e7f5bc4-8c21-4d43-9c5c-37d4a3ec3d0e"}),),
                "/data/1/id",
            ),
            fix=Fix("urn-uuid", _URN_UUID),
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
            "The page gives each event an id: “Unique identifier for this event.” Two events of one "
            "envelope with the same id are not told apart by it. Give every event its own urn:uuid.",
            "prose",
            breach=Breach("activity", (("/data/1", _SAME_EVENT),), "/data/1/id"),
        ),
        Rule(
            "envelope.send-time-utc",
            "warning",
            "sendTime is not in UTC",
            "The OpenAPI schema describes sendTime as “The time the data was sent, formatted as an ISO 8601 "
            "date and time in UTC”; send it with a `Z` (or +00:00) offset.",
            "openapi",
            breach=Breach("activity", (("/sendTime", "2024-04-24T16:12:05.000+02:00"),), "/sendTime"),
            fix=Fix("utc", "rewrites the date-time in UTC with Z: the same instant, to the same precision"),
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
            "The API accepts events of the other Caliper profiles and stores them, but Timeback analytics "
            "count only TimebackProfile events towards XP and time. (An event with Timeback types under "
            "another profile breaks `timeback.profile` instead.)",
            "observed",
            breach=Breach("activity", (("/data/1", _GENERIC_EVENT),), "/data/1/profile"),
        ),
        precedence=1,
    ),
    # -- the Timeback profile: more specific than the OpenAPI schema ------------
    *_section(
        "timeback",
        Rule(
            "timeback.profile",
            "error",
            "an event with Timeback types is not TimebackProfile",
            "An event with a Timeback type (ActivityEvent or TimeSpentEvent, a TimebackUser actor, a "
            "TimebackActivityContext object or a Timeback metrics collection) is a Timeback event, and the "
            'page says of its profile “(string _required_) Always "TimebackProfile"”. Without a profile '
            "the API rejects the event; under another Caliper profile it stores it but Timeback never counts "
            "it. Its other Timeback mistakes are reported too.",
            "prose",
            breach=Breach("activity", (("/data/0/profile", "GeneralProfile"),), "/data/0/profile"),
            fix=_allowed_value(Breach("activity", (("/data/0/profile", "TimebackProfile "),), "/data/0/profile")),
        ),
        Rule(
            "timeback.event.type",
            "error",
            "event type is not ActivityEvent or TimeSpentEvent",
            "“The Timeback Profile currently supports two primary event types”: ActivityEvent (XP, "
            "questions, units) and TimeSpentEvent (seconds by category).",
            "prose",
            breach=Breach("activity", (("/data/0/type", "AssessmentEvent"),), "/data/0/type"),
            fix=_allowed_value(Breach("activity", (("/data/0/type", "activityevent"),), "/data/0/type")),
        ),
        Rule(
            "timeback.event.action",
            "error",
            "action does not match the event type",
            'An ActivityEvent\'s action is `Completed` “(for now we only support "Completed")”; a '
            'TimeSpentEvent\'s is `SpentTime` “(for now we only support "SpentTime")”.',
            "prose",
            breach=Breach("activity", (("/data/0/action", "Submitted"),), "/data/0/action"),
            fix=_allowed_value(Breach("activity", (("/data/0/action", "completed"),), "/data/0/action")),
        ),
        Rule(
            "timeback.event.id",
            "error",
            "event id is not urn:uuid: and an RFC 4122 UUID",
            "The page says the id “Must be a UUID expressed as a URN”; the OpenAPI pattern accepts "
            "anything after `urn:uuid:`. Use urn:uuid: followed by a UUID with the RFC 4122 variant, e.g. "
            "from uuid.uuid4().",
            "prose",
            breach=Breach("activity", (("/data/0/id", "urn:uuid:1234"),), "/data/0/id"),
            fix=Fix(
                "urn-uuid",
                _URN_UUID,
                example=Breach("activity", (("/data/0/id", "c51570e4-f8ed-4c18-bb3a-dfe51b2cc594"),), "/data/0/id"),
            ),
        ),
        Rule(
            "timeback.actor",
            "error",
            "actor is not a TimebackUser object",
            "The actor is “(should always be a valid timeback user)”: an object whose type is “Always "
            '"TimebackUser"”, with an `id` and an `email`, not a bare URI string.',
            "prose",
            breach=Breach("activity", (("/data/0/actor", "https://example.com/users/1"),), "/data/0/actor"),
            fix=_allowed_value(Breach("activity", (("/data/0/actor/type", "timebackUser"),), "/data/0/actor/type")),
        ),
        Rule(
            "timeback.actor.id",
            "error",
            "actor.id is missing or not an absolute URI",
            "actor.id identifies the student: “The OneRoster url representing the user”. A URL is an absolute URI.",
            "prose",
            breach=Breach("activity", (("/data/0/actor/id", "student 42"),), "/data/0/actor/id"),
        ),
        Rule(
            "timeback.actor.email",
            "error",
            "actor.email is missing or not an email address",
            "The page lists “**email**: (string _required_) The current user email”: an email address, required.",
            "prose",
            breach=Breach("activity", (("/data/0/actor/email", "student.example.com"),), "/data/0/actor/email"),
        ),
        Rule(
            "timeback.actor.oneroster-id",
            "warning",
            "actor.id is not a OneRoster users URL",
            "The page asks for “The OneRoster url representing the user "
            "(`https://api.alpha-1edtech.ai/ims/oneroster/rostering/v1p2/users/<userId>`)”, so Timeback can "
            "find the student; any host is accepted.",
            "prose",
            breach=Breach(
                "activity", (("/data/0/actor/id", "https://app.example.com/students/42"),), "/data/0/actor/id"
            ),
        ),
        Rule(
            "timeback.object",
            "error",
            "object is not a TimebackActivityContext object",
            'The object\'s type is “Always "TimebackActivityContext"”: an object with an `id` and a '
            "`subject`, not a bare URI string.",
            "prose",
            breach=Breach("activity", (("/data/0/object/type", "DigitalResource"),), "/data/0/object/type"),
            fix=_allowed_value(
                Breach("activity", (("/data/0/object/type", " TimebackActivityContext"),), "/data/0/object/type")
            ),
        ),
        Rule(
            "timeback.object.id",
            "error",
            "object.id is missing or not an absolute URI",
            "object.id is “The unique URL that represents that lesson / activity.”: a component-resources "
            "OneRoster URL or the activity's URL in your app.",
            "prose",
            breach=Breach("activity", (("/data/0/object/id", "lesson 7"),), "/data/0/object/id"),
        ),
        Rule(
            "timeback.object.subject",
            "error",
            "object.subject is missing or not a Timeback subject",
            "The subject is “The subject of the course (Reading, Language, Vocabulary, Social Studies, "
            "Writing, Science, FastMath, Math, None)”.",
            "prose",
            breach=Breach("activity", (("/data/0/object/subject", "Maths"),), "/data/0/object/subject"),
            fix=_allowed_value(Breach("activity", (("/data/0/object/subject", "reading"),), "/data/0/object/subject")),
        ),
        Rule(
            "timeback.object.subject-other",
            "warning",
            "object.subject is `Other`",
            "The vendor's own SDK sends the subject `Other`, which the API accepts, but it is not among the "
            "subjects the page documents; prefer one of the nine documented values.",
            "observed",
            breach=Breach("activity", (("/data/0/object/subject", "Other"),), "/data/0/object/subject"),
        ),
        Rule(
            "timeback.object.app",
            "error",
            "object.app is missing",
            "The page says “**app**: (object) _only required for third-party apps_”, but the live API "
            "rejects events without it. Send `app: {name: ...}`.",
            "observed",
            breach=Breach("activity", (("/data/0/object/app", DELETE),), "/data/0/object"),
        ),
        Rule(
            "timeback.object.course",
            "warning",
            "course is missing or not a OneRoster course",
            "An ActivityEvent has “**course**: (object _required_)”, whose id is “The OneRoster URL "
            "representing the course”, "
            "`https://<host>/ims/oneroster/rostering/v1p2/courses/<courseId>`, so XP lands on the right "
            "course.",
            "prose",
            breach=Breach("activity", (("/data/0/object/course", DELETE),), "/data/0/object"),
        ),
        Rule(
            "timeback.property-type",
            "error",
            "a Timeback property has the wrong JSON type",
            "The page gives each Timeback property its JSON type, e.g. “**process**: (boolean) Default is "
            "false.” and “**items**: (array _required_)”: names and ids are strings, app, activity and "
            "course are objects, items is an array of objects.",
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
            fix=Fix("remove-null", "removes the property holding the null, unless the contract requires that property"),
        ),
        Rule(
            "timeback.misnamed-property",
            "error",
            "a documented Timeback property is sent under another name",
            "The vendor's own Python SDK sends a time metric's subType as `sub_type`: the API stores the "
            "event and Timeback ignores the key, so the value is lost without a word. A key that is a near "
            "miss of a property the Timeback profile documents for that object (another case, `_` or `-` "
            "for camelCase, a small typo), while that property is absent, is that property misnamed. It is "
            "reported at the key, and stands for the documented property being missing.",
            "observed",
            # It is about the documented property: it explains that property's "missing required property".
            precedence=3,
            breach=Breach(
                "time-spent", (("/data/0/generated/items/0/sub_type", "eating"),), "/data/0/generated/items/0/sub_type"
            ),
            fix=Fix(
                "rename",
                "renames the key to the documented property, when it is the only documented property the key is a "
                "near miss of and no other key of the object stands for it",
            ),
        ),
        Rule(
            "timeback.unknown-property",
            "warning",
            "property unknown to the Timeback profile",
            "The page lists the properties of each Timeback object, and this is not one of them, so Timeback "
            "ignores it. Move custom data to `extensions`. (A near miss of a documented property that is "
            "absent breaks `timeback.misnamed-property` instead.)",
            "derived",
            breach=Breach(
                "time-spent", (("/data/0/generated/items/0/seconds", 10),), "/data/0/generated/items/0/seconds"
            ),
        ),
        Rule(
            "timeback.generated",
            "error",
            "generated is not the metrics collection of this event type",
            "generated is an object with an `id`, `items`, and a type “Always "
            '"TimebackActivityMetricsCollection"” for an ActivityEvent, “Always '
            '"TimebackTimeSpentMetricsCollection"” for a TimeSpentEvent. Its items are judged by the '
            "event's type.",
            "prose",
            breach=Breach(
                "activity",
                (("/data/0/generated/type", "TimebackTimeSpentMetricsCollection"),),
                "/data/0/generated/type",
            ),
            fix=_allowed_value(
                Breach(
                    "activity",
                    (("/data/0/generated/type", "timebackActivityMetricsCollection"),),
                    "/data/0/generated/type",
                )
            ),
        ),
        Rule(
            "timeback.generated.items-empty",
            "warning",
            "generated.items is empty",
            "items are “The values you want to write in the analytics.”: an event with none records nothing.",
            "derived",
            breach=Breach("activity", (("/data/0/generated/items", []),), "/data/0/generated/items"),
        ),
        Rule(
            "timeback.generated.attempt",
            "error",
            "generated.attempt is not an integer >= 1",
            "The page says “**attempt**: (integer) Default is 1.”: attempts are whole numbers counted from "
            "1, so 0, a negative or a fractional number is not one.",
            "derived",
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
            "The page says of attempt: “Use this along with `object.process = true` to guarantee a separate "
            "Assessment Result is written to OneRoster for the same user on the same activity.” Without "
            "`object.process = true`, an attempt changes nothing.",
            "prose",
            breach=Breach("activity", (("/data/0/generated/attempt", 2),), "/data/0/generated/attempt"),
        ),
        Rule(
            "timeback.activity-metric.type",
            "error",
            "activity metric type is not supported",
            '“The allowed types are: "totalQuestions", "correctQuestions", "xpEarned", and "masteredUnits".” '
            "No other metric is counted.",
            "prose",
            breach=Breach("activity", (("/data/0/generated/items/2/type", "xp"),), "/data/0/generated/items/2/type"),
            fix=_allowed_value(
                Breach("activity", (("/data/0/generated/items/2/type", "XPEarned"),), "/data/0/generated/items/2/type")
            ),
        ),
        Rule(
            "timeback.activity-metric.value",
            "error",
            "activity metric value is not a number",
            "Each metric is “an object with type and value.”, and the values are counts and XP, which the "
            "page corrects with negative numbers (“you can send a new event with -5 XP”): a number. Booleans "
            "and numeric strings are not numbers; decimal and negative XP are allowed.",
            "derived",
            breach=Breach("activity", (("/data/0/generated/items/2/value", "100"),), "/data/0/generated/items/2/value"),
        ),
        Rule(
            "timeback.activity-metric.count",
            "warning",
            "question or unit count is negative or fractional",
            "totalQuestions, correctQuestions and masteredUnits count things: they are whole numbers >= 0. "
            "(xpEarned may be decimal or negative.)",
            "derived",
            breach=Breach("activity", (("/data/0/generated/items/3/value", 1.5),), "/data/0/generated/items/3/value"),
        ),
        Rule(
            "timeback.activity-metric.correct-exceeds-total",
            "error",
            "correctQuestions is greater than totalQuestions",
            "correctQuestions counts some of the questions totalQuestions counts, so it cannot be the greater "
            "in one collection.",
            "derived",
            breach=Breach("activity", (("/data/0/generated/items/1/value", 11),), "/data/0/generated/items/1/value"),
        ),
        Rule(
            "timeback.time-metric.type",
            "error",
            "time metric type is not supported",
            "A time metric's type is “One of the following: active, inactive, waste, unknown, anti-pattern.” "
            "No other is counted.",
            "prose",
            breach=Breach(
                "time-spent", (("/data/0/generated/items/0/type", "idle"),), "/data/0/generated/items/0/type"
            ),
            fix=_allowed_value(
                Breach("time-spent", (("/data/0/generated/items/0/type", "Active"),), "/data/0/generated/items/0/type")
            ),
        ),
        Rule(
            "timeback.time-metric.value",
            "error",
            "time metric value is not a number of seconds >= 0",
            "The page says “**value**: (number _required_) time in seconds.”, and a time spent is never "
            "negative: a number, zero or more.",
            "derived",
            breach=Breach("time-spent", (("/data/0/generated/items/0/value", -10),), "/data/0/generated/items/0/value"),
        ),
        Rule(
            "timeback.time-metric.over-a-day",
            "warning",
            "one time metric is over 86,400 seconds",
            "“All the values in the `generated.items` should be in seconds.” A single time metric above one "
            "day is almost always milliseconds sent as seconds.",
            "derived",
            breach=Breach(
                "time-spent", (("/data/0/generated/items/0/value", 90000),), "/data/0/generated/items/0/value"
            ),
        ),
        Rule(
            "timeback.metric.duplicate",
            "warning",
            "the same metric appears twice in one collection",
            "An activity collection should name each metric type once, and a time collection each (type, "
            "subType) pair once; otherwise which value counts is unclear.",
            "derived",
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
