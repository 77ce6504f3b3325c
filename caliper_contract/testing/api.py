"""The endpoints of the fake Timeback Events API: routing, event intake, polling.

The event endpoints answer as the published OpenAPI document says:
200 ``{"status": "success", "message": ...}`` or 400
``{"status": "error", "message": ..., "errors": [...]}``, each error a
:meth:`caliper_contract.Violation.to_dict` (JSON Pointer path, rule id,
severity, message, schema location).  Accepted sends also carry ``jobId`` and
``eventsAccepted``, which senders in the wild read.
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
from caliper_contract.testing.records import RejectedEnvelope
from caliper_contract.testing.state import ServerState
from caliper_contract.testing.wire import Request, Response, api_error

TOKEN_PATH = "/oauth2/token"
EVENT_PATH = "/caliper/event"
VALIDATE_PATH = "/caliper/event/validate"
EVENTS_PATH = "/caliper/events"
JOB_STATUS_PATH = "/jobs/{id}/status"
_JOB_STATUS = re.compile(r"/jobs/([^/]+)/status")

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
            JOB_STATUS_PATH: {"GET": self._job_status},
        }

    def handle(self, request: Request) -> Response:
        route = JOB_STATUS_PATH if _JOB_STATUS.fullmatch(request.path) else request.path
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
        refused = self._issuer.check_bearer(request) or _unsupported_media(request)
        if refused is not None:
            return refused
        report = self._contract.validate(request.body, strict=self._strict, ignore=self._ignore)
        warnings = [violation.to_dict() for violation in report.warnings]
        if not report.ok:
            if store:
                self._state.reject(RejectedEnvelope(request.body, report))
            errors = [violation.to_dict() for violation in report.errors]
            return Response(
                400, {"status": "error", "message": _rejection(report), "errors": errors, "warnings": warnings}
            )
        if not store:
            message = "the envelope is valid; nothing was stored"
            return Response(200, {"status": "success", "message": message, "warnings": warnings})
        envelope = json.loads(request.body.decode("utf-8-sig"))
        received = self._state.accept(request.body, envelope, report)
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

    # -- GET /caliper/events and /jobs/{id}/status -----------------------------------

    def _list_events(self, request: Request) -> Response:
        refused = self._issuer.check_bearer(request)
        if refused is not None:
            return refused
        query = listing.parse_query(request.query)
        if isinstance(query, str):
            return api_error(400, query)
        return Response(200, listing.page(self._state.stored_events, query))

    def _job_status(self, request: Request) -> Response:
        refused = self._issuer.check_bearer(request)
        if refused is not None:
            return refused
        found = _JOB_STATUS.fullmatch(request.path)
        job_id = urllib.parse.unquote(found.group(1)) if found else ""
        job = self._state.job(job_id)
        if job is None:
            return api_error(404, f"no job {job_id!r}: job ids are the jobId of an accepted POST {EVENT_PATH}")
        return Response(200, job.status())


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
