"""Check stage, Timeback profile: which events it applies to, and the rules a JSON Schema cannot say.

The rest of the profile is data: ``timeback-profile.schema.json``.  Here are
the choice of the events the profile applies to (:func:`judge_profile`), and
the cross-field and cross-event rules, each yielding violations of one
catalogue rule.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any

from caliper_contract._jsonvalue import show
from caliper_contract._nearmiss import closest
from caliper_contract.formats import is_date_time
from caliper_contract.pointers import pointer, resolve_pointer
from caliper_contract.report import Violation
from caliper_contract.rules import RULES

TIMEBACK_PROFILE = "TimebackProfile"
#: Keys only an Event has (the OpenAPI Entity schema forbids them): an envelope
#: item with any of them is judged as an Event, otherwise as an Entity.
EVENT_KEYS = ("action", "eventTime", "profile")
ACTIVITY_EVENT, TIME_SPENT_EVENT = "ActivityEvent", "TimeSpentEvent"
#: The metrics collection of each Timeback event type.
COLLECTIONS: Mapping[str, str] = MappingProxyType(
    {ACTIVITY_EVENT: "TimebackActivityMetricsCollection", TIME_SPENT_EVENT: "TimebackTimeSpentMetricsCollection"}
)
#: An event is Timeback-shaped when one of these places holds one of these types:
#: its own type, its actor's, its object's or its generated collection's.
TIMEBACK_TYPES: Mapping[tuple[str, ...], tuple[str, ...]] = MappingProxyType(
    {
        ("type",): tuple(COLLECTIONS),
        ("actor", "type"): ("TimebackUser",),
        ("object", "type"): ("TimebackActivityContext",),
        ("generated", "type"): tuple(COLLECTIONS.values()),
    }
)
_COUNTED_METRICS = ("totalQuestions", "correctQuestions")
#: How a date-time in UTC ends (a JSON Schema ``pattern`` too: ECMA-262 and Python read it alike).
UTC_OFFSET = re.compile("(?:[Zz]|[+-]00:00)$")


def load_profile_schema() -> dict[str, Any]:
    """The Timeback profile schema document shipped in the package."""
    text = resources.files("caliper_contract").joinpath("timeback-profile.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def is_event(item: Any) -> bool:
    return isinstance(item, dict) and any(key in item for key in EVENT_KEYS)


def static_branch(names: Sequence[str | None], instance: Any) -> int | None:
    """The Caliper decision between Event and Entity branches, made without validating.

    An item with action, eventTime or profile is an Event (the Entity schema
    forbids those keys), any other item an Entity.  ``names`` are the branches'
    schema names (the last token of each ``$ref``).
    """
    if "Event" in names and "Entity" in names:
        return names.index("Event" if is_event(instance) else "Entity")
    return None


def is_timeback_shaped(item: Any) -> bool:
    """Whether an event carries a Timeback type (see :data:`TIMEBACK_TYPES`), whatever its profile says."""
    return is_event(item) and _timeback_type(item) is not None


def _timeback_type(item: dict[str, Any]) -> str | None:
    """The first Timeback type an item carries, in words: ``type "ActivityEvent"``, ``actor.type "TimebackUser"``."""
    for where, types in TIMEBACK_TYPES.items():
        node: Any = item
        for key in where:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, str) and node in types:
            return f"{'.'.join(where)} {show(node)}"
    return None


def timeback_event_schema() -> dict[str, Any]:
    """:func:`judge_profile`'s choice as a JSON Schema: the items the Timeback profile applies to.

    An item whose profile is TimebackProfile, or an event (an item with action,
    eventTime or profile) that carries a Timeback type.
    """
    shaped = [_type_at(where, types) for where, types in TIMEBACK_TYPES.items()]
    return {
        "type": "object",
        "anyOf": [
            {"required": ["profile"], "properties": {"profile": {"const": TIMEBACK_PROFILE}}},
            {"anyOf": [{"required": [key]} for key in EVENT_KEYS], "allOf": [{"anyOf": shaped}]},
        ],
    }


def event_schema() -> dict[str, Any]:
    """:func:`is_event` as a JSON Schema."""
    return {"type": "object", "anyOf": [{"required": [key]} for key in EVENT_KEYS]}


def _type_at(where: tuple[str, ...], types: tuple[str, ...]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "required": ["type"], "properties": {"type": {"enum": list(types)}}}
    for key in reversed(where[:-1]):
        schema = {"type": "object", "required": [key], "properties": {key: schema}}
    return schema


@dataclass(frozen=True)
class ProfileVerdict:
    """What an item's profile means: whether the Timeback checks apply, and what is wrong with the profile.

    ``findings`` pairs each violation with what it is about (its target, see
    :mod:`caliper_contract.contract`): a missing profile is reported at the
    event that lacks it, and is about ``<event>/profile``.
    """

    timeback: bool
    findings: tuple[tuple[str, Violation], ...] = ()


def caliper_profiles(document: Mapping[str, Any], event_pointer: str | None) -> frozenset[str] | None:
    """The profiles the OpenAPI document's Event schema accepts, or None when it does not list them.

    Follows ``$ref`` and ``allOf``/``anyOf``/``oneOf`` from the Event's
    ``profile`` property and gathers ``enum`` and ``const`` values.
    """
    if event_pointer is None:
        return None
    event = resolve_pointer(document, event_pointer)
    properties = event.get("properties") if isinstance(event, dict) else None
    stack = [properties.get("profile")] if isinstance(properties, dict) else []
    found: set[str] = set()
    listed = False
    seen: set[int] = set()  # a document may refer to a schema twice, or in a loop
    while stack:
        node = stack.pop()
        if not isinstance(node, dict) or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node.get("$ref"), str) and node["$ref"].startswith("#"):
            stack.append(resolve_pointer(document, node["$ref"][1:]))
        for keyword in ("allOf", "anyOf", "oneOf"):
            if isinstance(node.get(keyword), list):
                stack.extend(node[keyword])
        if isinstance(node.get("enum"), list):
            listed = True
            found.update(value for value in node["enum"] if isinstance(value, str))
        if isinstance(node.get("const"), str):
            listed = True
            found.add(node["const"])
    return frozenset(found) if listed else None


def judge_profile(item: Any, path: tuple[object, ...], profiles: frozenset[str] | None) -> ProfileVerdict:
    """Whether the Timeback profile applies to an envelope item, and what is wrong with its profile.

    An item whose profile is TimebackProfile is a Timeback event.  So is an
    event that carries a Timeback type (:func:`is_timeback_shaped`) whatever its
    profile says: a missing, misspelled or other profile is an error there, since
    Timeback never counts the event, and its other Timeback mistakes are reported
    with it.  Any other event of another Caliper profile is stored but not
    counted: a warning.  ``profiles`` are the ones the API accepts (see
    :func:`caliper_profiles`), or None when the document does not list them.
    """
    if not isinstance(item, dict):
        return ProfileVerdict(False)
    value = item.get("profile", _MISSING)
    if value == TIMEBACK_PROFILE:
        return ProfileVerdict(True)
    at = (*path, "profile")
    if not is_timeback_shaped(item):
        if not (is_event(item) and isinstance(value, str)):
            return ProfileVerdict(False)
        warning = _violation(
            at,
            "caliper.non-timeback-profile",
            f"profile {show(value)} is stored but not counted towards XP or time; "
            'Timeback analytics read only "TimebackProfile" events',
        )
        return ProfileVerdict(False, ((warning.path, warning),))
    why = f"an event with a Timeback type ({_timeback_type(item)})"
    if value is _MISSING:
        error = _violation(
            path, "timeback.profile", f'missing required property "profile": {why} has profile "TimebackProfile"'
        )
    elif isinstance(value, str) and (value in (profiles or ()) or _unlisted_profile(value, profiles)):
        error = _violation(
            at,
            "timeback.profile",
            f"Timeback types outside TimebackProfile: the API stores it but never counts it; "
            f'profile {show(value)} should be "TimebackProfile"',
        )
    elif isinstance(value, str) and closest(value, (TIMEBACK_PROFILE,)) is not None:
        error = _violation(
            at, "timeback.profile", f'{show(value)} is not a Caliper profile; did you mean "TimebackProfile"?'
        )
    else:
        error = _violation(
            at, "timeback.profile", f'{show(value)} is not a Caliper profile; {why} has profile "TimebackProfile"'
        )
    return ProfileVerdict(True, ((pointer(at), error),))


_MISSING = object()


def _unlisted_profile(value: str, profiles: frozenset[str] | None) -> bool:
    """A profile the document does not list, taken as one unless it is a near miss of TimebackProfile."""
    return profiles is None and closest(value, (TIMEBACK_PROFILE,)) is None


def _violation(path: Sequence[object], rule: str, message: str) -> Violation:
    return Violation(pointer(path), rule, RULES[rule].severity, message)


def metrics_kind(event: dict[str, Any]) -> str | None:
    """Which event type's metrics an event's collection holds: the event's own type, else its collection's.

    A wrong collection type is one error (``timeback.generated``); the items
    are still judged by the event type, as the profile schema judges them.
    """
    event_type = event.get("type")
    if isinstance(event_type, str) and event_type in COLLECTIONS:
        return event_type
    generated = event.get("generated")
    collection = generated.get("type") if isinstance(generated, dict) else None
    return next((kind for kind, name in COLLECTIONS.items() if name == collection), None)


def check_event(event: dict[str, Any], path: tuple[object, ...], *, has_null: bool = True) -> Iterator[Violation]:
    """The Python-only rules of one Timeback event at ``path``.

    ``has_null=False`` says the payload holds no null anywhere (the scan knows),
    which spares a walk of the event.
    """
    if has_null:
        yield from _nulls(event, path)
    generated = event.get("generated")
    if not isinstance(generated, dict):
        return
    kind = metrics_kind(event)
    items = generated.get("items")
    if isinstance(items, list):
        metrics = [(index, item) for index, item in enumerate(items) if isinstance(item, dict)]
        items_path = (*path, "generated", "items")
        if kind == ACTIVITY_EVENT:
            yield from _duplicates(metrics, items_path, lambda item: (item.get("type"),))
            yield from _correct_exceeds_total(metrics, items_path)
        elif kind == TIME_SPENT_EVENT:
            yield from _duplicates(metrics, items_path, lambda item: (item.get("type"), item.get("subType")))
    # A time collection does not have an attempt: the profile schema reports the key as unknown.
    if "attempt" in generated and kind != TIME_SPENT_EVENT:
        target = event.get("object")
        if not (isinstance(target, dict) and target.get("process") is True):
            yield _violation(
                (*path, "generated", "attempt"),
                "timeback.generated.attempt-without-process",
                "attempt is given but object.process is not true, so no Assessment Result is written",
            )


def _nulls(event: dict[str, Any], path: tuple[object, ...]) -> Iterator[Violation]:
    stack: list[tuple[Any, tuple[object, ...]]] = [(event, path)]
    while stack:
        node, here = stack.pop()
        children = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in children:
            if child is None:
                yield _violation(
                    (*here, key), "timeback.null", "explicit null; the API rejects nulls, omit the key instead"
                )
            elif isinstance(child, (dict, list)):
                stack.append((child, (*here, key)))


def _duplicates(
    metrics: list[tuple[int, dict[str, Any]]], items_path: tuple[object, ...], key: Any
) -> Iterator[Violation]:
    first_seen: dict[Any, int] = {}
    for index, item in metrics:
        name = key(item)
        try:
            earlier = first_seen.setdefault(name, index)
        except TypeError:  # an unhashable (already wrongly typed) metric type
            continue
        if earlier != index:
            yield _violation(
                (*items_path, index),
                "timeback.metric.duplicate",
                f"{_metric_words(name)} already appears at item {earlier}; send each once",
            )


def _metric_words(name: tuple[Any, ...]) -> str:
    """``metric "xpEarned"``; a time metric's ``metric "active" (no subType)`` or ``with subType "eating"``."""
    words = f"metric {show(name[0])}"
    if len(name) == 1:
        return words
    return f"{words} (no subType)" if name[1] is None else f"{words} with subType {show(name[1])}"


def _correct_exceeds_total(
    metrics: list[tuple[int, dict[str, Any]]], items_path: tuple[object, ...]
) -> Iterator[Violation]:
    values: dict[str, tuple[int, Any]] = {}
    for index, item in metrics:
        metric_type = item.get("type")
        if metric_type in _COUNTED_METRICS and metric_type not in values:
            values[metric_type] = (index, item.get("value"))
    if len(values) < 2:
        return
    correct_index, correct = values["correctQuestions"]
    _, total = values["totalQuestions"]
    if _is_number(correct) and _is_number(total) and correct > total:
        yield _violation(
            (*items_path, correct_index, "value"),
            "timeback.activity-metric.correct-exceeds-total",
            f"correctQuestions {show(correct)} is greater than totalQuestions {show(total)}",
        )


def check_envelope(envelope: dict[str, Any]) -> Iterator[Violation]:
    """Rules across the whole envelope: unique event ids, sendTime in UTC."""
    data = envelope.get("data")
    if isinstance(data, list):
        first_seen: dict[str, int] = {}
        for index, item in enumerate(data):
            if not is_event(item) or not isinstance(item.get("id"), str):
                continue
            earlier = first_seen.setdefault(item["id"], index)
            if earlier != index:
                yield _violation(
                    ("data", index, "id"),
                    "envelope.duplicate-event-id",
                    f"event id {show(item['id'])} is also the id of /data/{earlier}",
                )
    send_time = envelope.get("sendTime")
    if isinstance(send_time, str) and not _is_utc(send_time) and is_date_time(send_time):
        yield _violation(
            ("sendTime",),
            "envelope.send-time-utc",
            f"{show(send_time)} is not in UTC; send it with a Z offset, e.g. 2024-04-24T14:12:00.000Z",
        )


def _is_utc(timestamp: str) -> bool:
    return UTC_OFFSET.search(timestamp) is not None


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
