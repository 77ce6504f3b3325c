"""Labelled invalid envelopes: a valid envelope, minimally broken, and the rule it now breaks.

Each rule has a *breaker*: it draws a valid envelope from the valid strategies,
picks the item to break, and makes one small edit of a kind the catalogue's
``Breach`` describes (a key removed, a value of the wrong type, a near-miss
enum value, a bad format, an unknown property...).  The label is true by
construction for every draw, so it stays true while Hypothesis shrinks: the
edit is computed from the drawn values, never checked and retried.

What ``validate(case.envelope)`` reports is exactly ``case.rule`` at
``case.path`` (once), with one exception: ``openapi.pattern`` can only be
broken on a generic Caliper event, which also carries its
``caliper.non-timeback-profile`` warning.
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import json
import math
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from caliper_contract._jsonvalue import MAX_DEPTH
from caliper_contract.errors import UnknownRuleError
from caliper_contract.pointers import pointer
from caliper_contract.rules import RULES, check_rule_ids
from caliper_contract.strategies import _fields as fields
from caliper_contract.strategies import _timeback as timeback
from caliper_contract.strategies import _values as values
from caliper_contract.strategies import vocabulary


@dataclass(frozen=True)
class InvalidEnvelope:
    """A payload that breaks one rule, where the break shows, and how it was made.

    ``envelope`` is a dict, except for the JSON-text rules (``json.syntax``,
    ``json.duplicate-key``), whose payload can only exist as text: there it is
    the JSON text (a ``str``) as a sender would POST it.
    """

    rule: str
    path: str
    mutation: str
    envelope: Any

    @property
    def severity(self) -> Literal["error", "warning"]:
        return RULES[self.rule].severity


def invalid_envelopes(
    rules: Iterable[str] | None = None, *, severity: Literal["error", "warning"] | None = None
) -> st.SearchStrategy[InvalidEnvelope]:
    """Envelopes that break one catalogue rule each, labelled with the rule and the JSON Pointer.

    ``rules`` picks the rule ids (default: every rule a payload can break);
    ``severity="error"`` keeps the rules a receiver must reject, ``"warning"``
    those it must accept with a warning.  Examples shrink towards the first
    rule of the catalogue and the simplest breach of it.
    """
    selected = _select(rules, severity)
    # The envelopes breaches start from are built now, once, not in the first
    # draws (which Hypothesis's too_slow health check times).
    _bases()
    _generic()
    return _cases(st.sampled_from(tuple((rule, _BREAKERS[rule]) for rule in selected)))


def _select(rules: Iterable[str] | None, severity: str | None) -> tuple[str, ...]:
    if severity not in (None, "error", "warning"):
        raise InvalidArgument(f"severity={severity!r} must be 'error', 'warning' or None")
    if rules is None:
        chosen = set(_BREAKERS)
    else:
        try:
            chosen = set(check_rule_ids(rules))
        except UnknownRuleError as error:
            raise InvalidArgument(str(error)) from None
        unbreakable = sorted(chosen - set(_BREAKERS))
        if unbreakable:
            raise InvalidArgument(f"{unbreakable[0]} cannot be broken by a payload under the default contract")
    selected = tuple(
        rule for rule in RULES if rule in chosen and (severity is None or RULES[rule].severity == severity)
    )
    if not selected:
        raise InvalidArgument(f"no rule to break: rules={rules!r} has no rule of severity {severity!r}")
    return selected


@st.composite
def _cases(draw: st.DrawFn, breakers: st.SearchStrategy[tuple[str, _Breaker]]) -> InvalidEnvelope:
    rule, breaker = draw(breakers)
    payload, path, mutation = breaker(draw)
    return InvalidEnvelope(rule=rule, path=path, mutation=mutation, envelope=payload)


# -- the valid envelopes breaches start from --------------------------------------------

_Breach = tuple[Any, str, str]  # (payload, path, what was done)
_Breaker = Callable[[st.DrawFn], _Breach]
_INDEXES = st.integers(0, 2)  # taken modulo the number of candidates: shrinks to the first
_BOOLEANS = st.booleans()


@lru_cache(maxsize=1)
def _bases() -> dict[str, st.SearchStrategy[dict[str, Any]]]:
    return {
        "timeback": timeback.envelopes(),
        "activity": timeback.envelopes(events=timeback.activity_events()),
        "time-spent": timeback.envelopes(events=timeback.time_spent_events()),
        "two": timeback.envelopes(min_events=2),
    }


@lru_cache(maxsize=1)
def _generic() -> dict[str, st.SearchStrategy[dict[str, Any]]]:
    from caliper_contract.strategies._caliper import caliper_entities, caliper_events

    return {"event": caliper_events(), "entity": caliper_entities()}


@dataclass(frozen=True)
class _Scene:
    """A freshly drawn valid envelope and the index of the item to break."""

    envelope: dict[str, Any]
    index: int

    @property
    def item(self) -> dict[str, Any]:
        item: dict[str, Any] = self.envelope["data"][self.index]
        return item

    def path(self, *tokens: object) -> str:
        return pointer(("data", self.index, *tokens))


def _scene(draw: st.DrawFn, base: str = "timeback") -> _Scene:
    envelope = draw(_bases()[base])
    return _Scene(envelope, draw(_INDEXES) % len(envelope["data"]))


def _scene_with(draw: st.DrawFn, generic: str) -> _Scene:
    """A Timeback envelope with a generic Caliper event or entity inserted; the scene's item is that one."""
    envelope = draw(_bases()["timeback"])
    index = draw(_INDEXES) % (len(envelope["data"]) + 1)
    item = draw(_generic()[generic])
    taken = {other.get("id") for other in envelope["data"]}
    if item["id"] in taken:  # both drawn from small numbers: give the generic one an id of its own
        item["id"] = next(_urn(number) for number in range(1, len(taken) + 2) if _urn(number) not in taken)
    envelope["data"].insert(index, item)
    return _Scene(envelope, index)


def _urn(number: int) -> str:
    return f"urn:uuid:{uuid.UUID(int=number, version=4)}"


def _choose(draw: st.DrawFn, options: tuple[Any, ...]) -> Any:
    """One of ``options``, shrinking to the first.  (``st.integers`` strategies are cached by
    Hypothesis, so this builds nothing per draw, unlike ``sampled_from`` of unhashable options.)"""
    return options[draw(st.integers(0, len(options) - 1))]


def _metric_index(draw: st.DrawFn, scene: _Scene) -> int:
    return draw(_INDEXES) % len(scene.item["generated"]["items"])


def _fresh_key(draw: st.DrawFn, names: tuple[str, ...], taken: Iterable[str]) -> str:
    free = tuple(name for name in names if name not in set(taken))
    key: str = _choose(draw, free)
    return key


# -- JSON ------------------------------------------------------------------------------------


def _text(draw: st.DrawFn, envelope: Any) -> str:
    return json.dumps(envelope, ensure_ascii=False, indent=2 if draw(_BOOLEANS) else None)


def _json_syntax(draw: st.DrawFn) -> _Breach:
    envelope = draw(_bases()["timeback"])
    text = _text(draw, envelope)
    how = _choose(draw, ("trailing comma", "truncated", "single quotes", "comment", "two envelopes"))
    if how == "trailing comma":
        broken = text[:-1].rstrip() + ",}"
    elif how == "truncated":
        broken = text[: len(text) - 1 - draw(st.integers(0, 10_000)) % len(text)]
    elif how == "single quotes":
        broken = text.replace('"', "'")
    elif how == "comment":
        broken = "// sent by the app\n" + text
    else:
        broken = text + "\n" + text
    return broken, "", f"JSON text with {how}"


_DUPLICATE_MARKER = "\x00caliper-contract duplicate key\x00"


def _json_duplicate_key(draw: st.DrawFn) -> _Breach:
    scene = _scene(draw)
    where = _choose(draw, ((), ("data", scene.index), ("data", scene.index, "actor"), ("data", scene.index, "object")))
    target: dict[str, Any] = _at(scene.envelope, where)
    key = _choose(draw, tuple(target))
    value = target[key] if draw(_BOOLEANS) else _other_value(target[key])
    if where:
        _at(scene.envelope, where[:-1])[where[-1]] = _DUPLICATE_MARKER
    inner = json.dumps(target, ensure_ascii=False)
    duplicated = "{" + json.dumps(key) + ": " + json.dumps(value, ensure_ascii=False) + ", " + inner[1:]
    text = json.dumps(scene.envelope, ensure_ascii=False).replace(json.dumps(_DUPLICATE_MARKER), duplicated, 1)
    return (duplicated if not where else text), "", f"key {key!r} twice in the object at {pointer(where) or '(root)'}"


def _other_value(value: Any) -> Any:
    return "something else" if value != "something else" else "another thing"


_NOT_JSON: tuple[tuple[str, Any], ...] = (
    ("NaN", float("nan")),
    ("Infinity", math.inf),
    ("-Infinity", -math.inf),
    ("a tuple", (1, 2)),
    ("bytes", b"\x00\x01"),
    ("a Decimal", decimal.Decimal("0.1")),
    ("a datetime", dt.datetime(2024, 4, 24, 14, 12)),
    ("a set", {"a"}),
)


def _json_value(draw: st.DrawFn) -> _Breach:
    scene = _scene(draw)
    event = scene.item
    how = _choose(draw, ("value", "key", "surrogate"))
    if how == "surrogate":
        event["object"]["app"]["name"] = "PowerPath \ud800"
        return scene.envelope, scene.path("object", "app", "name"), "a lone surrogate in a string"
    extensions = event.setdefault("extensions", {})
    if how == "key":
        extensions[1] = "one"
        return scene.envelope, scene.path("extensions"), "a non-string object key"
    name, value = _choose(draw, _NOT_JSON)
    key = _fresh_key(draw, ("score", "ratio", "value"), extensions)
    extensions[key] = value
    return scene.envelope, scene.path("extensions", key), f"{name} as a value"


def _json_too_deep(draw: st.DrawFn) -> _Breach:
    scene = _scene(draw)
    location = ("data", scene.index, "extensions") if draw(_BOOLEANS) else ("data", scene.index, "object", "extensions")
    levels = MAX_DEPTH + 1 - len(location) + draw(st.integers(0, 40))
    key = _choose(draw, (None, "child"))  # None: nested lists, else nested objects under this key
    value: Any = [] if key is None else {}
    for _ in range(levels - 1):
        value = [value] if key is None else {key: value}
    _at(scene.envelope, location[:-1])[location[-1]] = value
    step = "0" if key is None else key
    return scene.envelope, pointer((*location, *[step] * (MAX_DEPTH - len(location)))), f"{levels} nested levels"


def _at(node: Any, tokens: Iterable[object]) -> Any:
    for token in tokens:
        node = node[token]
    return node


# -- the OpenAPI schema ----------------------------------------------------------------------

_ENVELOPE_KEYS = ("sensor", "sendTime", "dataVersion", "data")
_EVENT_KEYS = ("id", "type", "actor", "action", "object", "eventTime", "profile")


def _openapi_required(draw: st.DrawFn) -> _Breach:
    where = _choose(draw, ("envelope", "event", "entity"))
    if where == "envelope":
        envelope = draw(_bases()["timeback"])
        key = _choose(draw, _ENVELOPE_KEYS)
        del envelope[key]
        return envelope, "", f"removed {key!r} from the envelope"
    scene = _scene(draw) if where == "event" else _scene_with(draw, "entity")
    # A Timeback event without its profile breaks timeback.profile instead.
    key = _choose(draw, tuple(key for key in _EVENT_KEYS if key != "profile") if where == "event" else ("id", "type"))
    del scene.item[key]
    generated = scene.item.get("generated")
    if key == "object" and isinstance(generated, dict):
        # Without an object there is no `process: true`, which an attempt needs.
        generated.pop("attempt", None)
    return scene.envelope, scene.path(), f"removed {key!r} from an {where}"


_WRONG_SENSORS = ({"id": "https://alpharead.alpha.school"}, 42, True, None, ["https://alpharead.alpha.school"])
_WRONG_SEND_TIMES = (1713967925000, 1713967925.5, True, None, ["2024-04-24T14:12:05.000Z"])
_WRONG_EVENT_TIMES = (1713967920000, 1713967920.25, False, ["2024-04-24T14:12:00.000Z"])
_WRONG_OBJECTS = ("customValue", ["customValue"], 7, True)
_WRONG_STRINGS = (42, 4.5, True, ["a name"], {"text": "a name"})
_WRONG_ARRAYS = ("https://example.edu/ids/1", {"id": "https://example.edu/ids/1"}, 1, True)


def _openapi_type(draw: st.DrawFn) -> _Breach:
    where = _choose(draw, ("sensor", "sendTime", "data", "eventTime", "extensions", "entity"))
    if where in ("sensor", "sendTime", "data"):
        envelope = draw(_bases()["timeback"])
        options = {"sensor": _WRONG_SENSORS, "sendTime": _WRONG_SEND_TIMES, "data": (envelope["data"][0], None, 1)}
        envelope[where] = copy.deepcopy(_choose(draw, options[where]))
        return envelope, f"/{where}", f"{where} of the wrong JSON type"
    if where in ("eventTime", "extensions"):
        scene = _scene(draw)
        scene.item[where] = _choose(draw, _WRONG_EVENT_TIMES if where == "eventTime" else _WRONG_OBJECTS)
        return scene.envelope, scene.path(where), f"an event's {where} of the wrong JSON type"
    scene = _scene_with(draw, "entity")
    key = _choose(draw, ("name", "description", "extensions", "otherIdentifiers"))
    wrong = {"extensions": _WRONG_OBJECTS, "otherIdentifiers": _WRONG_ARRAYS}.get(key, _WRONG_STRINGS)
    scene.item[key] = copy.deepcopy(_choose(draw, wrong))
    return scene.envelope, scene.path(key), f"an entity's {key} of the wrong JSON type"


def _bad_times(moment: dt.datetime) -> tuple[str, ...]:
    """Common ways of writing a time that are not RFC 3339."""
    return (
        moment.strftime("%Y-%m-%dT%H:%M:%S.000"),  # no offset
        moment.strftime("%Y-%m-%d %H:%M:%S"),
        moment.strftime("%Y-%m-%d"),
        str(int(moment.replace(tzinfo=dt.timezone.utc).timestamp() * 1000)),
        moment.strftime("%a, %d %b %Y %H:%M:%S GMT"),
        "yesterday",
    )


_BAD_URIS = (
    "alpharead.alpha.school",
    "https://alpha read.school",
    "",
    "/sensors/1",
    "https://alpharead.alpha.school/<app>",
)


def _openapi_format(draw: st.DrawFn) -> _Breach:
    where = _choose(draw, ("sendTime", "sensor", "eventTime", "@context", "entity id", "entity dateCreated"))
    if where in ("sendTime", "sensor"):
        envelope = draw(_bases()["timeback"])
        options = _bad_times(values.draw_moment(draw)) if where == "sendTime" else _BAD_URIS
        envelope[where] = _choose(draw, options)
        return envelope, f"/{where}", f"{where} not in its format"
    if where in ("eventTime", "@context"):
        scene = _scene(draw)
        bad = _bad_times(values.draw_moment(draw)) if where == "eventTime" else ("purl.imsglobal.org/ctx/caliper/v1p2",)
        scene.item[where] = _choose(draw, bad)
        return scene.envelope, scene.path(where), f"an event's {where} not in its format"
    scene = _scene_with(draw, "entity")
    key = where.split()[1]
    scene.item[key] = _choose(draw, _BAD_URIS if key == "id" else _bad_times(values.draw_moment(draw)))
    return scene.envelope, scene.path(key), f"an entity's {key} not in its format"


_DATA_VERSIONS = (
    "http://purl.imsglobal.org/ctx/caliper/v1p1",
    "https://purl.imsglobal.org/ctx/caliper/v1p2",
    "http://purl.imsglobal.org/ctx/caliper/v1p2/",
    "v1p2",
    "1.2",
)


def _openapi_const(draw: st.DrawFn) -> _Breach:
    envelope = draw(_bases()["timeback"])
    envelope["dataVersion"] = _choose(draw, _DATA_VERSIONS)
    return envelope, "/dataVersion", "dataVersion is not Caliper 1.2's"


_PROFILES = ("TimebackProfil", "timebackprofile", "Timeback", "TimeBackProfile", "TimebackProfile ", "Timeback Profile")


def _openapi_enum(draw: st.DrawFn) -> _Breach:
    # On a generic Caliper event: a Timeback event's wrong profile breaks timeback.profile.
    scene = _scene_with(draw, "event")
    own = scene.item["profile"]
    scene.item["profile"] = _choose(draw, (own.lower(), own.removesuffix("Profile"), *_PROFILES))
    return scene.envelope, scene.path("profile"), "a profile that is not a Caliper profile"


def _openapi_pattern(draw: st.DrawFn) -> _Breach:
    scene = _scene_with(draw, "event")
    bare = scene.item["id"].removeprefix("urn:uuid:")
    scene.item["id"] = _choose(draw, (bare, f"uuid:{bare}", f"URN:UUID:{bare}", f"urn:uuid{bare}"))
    return scene.envelope, scene.path("id"), "an event id without urn:uuid:"


_EVENT_TYPOS = ("evenTime", "event_time", "timestamp", "verb", "actorId", "edapp", "sendTime", "context", "@type")
_ENTITY_EXTRAS = ("title", "url", "isPartOf", "version", "creators", "dateUpdated")


def _openapi_additional_properties(draw: st.DrawFn) -> _Breach:
    if draw(_BOOLEANS):
        scene = _scene_with(draw, "entity")
        key = _choose(draw, _ENTITY_EXTRAS)
    else:
        scene = _scene(draw)
        key = _choose(draw, _EVENT_TYPOS)
    scene.item[key] = "2024-04-24T14:12:00.000Z" if "ime" in key else "value"
    return scene.envelope, scene.path(key), f"property {key!r} the schema does not allow"


def _openapi_min_items(draw: st.DrawFn) -> _Breach:
    envelope = draw(_bases()["timeback"])
    envelope["data"] = []
    return envelope, "/data", "an empty data array"


# -- the envelope ------------------------------------------------------------------------------


def _duplicate_event_id(draw: st.DrawFn) -> _Breach:
    envelope = draw(_bases()["two"])
    later = 1 + draw(_INDEXES) % (len(envelope["data"]) - 1)
    earlier = draw(_INDEXES) % later
    if draw(_BOOLEANS):
        envelope["data"][later] = copy.deepcopy(envelope["data"][earlier])
        how = "the same event twice"
    else:
        envelope["data"][later]["id"] = envelope["data"][earlier]["id"]
        how = "two events with one id"
    return envelope, pointer(("data", later, "id")), how


def _send_time_utc(draw: st.DrawFn) -> _Breach:
    envelope = draw(_bases()["timeback"])
    envelope["sendTime"] = values.draw_time(draw, values.NON_UTC_STYLES)
    return envelope, "/sendTime", "sendTime with a non-UTC offset"


def _non_timeback_profile(draw: st.DrawFn) -> _Breach:
    # A Timeback event under another Caliper profile breaks timeback.profile instead.
    scene = _scene_with(draw, "event")
    return scene.envelope, scene.path("profile"), "a generic Caliper event"


_OTHER_PROFILES = tuple(dict.fromkeys(term.profile for term in vocabulary.EVENTS))


def _profile(draw: st.DrawFn) -> _Breach:
    scene = _scene(draw)
    how = _choose(draw, ("another", "misspelled", "missing"))
    if how == "missing":
        del scene.item["profile"]
        return scene.envelope, scene.path(), "a Timeback event without a profile"
    scene.item["profile"] = _choose(draw, _OTHER_PROFILES if how == "another" else _PROFILES)
    return scene.envelope, scene.path("profile"), f"a Timeback event with {how} profile"


# -- the Timeback profile ----------------------------------------------------------------------

_EVENT_TYPES = (
    *dict.fromkeys(term.type for term in vocabulary.EVENTS),
    "activityEvent",
    "Activity",
    "TimeSpent",
    "TimeSpentEvents",
)


def _event_type(draw: st.DrawFn) -> _Breach:
    scene = _scene(draw)
    scene.item["type"] = _choose(draw, _EVENT_TYPES)
    return scene.envelope, scene.path("type"), "an event type the Timeback profile does not have"


_WRONG_ACTIONS = {
    "ActivityEvent": ("SpentTime", "Submitted", "completed", "Complete", "Viewed"),
    "TimeSpentEvent": ("Completed", "Spent", "spentTime", "TimeSpent", "Viewed"),
}


def _event_action(draw: st.DrawFn) -> _Breach:
    scene = _scene(draw)
    scene.item["action"] = _choose(draw, _WRONG_ACTIONS[scene.item["type"]])
    return scene.envelope, scene.path("action"), f"an action a {scene.item['type']} cannot have"


def _event_id(draw: st.DrawFn) -> _Breach:
    scene = _scene(draw)
    number = scene.item["id"].removeprefix("urn:uuid:")
    bad = (
        "urn:uuid:1234",
        "urn:uuid:" + number.replace("-", ""),
        "urn:uuid:" + number[:-1],
        "urn:uuid:" + number[:19] + "7" + number[20:],  # not the RFC 4122 variant
        "urn:uuid:" + number[:14] + "0" + number[15:],  # version 0
        "URN:UUID:" + number,
        "urn:uuid:{" + number + "}",
    )
    scene.item["id"] = _choose(draw, bad)
    return scene.envelope, scene.path("id"), "an event id that is not urn:uuid: and an RFC 4122 UUID"


def _actor(draw: st.DrawFn) -> _Breach:
    scene = _scene(draw)
    actor = scene.item["actor"]
    how = _choose(draw, ("bare URI", "type", "no type"))
    if how == "bare URI":
        scene.item["actor"] = actor["id"]
        return scene.envelope, scene.path("actor"), "actor as a bare URI"
    if how == "type":
        actor["type"] = _choose(draw, ("Person", "User", "TimeBackUser", "timebackuser", "Student"))
        return scene.envelope, scene.path("actor", "type"), "an actor type other than TimebackUser"
    del actor["type"]
    return scene.envelope, scene.path("actor"), "an actor without a type"


def _actor_id(draw: st.DrawFn) -> _Breach:
    scene = _scene(draw)
    actor = scene.item["actor"]
    how = _choose(draw, ("placeholder", "space", "missing", "number"))
    users = f"https://api.alpha-1edtech.ai{values.ONEROSTER_PATH}/users/"
    if how == "missing":
        del actor["id"]
        return scene.envelope, scene.path("actor"), "an actor without an id"
    actor["id"] = {"placeholder": users + "<userId>", "space": users + "ada lovelace", "number": 42}[how]
    return scene.envelope, scene.path("actor", "id"), f"actor.id: {how}"


def _actor_email(draw: st.DrawFn) -> _Breach:
    scene = _scene(draw)
    actor = scene.item["actor"]
    if draw(_BOOLEANS):
        del actor["email"]
        return scene.envelope, scene.path("actor"), "an actor without an email"
    local, _, domain = actor["email"].rpartition("@")
    actor["email"] = _choose(
        draw, (f"{local}.{domain}", f"{local}@", f"@{domain}", f"{local}@localhost", f"{local} x@{domain}", "")
    )
    return scene.envelope, scene.path("actor", "email"), "actor.email that is not an email address"


def _actor_oneroster_id(draw: st.DrawFn) -> _Breach:
    scene = _scene(draw)
    sourced_id = scene.item["actor"]["id"].rsplit("/", 1)[-1]
    scene.item["actor"]["id"] = _choose(
        draw,
        (
            f"https://app.example.com/students/{sourced_id}",
            f"https://api.alpha-1edtech.ai{values.ONEROSTER_PATH}/courses/{sourced_id}",
            f"https://api.alpha-1edtech.ai/ims/oneroster/rostering/v1p1/users/{sourced_id}",
            f"urn:uuid:{values.draw_uuid(draw)}",
        ),
    )
    return scene.envelope, scene.path("actor", "id"), "actor.id that is a URI but not a OneRoster users URL"


def _object(draw: st.DrawFn) -> _Breach:
    scene = _scene(draw)
    context = scene.item["object"]
    # Without the object, an attempt would lose its object.process and add a warning.
    how = _choose(
        draw, ("type", "no type") if "attempt" in scene.item["generated"] else ("bare URI", "type", "no type")
    )
    if how == "bare URI":
        scene.item["object"] = context["id"]
        return scene.envelope, scene.path("object"), "object as a bare URI"
    if how == "type":
        context["type"] = _choose(draw, ("DigitalResource", "AssignableDigitalResource", "ActivityContext"))
        return scene.envelope, scene.path("object", "type"), "an object type other than TimebackActivityContext"
    del context["type"]
    return scene.envelope, scene.path("object"), "an object without a type"


def _object_id(draw: st.DrawFn) -> _Breach:
    scene = _scene(draw)
    context = scene.item["object"]
    if draw(_BOOLEANS):
        del context["id"]
        return scene.envelope, scene.path("object"), "an object without an id"
    context["id"] = _choose(
        draw,
        (
            "lesson 7",
            "lessons/7",
            f"https://api.alpha-1edtech.ai{values.ONEROSTER_PATH}/courses/component-resources/<sourcedId>",
            7,
        ),
    )
    return scene.envelope, scene.path("object", "id"), "object.id that is not an absolute URI"


_SUBJECTS = ("Maths", "math", "reading", "English", "ELA", "Social studies", "Social-Studies", "Mathematics", "", 3)


def _object_subject(draw: st.DrawFn) -> _Breach:
    scene = _scene(draw)
    if draw(_BOOLEANS):
        del scene.item["object"]["subject"]
        return scene.envelope, scene.path("object"), "an object without a subject"
    scene.item["object"]["subject"] = _choose(draw, _SUBJECTS)
    return scene.envelope, scene.path("object", "subject"), "a subject the Timeback profile does not have"


def _object_subject_other(draw: st.DrawFn) -> _Breach:
    scene = _scene(draw)
    scene.item["object"]["subject"] = values.OTHER_SUBJECT
    return scene.envelope, scene.path("object", "subject"), 'subject "Other"'


def _object_app(draw: st.DrawFn) -> _Breach:
    scene = _scene(draw)
    del scene.item["object"]["app"]
    return scene.envelope, scene.path("object"), "an object without app"


def _object_course(draw: st.DrawFn) -> _Breach:
    scene = _scene(draw, "activity")
    context = scene.item["object"]
    how = _choose(draw, ("missing", "no id", "not OneRoster"))
    if how == "missing":
        del context["course"]
        return scene.envelope, scene.path("object"), "an ActivityEvent without a course"
    if how == "no id":
        del context["course"]["id"]
        return scene.envelope, scene.path("object", "course"), "a course without an id"
    context["course"]["id"] = _choose(
        draw,
        (
            "https://app.example.com/courses/7",
            f"https://api.alpha-1edtech.ai{values.ONEROSTER_PATH}/courses/<course-id>/",
            "https://api.alpha-1edtech.ai/ims/oneroster/rostering/v1p1/courses/7",
            "Reading G3",
        ),
    )
    return scene.envelope, scene.path("object", "course", "id"), "course.id that is not a OneRoster courses URL"


def _property_type(draw: st.DrawFn) -> _Breach:
    scene = _scene(draw)
    event = scene.item
    context, generated = event["object"], event["generated"]
    targets: list[tuple[tuple[str | int, ...], Any]] = [
        (("object", "app"), context["app"].get("name", "PowerPath UI")),
        (("object", "app", "name"), 7),
        (("object", "course"), context.get("course", {}).get("id", "https://example.com/courses/7")),
        (("object", "activity"), "Answered quiz"),
        (("object", "extensions"), "custom"),
        (("actor", "name"), 42),
        (("generated", "id"), 1),
        (("generated", "items"), {"type": "xpEarned", "value": 10}),
        (("generated", "items", _metric_index(draw, scene)), "xpEarned"),
    ]
    if "attempt" not in generated:  # process that is not true would add attempt-without-process
        targets.insert(0, (("object", "process"), _choose(draw, ("false", "true", 0, 1))))
    tokens, value = _choose(draw, tuple(targets))
    _at(event, tokens[:-1])[tokens[-1]] = value
    return scene.envelope, scene.path(*tokens), f"{'.'.join(map(str, tokens))} of the wrong JSON type"


def _null(draw: st.DrawFn) -> _Breach:
    scene = _scene(draw)
    event = scene.item
    index = _metric_index(draw, scene)
    targets: tuple[tuple[str | int, ...], ...] = (
        ("object", "app", "name"),
        ("actor", "email"),
        ("object", "subject"),
        ("eventTime",),
        ("actor",),
        ("generated",),
        ("generated", "items", index, "value"),
        ("generated", "items", index),
        ("extensions", "note"),
    )
    if "attempt" not in event["generated"]:  # a null object would take object.process with it
        targets = (*targets, ("object",))
    tokens: tuple[str | int, ...] = _choose(draw, targets)
    if tokens[0] == "extensions":
        event.setdefault("extensions", {})
    _at(event, tokens[:-1])[tokens[-1]] = None
    return scene.envelope, scene.path(*tokens), "an explicit null"


# Each far from every property the profile documents for its object, or a near miss of
# one that is always there ("Email", "subjects", "subType" beside an activity metric's
# type): a near miss of an absent one breaks timeback.misnamed-property.
_UNKNOWN_KEYS: dict[tuple[str, ...], tuple[str, ...]] = {
    ("actor",): ("userId", "Email", "grade", "sourcedId"),
    ("object",): ("lesson", "lessonId", "subjects", "url"),
    ("object", "app"): ("version", "url"),
    ("generated",): ("score", "duration"),
}


def _unknown_property(draw: st.DrawFn) -> _Breach:
    scene = _scene(draw)
    event = scene.item
    where: tuple[str | int, ...] = _choose(draw, (*_UNKNOWN_KEYS, ("generated", "items")))
    names: tuple[str, ...]
    if where == ("generated", "items"):
        where = ("generated", "items", _metric_index(draw, scene))
        names = ("seconds", "note") if event["type"] == "TimeSpentEvent" else ("subType", "unit")
    else:
        names = _UNKNOWN_KEYS[tuple(map(str, where))]
    key = _choose(draw, names)
    _at(event, where)[key] = "value"
    return scene.envelope, scene.path(*where, key), f"property {key!r} unknown to the Timeback profile"


#: Documented properties a sender may misname, where they are, and the names they come as.
_MISNAMED: dict[tuple[str, ...], dict[str, tuple[str, ...]]] = {
    ("actor",): {"email": ("Email", "e_mail", "EMail")},
    ("object",): {"subject": ("Subject", "subjects"), "app": ("App", "apps")},
    ("object", "app"): {"name": ("Name", "app_name")},
    ("generated",): {"items": ("Items", "item")},
}
_TIME_METRIC_NAMES = {
    "subType": ("sub_type", "SubType", "subtype", "sub-type"),
    "startDate": ("start_date", "StartDate"),
    "endDate": ("end_date", "enddate"),
}


def _misnamed_property(draw: st.DrawFn) -> _Breach:
    """A documented property under a near-miss name: renamed if it is there, else added so."""
    scene = _scene(draw)
    event = scene.item
    if event["type"] == "TimeSpentEvent" and draw(_BOOLEANS):
        where: tuple[str | int, ...] = ("generated", "items", _metric_index(draw, scene))
        names = _TIME_METRIC_NAMES
    else:
        where = _choose(draw, tuple(_MISNAMED))
        names = _MISNAMED[tuple(map(str, where))]
    holder = _at(event, where)
    documented = _choose(draw, tuple(names))
    key = _choose(draw, names[documented])
    holder[key] = holder.pop(documented) if documented in holder else _absent_value(documented)
    return scene.envelope, scene.path(*where, key), f"{documented!r} sent as {key!r}"


def _absent_value(name: str) -> str:
    """A value for a time metric's absent optional property."""
    return "eating" if name == "subType" else "2024-04-24T14:12:00.000Z"


def _generated(draw: st.DrawFn) -> _Breach:
    scene = _scene(draw)
    event = scene.item
    how = _choose(draw, ("type", "missing", "bare URI", "no id", "no type", "no items"))
    if how == "type":
        kind = event["generated"]["type"]
        event["generated"]["type"] = _choose(
            draw, (kind.replace("Metrics", "Metric"), kind.removeprefix("Timeback"), "MetricsCollection")
        )
        return scene.envelope, scene.path("generated", "type"), "a collection type other than this event type's"
    if how == "missing":
        del event["generated"]
        return scene.envelope, scene.path(), "an event without generated"
    if how == "bare URI":
        event["generated"] = event["generated"]["id"]
        return scene.envelope, scene.path("generated"), "generated as a bare id"
    del event["generated"][how.split()[1]]
    return scene.envelope, scene.path("generated"), f"a collection with {how}"


def _items_empty(draw: st.DrawFn) -> _Breach:
    scene = _scene(draw)
    scene.item["generated"]["items"] = []
    return scene.envelope, scene.path("generated", "items"), "no metrics"


def _attempt(draw: st.DrawFn) -> _Breach:
    scene = _scene(draw, "activity")
    scene.item["object"]["process"] = True
    scene.item["generated"]["attempt"] = _choose(draw, (0, -1, 1.5, "1", True))
    return scene.envelope, scene.path("generated", "attempt"), "attempt that is not an integer >= 1"


def _attempt_without_process(draw: st.DrawFn) -> _Breach:
    scene = _scene(draw, "activity")
    context = scene.item["object"]
    if context.get("process") is True:
        context["process"] = False
    scene.item["generated"]["attempt"] = draw(st.integers(1, 5))
    return scene.envelope, scene.path("generated", "attempt"), "attempt without object.process = true"


# Near misses only: a time metric's name would make the item a time metric to the checker.
_ACTIVITY_METRIC_TYPES = ("xp", "XP", "xpearned", "totalquestions", "questions", "score")


def _break_metric(
    draw: st.DrawFn,
    kind: str,
    key: str,
    near_misses: Callable[[dict[str, Any]], tuple[Any, ...]],
    words: tuple[str, str],
) -> _Breach:
    """A metric of a ``kind`` collection without ``key``, or with a near miss of it; ``words`` say which."""
    scene = _scene(draw, kind)
    index = _metric_index(draw, scene)
    metric = scene.item["generated"]["items"][index]
    if draw(_BOOLEANS):
        del metric[key]
        return scene.envelope, scene.path("generated", "items", index), words[0]
    metric[key] = _choose(draw, near_misses(metric))
    return scene.envelope, scene.path("generated", "items", index, key), words[1]


def _activity_metric_type(draw: st.DrawFn) -> _Breach:
    return _break_metric(
        draw,
        "activity",
        "type",
        lambda metric: _ACTIVITY_METRIC_TYPES,
        ("an activity metric without a type", "an activity metric type that does not exist"),
    )


def _activity_metric_value(draw: st.DrawFn) -> _Breach:
    return _break_metric(
        draw,
        "activity",
        "value",
        lambda metric: (str(metric["value"]), True, [metric["value"]], {"value": metric["value"]}),
        ("a metric without a value", "a metric value that is not a number"),
    )


def _metric(scene: _Scene, name: str, value: Any) -> int:
    """The index of the first metric of this type, appended with ``value`` if there is none."""
    items = scene.item["generated"]["items"]
    for index, item in enumerate(items):
        if item["type"] == name:
            return index
    items.append({"type": name, "value": value})
    return len(items) - 1


def _activity_metric_count(draw: st.DrawFn) -> _Breach:
    scene = _scene(draw, "activity")
    items = scene.item["generated"]["items"]
    present = tuple(item["type"] for item in items if item["type"] in fields.COUNT_METRICS) or ("masteredUnits",)
    name = _choose(draw, present)
    index = _metric(scene, name, 0)
    value = items[index]["value"]
    # Never more correct than total answers, whichever count is made odd.
    items[index]["value"] = {
        "totalQuestions": value + 0.5,
        "correctQuestions": -1 - value,
        "masteredUnits": _choose(draw, (value + 0.5, -1 - value)),
    }[name]
    return scene.envelope, scene.path("generated", "items", index, "value"), f"{name} negative or fractional"


def _correct_exceeds_total(draw: st.DrawFn) -> _Breach:
    scene = _scene(draw, "activity")
    items = scene.item["generated"]["items"]
    total = items[_metric(scene, "totalQuestions", draw(st.integers(0, 20)))]["value"]
    correct = _metric(scene, "correctQuestions", 0)
    items[correct]["value"] = total + draw(st.integers(1, 10))
    return scene.envelope, scene.path("generated", "items", correct, "value"), "more correct answers than questions"


_TIME_METRIC_TYPES = ("idle", "Active", "activeTime", "wasted", "antipattern", "anti_pattern")


def _time_metric_type(draw: st.DrawFn) -> _Breach:
    return _break_metric(
        draw,
        "time-spent",
        "type",
        lambda metric: _TIME_METRIC_TYPES,
        ("a time metric without a type", "a time metric type that does not exist"),
    )


def _time_metric_value(draw: st.DrawFn) -> _Breach:
    return _break_metric(
        draw,
        "time-spent",
        "value",
        lambda metric: (-1 - metric["value"], -0.5, f"{metric['value']}s", str(metric["value"]), True),
        ("a time metric without a value", "seconds that are not a number >= 0"),
    )


def _over_a_day(draw: st.DrawFn) -> _Breach:
    scene = _scene(draw, "time-spent")
    index = _metric_index(draw, scene)
    metric = scene.item["generated"]["items"][index]
    metric["value"] = max(metric["value"] * 1000, values.DAY + 1 + draw(st.integers(0, 10_000)))
    return scene.envelope, scene.path("generated", "items", index, "value"), "milliseconds sent as seconds"


def _metric_duplicate(draw: st.DrawFn) -> _Breach:
    scene = _scene(draw, "activity" if draw(_BOOLEANS) else "time-spent")
    items = scene.item["generated"]["items"]
    items.append(dict(items[_metric_index(draw, scene)]))
    return scene.envelope, scene.path("generated", "items", len(items) - 1), "the same metric twice"


_BREAKERS: dict[str, _Breaker] = {
    "json.syntax": _json_syntax,
    "json.duplicate-key": _json_duplicate_key,
    "json.value": _json_value,
    "json.too-deep": _json_too_deep,
    "openapi.required": _openapi_required,
    "openapi.type": _openapi_type,
    "openapi.format": _openapi_format,
    "openapi.const": _openapi_const,
    "openapi.enum": _openapi_enum,
    "openapi.pattern": _openapi_pattern,
    "openapi.additional-properties": _openapi_additional_properties,
    "openapi.min-items": _openapi_min_items,
    "envelope.duplicate-event-id": _duplicate_event_id,
    "envelope.send-time-utc": _send_time_utc,
    "caliper.non-timeback-profile": _non_timeback_profile,
    "timeback.profile": _profile,
    "timeback.event.type": _event_type,
    "timeback.event.action": _event_action,
    "timeback.event.id": _event_id,
    "timeback.actor": _actor,
    "timeback.actor.id": _actor_id,
    "timeback.actor.email": _actor_email,
    "timeback.actor.oneroster-id": _actor_oneroster_id,
    "timeback.object": _object,
    "timeback.object.id": _object_id,
    "timeback.object.subject": _object_subject,
    "timeback.object.subject-other": _object_subject_other,
    "timeback.object.app": _object_app,
    "timeback.object.course": _object_course,
    "timeback.property-type": _property_type,
    "timeback.null": _null,
    "timeback.misnamed-property": _misnamed_property,
    "timeback.unknown-property": _unknown_property,
    "timeback.generated": _generated,
    "timeback.generated.items-empty": _items_empty,
    "timeback.generated.attempt": _attempt,
    "timeback.generated.attempt-without-process": _attempt_without_process,
    "timeback.activity-metric.type": _activity_metric_type,
    "timeback.activity-metric.value": _activity_metric_value,
    "timeback.activity-metric.count": _activity_metric_count,
    "timeback.activity-metric.correct-exceeds-total": _correct_exceeds_total,
    "timeback.time-metric.type": _time_metric_type,
    "timeback.time-metric.value": _time_metric_value,
    "timeback.time-metric.over-a-day": _over_a_day,
    "timeback.metric.duplicate": _metric_duplicate,
}

#: Every rule a payload can break under the default contract, in catalogue order.
BREAKABLE_RULES: tuple[str, ...] = tuple(rule for rule in RULES if rule in _BREAKERS)
