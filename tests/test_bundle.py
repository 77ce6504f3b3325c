"""`caliper-contract schema`: one valid Draft 2020-12 document that agrees with validate()."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from caliper_contract import Contract, validate
from caliper_contract._breaches import apply_breach
from caliper_contract.formats import format_checker
from caliper_contract.rules import RULES
from tests import seeds

#: Rules only Python checks (caliper_contract/profile.py and contract.py) can say: no JSON Schema keyword does.
PYTHON_ONLY = {
    "envelope.duplicate-event-id",
    "envelope.send-time-utc",
    "caliper.non-timeback-profile",
    "timeback.generated.attempt-without-process",
    "timeback.activity-metric.correct-exceeds-total",
    "timeback.metric.duplicate",
}


def _schema(*options: str) -> dict[str, Any]:
    beside = Path(sys.executable).with_name("caliper-contract")
    script = str(beside) if beside.exists() else shutil.which("caliper-contract")
    assert script is not None, "the caliper-contract console script is not installed"
    result = subprocess.run([script, "schema", *options], capture_output=True, text=True, check=True, timeout=120)
    schema: dict[str, Any] = json.loads(result.stdout)
    return schema


@pytest.fixture(scope="module")
def schemas() -> dict[bool, dict[str, Any]]:
    return {False: _schema(), True: _schema("--strict")}


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    # The contract's own format checks: jsonschema's default "uri" check needs packages caliper-contract avoids.
    return Draft202012Validator(schema, format_checker=format_checker())


@pytest.mark.parametrize("strict", [False, True])
def test_it_is_a_valid_self_contained_draft_2020_12_schema(schemas, strict):
    schema = schemas[strict]
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    text = json.dumps(schema)
    assert "#/components/" not in text
    assert '"$id"' not in text
    refs = _refs(schema)
    assert refs
    for ref in refs:
        assert ref.startswith("#/$defs/")
        assert ref.removeprefix("#/$defs/").split("/")[0] in schema["$defs"]


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("$ref"), str):
                found.add(item["$ref"])
            stack.extend(value for key, value in item.items() if key not in ("example", "examples"))
        elif isinstance(item, list):
            stack.extend(item)
    return found


@pytest.mark.parametrize("strict", [False, True])
def test_it_accepts_every_seed_example(schemas, strict):
    validator = _validator(schemas[strict])
    for example in Contract.default().examples():
        assert validate(example.value, strict=strict).ok
        assert validator.is_valid(example.value), example.name


BREACHES = [
    rule
    for rule in RULES.values()
    if rule.breach is not None and rule.breach.text is None and not rule.id.startswith("json.")
]


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("rule", BREACHES, ids=lambda rule: rule.id)
def test_it_agrees_with_validate_on_each_rule_breach(schemas, strict, rule):
    base = seeds.activity() if rule.breach.base == "activity" else seeds.time_spent()
    payload = apply_breach(rule.breach, base)
    ok = validate(payload, strict=strict).ok
    schema_ok = _validator(schemas[strict]).is_valid(payload)
    if rule.id in PYTHON_ONLY:
        assert schema_ok, "a rule JSON Schema cannot say must not make the schema reject the breach"
    else:
        assert schema_ok == ok, f"validate(strict={strict}).ok is {ok} but the schema says {schema_ok}"
    if rule.severity == "error" and rule.id not in PYTHON_ONLY:
        assert not schema_ok


def test_timeback_checks_apply_only_to_timeback_profile_events(schemas):
    validator = _validator(schemas[False])
    envelope = seeds.activity()
    envelope["data"][0]["actor"]["email"] = "not an email"
    assert not validator.is_valid(envelope)
    envelope["data"][0]["profile"] = "GeneralProfile"
    assert validate(envelope).ok
    assert validator.is_valid(envelope)


def test_the_other_published_versions_bundle_too(reference_dir):
    for path in sorted((reference_dir / "other-versions").glob("*.yaml")):
        schema = _schema("--spec", str(path))
        Draft202012Validator.check_schema(schema)
        assert {"timeback-profile", "timeback-profile.TimebackUser"} <= set(schema["$defs"])
