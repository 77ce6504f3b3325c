"""Editing JSON text in place: fixed values and keys rewritten, every other character kept.

A fix replaces a value, renames a key or removes a property.  Each becomes a
replacement of the text at the spans the reader found
(:func:`caliper_contract._jsontext.spans`), so indentation, key order, line
endings, tabs and a missing final newline stay as they were; nothing is
serialised again but the new values themselves.  A removed property takes its
comma and the blank up to the next key with it (after the last kept property,
from the end of the value before it), so the object reads as if it had been
written without it; an object left with nothing is ``{}``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from caliper_contract._jsontext import Spans, spans
from caliper_contract.pointers import pointer, tokens

#: What an edit does at its path: a new value, a new key for the property, or no property at all.
Action = Literal["replace", "rename", "remove"]


@dataclass(frozen=True)
class Change:
    """One edit of a JSON text: at ``path`` (a JSON Pointer in the text), ``action`` with ``after``."""

    path: str
    action: Action
    #: The new value ("replace") or key ("rename"); None for "remove".
    after: Any = None


@dataclass(frozen=True)
class Replacement:
    """``text[start:end]`` becomes ``new``; ``value`` is where the value the change is about starts."""

    start: int
    end: int
    new: str
    value: int


def replacements(text: str, changes: Sequence[Change]) -> list[Replacement]:
    """Where each change rewrites ``text`` (a text :func:`~caliper_contract._jsontext.load` accepted), in order.

    ValueError when a change's path is not in the text, or its action does not fit what is there.
    """
    root = spans(text)
    found: list[Replacement | None] = [None] * len(changes)
    removed: dict[str, list[tuple[int, str]]] = {}
    for index, change in enumerate(changes):
        where = tokens(change.path)
        node = root.find(where)
        if node is None:
            raise ValueError(f"nothing at {change.path!r} in the text")
        if change.action == "replace":
            found[index] = Replacement(node.start, node.end, _json(change.after), node.start)
        elif node.key is None:
            raise ValueError(f"{change.path!r} is not a property")
        elif change.action == "rename":
            found[index] = Replacement(*node.key, _json(change.after), node.start)
        else:
            removed.setdefault(pointer(where[:-1]), []).append((index, where[-1]))
    for holder_path, members in removed.items():
        holder = root.find(tokens(holder_path))
        assert holder is not None  # the parent of a property found above
        ranges = _removals(holder, {key for _, key in members})
        for index, key in members:
            children = holder.children
            assert isinstance(children, dict)  # a property's holder is an object
            found[index] = Replacement(*ranges[key], "", children[key].start)
    return [replacement for replacement in found if replacement is not None]


def _removals(holder: Spans, gone: set[str]) -> dict[str, tuple[int, int]]:
    """The text each removed property of the object ``holder`` takes with it; the ranges never overlap."""
    children = holder.children
    assert isinstance(children, dict)
    members = list(children.items())
    kept = [index for index, (key, _) in enumerate(members) if key not in gone]
    ranges: dict[str, tuple[int, int]] = {}
    for index, (key, node) in enumerate(members):
        if key not in gone:
            continue
        assert node.key is not None  # a property's value knows its key
        if not kept:  # nothing stays: the object's whole inside goes, in one piece per property
            start = holder.start + 1 if index == 0 else node.key[0]
            following = members[index + 1][1].key if index + 1 < len(members) else None
            ranges[key] = (start, following[0] if following is not None else holder.end - 1)
        elif index < kept[-1]:  # up to the next key: its comma and the blank before that key
            following = members[index + 1][1].key
            assert following is not None
            ranges[key] = (node.key[0], following[0])
        else:  # after the last kept property: from the end of the value before it
            ranges[key] = (members[index - 1][1].end, node.end)
    return ranges


def apply(text: str, edits: Sequence[Replacement]) -> str:
    """``text`` with each replacement made; ValueError when two overlap."""
    pieces = []
    at = 0
    for edit in sorted(edits, key=lambda edit: (edit.start, edit.end)):
        if edit.start < at:
            raise ValueError(f"two edits overlap at offset {edit.start}")
        pieces += [text[at : edit.start], edit.new]
        at = edit.end
    pieces.append(text[at:])
    return "".join(pieces)


def _json(value: Any) -> str:
    # Characters as they are (the file is UTF-8), as most editors and serialisers write them.
    return json.dumps(value, ensure_ascii=False)
