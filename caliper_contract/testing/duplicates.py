"""Which accepted events are one event sent more than once: by id, or by content."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, Literal

Sameness = Literal["id", "content"]


def groups(events: Iterable[Any], by: Sameness) -> list[list[Any]]:
    """The events that share a key with another, grouped in the order first seen; each group in order."""
    key = _KEYS.get(by)
    if key is None:
        raise ValueError(f"duplicate_events(by=...) takes 'id' or 'content', got {by!r}")
    found: dict[str, list[Any]] = {}
    for event in events:
        name = key(event)
        if name is not None:
            found.setdefault(name, []).append(event)
    return [group for group in found.values() if len(group) > 1]


def _by_id(event: Any) -> str | None:
    event_id = event.get("id") if isinstance(event, dict) else None
    return event_id if isinstance(event_id, str) else None


def _by_content(event: Any) -> str | None:
    """The event without what a sender makes afresh for each send: its id, its time, the id of what it generated."""
    if not isinstance(event, dict):
        return None
    same = {name: value for name, value in event.items() if name not in ("id", "eventTime")}
    generated = same.get("generated")
    if isinstance(generated, dict):
        same["generated"] = {name: value for name, value in generated.items() if name != "id"}
    return json.dumps(same, sort_keys=True)


_KEYS: dict[str, Callable[[Any], str | None]] = {"id": _by_id, "content": _by_content}
