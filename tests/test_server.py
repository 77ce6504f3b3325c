"""The fake Timeback Events API, driven as a sender drives it: over HTTP, with urllib and http.client.

Every test talks to 127.0.0.1 only; urllib is given an opener without proxies
so an HTTP_PROXY in the environment cannot send a request anywhere else.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import dataclasses
import http.client
import json
import re
import selectors
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from caliper_contract import Contract, UnknownRuleError, validate
from caliper_contract.cli._serve import serve_main
from caliper_contract.testing import FakeTimebackServer, ManualClock, started_server
from caliper_contract.testing.defaults import KEPT_BODY_BYTES
from tests import seeds

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclasses.dataclass
class Reply:
    status: int
    headers: Any
    body: Any


def call(
    method: str, url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None, timeout: float = 5
) -> Reply:
    """One request with urllib, as most Python senders make it; HTTP errors are replies too."""
    assert url.startswith("http://127.0.0.1:")
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with NO_PROXY.open(request, timeout=timeout) as response:
            return Reply(response.status, response.headers, json.loads(response.read()))
    except urllib.error.HTTPError as error:
        with error:
            return Reply(error.code, error.headers, json.loads(error.read()))


def get_token(server: FakeTimebackServer) -> str:
    form = {"grant_type": "client_credentials", "client_id": server.client_id, "client_secret": server.client_secret}
    reply = call("POST", server.token_url, data=urllib.parse.urlencode(form).encode())
    assert reply.status == 200, reply.body
    return str(reply.body["access_token"])


def post(
    server: FakeTimebackServer,
    envelope: Any,
    token: str | None,
    *,
    path: str = "/caliper/event",
    content_type: str = "application/json",
    timeout: float = 5,
) -> Reply:
    data = envelope if isinstance(envelope, bytes) else json.dumps(envelope).encode()
    headers = {"Content-Type": content_type}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return call("POST", server.url + path, data=data, headers=headers, timeout=timeout)


def get(server: FakeTimebackServer, path: str, token: str | None) -> Reply:
    return call("GET", server.url + path, headers={"Authorization": f"Bearer {token}"} if token else {})


def envelope_with(**changes: Any) -> Any:
    """The seed ActivityEvent envelope with a fresh event id and the given event fields changed."""
    envelope = seeds.activity()
    event = envelope["data"][0]
    event["id"] = f"urn:uuid:{uuid.uuid4()}"
    for name, value in changes.items():
        if name == "sensor":
            envelope["sensor"] = value
        else:
            event[name] = value
    return envelope


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def server(clock: ManualClock) -> Iterator[FakeTimebackServer]:
    with FakeTimebackServer(clock=clock) as running:
        yield running


@pytest.fixture
def token(server: FakeTimebackServer) -> str:
    return get_token(server)


# -- the token endpoint ----------------------------------------------------------------


def test_the_client_credentials_flow_issues_a_bearer_token_the_event_endpoint_takes(server):
    form = f"grant_type=client_credentials&client_id={server.client_id}&client_secret={server.client_secret}"
    reply = call(
        "POST", server.token_url, data=form.encode(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert reply.status == 200
    assert set(reply.body) == {"access_token", "token_type", "expires_in"}
    assert (reply.body["token_type"], reply.body["expires_in"]) == ("Bearer", 3600)
    assert reply.headers["Cache-Control"] == "no-store"
    assert post(server, seeds.activity(), reply.body["access_token"]).status == 200


def test_http_basic_client_authentication_is_accepted_with_form_encoded_credentials():
    secret = "s3cr:t/+ &é"  # RFC 6749 §2.3.1: form-encode, then join with ":" and base64
    with FakeTimebackServer(client_id="my app", client_secret=secret) as server:
        user_pass = f"{urllib.parse.quote_plus('my app')}:{urllib.parse.quote_plus(secret)}"
        basic = base64.b64encode(user_pass.encode()).decode()
        reply = call(
            "POST",
            server.token_url,
            data=b"grant_type=client_credentials&scope=https://purl.imsglobal.org/spec/caliper/v1p1/scope/event.create",
            headers={"Authorization": f"Basic {basic}"},
        )
        assert reply.status == 200, reply.body
        assert reply.body["scope"] == "https://purl.imsglobal.org/spec/caliper/v1p1/scope/event.create"
        assert post(server, seeds.activity(), reply.body["access_token"]).status == 200


def test_more_than_one_client_can_be_configured():
    with FakeTimebackServer(clients={"other-app": "other-secret"}) as server:
        form = b"grant_type=client_credentials&client_id=other-app&client_secret=other-secret"
        assert call("POST", server.token_url, data=form).status == 200
        assert server.client_id != "other-app"
        assert get_token(server)
        # A token without the form dance, for tests about something else.
        assert post(server, seeds.activity(), server.issue_token("other-app")).status == 200
        assert post(server, seeds.activity(), server.issue_token()).status == 200
        with pytest.raises(ValueError, match="unknown client_id 'nobody'"):
            server.issue_token("nobody")


@pytest.mark.parametrize(
    ("form", "status", "error", "says"),
    [
        (
            "grant_type=client_credentials&client_id={id}&client_secret=wrong",
            401,
            "invalid_client",
            "wrong client_secret",
        ),
        (
            "grant_type=client_credentials&client_id=nobody&client_secret={secret}",
            401,
            "invalid_client",
            "unknown client_id",
        ),
        ("grant_type=client_credentials", 401, "invalid_client", "client authentication is missing"),
        ("grant_type=password&client_id={id}&client_secret={secret}", 400, "unsupported_grant_type", "'password'"),
        ("client_id={id}&client_secret={secret}", 400, "invalid_request", "grant_type is missing"),
        ("grant_type=client_credentials&grant_type=client_credentials", 400, "invalid_request", "more than once"),
        (
            "grant_type=client_credentials&client_id={id}&client_secret={secret}&scope=everything",
            400,
            "invalid_scope",
            "'everything'",
        ),
    ],
)
def test_token_errors_have_the_oauth2_shape(server, form, status, error, says):
    data = form.format(id=server.client_id, secret=server.client_secret).encode()
    reply = call("POST", server.token_url, data=data)
    assert reply.status == status
    assert reply.body["error"] == error
    assert says in reply.body["error_description"]
    if status == 401:
        assert reply.headers["WWW-Authenticate"] == 'Basic realm="timeback"'


def test_a_json_token_request_or_two_ways_of_authenticating_is_an_invalid_request(server):
    as_json = json.dumps({"grant_type": "client_credentials", "client_id": server.client_id}).encode()
    reply = call("POST", server.token_url, data=as_json, headers={"Content-Type": "application/json"})
    assert (reply.status, reply.body["error"]) == (400, "invalid_request")
    assert "application/x-www-form-urlencoded" in reply.body["error_description"]
    basic = base64.b64encode(f"{server.client_id}:{server.client_secret}".encode()).decode()
    both = f"grant_type=client_credentials&client_secret={server.client_secret}".encode()
    reply = call("POST", server.token_url, data=both, headers={"Authorization": f"Basic {basic}"})
    assert (reply.status, reply.body["error"]) == (400, "invalid_request")


# -- sending envelopes ------------------------------------------------------------------


def test_an_accepted_envelope_is_answered_and_recorded_exactly_as_sent(server, token):
    envelope = seeds.activity()
    body = json.dumps(envelope).encode()
    reply = post(server, body, token)
    assert reply.status == 200
    assert reply.body["status"] == "success"
    assert reply.body["message"] == "1 event(s) accepted"
    assert reply.body["eventsAccepted"] == 1
    assert isinstance(reply.body["jobId"], str)
    (received,) = server.received
    assert received.envelope == envelope
    assert received.job_id == reply.body["jobId"]
    assert received.body == body
    request = server.requests[-1]
    assert (request.method, request.path, request.status, request.body) == ("POST", "/caliper/event", 200, body)
    assert request.header("authorization") == f"Bearer {token}"
    assert request.header("Content-Type") == "application/json"
    assert request.json() == envelope
    assert server.rejected == ()


def test_events_lists_accepted_events_by_type_and_action(server, token):
    post(server, seeds.activity(), token)
    post(server, seeds.time_spent(), token)
    assert [event["type"] for event in server.events()] == ["ActivityEvent", "TimeSpentEvent"]
    assert server.events(type="ActivityEvent") == seeds.activity()["data"]
    assert [event["type"] for event in server.events(action="SpentTime")] == ["TimeSpentEvent"]
    assert server.events(type="AssessmentEvent") == []


def test_a_rejected_envelope_gets_400_with_our_paths_and_rule_ids_and_is_not_stored(server, token):
    envelope = seeds.activity()
    envelope["data"][0]["actor"]["email"] = "not-an-email"
    del envelope["sendTime"]
    reply = post(server, envelope, token)
    assert reply.status == 400
    assert reply.body["status"] == "error"
    expected = validate(envelope)
    assert reply.body["errors"] == [violation.to_dict() for violation in expected.errors]
    assert {(error["path"], error["rule"]) for error in reply.body["errors"]} == {
        ("", "openapi.required"),
        ("/data/0/actor/email", "timeback.actor.email"),
    }
    assert reply.body["message"].startswith("the envelope breaks the Timeback Events API contract: 2 error(s)")
    assert server.received == ()
    (rejected,) = server.rejected
    assert rejected.report == expected
    assert rejected.envelope == envelope


def test_warnings_are_listed_and_strict_turns_them_into_a_rejection(token, server):
    envelope = seeds.activity()
    envelope["data"][0]["object"]["subject"] = "Other"
    reply = post(server, envelope, token)
    assert reply.status == 200
    assert [w["rule"] for w in reply.body["warnings"]] == ["timeback.object.subject-other"]
    with FakeTimebackServer(strict=True) as strict:
        reply = post(strict, envelope, get_token(strict))
        assert reply.status == 400
        assert [(e["rule"], e["severity"]) for e in reply.body["errors"]] == [
            ("timeback.object.subject-other", "error")
        ]
    with FakeTimebackServer(strict=True, ignore=["timeback.object.subject-other"]) as lenient:
        assert post(lenient, envelope, get_token(lenient)).status == 200


def test_another_contract_can_be_configured(reference_dir):
    contract = Contract.from_openapi(reference_dir / "other-versions" / "timeback-events-api.alt.yaml")
    with FakeTimebackServer(contract=contract) as server:
        assert server.contract is contract
        assert post(server, seeds.activity(), get_token(server)).status == 200


# -- refusing what the API refuses -----------------------------------------------------


def test_no_token_gets_401_with_a_bearer_challenge(server):
    reply = post(server, seeds.activity(), None)
    assert reply.status == 401
    assert reply.body["status"] == "error"
    assert reply.body["message"].startswith("missing bearer token")
    assert reply.headers["WWW-Authenticate"] == 'Bearer realm="timeback"'
    assert server.received == ()
    assert server.requests[-1].status == 401


@pytest.mark.parametrize(
    ("authorization", "says"),
    [
        ("Bearer not-a-token-we-issued", "not one this server issued"),
        ("Basic dXNlcjpwYXNz", "must be 'Bearer <token>'"),
        ("Bearer", "must be 'Bearer <token>'"),
    ],
)
def test_a_wrong_token_gets_401(server, authorization, says):
    reply = call(
        "POST",
        server.event_url,
        data=json.dumps(seeds.activity()).encode(),
        headers={"Content-Type": "application/json", "Authorization": authorization},
    )
    assert reply.status == 401
    assert says in reply.body["message"]
    assert 'error="invalid_token"' in reply.headers["WWW-Authenticate"]
    assert server.received == ()


def test_an_expired_token_gets_401_saying_so_and_a_new_token_works(server, clock, token):
    clock.advance(3599)
    assert post(server, seeds.activity(), token).status == 200
    clock.advance(61)
    reply = post(server, seeds.activity(), token)
    assert reply.status == 401
    assert reply.body["message"] == "the bearer token expired 60 s ago: get a new one from POST /oauth2/token"
    assert 'error_description="the access token expired"' in reply.headers["WWW-Authenticate"]
    assert post(server, seeds.activity(), get_token(server)).status == 200
    assert len(server.received) == 2


def test_the_token_lifetime_is_configurable():
    clock = ManualClock()
    with FakeTimebackServer(token_ttl=60, clock=clock) as server:
        form = f"grant_type=client_credentials&client_id={server.client_id}&client_secret={server.client_secret}"
        reply = call("POST", server.token_url, data=form.encode())
        assert reply.body["expires_in"] == 60
        clock.advance(60)
        assert post(server, seeds.activity(), reply.body["access_token"]).status == 401


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"sensor": ', "the body is not JSON the API can read: line 1 column 12"),
        (b"", "the body is not JSON the API can read: line 1 column 1"),
        (b"\xff\xfe{}", "not UTF-8 text"),
        (b'{"a": 1, "a": 2}', "json.duplicate-key"),
    ],
)
def test_malformed_json_gets_400_naming_what_is_wrong(server, token, body, message):
    reply = post(server, body, token)
    assert reply.status == 400
    assert message in reply.body["message"]
    assert reply.body["errors"][0]["rule"].startswith("json.")
    (rejected,) = server.rejected
    assert rejected.body == body
    if body.startswith(b'{"sensor'):
        assert rejected.envelope is None


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        ({"Content-Type": "text/plain"}, "got text/plain"),
        ({"Content-Type": "application/x-www-form-urlencoded"}, "got application/x-www-form-urlencoded"),
        ({"Content-Type": "application/json; charset=latin-1"}, "charset=latin-1"),
        ({"Content-Type": "application/json", "Content-Encoding": "gzip"}, "Content-Encoding gzip"),
    ],
)
def test_a_wrong_content_type_gets_415(server, token, headers, says):
    headers = {**headers, "Authorization": f"Bearer {token}"}
    reply = call("POST", server.event_url, data=json.dumps(seeds.activity()).encode(), headers=headers)
    assert reply.status == 415
    assert says in reply.body["message"]
    assert server.received == ()


def test_a_missing_content_type_gets_415(server, token):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    body = json.dumps(seeds.activity()).encode()
    connection.putrequest("POST", "/caliper/event", skip_accept_encoding=True)
    connection.putheader("Authorization", f"Bearer {token}")
    connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body)
    response = connection.getresponse()
    assert response.status == 415
    assert json.loads(response.read())["message"] == (
        "send the envelope as Content-Type: application/json, got no Content-Type header"
    )
    connection.close()


def test_the_application_json_media_type_is_matched_without_regard_to_case_or_charset(server, token):
    reply = post(server, seeds.activity(), token, content_type="Application/JSON; charset=UTF-8")
    assert reply.status == 200


def test_an_oversized_body_gets_413_and_the_client_reads_it():
    with FakeTimebackServer(max_body_bytes=2000) as server:
        token = get_token(server)
        big = seeds.activity()
        big["data"][0]["extensions"] = {"padding": "x" * 5000}
        reply = post(server, big, token)
        assert reply.status == 413
        assert reply.body["message"].startswith("the body is ")
        assert "at most 2000 bytes" in reply.body["message"]
        assert reply.headers["Connection"] == "close"
        fits = json.dumps(seeds.activity()).encode()
        assert len(fits) <= 2000
        assert post(server, fits, token).status == 200
        assert [request.status for request in server.requests] == [200, 413, 200]


def test_a_client_that_expects_100_continue_hears_413_before_sending_a_large_body():
    with FakeTimebackServer(max_body_bytes=10) as server, socket.create_connection(("127.0.0.1", server.port)) as raw:
        raw.settimeout(5)
        raw.sendall(b"POST /caliper/event HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n")
        head = raw.recv(4096)
        assert head.startswith(b"HTTP/1.1 413 ")


def test_a_missing_content_length_gets_411(server, token):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    connection.putrequest("POST", "/caliper/event")
    connection.putheader("Authorization", f"Bearer {token}")
    connection.putheader("Content-Type", "application/json")
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 411
    assert json.loads(response.read()) == {"status": "error", "message": "a POST needs a Content-Length header"}
    connection.close()


def test_a_chunked_body_gets_411_asking_for_a_content_length(server, token):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    chunks = iter([json.dumps(seeds.activity()).encode()])
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    connection.request("POST", "/caliper/event", body=chunks, headers=headers, encode_chunked=True)
    response = connection.getresponse()
    assert response.status == 411
    assert "Content-Length" in json.loads(response.read())["message"]
    connection.close()
    assert server.received == ()


def slow_client(server: FakeTimebackServer, sent: bytes) -> bytes:
    """Send part of a request, then wait for whatever the server says."""
    with socket.create_connection(("127.0.0.1", server.port)) as raw:
        raw.settimeout(5)
        raw.sendall(sent)
        answer = b""
        while chunk := raw.recv(4096):
            answer += chunk
        return answer


@pytest.mark.parametrize(
    "sent",
    [
        pytest.param(b'POST /caliper/event HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"sensor"', id="body"),
        pytest.param(b"POST /caliper/event HTTP/1.1\r\nHost: x\r\n", id="headers"),
        pytest.param(b"", id="nothing"),
    ],
)
def test_a_slow_client_gets_408_and_the_server_goes_on(sent):
    with FakeTimebackServer(request_timeout=0.2) as server:
        started = time.monotonic()
        answer = slow_client(server, sent)
        assert time.monotonic() - started < 3
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408 ")
        assert b"Connection: close" in head
        assert "did not arrive in time" in json.loads(body)["message"]
        assert post(server, seeds.activity(), get_token(server)).status == 200


def test_an_unparsable_request_line_gets_a_json_400(server):
    answer = slow_client(server, b"this is not http\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert json.loads(body)["status"] == "error"


@pytest.mark.parametrize(
    ("method", "path", "status", "allow"),
    [
        ("GET", "/caliper/event", 405, "POST"),
        ("PUT", "/caliper/event/validate", 405, "POST"),
        ("PATCH", "/caliper/events", 405, "GET"),
        ("DELETE", "/jobs/abc/status", 405, "GET"),
        ("GET", "/oauth2/token", 405, "POST"),
        ("POST", "/caliper/event/", 404, None),
        ("GET", "/", 404, None),
        ("POST", "/v1/caliper/event", 404, None),
    ],
)
def test_unknown_paths_get_404_and_wrong_methods_405(server, token, method, path, status, allow):
    data = b"{}" if method in ("POST", "PUT", "PATCH") else None
    reply = call(method, server.url + path, data=data, headers={"Authorization": f"Bearer {token}"})
    assert reply.status == status
    assert reply.body["status"] == "error"
    assert reply.headers["Allow"] == allow
    if status == 404:
        assert "this server serves POST /oauth2/token, POST /caliper/event" in reply.body["message"]


class _BrokenContract(Contract):
    def validate(self, payload: Any, *, strict: bool = False, ignore: Any = ()) -> Any:
        if payload == b'{"boom": true}':
            raise RuntimeError("boom")
        return super().validate(payload, strict=strict, ignore=ignore)


def test_an_exception_in_a_handler_becomes_a_recorded_500_and_the_server_lives_on():
    contract = _BrokenContract(Contract.default().document)
    with FakeTimebackServer(contract=contract) as server:
        token = get_token(server)
        reply = post(server, b'{"boom": true}', token)
        assert reply.status == 500
        assert reply.body == {
            "status": "error",
            "message": "the fake server failed: RuntimeError: boom (recorded in server.errors)",
        }
        (error,) = server.errors
        assert (error.method, error.path, error.error) == ("POST", "/caliper/event", "RuntimeError: boom")
        assert "raise RuntimeError" in error.traceback
        assert post(server, seeds.activity(), token).status == 200


def test_one_keep_alive_connection_carries_the_whole_conversation(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    form = f"grant_type=client_credentials&client_id={server.client_id}&client_secret={server.client_secret}"
    connection.request(
        "POST", "/oauth2/token", body=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    token = json.loads(connection.getresponse().read())["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    connection.request("POST", "/caliper/event", body=json.dumps(seeds.activity()), headers=headers)
    job_id = json.loads(connection.getresponse().read())["jobId"]
    connection.request("GET", "/nowhere", headers=headers)
    assert connection.getresponse().read()
    connection.request("GET", f"/jobs/{job_id}/status", headers=headers)
    response = connection.getresponse()
    assert response.status == 200
    assert json.loads(response.read())["state"] == "completed"
    connection.close()


# -- many senders at once --------------------------------------------------------------


def test_sixteen_threads_posting_at_once_lose_and_duplicate_nothing(server, token):
    per_thread = 5
    sent: list[list[str]] = [[] for _ in range(16)]
    failures: list[BaseException] = []

    def sender(index: int) -> None:
        try:
            for _ in range(per_thread):
                envelope = envelope_with()
                sent[index].append(envelope["data"][0]["id"])
                assert post(server, envelope, token).status == 200
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=sender, args=(index,)) for index in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    received_ids = [event["id"] for event in server.events()]
    assert len(received_ids) == 16 * per_thread
    assert sorted(received_ids) == sorted(event_id for ids in sent for event_id in ids)
    assert server.duplicate_event_ids() == []
    assert len({received.job_id for received in server.received}) == 16 * per_thread
    for ids in sent:  # each sender's events arrive in the order it sent them
        assert [event_id for event_id in received_ids if event_id in ids] == ids


# -- failure injection -----------------------------------------------------------------


def test_fail_next_answers_the_next_requests_with_500_then_the_api_works_again(server, token):
    server.fail_next(2)
    first, second, third = (post(server, seeds.activity(), token) for _ in range(3))
    assert (first.status, second.status, third.status) == (500, 500, 200)
    assert first.body == {
        "status": "error",
        "message": "injected failure: HTTP 500 Internal Server Error (server.fail_next)",
    }
    assert len(server.received) == 1
    assert [request.status for request in server.requests[1:]] == [500, 500, 200]


def test_fail_next_429_sends_retry_after(server, token):
    server.fail_next(1, status=429, retry_after=2)
    reply = post(server, seeds.activity(), token)
    assert reply.status == 429
    assert reply.headers["Retry-After"] == "2"
    assert "429 Too Many Requests" in reply.body["message"]
    assert post(server, seeds.activity(), token).status == 200


def test_injected_failures_apply_to_the_event_endpoints_only(server, token):
    server.fail_next(1, status=503)
    assert get(server, "/caliper/events", token).status == 200
    assert post(server, seeds.activity(), token, path="/caliper/event/validate").status == 503
    assert post(server, seeds.activity(), token).status == 200


@pytest.mark.parametrize(
    ("inject", "says"),
    [
        (lambda server: server.fail_next(1, status=200), "(an HTTP error status) must be a whole number from 400"),
        (lambda server: server.fail_next(0), "fail_next must be a whole number >= 1, got 0"),
        (lambda server: server.fail_next(1, retry_after=-1), "retry_after seconds must be a whole number >= 0"),
        (lambda server: server.fail_next(1, retry_after="1\r\nX-Injected: 1"), "retry_after must be seconds or an"),
        (lambda server: server.delay_next(1, -1), "delay_next seconds must be a finite number of seconds >= 0"),
        (lambda server: server.delay_next(1, float("nan")), "got nan"),
        (lambda server: server.delay_next(1, float("inf")), "got inf"),
    ],
)
def test_fail_next_and_delay_next_check_their_arguments(server, inject, says):
    with pytest.raises(ValueError, match=re.escape(says)):
        inject(server)
    assert post(server, seeds.activity(), get_token(server)).status == 200


def test_a_delayed_request_times_the_client_out_yet_is_stored_so_a_blind_retry_duplicates(server, token):
    server.delay_next(1, 0.4)
    envelope = envelope_with()
    with pytest.raises(TimeoutError):
        post(server, envelope, token, timeout=0.1)
    retried = post(server, envelope, token)  # the next request is not delayed
    assert retried.status == 200
    deadline = time.monotonic() + 3
    while len(server.received) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.duplicate_event_ids() == [envelope["data"][0]["id"]]


def test_duplicate_events_groups_resends_by_id_and_blind_retries_by_content(server, token):
    first = envelope_with()
    resent = copy.deepcopy(first)  # the same event id: a transport-level retry
    retried = copy.deepcopy(first)  # made afresh, as an SDK call does: new id, new time, new generated id
    retried["data"][0].update(id=f"urn:uuid:{uuid.uuid4()}", eventTime="2024-04-24T14:13:00.000Z")
    retried["data"][0]["generated"]["id"] = "https://your-app-url.com/ims/metrics/collections/activity/2"
    other = envelope_with()
    other["data"][0]["generated"]["items"][0]["value"] = 11  # another attempt, not a retry
    for envelope in (first, resent, retried, other):
        assert post(server, envelope, token).status == 200
    events = [envelope["data"][0] for envelope in (first, resent, retried, other)]
    assert server.duplicate_events(by="id") == server.duplicate_events() == [events[:2]]
    assert server.duplicate_event_ids() == [first["data"][0]["id"]]
    assert server.duplicate_events(by="content") == [events[:3]]
    with pytest.raises(ValueError, match="takes 'id' or 'content', got 'time'"):
        server.duplicate_events(by="time")  # type: ignore[arg-type]


def test_no_duplicates_is_an_empty_list(server, token):
    for correct in (7, 8):
        envelope = envelope_with()
        envelope["data"][0]["generated"]["items"][1]["value"] = correct
        assert post(server, envelope, token).status == 200
    assert server.duplicate_events(by="content") == server.duplicate_events(by="id") == []


# -- /caliper/event/validate -------------------------------------------------------------


def test_validate_answers_like_send_but_never_stores(server, token):
    reply = post(server, seeds.activity(), token, path="/caliper/event/validate")
    assert reply.status == 200
    assert reply.body["status"] == "success"
    assert "nothing was stored" in reply.body["message"]
    assert "jobId" not in reply.body
    invalid = seeds.activity()
    invalid["dataVersion"] = "1.2"
    reply = post(server, invalid, token, path="/caliper/event/validate")
    assert reply.status == 400
    assert [(e["path"], e["rule"]) for e in reply.body["errors"]] == [("/dataVersion", "openapi.const")]
    assert server.received == ()
    assert server.rejected == ()
    assert get(server, "/caliper/events", token).body["events"] == []
    assert post(server, seeds.activity(), None, path="/caliper/event/validate").status == 401


# -- polling: GET /caliper/events and GET /jobs/{id}/status ------------------------------------


@pytest.fixture
def three_stored(server, token) -> list[Any]:
    """Three accepted events from two sensors, two actors and three days."""
    other_actor = {
        **seeds.activity()["data"][0]["actor"],
        "id": "https://example.com/users/2",
        "email": "b@example.com",
    }
    envelopes = [
        envelope_with(eventTime="2024-04-23T10:00:00.000Z"),
        envelope_with(eventTime="2024-04-24T10:00:00.000Z", sensor="https://other.example.com"),
        envelope_with(eventTime="2024-04-25T10:00:00+02:00", actor=other_actor),
    ]
    for envelope in envelopes:
        assert post(server, envelope, token).status == 200
    return [envelope["data"][0] for envelope in envelopes]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [0, 1, 2]),
        ("sensor=https%3A%2F%2Fother.example.com", [1]),
        ("actorId=https%3A%2F%2Fexample.com%2Fusers%2F2", [2]),
        ("actorEmail=student.email%40example.com", [0, 1]),
        ("startDate=2024-04-24", [1, 2]),
        ("endDate=2024-04-24", [0, 1]),
        ("startDate=2024-04-24T10:00:00Z&endDate=2024-04-25T08:00:00Z", [1, 2]),
        ("startDate=2024-04-24T10:00:00.001Z", [2]),
        ("limit=2", [0, 1]),
        ("limit=2&offset=2", [2]),
        ("offset=5", []),
    ],
)
def test_stored_events_can_be_filtered_and_paged(server, token, three_stored, query, expected):
    reply = get(server, f"/caliper/events?{query}", token)
    assert reply.status == 200
    assert reply.body["status"] == "success"
    assert [record["externalId"] for record in reply.body["events"]] == [three_stored[i]["id"] for i in expected]


@pytest.mark.parametrize(
    ("query", "pagination"),
    [
        ("limit=1&offset=1", {"total": 3, "totalPages": 3, "currentPage": 2, "limit": 1, "offset": 1}),
        ("", {"total": 3, "totalPages": 1, "currentPage": 1, "limit": 100, "offset": 0}),
        ("limit=2&offset=1", {"total": 3, "totalPages": 2, "currentPage": 1, "limit": 2, "offset": 1}),
        ("offset=7", {"total": 3, "totalPages": 1, "currentPage": 1, "limit": 100, "offset": 7}),
        ("limit=2&offset=2&actorId=nobody", {"total": 0, "totalPages": 0, "currentPage": 2, "limit": 2, "offset": 2}),
    ],
)
def test_the_listing_says_how_many_match_and_which_page_it_is(server, token, three_stored, query, pagination):
    body = get(server, f"/caliper/events?{query}", token).body
    assert set(body) == {"status", "message", "events", "pagination"}
    assert body["pagination"] == pagination
    assert body["message"] == f"{len(body['events'])} of {pagination['total']} matching event(s)"


def test_listed_events_are_records_of_the_event_and_the_envelope_it_came_in(server, token, three_stored):
    sent = envelope_with(sensor="https://sensor.example.com", session={"id": "urn:uuid:1", "type": "Session"})
    assert post(server, sent, token).status == 200
    records = get(server, "/caliper/events", token).body["events"]
    assert [record["id"] for record in records] == [1, 2, 3, 4]
    record, event = records[3], sent["data"][0]
    assert record == {
        "id": 4,
        "externalId": event["id"],
        "sensor": "https://sensor.example.com",
        "type": "ActivityEvent",
        "profile": "TimebackProfile",
        "action": "Completed",
        "eventTime": event["eventTime"],
        "sendTime": sent["sendTime"],
        "created_at": record["created_at"],
        "updated_at": record["created_at"],
        "deleted_at": None,
        "actor": event["actor"],
        "object": event["object"],
        "generated": event["generated"],
        "target": None,
        "referrer": None,
        "edApp": None,
        "group": None,
        "membership": None,
        "session": {"id": "urn:uuid:1", "type": "Session"},
        "federatedSession": None,
        "extensions": None,
        "clientAppId": server.client_id,
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["created_at"])


def test_one_event_is_got_by_its_external_id(server, token, three_stored):
    event_id = three_stored[1]["id"]
    reply = get(server, f"/caliper/events/{urllib.parse.quote(event_id, safe='')}", token)
    assert reply.status == 200
    assert set(reply.body) == {"status", "message", "event"}
    assert reply.body["event"] == get(server, "/caliper/events", token).body["events"][1]
    assert get(server, f"/caliper/events/{event_id}", token).body["event"]["externalId"] == event_id  # unescaped ":"
    missing = get(server, "/caliper/events/urn:uuid:nothing", token)
    assert (missing.status, missing.body["message"]) == (404, "no event with externalId 'urn:uuid:nothing'")
    by_record_id = get(server, "/caliper/events/2", token)
    assert by_record_id.status == 404
    assert "takes the events' externalId, not the record's numeric id" in by_record_id.body["message"]
    assert get(server, f"/caliper/events/{event_id}", None).status == 401


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("limit=ten", "limit must be a whole number >= 1 of at most 18 digits, got 'ten'"),
        ("limit=0", "limit must be a whole number >= 1"),
        ("offset=-1", "offset must be a whole number >= 0 of at most 18 digits, got '-1'"),
        ("offset=1234567890123456789", "offset must be a whole number >= 0 of at most 18 digits"),
        ("startDate=yesterday", "startDate must be an ISO 8601 date"),
        ("endDate=2024-13-01", "endDate must be an ISO 8601 date"),
        # Past the last moment Python's datetime holds once in UTC: once a 500.
        ("startDate=9999-12-31T23:59:59-23:59", "startDate must be an ISO 8601 date"),
        ("limit=%D9%A1", "limit must be a whole number >= 1 of at most 18 digits, got '\u0661'"),  # Arabic-Indic 1
        ("actor_id=x", "unknown query parameter 'actor_id'; did you mean 'actorId'?"),
        ("limit=1&limit=2", "'limit' appears more than once"),
    ],
)
def test_bad_listing_parameters_get_400_naming_the_parameter(server, token, query, says):
    reply = get(server, f"/caliper/events?{query}", token)
    assert reply.status == 400
    assert says in reply.body["message"]


def test_job_status_reports_the_ids_allocated_to_each_event(server, token):
    envelope = seeds.activity()
    envelope["data"].append(envelope_with()["data"][0])
    job_id = post(server, envelope, token).body["jobId"]
    reply = get(server, f"/jobs/{job_id}/status", token)
    assert reply.status == 200
    assert reply.body["id"] == job_id
    assert reply.body["state"] == "completed"
    assert reply.body["returnValue"]["status"] == "success"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", reply.body["processedOn"])
    results = reply.body["returnValue"]["results"]
    assert [result["externalId"] for result in results] == [event["id"] for event in envelope["data"]]
    # allocatedId is the id of the event's record in the listing, as a string.
    records = get(server, "/caliper/events", token).body["events"]
    assert [result["allocatedId"] for result in results] == [str(record["id"]) for record in records] == ["1", "2"]


def test_unknown_jobs_get_404_and_polling_needs_the_token(server, token):
    reply = get(server, "/jobs/no-such-job/status", token)
    assert reply.status == 404
    assert "no job 'no-such-job'" in reply.body["message"]
    job_id = post(server, seeds.activity(), token).body["jobId"]
    assert get(server, f"/jobs/{job_id}/status", None).status == 401
    assert get(server, "/caliper/events", None).status == 401
    assert get(server, "/caliper/events", "forged").status == 401


# -- hostile clients: a 4xx and the server goes on, never a 500 or a held thread ----------------


def raw_request(method: str, target: str, headers: dict[str, str | bytes], body: bytes = b"") -> bytes:
    """A request as bytes, exactly as given: header values may be bytes no client library would send."""
    lines = [f"{method} {target} HTTP/1.1".encode(), b"Host: 127.0.0.1"]
    for name, value in {**headers, "Content-Length": str(len(body))}.items():
        lines.append(name.encode() + b": " + (value if isinstance(value, bytes) else value.encode()))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def raw_exchange(server: FakeTimebackServer, sent: bytes) -> tuple[int, Any]:
    """Send raw bytes; read one response with http.client's parser."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
        raw.sendall(sent)
        response = http.client.HTTPResponse(raw)
        response.begin()
        return response.status, json.loads(response.read())


def _five_thousand_digit_integer() -> bytes:
    envelope = seeds.activity()
    envelope["data"][0]["extensions"] = {"count": 0}
    return json.dumps(envelope).encode().replace(b'"count": 0', b'"count": ' + b"9" * 5000)


_FORM = {"Content-Type": "application/x-www-form-urlencoded"}
_JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("request_for", "status", "says"),
    [
        pytest.param(
            lambda token: raw_request(
                "POST",
                "/oauth2/token",
                {**_FORM, "Authorization": "Basic éé".encode()},
                b"grant_type=client_credentials",
            ),
            401,
            "not base64 of UTF-8",
            id="basic-credentials-not-ascii",
        ),
        pytest.param(
            lambda token: raw_request(
                "GET", "/caliper/events?limit=" + "1" * 5000, {"Authorization": f"Bearer {token}"}
            ),
            400,
            "limit must be a whole number >= 1 of at most 18 digits, got '1111",
            id="limit-of-5000-digits",
        ),
        pytest.param(
            lambda token: raw_request(
                "POST", "/caliper/event", {**_JSON, "Authorization": f"Bearer {token}"}, _five_thousand_digit_integer()
            ),
            400,
            "digits is too long to check [json.value]",
            id="body-with-a-5000-digit-integer",
        ),
        pytest.param(
            lambda token: raw_request("POST", "/caliper/event", {**_JSON, "Authorization": f"Bearer {token}"}).replace(
                b"Content-Length: 0", b"Content-Length: " + b"7" * 5000
            ),
            413,
            "the body is a 5000-digit number of bytes",
            id="content-length-of-5000-digits",
        ),
    ],
)
def test_hostile_requests_get_a_4xx_naming_the_problem_not_a_500(server, request_for, status, says):
    token = server.issue_token()
    reply_status, body = raw_exchange(server, request_for(token))
    assert reply_status == status
    assert says in (body.get("message") or body.get("error_description"))
    assert server.errors == ()
    assert post(server, seeds.activity(), token).status == 200


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"token_ttl": float("nan")}, "token_ttl must be a finite number of seconds > 0, got nan"),
        ({"token_ttl": float("inf")}, "token_ttl must be a finite number of seconds > 0, got inf"),
        ({"token_ttl": 0}, "token_ttl must be a finite number of seconds > 0, got 0"),
        ({"token_ttl": "3600"}, "token_ttl must be a number of seconds > 0, got '3600'"),
        ({"request_timeout": float("nan")}, "request_timeout must be a finite number of seconds > 0, got nan"),
        ({"request_timeout": -1.0}, "request_timeout must be a finite number of seconds > 0, got -1.0"),
        ({"max_body_bytes": float("nan")}, "max_body_bytes must be a whole number >= 0, got nan"),
        ({"max_body_bytes": -1}, "max_body_bytes must be a whole number >= 0, got -1"),
        ({"port": 65536}, "port (0: any free port) must be a whole number from 0 to 65535, got 65536"),
        ({"port": float("nan")}, "port (0: any free port) must be a whole number from 0 to 65535, got nan"),
    ],
)
def test_nan_negative_and_non_numeric_settings_are_refused_when_the_server_is_made(options, says):
    with pytest.raises(ValueError, match=re.escape(says)):
        FakeTimebackServer(**options)


def test_a_manual_clock_refuses_nan_and_infinity():
    with pytest.raises(ValueError, match="finite number of seconds, got nan"):
        ManualClock(float("nan"))
    clock = ManualClock()
    for step in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="advance must be a finite number of seconds >= 0"):
            clock.advance(step)
    with pytest.raises(ValueError, match="cannot go back"):
        clock.advance(-1)
    assert clock() == 0.0


def trickle(raw: socket.socket, every: float, give_up: float) -> tuple[bytes, float]:
    """Send a byte every ``every`` seconds until the server answers and closes; the answer and when it came."""
    started = time.monotonic()
    raw.settimeout(every)
    answer = b""
    while time.monotonic() - started < give_up:
        with contextlib.suppress(OSError):  # the server may have closed its side already
            raw.sendall(b"a")
        try:
            chunk = raw.recv(4096)
        except TimeoutError:
            continue
        if not chunk:
            break
        answer += chunk
    return answer, time.monotonic() - started


def test_a_client_trickling_header_bytes_gets_408_after_request_timeout():
    with FakeTimebackServer(request_timeout=0.5) as server, socket.create_connection(("127.0.0.1", server.port)) as raw:
        raw.sendall(b"POST /caliper/event HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        answer, took = trickle(raw, every=0.05, give_up=5)
        assert answer.startswith(b"HTTP/1.1 408 "), answer
        assert took < 2.5  # request_timeout and scheduling slack; without a deadline on the head, never
        assert post(server, seeds.activity(), get_token(server)).status == 200


def _open_files_for(count: int) -> None:
    """Raise this process's open-file limit to at least count, as far as the hard limit lets; skip if it cannot."""
    resource = pytest.importorskip("resource", reason="resource limits are POSIX only")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < count:
        if hard != resource.RLIM_INFINITY and hard < count:
            pytest.skip(f"the open-file limit ({hard}) is below the {count} this test needs")
        resource.setrlimit(resource.RLIMIT_NOFILE, (count, hard))


def test_a_thousand_clients_trickling_headers_cannot_pin_the_server():
    clients, timeout = 1000, 2.0
    _open_files_for(2 * clients + 200)  # each connection is two sockets here: the client's and the server's
    threads_before = threading.active_count()
    with FakeTimebackServer(request_timeout=timeout) as server:
        token = server.issue_token()
        slow = []
        for number in range(clients):
            slow.append(socket.create_connection(("127.0.0.1", server.port), timeout=5))
            if number % 16 == 15:
                # The clients share the server's interpreter here: a pause lets its accept loop
                # keep up, else the listen backlog overflows and each SYN retry costs a second.
                time.sleep(0.01)
        opened = time.monotonic()
        answers = {raw: b"" for raw in slow}
        closed: set[socket.socket] = set()
        try:
            for raw in slow:
                raw.sendall(b"POST /caliper/event HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                raw.setblocking(False)
            # A well-behaved sender is served while all of them are held.
            assert post(server, seeds.activity(), token).status == 200
            served_after = time.monotonic() - opened
            with selectors.DefaultSelector() as selector:
                for raw in slow:
                    selector.register(raw, selectors.EVENT_READ)
                next_byte = 0.0
                while len(closed) < clients and time.monotonic() - opened < 30:
                    if time.monotonic() >= next_byte:
                        for raw in slow:
                            if raw not in closed:
                                with contextlib.suppress(OSError):
                                    raw.send(b"a")
                        next_byte = time.monotonic() + 0.25
                    for key, _ in selector.select(timeout=0.05):
                        raw = key.fileobj
                        assert isinstance(raw, socket.socket)
                        try:
                            chunk = raw.recv(4096)
                        except BlockingIOError:
                            continue
                        except OSError:
                            chunk = b""
                        answers[raw] += chunk
                        if not chunk:
                            selector.unregister(raw)
                            closed.add(raw)
            all_done = time.monotonic() - opened
        finally:
            for raw in slow:
                raw.close()
        assert served_after < timeout
        assert sum(answer.startswith(b"HTTP/1.1 408 ") for answer in answers.values()) == clients
        assert all_done < 20, all_done
        assert post(server, seeds.activity(), token).status == 200
    deadline = time.monotonic() + 10
    while threading.active_count() > threads_before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() <= threads_before


def test_rejected_bodies_are_kept_in_part_so_memory_does_not_grow_with_their_size():
    with FakeTimebackServer(max_body_bytes=2 * 1024 * 1024) as server:
        token = get_token(server)
        large = json.dumps({**seeds.activity(), "sensor": "x" * 1_000_000}).encode()  # JSON, and refused
        for _ in range(20):
            assert post(server, large, token).status == 400
        assert post(server, large, token, path="/caliper/event/validate").status == 400
        small = seeds.activity()
        small["dataVersion"] = "1.2"
        assert post(server, small, token).status == 400
        *large_ones, small_one = server.rejected
        assert len(large_ones) == 20
        for rejected in large_ones:
            assert (len(rejected.body), rejected.body_size) == (KEPT_BODY_BYTES, len(large))
            assert rejected.body == large[:KEPT_BODY_BYTES]
            assert rejected.envelope is None  # kept in part: not JSON any more
            assert [error.path for error in rejected.report.errors] == ["/sensor"]  # the report covers it all
        assert small_one.envelope == small
        assert small_one.body_size == len(small_one.body)
        kept_bytes = [len(request.body) for request in server.requests]
        assert max(kept_bytes) == KEPT_BODY_BYTES
        assert [request.body_size for request in server.requests[1:-1]] == [len(large)] * 21
        accepted = json.dumps({**seeds.activity(), "padding": "x" * 100_000}).encode()
        assert post(server, accepted, token).status == 200
        assert server.received[0].body == accepted  # an accepted envelope is stored whole


# -- records and configuration -------------------------------------------------------------


def test_records_are_immutable_and_their_envelopes_are_fresh_copies(server, token):
    post(server, seeds.activity(), token)
    (received,) = server.received
    with pytest.raises(dataclasses.FrozenInstanceError):
        received.job_id = "other"  # type: ignore[misc]
    received.envelope["data"].clear()
    server.events()[0]["type"] = "changed"
    assert received.envelope == seeds.activity()
    assert server.events(type="ActivityEvent") == seeds.activity()["data"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        server.requests[0].status = 200  # type: ignore[misc]
    assert isinstance(server.requests, tuple)


def test_the_server_binds_loopback_only_and_refuses_other_hosts():
    with FakeTimebackServer() as server:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
        assert server.token_url == server.url + "/oauth2/token"
    for host in ("0.0.0.0", "192.168.1.10", "example.com", "::"):
        with pytest.raises(ValueError, match="not a loopback address"):
            FakeTimebackServer(host=host)


def test_each_server_generates_its_own_credentials_and_checks_rule_ids_up_front():
    first, second = FakeTimebackServer(), FakeTimebackServer()
    assert first.client_id != second.client_id
    assert first.client_secret != second.client_secret
    with pytest.raises(UnknownRuleError, match=r"did you mean 'timeback\.null'"):
        FakeTimebackServer(ignore=["timeback.nul"])


def test_a_stopped_server_refuses_connections_and_ends_kept_alive_ones():
    server = started_server()
    port = server.port
    token = get_token(server)
    assert post(server, seeds.activity(), token).status == 200
    kept = http.client.HTTPConnection("127.0.0.1", port, timeout=5)

    def poll() -> bytes:
        kept.request("GET", "/caliper/events", headers={"Authorization": f"Bearer {token}"})
        return kept.getresponse().read()

    assert poll()
    server.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    with pytest.raises(ConnectionError):  # the kept-alive connection is not answered by a stopped server
        poll()
    kept.close()
    assert [request.path for request in server.requests] == ["/oauth2/token", "/caliper/event", "/caliper/events"]
    with pytest.raises(RuntimeError, match="not started"):
        _ = server.url


def test_started_server_applies_failure_and_delay_options():
    server = started_server(status=429, retry_after=1, delay=0.01, strict=True)
    try:
        token = get_token(server)
        reply = post(server, seeds.activity(), token)
        assert (reply.status, reply.headers["Retry-After"]) == (429, "1")
        assert post(server, seeds.activity(), token).status == 200
        assert server.strict is True
    finally:
        server.stop()
    with pytest.raises(ValueError, match="needs delay=SECONDS"):
        started_server(delay_next=2)


# -- the pytest fixture and marker ---------------------------------------------------------------

# The inner runs use no Hypothesis; leaving its plugin out makes each run several times faster.
_RUN = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "--strict-markers")

_HELPERS = """
import json, urllib.error, urllib.parse, urllib.request

import pytest

from caliper_contract import Contract

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
ENVELOPE = Contract.default().examples()[3].value


def send(server):
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": server.client_id,
                                   "client_secret": server.client_secret}).encode()
    with OPENER.open(urllib.request.Request(server.token_url, data=form)) as response:
        token = json.load(response)["access_token"]
    request = urllib.request.Request(server.url + "/caliper/event", data=json.dumps(ENVELOPE).encode(),
                                     headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    try:
        with OPENER.open(request, timeout=5) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers
"""


def test_the_caliper_server_fixture_yields_a_started_server_and_stops_it(pytester):
    pytester.makepyfile(
        _HELPERS
        + textwrap.dedent(
            """
            PORTS = []

            def test_first(caliper_server):
                assert caliper_server.url.startswith("http://127.0.0.1:")
                assert caliper_server.token_url == caliper_server.url + "/oauth2/token"
                assert send(caliper_server)[0] == 200
                assert len(caliper_server.received) == 1
                PORTS.append((caliper_server.port, caliper_server.client_id))

            def test_second_gets_a_fresh_server(caliper_server):
                assert caliper_server.received == ()
                assert (caliper_server.port, caliper_server.client_id) != PORTS[0]
                import socket
                with pytest.raises(ConnectionRefusedError):
                    socket.create_connection(("127.0.0.1", PORTS[0][0]), timeout=1)
            """
        )
    )
    result = pytester.runpytest(*_RUN)
    result.assert_outcomes(passed=2)


def test_the_caliper_server_marker_configures_the_fixture(pytester):
    pytester.makepyfile(
        _HELPERS
        + textwrap.dedent(
            """
            @pytest.mark.caliper_server(fail_next=2, status=429, retry_after=3)
            def test_failures(caliper_server):
                first, second, third = send(caliper_server), send(caliper_server), send(caliper_server)
                assert [first[0], second[0], third[0]] == [429, 429, 200]
                assert first[1]["Retry-After"] == "3"

            @pytest.mark.caliper_server(status=503)
            def test_status_alone_means_one_failure(caliper_server):
                assert [send(caliper_server)[0], send(caliper_server)[0]] == [503, 200]

            @pytest.mark.caliper_server(strict=True, client_id="app", client_secret="secret")
            def test_strict_and_credentials(caliper_server):
                assert (caliper_server.client_id, caliper_server.client_secret) == ("app", "secret")
                ENVELOPE["data"][0]["object"]["subject"] = "Other"
                try:
                    assert send(caliper_server)[0] == 400
                finally:
                    ENVELOPE["data"][0]["object"]["subject"] = "Reading"

            @pytest.mark.caliper_server(delay=0.3)
            def test_delay(caliper_server):
                import time
                started = time.monotonic()
                assert send(caliper_server)[0] == 200
                assert time.monotonic() - started >= 0.3

            @pytest.mark.caliper_server(strict=True)
            class TestOnAClass:
                def test_marker_on_the_class(self, caliper_server):
                    assert caliper_server.strict is True
            """
        )
    )
    result = pytester.runpytest(*_RUN)
    result.assert_outcomes(passed=5)


def test_a_wrong_marker_option_fails_the_test_with_a_suggestion(pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.caliper_server(stirct=True)
        def test_typo(caliper_server):
            pass

        @pytest.mark.caliper_server(True)
        def test_positional(caliper_server):
            pass

        @pytest.mark.caliper_server(ignore=["timeback.nul"])
        def test_unknown_rule(caliper_server):
            pass
        """
    )
    result = pytester.runpytest(*_RUN)
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines(
        [
            "*@pytest.mark.caliper_server has no option 'stirct'; did you mean 'strict'?*",
            "*@pytest.mark.caliper_server takes keyword options only, got (True,)*",
            "*did you mean 'timeback.null'*",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_the_marker_is_registered_for_strict_markers(pytester):
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.caliper_server(**options): configure the caliper_server fixture*"])


# -- caliper-contract serve ----------------------------------------------------------------------


def test_serve_main_runs_until_terminated_and_prints_urls_and_credentials():
    code = "import sys; from caliper_contract.cli._serve import serve_main; sys.exit(serve_main(sys.argv[1:]))"
    argv = [sys.executable, "-c", code, "--port", "0", "--client-id", "cli-app", "--client-secret", "cli-secret"]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert process.stdout is not None
        banner = [process.stdout.readline() for _ in range(7)]
        found = re.search(r"on (http://127\.0\.0\.1:\d+) \(Ctrl-C stops it\)", banner[0])
        assert found, banner
        url = found.group(1)
        assert banner[1].split() == ["token", "URL:", f"{url}/oauth2/token"]
        assert banner[4].split() == ["client", "id:", "cli-app"]
        assert banner[5].split() == ["client", "secret:", "cli-secret"]
        form = b"grant_type=client_credentials&client_id=cli-app&client_secret=cli-secret"
        token = call("POST", f"{url}/oauth2/token", data=form).body["access_token"]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        reply = call("POST", f"{url}/caliper/event", data=json.dumps(seeds.activity()).encode(), headers=headers)
        assert reply.status == 200
        assert process.stdout.readline().startswith("POST /oauth2/token -> 200")
        assert process.stdout.readline() == "POST /caliper/event -> 200 1 event(s) accepted\n"
    finally:
        process.terminate()
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert out.strip().endswith("stopped: 1 envelope(s) accepted, 0 rejected")
    assert err == ""


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--host", "0.0.0.0"], "host '0.0.0.0' is not a loopback address"),
        (["--ignore", "timeback.nul"], "did you mean 'timeback.null'"),
        (["--spec", "missing.yaml"], "missing.yaml"),
        (["--token-ttl", "nan"], "token_ttl must be a finite number of seconds > 0, got nan"),
    ],
)
def test_serve_main_refuses_bad_options_with_exit_status_two(capsys, argv, says):
    assert serve_main(["--port", "0", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("caliper-contract serve: error: ")
    assert says in err


def test_serve_main_says_when_the_port_is_taken(capsys):
    with FakeTimebackServer() as server:
        port = server.port
        assert serve_main(["--port", str(port)]) == 2
    assert f"cannot listen on 127.0.0.1:{port}: " in capsys.readouterr().err


# -- the README ------------------------------------------------------------------------------------


def test_the_readme_example_runs(monkeypatch):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Testing your HTTP client", 1)[1].split("\n## ", 1)[0]
    # The vendor SDK's example runs in interop/, where the SDK is installed.
    (code,) = [
        block for block in re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL) if "timeback" not in block
    ]
    # The example uses plain urlopen, as a reader would; keep any proxy out of its way.
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    exec(compile(code, "README.md", "exec"), {"__name__": "readme_example"})
