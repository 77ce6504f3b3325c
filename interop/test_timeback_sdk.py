"""The vendor's Python SDK, timeback-caliper, driven against FakeTimebackServer over real sockets.

Most Python senders will use this SDK, so the fake must answer in the shapes it
reads.  It needs Python >= 3.12 and the packages pinned in
interop/requirements.txt; .ci/run builds that environment and runs this file in
it (``python -m pytest interop``).  The SDK is async; each test runs one
scenario with ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from timeback_caliper import (
    APIError,
    AuthenticationError,
    CaliperClient,
    NotFoundError,
    ServerError,
    create_activity_event,
    create_time_spent_event,
)
from timeback_caliper.types import (
    ActivityCompletedInput,
    CaliperEnvelope,
    TimebackActivityContext,
    TimebackActivityMetric,
    TimebackApp,
    TimebackCourse,
    TimebackUser,
    TimeSpentInput,
    TimeSpentMetric,
)

from caliper_contract.testing import FakeTimebackServer, ManualClock

ROOT = Path(__file__).resolve().parent.parent
SENSOR = "https://app.example.com/sensors/main"
ONEROSTER = "https://api.alpha-1edtech.ai/ims/oneroster/rostering/v1p2"
T = TypeVar("T")


def student(number: int = 1) -> TimebackUser:
    return TimebackUser(id=f"{ONEROSTER}/users/{uuid.UUID(int=number)}", email=f"student{number}@example.com")


LESSON = TimebackActivityContext(
    id="https://app.example.com/lessons/fractions-1",
    subject="Math",
    app=TimebackApp(name="Fractions App"),
    course=TimebackCourse(id=f"{ONEROSTER}/courses/{uuid.UUID(int=7)}", name="Math G3"),
)


def activity(number: int = 1) -> ActivityCompletedInput:
    return ActivityCompletedInput(
        actor=student(number),
        object=LESSON,
        metrics=[
            TimebackActivityMetric(type="totalQuestions", value=10),
            TimebackActivityMetric(type="correctQuestions", value=8),
        ],
    )


def time_spent(*metrics: TimeSpentMetric) -> TimeSpentInput:
    return TimeSpentInput(
        actor=student(), object=LESSON, metrics=list(metrics or [TimeSpentMetric(type="active", value=600)])
    )


def client_for(server: FakeTimebackServer, **options: Any) -> CaliperClient:
    """The SDK configured against the fake, as README shows."""
    return CaliperClient(
        base_url=server.url,
        auth_url=server.token_url,
        client_id=server.client_id,
        client_secret=server.client_secret,
        **options,
    )


def scenario(server: FakeTimebackServer, steps: Callable[[CaliperClient], Awaitable[T]], **options: Any) -> T:
    """Run async steps with a fresh SDK client, closed afterwards."""

    async def main() -> T:
        async with client_for(server, **options) as client:
            return await steps(client)

    return asyncio.run(main())


@pytest.fixture
def server() -> Iterator[FakeTimebackServer]:
    # strict: the SDK's own builders must produce envelopes without a single warning.
    with FakeTimebackServer(strict=True) as running:
        yield running


def posts(server: FakeTimebackServer) -> list[int]:
    return [request.status for request in server.requests if request.path == "/caliper/event"]


# -- sending --------------------------------------------------------------------------------------


def test_send_activity_authenticates_with_http_basic_and_is_stored_as_sent(server):
    result = scenario(server, lambda client: client.events.send_activity(SENSOR, activity()))
    (received,) = server.received
    assert result.job_id == received.job_id
    (event,) = server.events(type="ActivityEvent", action="Completed")
    assert event["actor"]["email"] == "student1@example.com"
    assert received.report.warnings == ()
    token_request, event_request = server.requests
    assert (token_request.path, token_request.status) == ("/oauth2/token", 200)
    assert (token_request.header("Authorization") or "").startswith("Basic ")
    assert (event_request.header("Authorization") or "").startswith("Bearer ")


def test_time_spent_and_a_batch_become_jobs_with_a_result_per_event(server):
    async def steps(client: CaliperClient) -> Any:
        await client.events.send_time_spent(SENSOR, time_spent())
        batch = [create_activity_event(activity(2)), create_time_spent_event(time_spent())]
        sent = await client.events.send(SENSOR, batch)
        return batch, await client.jobs.get_status(sent.job_id)

    batch, status = scenario(server, steps)
    assert [event["type"] for event in server.events()] == ["TimeSpentEvent", "ActivityEvent", "TimeSpentEvent"]
    assert [result.external_id for result in status.return_value.results] == [event.id for event in batch]


# -- jobs -----------------------------------------------------------------------------------------


def test_job_status_and_wait_for_completion_read_the_job(server):
    async def steps(client: CaliperClient) -> Any:
        sent = await client.events.send_activity(SENSOR, activity())
        status = await client.jobs.get_status(sent.job_id)
        waited = await client.jobs.wait_for_completion(sent.job_id, timeout=5, poll_interval=0.1)
        listed = await client.events.list()
        return status, waited, listed

    status, waited, listed = scenario(server, steps)
    assert status.state == waited.state == "completed"
    assert status.return_value.status == "success"
    assert datetime.fromisoformat(status.processed_on).tzinfo is not None
    (result,) = status.return_value.results
    (record,) = listed.events
    # The job names the database id that the listing shows for the same event.
    assert (result.allocated_id, result.external_id) == (str(record.id), record.external_id)


# -- listing, streaming, getting ------------------------------------------------------------------


def test_an_empty_listing_parses(server):
    listed = scenario(server, lambda client: client.events.list())
    assert listed.events == []
    assert (listed.pagination.total, listed.pagination.total_pages) == (0, 0)


def test_list_stream_and_get_return_stored_event_records(server):
    async def steps(client: CaliperClient) -> Any:
        for number in range(1, 6):
            await client.events.send_activity(SENSOR, activity(number))
        first = await client.events.list(limit=2)
        second = await client.events.list(limit=2, offset=2)
        streamed = await client.events.stream(limit=2).to_list()
        got = await client.events.get(streamed[3].external_id)
        return first, second, streamed, got

    first, second, streamed, got = scenario(server, steps)
    sent = server.events()
    assert [record.external_id for record in streamed] == [event["id"] for event in sent]
    assert [record.external_id for record in first.events + second.events] == [event["id"] for event in sent[:4]]
    assert first.pagination.model_dump() == {"total": 5, "total_pages": 3, "current_page": 1, "limit": 2}
    assert second.pagination.current_page == 2
    assert got == streamed[3]
    assert len({record.id for record in streamed}) == 5
    record, event, envelope = got, sent[3], server.received[3].envelope
    assert (record.sensor, record.send_time) == (SENSOR, envelope["sendTime"])
    assert (record.type, record.action, record.profile) == ("ActivityEvent", "Completed", "TimebackProfile")
    assert (record.event_time, record.actor, record.object) == (event["eventTime"], event["actor"], event["object"])
    assert record.generated == event["generated"]
    assert datetime.fromisoformat(record.created_at).tzinfo is not None
    assert record.client_app_id == server.client_id


def test_listing_filters_are_the_ones_the_sdk_sends(server):
    async def steps(client: CaliperClient) -> Any:
        await client.events.send_activity(SENSOR, activity(1))
        await client.events.send_activity("https://other.example.com/sensor", activity(2))
        return (
            await client.events.list(actor_email="student2@example.com"),
            await client.events.list(sensor=SENSOR),
            await client.events.list(actor_id=student(1).id),
            await client.events.list(start_date="2000-01-01", end_date="2000-12-31"),
            await client.events.stream(start_date="2000-01-01").to_list(),
        )

    by_email, by_sensor, by_actor, in_2000, streamed = scenario(server, steps)
    assert [record.actor["email"] for record in by_email.events] == ["student2@example.com"]
    assert [record.sensor for record in by_sensor.events] == [SENSOR]
    assert [record.actor["id"] for record in by_actor.events] == [student(1).id]
    assert (in_2000.events, in_2000.pagination.total) == ([], 0)
    assert len(streamed) == 2


def test_getting_an_unknown_event_is_a_not_found_that_names_the_event(server):
    async def steps(client: CaliperClient) -> Any:
        await client.events.send_activity(SENSOR, activity())
        with pytest.raises(NotFoundError) as missing:
            await client.events.get("urn:uuid:00000000-0000-0000-0000-000000000000")
        (record,) = (await client.events.list()).events
        with pytest.raises(NotFoundError) as by_record_id:
            await client.events.get(str(record.id))
        return missing.value, by_record_id.value

    missing, by_record_id = scenario(server, steps)
    assert "no event with externalId 'urn:uuid:00000000-0000-0000-0000-000000000000'" in missing.message
    assert "no endpoint" not in missing.message
    assert "the events' externalId" in by_record_id.message


# -- tokens ---------------------------------------------------------------------------------------


def test_an_expired_token_is_a_401_the_sdk_raises_and_the_next_call_gets_a_new_token():
    clock = ManualClock()
    with FakeTimebackServer(clock=clock) as server:

        async def steps(client: CaliperClient) -> Any:
            await client.events.send_activity(SENSOR, activity())
            clock.advance(3600)
            with pytest.raises(AuthenticationError) as expired:
                await client.events.send_activity(SENSOR, activity())
            await client.events.send_activity(SENSOR, activity())
            return expired.value

        expired = scenario(server, steps)
        assert expired.status_code == 401
        assert "expired" in expired.message
        assert [request.status for request in server.requests if request.path == "/oauth2/token"] == [200, 200]
        assert len(server.received) == 2


def test_a_token_shorter_than_the_sdks_60_second_margin_is_fetched_before_every_call():
    with FakeTimebackServer(token_ttl=30) as server:

        async def steps(client: CaliperClient) -> None:
            for _ in range(3):
                await client.events.send_activity(SENSOR, activity())

        scenario(server, steps)
        assert [request.path for request in server.requests] == ["/oauth2/token", "/caliper/event"] * 3


# -- injected failures and the SDK's retries --------------------------------------------------------


@pytest.mark.parametrize("status", [429, 503])
def test_the_sdk_retries_429_and_503_and_the_event_is_stored_once(server, status):
    server.fail_next(2, status=status, retry_after=0)
    scenario(server, lambda client: client.events.send_activity(SENSOR, activity()))
    assert posts(server) == [status, status, 200]
    assert len(server.received) == 1


def test_the_sdk_waits_as_long_as_retry_after_says(server):
    server.fail_next(1, status=429, retry_after=1)
    scenario(server, lambda client: client.events.send_activity(SENSOR, activity()))
    failed, accepted = (request for request in server.requests if request.path == "/caliper/event")
    assert accepted.at - failed.at >= 1.0


def test_after_three_503s_the_sdk_gives_up_and_a_500_is_not_retried(server):
    server.fail_next(3, status=503, retry_after=0)
    with pytest.raises(ServerError) as unavailable:
        scenario(server, lambda client: client.events.send_activity(SENSOR, activity()))
    assert unavailable.value.status_code == 503
    assert posts(server) == [503, 503, 503]
    server.fail_next(1, status=500)
    with pytest.raises(ServerError):
        scenario(server, lambda client: client.events.send_activity(SENSOR, activity()))
    assert posts(server) == [503, 503, 503, 500]
    assert server.received == ()


def test_a_timeout_then_an_app_level_retry_stores_the_event_twice_under_two_ids(server):
    server.delay_next(1, 1.0)

    async def steps(client: CaliperClient) -> None:
        with pytest.raises(APIError) as timed_out:
            await client.events.send_activity(SENSOR, activity())
        assert timed_out.value.status_code == 408  # the SDK's own timeout, not the server's answer
        deadline = time.monotonic() + 5
        while not server.received and time.monotonic() < deadline:
            await asyncio.sleep(0.02)  # the delayed request is still stored, as a real server would
        await client.events.send_activity(SENSOR, activity())

    scenario(server, steps, timeout=0.3)
    first, second = server.events()
    assert first["id"] != second["id"]
    assert server.duplicate_event_ids() == []
    assert server.duplicate_events(by="content") == [[first, second]]


# -- validate and the contract's verdicts -----------------------------------------------------------


def test_validate_returns_success_for_a_valid_envelope_and_the_sdk_raises_on_the_documented_400(server):
    event = create_activity_event(activity()).model_dump(mode="json", by_alias=True, exclude_none=True)
    envelope = CaliperEnvelope(
        sensor=SENSOR,
        sendTime="2024-04-24T14:12:05.000Z",
        dataVersion="http://purl.imsglobal.org/ctx/caliper/v1p2",
        data=[event],
    )
    invalid = envelope.model_copy(update={"data_version": "1.2"})

    async def steps(client: CaliperClient) -> Any:
        valid = await client.events.validate(envelope)
        with pytest.raises(APIError) as refused:
            await client.events.validate(invalid)
        return valid, refused.value

    valid, refused = scenario(server, steps)
    assert valid.status == "success"
    # The fake answers 400 {status: "error", message, errors} as the published API
    # document says; the SDK raises on it instead of returning status="error".
    assert refused.status_code == 400
    assert refused.response["status"] == "error"
    assert [(error["path"], error["rule"]) for error in refused.response["errors"]] == [
        ("/dataVersion", "openapi.const")
    ]
    assert server.received == ()


def test_the_sdks_sub_type_time_spent_metric_is_refused_by_default():
    with FakeTimebackServer() as server:  # default settings, not strict
        metric = TimeSpentMetric(type="waste", sub_type="eating", value=120)
        with pytest.raises(APIError) as refused:
            scenario(server, lambda client: client.events.send_time_spent(SENSOR, time_spent(metric)))
        assert refused.value.status_code == 400
        assert "timeback.misnamed-property" in refused.value.message
        assert "/data/0/generated/items/0/sub_type" in refused.value.message
        assert server.received == ()


# -- README ---------------------------------------------------------------------------------------


def test_the_readme_sdk_example_runs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Testing your HTTP client", 1)[1].split("\n## ", 1)[0]
    (code,) = [
        block for block in re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL) if "timeback_caliper" in block
    ]
    exec(compile(code, "README.md", "exec"), {"__name__": "readme_sdk_example"})
