"""Check stage, Timeback profile: the rules a JSON Schema cannot say.

The rest of the profile is data: ``timeback-profile.schema.json``.  These are
cross-field and cross-event rules, each yielding violations of one catalogue rule.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from importlib import resources
from typing import Any

from caliper_contract._jsonvalue import show
from caliper_contract.formats import is_date_time
from caliper_contract.pointers import pointer
from caliper_contract.report import Violation
from caliper_contract.rules import RULES

TIMEBACK_PROFILE = "TimebackProfile"
#: Keys only an Event has (the OpenAPI Entity schema forbids them): an envelope
#: item with any of them is judged as an Event, otherwise as an Entity.
EVENT_KEYS = ("action", "eventTime", "profile")
_COUNTED_METRICS = ("totalQuestions", "correctQuestions")


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


def is_timeback_event(item: Any) -> bool:
    return isinstance(item, dict) and item.get("profile") == TIMEBACK_PROFILE


def other_profile(item: Any, path: tuple[object, ...]) -> Violation | None:
    """The warning for an event of another Caliper profile: stored by the API, never counted."""
    if not (is_event(item) and isinstance(item.get("profile"), str)):
        return None
    return _violation(
        (*path, "profile"),
        "caliper.non-timeback-profile",
        f"profile {show(item['profile'])} is stored but not counted towards XP or time; "
        'Timeback analytics read only "TimebackProfile" events',
    )


def _violation(path: Sequence[object], rule: str, message: str) -> Violation:
    return Violation(pointer(path), rule, RULES[rule].severity, message)


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
    items = generated.get("items")
    if isinstance(items, list):
        metrics = [(index, item) for index, item in enumerate(items) if isinstance(item, dict)]
        items_path = (*path, "generated", "items")
        if event.get("type") == "ActivityEvent":
            yield from _duplicates(metrics, items_path, lambda item: item.get("type"))
            yield from _correct_exceeds_total(metrics, items_path)
        elif event.get("type") == "TimeSpentEvent":
            yield from _duplicates(metrics, items_path, lambda item: (item.get("type"), item.get("subType")))
    if "attempt" in generated:
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
                f"metric {show(name)} already appears at item {earlier}; send each once",
            )


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
    return timestamp[-1:] in ("Z", "z") or timestamp.endswith(("+00:00", "-00:00"))


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
