"""RFC 6901 JSON Pointers: the one place tokens are escaped and unescaped.

Dependency-free, so every stage (loading, checking, reporting, strategies) can
use it without import cycles.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def escape(token: object) -> str:
    """One reference token: ``~`` becomes ``~0`` and ``/`` becomes ``~1``."""
    return str(token).replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    """The inverse of :func:`escape` (``~1`` first, as RFC 6901 requires)."""
    return token.replace("~1", "/").replace("~0", "~")


def pointer(tokens: Iterable[object]) -> str:
    """A JSON Pointer from path tokens; ``""`` for none (the root)."""
    return "".join("/" + escape(token) for token in tokens)


def tokens(location: str) -> list[str]:
    """The unescaped tokens of a JSON Pointer (without a leading ``#``)."""
    return [unescape(token) for token in location.split("/")[1:]] if location else []


def resolve_pointer(document: Any, pointer: str) -> Any:
    """Resolve an RFC 6901 pointer (without the leading ``#``) in ``document``; KeyError etc. where it is not."""
    node = document
    for token in tokens(pointer):
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node
