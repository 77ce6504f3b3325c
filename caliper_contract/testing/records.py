"""What the fake server saw, as immutable records for test assertions.

Envelopes are kept as the bytes that arrived: every ``.envelope`` access
parses them afresh, so a test that edits the dict it got back cannot change
what the next assertion sees.  Accepted envelopes are kept whole; any other
body is kept up to ``defaults.KEPT_BODY_BYTES`` (its full length in
``body_size``), so a client sending large bodies that are refused cannot make
the server's memory grow by their size.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from caliper_contract.profile import is_event
from caliper_contract.report import Report
from caliper_contract.testing.defaults import KEPT_BODY_BYTES


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request as it arrived, with the status the server answered.

    ``at`` is the server's clock when the request arrived (``time.monotonic``
    unless a clock was given), so tests can check a client's back-off.
    ``body`` holds the first ``defaults.KEPT_BODY_BYTES`` of the body;
    ``body_size`` is its full length.
    """

    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    status: int
    at: float
    body_size: int

    def header(self, name: str) -> str | None:
        """The first header of that name (any case), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def json(self) -> Any:
        """The body parsed as JSON; raises ``ValueError`` when it is not JSON (or was kept in part)."""
        return _parse(self.body)


def kept(body: bytes) -> bytes:
    """What a record keeps of a body: all of it, up to ``defaults.KEPT_BODY_BYTES``."""
    return body[:KEPT_BODY_BYTES]  # a bytes object no longer than that is kept itself, not copied


def _parse(body: bytes) -> Any:
    # utf-8-sig: the contract tolerates a leading BOM, so what it accepted must parse here too.
    return json.loads(body.decode("utf-8-sig"))


@dataclass(frozen=True)
class ReceivedEnvelope:
    """An envelope ``POST /caliper/event`` accepted and stored, and the job it became."""

    body: bytes
    job_id: str
    report: Report  # no errors; the warnings the contract found, if any

    @property
    def envelope(self) -> Any:
        return _parse(self.body)

    @property
    def events(self) -> list[Any]:
        """The envelope's data items that are events (entities left out), in order."""
        return [item for item in self.envelope["data"] if is_event(item)]


@dataclass(frozen=True)
class RejectedEnvelope:
    """A body ``POST /caliper/event`` refused with 400, and the report saying why.

    The report covers the whole body; ``body`` keeps its first
    ``defaults.KEPT_BODY_BYTES``, and ``body_size`` is its full length.
    """

    body: bytes
    report: Report
    body_size: int

    @property
    def envelope(self) -> Any:
        """The body as JSON, or None when it is not JSON at all or was kept in part."""
        try:
            return _parse(self.body)
        except ValueError:
            return None


@dataclass(frozen=True)
class ServerError:
    """An exception raised while handling a request; the client got a 500."""

    method: str
    path: str
    error: str  # "ExceptionType: message"
    traceback: str
