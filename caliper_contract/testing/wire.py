"""A request as the API logic sees it, and the response it gives back.

The HTTP plumbing (:mod:`caliper_contract.testing.transport`) frames bytes into
a :class:`Request`; the endpoints answer with a :class:`Response`.  Keeping the
two apart lets each side stay small.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import Message
from typing import Any


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: str
    headers: Message = field(repr=False)
    body: bytes = field(repr=False)


@dataclass(frozen=True)
class Response:
    status: int
    body: dict[str, Any]
    headers: tuple[tuple[str, str], ...] = ()
    close: bool = False  # the connection cannot carry another request


def api_error(status: int, message: str, *, headers: tuple[tuple[str, str], ...] = (), close: bool = False) -> Response:
    """The published API's error shape: ``{"status": "error", "message": ...}``."""
    return Response(status, {"status": "error", "message": message}, headers, close)
