"""Hostile and broken input: validate() always answers with a Report, in time proportional to the input."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caliper_contract import RULES, Contract, Report, validate
from caliper_contract._breaches import apply_breach
from caliper_contract._jsonvalue import MAX_DEPTH
from caliper_contract.openapi import bundled_path, load
from tests import seeds


def _nested(depth: int, kind: str) -> Any:
    value: Any = {}
    for _ in range(depth):
        value = {"a": value} if kind == "object" else [value]
    return value


def _only(report: Report, rule: str) -> bool:
    return [v.rule for v in report] == [rule]


@pytest.mark.parametrize("kind", ["object", "array"])
def test_100000_levels_of_nesting_are_a_violation_not_a_recursion_error(kind):
    value = _nested(100_000, kind)
    assert _only(validate(value), "json.too-deep")
    envelope = seeds.activity()
    envelope["data"][0]["object"]["extensions"] = {"deep": value}
    report = validate(envelope)
    assert [v.rule for v in report] == ["json.too-deep"]
    assert report.violations[0].path.startswith("/data/0/object/extensions/deep/")


@pytest.mark.parametrize("kind", ["object", "array"])
def test_100000_levels_of_nesting_in_json_text(kind):
    opener, closer = ("{" + '"a":', "}") if kind == "object" else ("[", "]")
    text = opener * 100_000 + "1" + closer * 100_000
    assert _only(validate(text), "json.too-deep")


def test_nesting_just_inside_the_limit_is_checked_normally():
    envelope = seeds.activity()
    envelope["data"][0]["object"]["extensions"] = {"deep": _nested(MAX_DEPTH - 10, "array")}
    assert validate(envelope).ok


def test_a_one_megabyte_string_is_checked():
    envelope = seeds.activity()
    envelope["data"][0]["object"]["activity"]["name"] = "x" * 1_000_000
    assert validate(envelope).ok
    envelope["sensor"] = "y" * 1_000_000
    assert [(v.path, v.rule) for v in validate(envelope)] == [("/sensor", "openapi.format")]


def test_a_100000_event_envelope_is_checked():
    envelope = seeds.activity()
    event = envelope["data"][0]
    envelope["data"] = [dict(event, id=f"urn:uuid:00000000-0000-4000-8000-{n:012d}") for n in range(100_000)]
    envelope["data"][99_999] = dict(event, id=envelope["data"][0]["id"])
    assert [(v.path, v.rule) for v in validate(envelope)] == [("/data/99999/id", "envelope.duplicate-event-id")]


@pytest.mark.parametrize(
    ("value", "path"),
    [
        (math.nan, "/data/0/generated/items/2/value"),
        (math.inf, "/data/0/generated/items/2/value"),
        (-math.inf, "/data/0/generated/items/2/value"),
    ],
)
def test_nan_and_infinity_are_not_json(value, path):
    envelope = seeds.activity()
    envelope["data"][0]["generated"]["items"][2]["value"] = value
    assert ("json.value", path) in {(v.rule, v.path) for v in validate(envelope)}


def test_booleans_where_numbers_belong_are_reported():
    envelope = seeds.activity()
    for item in envelope["data"][0]["generated"]["items"]:
        item["value"] = True
    assert {v.rule for v in validate(envelope)} == {"timeback.activity-metric.value"}


@pytest.mark.parametrize("key", [1, 2.5, None, True, (1, 2)])
def test_keys_that_are_not_strings_are_reported(key):
    envelope = seeds.activity()
    envelope["data"][0]["object"]["extensions"] = {key: 1}
    report = validate(envelope)
    assert ("json.value", "/data/0/object/extensions") in {(v.rule, v.path) for v in report}


def test_lone_surrogates_are_reported_in_values_and_keys():
    envelope = seeds.activity()
    envelope["data"][0]["object"]["activity"]["name"] = "quiz \ud800"
    assert ("json.value", "/data/0/object/activity/name") in {(v.rule, v.path) for v in validate(envelope)}
    assert not validate('{"a": "\\ud800"}').ok


@pytest.mark.parametrize("value", [(1, 2), {1, 2}, object(), b"bytes", 1j, range(3)])
def test_python_values_without_a_json_form_are_reported(value):
    envelope = seeds.activity()
    envelope["data"][0]["object"]["extensions"] = {"x": value}
    assert ("json.value", "/data/0/object/extensions/x") in {(v.rule, v.path) for v in validate(envelope)}


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        (b"\xff\xfe\x00", "json.syntax"),
        (b'{"a": "\xc3\x28"}', "json.syntax"),
        ('{"a": 1} // comment', "json.syntax"),
        ('/* comment */ {"a": 1}', "json.syntax"),
        ('{"a": [1, 2,]}', "json.syntax"),
        ('{"a": 1}}', "json.syntax"),
        ("{'a': 1}", "json.syntax"),
        ('{"a": 1, "a": 1}', "json.duplicate-key"),
        ('{"a": Infinity}', "json.value"),
        ('{"a": -Infinity}', "json.value"),
        ("", "json.syntax"),
        ("\ufeff", "json.syntax"),
    ],
)
def test_broken_json_text(text, rule):
    assert _only(validate(text), rule)


def test_a_byte_order_mark_is_tolerated():
    text = json.dumps(seeds.activity())
    assert validate("\ufeff" + text).ok
    assert validate(b"\xef\xbb\xbf" + text.encode()).ok


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)
CALIPER_KEYS = st.sampled_from(
    ["sensor", "sendTime", "dataVersion", "data", "id", "type", "actor", "action", "object", "eventTime",
     "profile", "generated", "items", "value", "email", "subject", "app", "course", "attempt", "process"]
)  # fmt: skip
CALIPER_SHAPED = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
    | st.sampled_from(["TimebackProfile", "ActivityEvent", "TimeSpentEvent", "Completed", "SpentTime", "xpEarned"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(CALIPER_KEYS, inner, max_size=6),
    max_leaves=30,
)  # fmt: skip


def _check_report(report: Report) -> None:
    assert isinstance(report, Report)
    assert report.ok == (not report.errors)
    assert all(v.rule in RULES for v in report)


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_arbitrary_json_values_always_give_a_report(value):
    _check_report(validate(value))


@settings(max_examples=300, deadline=None)
@given(CALIPER_SHAPED)
def test_caliper_shaped_values_always_give_a_report(value):
    _check_report(validate(value))
    _check_report(validate({"data": [value]}))
    _check_report(validate({"sensor": "https://a.b", "data": [{"profile": "TimebackProfile", "generated": value}]}))


@settings(max_examples=200, deadline=None)
@given(st.text() | st.binary())
def test_arbitrary_text_and_bytes_always_give_a_report(text):
    _check_report(validate(text))


def _calls(function: Any) -> int:
    """Python function calls made by ``function()``: a deterministic measure of work."""
    count = 0

    def profiler(frame: Any, event: str, arg: Any) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profiler)
    try:
        function()
    finally:
        sys.setprofile(None)
    return count


@pytest.mark.parametrize("breach", [None, "timeback.actor.email", "openapi.additional-properties"])
def test_ten_times_the_events_costs_about_ten_times_the_work(breach):
    def envelope(events: int) -> Any:
        base = seeds.activity()
        rule = RULES[breach].breach if breach else None
        if rule:
            base = apply_breach(rule, base)
        event = base["data"][0]
        base["data"] = [dict(event, id=f"urn:uuid:00000000-0000-4000-8000-{n:012d}") for n in range(events)]
        return base

    small, large = envelope(30), envelope(300)
    ratio = _calls(lambda: validate(large)) / _calls(lambda: validate(small))
    assert 5 < ratio < 15, ratio  # linear: about 10, where a quadratic path would be near 100


def test_one_contract_from_eight_threads_gives_the_sequential_reports():
    payloads = [seeds.seed(f"example{n}") for n in range(1, 9)]
    bases = {"activity": seeds.activity(), "time-spent": seeds.time_spent()}
    payloads += [apply_breach(r.breach, bases[r.breach.base]) for r in RULES.values() if r.breach]
    sequential = [Contract(load(bundled_path())).validate(payload) for payload in payloads]
    shared = Contract(load(bundled_path()))  # fresh: its lazy parts are built under contention
    barrier = threading.Barrier(8)

    def run(offset: int) -> list[Report]:
        barrier.wait()
        order = payloads[offset:] + payloads[:offset]
        reports = [shared.validate(payload) for payload in order]
        return reports[-offset:] + reports[:-offset] if offset else reports

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(run, range(8)))
    assert all(result == sequential for result in results)


def test_nothing_touches_the_network_at_import_validation_generation_or_cli_time(tmp_path):
    (tmp_path / "bad.json").write_text('{"sensor": "x"}', encoding="utf-8")
    script = f"""
import socket

class NoNetwork(socket.socket):
    def __init__(self, *args, **kwargs):
        raise AssertionError("a socket was opened")

socket.socket = NoNetwork
socket.create_connection = NoNetwork
import caliper_contract
from caliper_contract import validate
from caliper_contract.cli import main
assert validate({{}}).ok is False
from caliper_contract import strategies
from hypothesis import given, settings
@settings(max_examples=5, database=None)
@given(strategies.envelopes())
def check(envelope):
    assert validate(envelope).ok
check()
assert main(["check", {str(tmp_path / "bad.json")!r}]) == 1
print("offline")
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip().endswith("offline"), result.stderr[-2000:]


def test_the_test_suite_itself_cannot_reach_beyond_loopback(request):
    import socket

    from pytest_socket import SocketConnectBlockedError

    allowed = request.config.getoption("allow_hosts")
    assert allowed, "pytest-socket's --allow-hosts must be set in the pytest configuration"
    assert set(allowed.split(",")) <= {"127.0.0.1", "::1"}
    # The guard raises before any packet leaves: TEST-NET-1 is never reached.
    with (
        socket.socket() as client,
        pytest.raises(SocketConnectBlockedError),
        pytest.warns(UserWarning, match="192.0.2.1"),
    ):
        client.connect(("192.0.2.1", 80))


# -- fuzzing the position-tracking reader the CLI and the plugin use ------------------------

JSON_TOKENS = st.sampled_from(
    ['{', '}', '[', ']', ',', ':', '"a"', '"\\u00e9"', '"\\ud800"', "1", "-0.5e3", "1e400", "true", "null",
     "NaN", "Infinity", " ", "\n", "\r\n", "\t", "/", '"', "\\", "\ufeff", "tru", "01"]
)  # fmt: skip


def _json_text_variants() -> st.SearchStrategy[str]:
    valid = JSON.map(json.dumps)
    spliced = st.tuples(valid, st.integers(0, 200), st.lists(JSON_TOKENS, max_size=4)).map(
        lambda parts: parts[0][: parts[1]] + "".join(parts[2]) + parts[0][parts[1] :]
    )
    return st.one_of(valid, spliced, st.lists(JSON_TOKENS, max_size=30).map("".join), st.text(max_size=60))


@settings(max_examples=500, deadline=None)
@given(_json_text_variants())
def test_the_position_reader_either_reads_strict_json_or_says_where_it_is_not(text):
    from caliper_contract._jsontext import JSONTextError, locate

    try:
        located = locate(text)
    except JSONTextError as error:
        refusal: JSONTextError | None = error
    else:
        refusal = None
        assert located.value == json.loads(text)
        assert located.position("").line >= 1
    if refusal is not None:
        assert refusal.rule.startswith("json.")
        assert refusal.position.line >= 1
        assert refusal.position.column >= 1


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=80) | _json_text_variants().map(lambda text: text.encode("utf-8", "surrogatepass")))
def test_the_check_command_reads_any_bytes_without_a_traceback(tmp_path_factory, data):
    import contextlib
    import io

    from caliper_contract.cli import main

    path = tmp_path_factory.mktemp("fuzz") / "payload.json"
    path.write_bytes(data)
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        status = main(["check", "--format", "json", str(path)])
    assert status in (0, 1, 2)
    for finding in json.loads(output.getvalue()):
        assert finding["file"] == str(path)
