"""Hostile OpenAPI documents: each is refused fast, in one line, by the API, the CLI and the pytest plugin.

Every document below is refused within 5 seconds with a one-line
:class:`~caliper_contract.SpecError` by ``Contract.from_openapi``, and the
same line ends ``caliper-contract check --spec`` and ``caliper-contract serve
--spec`` (exit status 2, no traceback) and makes ``pytest --caliper-spec`` a
usage error (never an INTERNALERROR).  Patterns that backtrack without end
are not refused: a payload is checked against them in bounded time.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from caliper_contract import Contract, SpecError
from caliper_contract._patterns import MATCH_TIMEOUT
from caliper_contract.openapi import MAX_DOCUMENT_BYTES, parse
from tests import seeds

pytest_plugins = ["pytester"]

# Loaded before any pytester snapshot of sys.modules, for the reason tests/test_plugin.py gives:
# PyYAML's C extension cannot be loaded twice.
importlib.import_module("yaml")

_OPENAPI = """\
openapi: 3.1.0
info: {title: hostile, version: '1'}
paths:
  /caliper/event:
    post:
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Envelope'}
"""


def _with_components(components: str) -> Callable[[Path], Path]:
    """A builder of an OpenAPI document with these ``components.schemas`` (YAML, indented by the caller)."""

    def build(folder: Path) -> Path:
        path = folder / "spec.yaml"
        path.write_text(_OPENAPI + "components:\n  schemas:\n" + textwrap.indent(components, "    "), encoding="utf-8")
        return path

    return build


def _list_body(folder: Path) -> Path:
    path = folder / "spec.yaml"
    path.write_text(_OPENAPI.replace("{$ref: '#/components/schemas/Envelope'}", "[{type: object}]"), encoding="utf-8")
    return path


def _fifo(folder: Path) -> Path:
    path = folder / "spec.yaml"
    os.mkfifo(path)
    return path


def _directory(folder: Path) -> Path:
    path = folder / "spec.yaml"
    path.mkdir()
    return path


def _huge(folder: Path) -> Path:
    path = folder / "spec.yaml"
    with path.open("wb") as file:
        file.truncate(100 * 1024 * 1024)  # sparse: 100 MB to whoever reads it, nothing on disk
    return path


#: name -> (builder, words the refusal must contain)
HOSTILE: dict[str, tuple[Callable[[Path], Path], str]] = {
    "a FIFO": (_fifo, "it is a FIFO, not a regular file"),
    "/dev/zero": (lambda folder: Path("/dev/zero"), "it is a character device, not a regular file"),
    "a directory": (_directory, "it is a directory, not a regular file"),
    "a 100 MB file": (_huge, f"larger than {MAX_DOCUMENT_BYTES // 1024 // 1024} MiB"),
    "a reference loop A -> B -> A": (
        _with_components(
            "Envelope: {$ref: '#/components/schemas/Other'}\nOther: {$ref: '#/components/schemas/Envelope'}\n"
        ),
        "references loop without consuming any input",
    ),
    "a schema that is only a reference to itself": (
        _with_components(
            "Envelope:\n  type: object\n  properties:\n    data: {$ref: '#/components/schemas/Loop'}\n"
            "Loop: {$ref: '#/components/schemas/Loop'}\n"
        ),
        "#/components/schemas/Loop -> #/components/schemas/Loop",
    ),
    "a loop through allOf": (
        _with_components("Envelope: {allOf: [{$ref: '#/components/schemas/Envelope'}]}\n"),
        "references loop without consuming any input",
    ),
    'pattern: "("': (
        _with_components("Envelope: {type: object, properties: {id: {type: string, pattern: '('}}}\n"),
        "at #/components/schemas/Envelope/properties/id/pattern: not a valid schema: '(' is not a 'regex'",
    ),
    "type: objekt": (
        _with_components("Envelope: {type: objekt}\n"),
        "at #/components/schemas/Envelope/type: not a valid schema: 'objekt' is not valid",
    ),
    "required: 5": (
        _with_components("Envelope: {type: object, required: 5}\n"),
        "at #/components/schemas/Envelope/required: not a valid schema: 5 is not of type 'array'",
    ),
    'minItems: "x"': (
        _with_components("Envelope: {type: array, minItems: x}\n"),
        "at #/components/schemas/Envelope/minItems: not a valid schema: 'x' is not of type 'integer'",
    ),
    "a schema that is a list": (
        _with_components("Envelope: {type: object, properties: {data: [{type: array}]}}\n"),
        "at #/components/schemas/Envelope/properties/data: not a valid schema: [{'type': 'array'}] is not of type",
    ),
    "a request body schema that is a list": (
        _list_body,
        "schema: not a valid schema: [{'type': 'object'}] is not of type 'object', 'boolean'",
    ),
    "a key that is not a string": (
        _with_components("Envelope: {type: object, properties: {1: {type: string}}}\n"),
        "at #/components/schemas/Envelope/properties: the key 1 is a number; JSON keys are strings",
    ),
    "a YAML date": (
        _with_components("Envelope: {type: string, default: !!timestamp 2024-04-24}\n"),
        "at #/components/schemas/Envelope/default: a YAML date has no JSON form",
    ),
    "a YAML set": (
        _with_components("Envelope: {enum: !!set {a, b}}\n"),
        "at #/components/schemas/Envelope/enum: a YAML set has no JSON form",
    ),
    "YAML binary": (
        _with_components("Envelope: {const: !!binary aGVsbG8=}\n"),
        "at #/components/schemas/Envelope/const: a YAML binary value has no JSON form",
    ),
    "a $schema of another dialect": (
        _with_components("Envelope: {$schema: 'http://json-schema.org/draft-07/schema#', type: object}\n"),
        "$schema 'http://json-schema.org/draft-07/schema#' is not a dialect caliper-contract knows",
    ),
}
NAMES = list(HOSTILE)


@pytest.fixture(params=NAMES)
def hostile(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, str]:
    build, words = HOSTILE[request.param]
    return build(tmp_path), words


def _within(seconds: float, function: Callable[[], Any]) -> Any:
    """``function()``'s result or exception, failing the test if it takes longer than ``seconds``."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(function())
        except BaseException as error:  # handed to the test below
            outcome.append(error)

    worker = threading.Thread(target=run, daemon=True)  # a hang leaves a daemon thread behind, not a stuck run
    worker.start()
    worker.join(seconds)
    assert outcome, f"still running after {seconds} s"
    return outcome[0]


def _script() -> str:
    beside = Path(sys.executable).with_name("caliper-contract")
    assert beside.exists(), "the caliper-contract console script is not installed: pip install -e ."
    return str(beside)


def test_the_api_refuses_it_within_five_seconds_in_one_line(hostile):
    path, words = hostile
    started = time.monotonic()
    error = _within(5, lambda: Contract.from_openapi(path))
    assert isinstance(error, SpecError), error
    assert time.monotonic() - started < 5
    assert "\n" not in str(error)
    assert str(error).startswith(f"{path}")
    assert words in str(error)


@pytest.mark.parametrize("command", ["check", "serve"])
def test_the_cli_exits_two_with_the_same_line(hostile, command, tmp_path):
    path, words = hostile
    payload = tmp_path / "payload.json"
    payload.write_text(json.dumps(seeds.activity()), encoding="utf-8")
    arguments = [command, "--spec", str(path)] + ([str(payload)] if command == "check" else ["--port", "0"])
    result = subprocess.run(
        [_script(), *arguments], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert words in lines[0]
    assert "Traceback" not in result.stdout + result.stderr


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:hypothesispytest")  # see tests/test_plugin.py
    return pytester


def test_pytest_makes_it_a_usage_error(hostile, pytester):
    path, words = hostile
    pytester.makepyfile("def test_it(caliper_contract):\n    pass\n")
    started = time.monotonic()
    result = pytester.runpytest("--caliper-spec", str(path))
    assert time.monotonic() - started < 5
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    output = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in output
    assert "Traceback" not in output
    (line,) = [line for line in result.errlines if line.startswith("ERROR: --caliper-spec:")]
    assert words in line


# -- patterns that backtrack: checked in bounded time, never refused --------------------------

BACKTRACKING = "^(a|aa)+$"
ENGINES = ["python", "rust", "none"]


def _document(schema: dict[str, Any]) -> Any:
    body = {"requestBody": {"content": {"application/json": {"schema": schema}}}}
    return parse(
        json.dumps(
            {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/caliper/event": {"post": body}}}
        ),
        source="patterns.json",
    )


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("schema", "payload", "path"),
    [
        ({"properties": {"id": {"pattern": BACKTRACKING}}}, {"id": "a" * 40 + "!"}, "/id"),
        ({"patternProperties": {BACKTRACKING: {"type": "integer"}}, "additionalProperties": False},
         {"a" * 40 + "!": 1}, "/" + "a" * 40 + "!"),
        ({"patternProperties": {BACKTRACKING: True}, "unevaluatedProperties": False}, {"a" * 40 + "!": 1},
         ""),
    ],
    ids=["pattern", "patternProperties", "unevaluatedProperties"],
)  # fmt: skip
def test_a_backtracking_pattern_is_decided_in_bounded_time(engine, schema, payload, path):
    if engine == "rust":
        pytest.importorskip("jsonschema_rs", reason="the rust engine is the `fast` extra")
    contract = Contract(_document({"type": "object", **schema}), engine=engine)
    started = time.monotonic()
    report = _within(5, lambda: contract.validate(payload))
    assert time.monotonic() - started < 5
    assert not report.ok
    assert [violation.path for violation in report.errors] == [path]
    # Matching against the same key or value again costs nothing: it is remembered.
    started = time.monotonic()
    assert _within(5, lambda: contract.validate(payload)) == report
    assert time.monotonic() - started < MATCH_TIMEOUT


def test_a_match_that_runs_out_of_time_says_so():
    contract = Contract(_document({"properties": {"id": {"pattern": BACKTRACKING}}}))
    (violation,) = contract.validate({"id": "a" * 44 + "!"}).errors
    assert violation.rule == "openapi.pattern"
    assert f"could not be matched against the pattern {BACKTRACKING} within {MATCH_TIMEOUT} s" in violation.message
    assert contract.validate({"id": "a" * 44}).ok


@pytest.mark.parametrize("engine", ENGINES)
def test_a_recursive_schema_down_a_deep_payload_gives_a_report(engine):
    if engine == "rust":
        pytest.importorskip("jsonschema_rs", reason="the rust engine is the `fast` extra")
    node = {"type": "object", "properties": {"a": {"$ref": "#/components/schemas/Node"}}, "additionalProperties": False}
    body = {"requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}}}
    document = {
        "openapi": "3.1.0",
        "paths": {"/caliper/event": {"post": body}},
        "components": {"schemas": {"Node": node}},
    }
    contract = Contract(parse(json.dumps(document), source="recursive.json"), engine=engine)
    payload: Any = {"b": 1}
    for _ in range(250):
        payload = {"a": payload}
    report = contract.validate(payload)
    assert not report.ok
    assert {v.rule for v in report} <= {"openapi.additional-properties", "json.too-deep"}
