"""Integers longer than Python prints (4,300 digits): a json.value violation, never a ValueError or a 500."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from caliper_contract import Contract, validate, validate_event
from caliper_contract._jsonvalue import MAX_INT_DIGITS
from caliper_contract.testing import FakeTimebackServer
from tests import seeds
from tests.test_server import get_token, post

TOO_LONG = f"a number with more than {MAX_INT_DIGITS:,} digits is too long to check"


def _with(path: tuple[Any, ...], value: Any) -> Any:
    envelope = seeds.activity()
    node = envelope
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return envelope


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        ("9" * 5000, ""),
        (10**5000, ""),
        (_with(("data", 0, "generated", "items", 2, "value"), 10**5000), "/data/0/generated/items/2/value"),
        (_with(("sendTime",), -(10**5000)), "/sendTime"),
        (json.dumps(seeds.activity())[:-1] + ', "extra": -' + "1" * 4301 + "}", ""),
    ],
    ids=["text", "value", "metric value", "sendTime", "inside text"],
)
@pytest.mark.parametrize("engine", ["python", "rust", "none"])
def test_a_too_long_integer_is_a_json_value_violation(payload, where, engine):
    if engine == "rust":
        pytest.importorskip("jsonschema_rs", reason="the rust engine is the `fast` extra")
    report = Contract(Contract.default().document, engine=engine).validate(payload)
    assert [(v.path, v.rule) for v in report] == [(where, "json.value")]
    # JSON text says where the number starts, as `caliper-contract check` does.
    assert report.violations[0].message.endswith(TOO_LONG)


def test_the_longest_integer_python_prints_is_checked_as_a_number():
    assert [v.rule for v in validate(_with(("sendTime",), -(10 ** (MAX_INT_DIGITS - 1))))] == ["openapi.type"]
    assert [v.rule for v in validate_event(10**5000)] == ["json.value"]


def test_the_fake_server_answers_400_not_500():
    with FakeTimebackServer() as server:
        token = get_token(server)
        reply = post(server, ('{"sendTime": ' + "9" * 5000 + "}").encode(), token)
        assert reply.status == 400
        assert [(error["rule"], error["message"]) for error in reply.body["errors"]] == [
            ("json.value", f"line 1 column 14: {TOO_LONG}")
        ]
        assert server.errors == ()


def test_the_check_command_reports_it_at_its_line(tmp_path: Path):
    path = tmp_path / "long.json"
    path.write_text('{\n  "sendTime": ' + "9" * 5000 + "\n}\n", encoding="utf-8")
    script = Path(sys.executable).with_name("caliper-contract")
    result = subprocess.run([str(script), "check", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2  # a file that cannot be read
    assert f"2:15: error json.value /sendTime: {TOO_LONG}" in result.stdout
    assert "Traceback" not in result.stderr
