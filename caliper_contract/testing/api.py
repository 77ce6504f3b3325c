"""The endpoints of the fake Timeback Events API: routing, event intake, polling.

The event endpoints answer as the published OpenAPI document says:
200 ``{"status": "success", "message": ...}`` or 400
``{"status": "error", "message": ..., "errors": [...]}``, each error a
:meth:`caliper_contract.Violation.to_dict` (JSON Pointer path, rule id,
severity, message, schema location).  Accepted sends also carry ``jobId`` and
``eventsAccepted``, which senders in the wild read.  The polling endpoints
answer in the shapes the vendor's SDK reads (see :mod:`.listing` and
:class:`.state.Job`), which no published document defines.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

from caliper_contract.contract import Contract
from caliper_contract.report import Report
from caliper_contract.rules import RULES
from caliper_contract.testing import listing
from caliper_contract.testing.auth import TokenIssuer, media_type
from caliper_contract.testing.records import RejectedEnvelope, kept
from caliper_contract.testing.state import ServerState
from caliper_contract.testing.wire import Request, Response, api_error

TOKEN_PATH = "/oauth2/token"
EVENT_PATH = "/caliper/event"
VALIDATE_PATH = "/caliper/event/validate"
EVENTS_PATH = "/caliper/events"
EVENT_RECORD_PATH = "/caliper/events/{id}"
JOB_STATUS_PATH = "/jobs/{id}/status"
# Paths with an id in them: the pattern that matches one, and the route it belongs to.
_TEMPLATED = (
    (re.compile(r"/caliper/events/([^/]+)"), EVENT_RECORD_PATH),
    (re.compile(r"/jobs/([^/]+)/status"), JOB_STATUS_PATH),
)

Endpoint = Callable[[Request], Response]


class Api:
    def __init__(
        self, state: ServerState, issuer: TokenIssuer, contract: Contract, *, strict: bool, ignore: Iterable[str]
    ) -> None:
        self._state = state
        self._issuer = issuer
        self._contract = contract
        self._strict = strict
        self._ignore = tuple(ignore)
        self._routes: dict[str, dict[str, Endpoint]] = {
            TOKEN_PATH: {"POST": issuer.token_endpoint},
            EVENT_PATH: {"POST": lambda request: self._post_envelope(request, store=True)},
            VALIDATE_PATH: {"POST": lambda request: self._post_envelope(request, store=False)},
            EVENTS_PATH: {"GET": self._list_events},
            EVENT_RECORD_PATH: {"GET": self._get_event},
            JOB_STATUS_PATH: {"GET": self._job_status},
        }

    def handle(self, request: Request) -> Response:
        route = next((name for pattern, name in _TEMPLATED if pattern.fullmatch(request.path)), request.path)
        methods = self._routes.get(route)
        if methods is None:
            served = ", ".join(f"{method} {path}" for path, table in self._routes.items() for method in table)
            return api_error(404, f"no endpoint at {request.path}; this server serves {served}")
        endpoint = methods.get(request.method)
        if endpoint is None:
            allowed = ", ".join(methods)
            return api_error(
                405, f"{request.method} is not allowed on {route}: use {allowed}", headers=(("Allow", allowed),)
            )
        return endpoint(request)

    # -- POST /caliper/event and /caliper/event/validate ---------------------------

    def _post_envelope(self, request: Request, *, store: bool) -> Response:
        # Injected trouble comes first, as from a gateway in front of the API.
        delay = self._state.next_delay()
        if delay:
            time.sleep(delay)
        failure = self._state.next_failure()
        if failure is not None:
            return failure.response()
        client = self._issuer.bearer_client(request)
        if isinstance(client, Response):
            return client
        refused = _unsupported_media(request)
        if refused is not None:
            return refused
        report = self._contract.validate(request.body, strict=self._strict, ignore=self._ignore)
        warnings = [violation.to_dict() for violation in report.warnings]
        if not report.ok:
            if store:
                self._state.reject(RejectedEnvelope(kept(request.body), report, len(request.body)))
            errors = [violation.to_dict() for violation in report.errors]
            return Response(
                400, {"status": "error", "message": _rejection(report), "errors": errors, "warnings": warnings}
            )
        if not store:
            message = "the envelope is valid; nothing was stored"
            return Response(200, {"status": "success", "message": message, "warnings": warnings})
        envelope = json.loads(request.body.decode("utf-8-sig"))
        received = self._state.accept(request.body, envelope, report, client)
        data = envelope.get("data") if isinstance(envelope, dict) else None
        count = len(data) if isinstance(data, list) else 0
        body = {
            "status": "success",
            "message": f"{count} event(s) accepted",
            "jobId": received.job_id,
            "eventsAccepted": count,
            "warnings": warnings,
        }
        return Response(200, body)

    # -- GET /caliper/events, /caliper/events/{id} and /jobs/{id}/status ---------------

    def _list_events(self, request: Request) -> Response:
        refused = self._issuer.bearer_client(request)
        if isinstance(refused, Response):
            return refused
        query = listing.parse_query(request.query)
        if isinstance(query, str):
            return api_error(400, query)
        return Response(200, listing.page(self._state.stored_events, query))

    def _get_event(self, request: Request) -> Response:
        refused = self._issuer.bearer_client(request)
        if isinstance(refused, Response):
            return refused
        external_id = _path_id(request, EVENT_RECORD_PATH)
        stored = self._state.stored_event(external_id)
        if stored is None:
            message = f"no event with externalId {listing.shown(external_id)}"
            if external_id.isdigit():
                message += f" ({EVENT_RECORD_PATH} takes the events' externalId, not the record's numeric id)"
            return api_error(404, message)
        return Response(200, {"status": "success", "message": "1 event", "event": stored.record()})

    def _job_status(self, request: Request) -> Response:
        refused = self._issuer.bearer_client(request)
        if isinstance(refused, Response):
            return refused
        job_id = _path_id(request, JOB_STATUS_PATH)
        job = self._state.job(job_id)
        if job is None:
            return api_error(
                404, f"no job {listing.shown(job_id)}: job ids are the jobId of an accepted POST {EVENT_PATH}"
            )
        return Response(200, job.status())


def _path_id(request: Request, route: str) -> str:
    """The id in a templated path, percent-decoded."""
    pattern = next(pattern for pattern, name in _TEMPLATED if name == route)
    found = pattern.fullmatch(request.path)
    return urllib.parse.unquote(found.group(1)) if found else ""


def _unsupported_media(request: Request) -> Response | None:
    content_type, charset = media_type(request.headers)
    if content_type != "application/json":
        got = "no Content-Type header" if content_type is None else content_type
        return api_error(415, f"send the envelope as Content-Type: application/json, got {got}")
    if charset not in (None, "utf-8", "utf8"):
        return api_error(415, f"JSON is UTF-8 (RFC 8259): charset={charset} is not accepted")
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding != "identity":
        return api_error(415, f"Content-Encoding {encoding} is not supported: send the JSON uncompressed")
    return None


def _rejection(report: Report) -> str:
    first = report.errors[0]
    if RULES[first.rule].family == "json":
        return f"the body is not JSON the API can read: {first.message} [{first.rule}]"
    where = first.path or "/"
    return (
        f"the envelope breaks the Timeback Events API contract: {len(report.errors)} error(s), "
        f"first at {where}: {first.message} [{first.rule}]"
    )


def describe(body: dict[str, Any]) -> str:
    """The human part of a response body, for the request log."""
    return str(body.get("message") or body.get("error_description") or "")
