"""Everything the fake server remembers, behind one lock.

Handlers run on many threads at once; every read and write of the records,
jobs and injected failures goes through :class:`ServerState`, and readers get
tuples (snapshots), never the live lists.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from http import HTTPStatus
from typing import Any

from caliper_contract.profile import is_event
from caliper_contract.report import Report
from caliper_contract.testing.listing import StoredEvent
from caliper_contract.testing.records import ReceivedEnvelope, RecordedRequest, RejectedEnvelope, ServerError
from caliper_contract.testing.wire import Response, api_error


@dataclass(frozen=True)
class Failure:
    """One injected failure: the status to answer instead of handling the request."""

    status: int
    retry_after: str | None

    def response(self) -> Response:
        try:
            reason = f"HTTP {self.status} {HTTPStatus(self.status).phrase}"
        except ValueError:
            reason = f"HTTP {self.status}"
        headers = (("Retry-After", self.retry_after),) if self.retry_after is not None else ()
        return api_error(self.status, f"injected failure: {reason} (server.fail_next)", headers=headers)


@dataclass(frozen=True)
class Job:
    """The processing job of one accepted envelope: done at once, one result per stored event."""

    job_id: str
    processed_on: str  # RFC 3339, UTC
    results: tuple[tuple[int, Any], ...]  # (record id, externalId) per stored event

    def status(self) -> dict[str, Any]:
        """``GET /jobs/{id}/status``: the SDK's ``JobStatus``; ``allocatedId`` is the record id, as a string."""
        results = [{"allocatedId": str(record), "externalId": external} for record, external in self.results]
        return {
            "id": self.job_id,
            "state": "completed",
            "returnValue": {"status": "success", "results": results},
            "processedOn": self.processed_on,
        }


def utc_now() -> str:
    """The wall-clock time as the API writes it: RFC 3339 in UTC, to the millisecond."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ServerState:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._received: list[ReceivedEnvelope] = []
        self._rejected: list[RejectedEnvelope] = []
        self._errors: list[ServerError] = []
        self._stored: list[StoredEvent] = []
        self._record_ids = itertools.count(1)  # the store's ids: 1, 2, 3, ... in the order events are accepted
        self._jobs: dict[str, Job] = {}
        self._failures: deque[Failure] = deque()
        self._delays: deque[float] = deque()

    # -- records -----------------------------------------------------------------

    def record_request(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def record_error(self, error: ServerError) -> None:
        with self._lock:
            self._errors.append(error)

    def reject(self, rejected: RejectedEnvelope) -> None:
        with self._lock:
            self._rejected.append(rejected)

    def accept(self, body: bytes, envelope: Any, report: Report, client_id: str) -> ReceivedEnvelope:
        """Store an accepted envelope: its record, its events for listing, and its job."""
        data = envelope.get("data") if isinstance(envelope, dict) else None
        events = [item for item in data if is_event(item)] if isinstance(data, list) else []
        sensor = envelope.get("sensor") if isinstance(envelope, dict) else None
        send_time = envelope.get("sendTime") if isinstance(envelope, dict) else None
        now = utc_now()
        job_id = str(uuid.uuid4())
        received = ReceivedEnvelope(body, job_id, report)
        with self._lock:
            stored = [StoredEvent(next(self._record_ids), sensor, send_time, now, client_id, event) for event in events]
            self._received.append(received)
            self._stored.extend(stored)
            self._jobs[job_id] = Job(job_id, now, tuple((item.record_id, item.external_id) for item in stored))
        return received

    @property
    def requests(self) -> tuple[RecordedRequest, ...]:
        with self._lock:
            return tuple(self._requests)

    @property
    def received(self) -> tuple[ReceivedEnvelope, ...]:
        with self._lock:
            return tuple(self._received)

    @property
    def rejected(self) -> tuple[RejectedEnvelope, ...]:
        with self._lock:
            return tuple(self._rejected)

    @property
    def errors(self) -> tuple[ServerError, ...]:
        with self._lock:
            return tuple(self._errors)

    @property
    def stored_events(self) -> tuple[StoredEvent, ...]:
        with self._lock:
            return tuple(self._stored)

    def stored_event(self, external_id: str) -> StoredEvent | None:
        """The first stored event with that id (a resent event is stored again, under the same id)."""
        with self._lock:
            return next((item for item in self._stored if item.external_id == external_id), None)

    def job(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    # -- failure injection ---------------------------------------------------------

    def queue_failures(self, count: int, failure: Failure) -> None:
        with self._lock:
            self._failures.extend([failure] * count)

    def queue_delays(self, count: int, seconds: float) -> None:
        with self._lock:
            self._delays.extend([seconds] * count)

    def next_failure(self) -> Failure | None:
        with self._lock:
            return self._failures.popleft() if self._failures else None

    def next_delay(self) -> float | None:
        with self._lock:
            return self._delays.popleft() if self._delays else None
