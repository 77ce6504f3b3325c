"""`caliper-contract schema`: one valid Draft 2020-12 document that agrees with validate()."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator

from caliper_contract import Contract, validate
from caliper_contract._breaches import apply_breach
from caliper_contract._bundle import inexpressible
from caliper_contract.formats import format_checker
from caliper_contract.rules import RULES
from caliper_contract.strategies import BREAKABLE_RULES, invalid_envelopes
from tests import seeds


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


def assert_agrees(payload: Any, validator: Draft202012Validator, *, strict: bool) -> None:
    """The schema and validate() agree both ways, but for the rules the schema says it cannot express.

    The schema rejects nothing validate() accepts, and accepts nothing validate()
    rejects for a rule it can express.
    """
    report = validate(payload, strict=strict)
    if validator.is_valid(payload):
        beyond = {v.rule for v in report.errors} - set(inexpressible(strict=strict))
        assert not beyond, f"the schema accepts what validate(strict={strict}) rejects for {beyond}: {report}"
    else:
        assert not report.ok, f"the schema rejects what validate(strict={strict}) accepts: {report}"


def test_its_description_names_exactly_the_rules_it_cannot_express(schemas):
    for strict, schema in schemas.items():
        named = re.findall(r"[a-z]+(?:\.[a-z-]+)+", schema["description"])
        assert sorted(rule for rule in named if rule in RULES) == sorted(inexpressible(strict=strict))
    assert "timeback.misnamed-property" in inexpressible(strict=False)
    assert "timeback.misnamed-property" not in inexpressible(strict=True)


@pytest.mark.parametrize("strict", [False, True])
def test_it_accepts_every_seed_example(schemas, strict):
    validator = _validator(schemas[strict])
    for example in Contract.default().examples():
        assert validate(example.value, strict=strict).ok
        assert validator.is_valid(example.value), example.name


def _breach_payload(rule: Any) -> Any:
    base = seeds.activity() if rule.breach.base == "activity" else seeds.time_spent()
    payload = apply_breach(rule.breach, base)
    return json.loads(payload) if isinstance(payload, str) else payload


BREACHES = [
    rule
    for rule in RULES.values()
    if rule.breach is not None and rule.id != "json.syntax"  # text no schema reads
]


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("rule", BREACHES, ids=lambda rule: rule.id)
def test_it_agrees_with_validate_on_each_rule_breach(schemas, strict, rule):
    payload = _breach_payload(rule)
    validator = _validator(schemas[strict])
    assert_agrees(payload, validator, strict=strict)
    if rule.id not in inexpressible(strict=strict) and (strict or rule.severity == "error"):
        assert not validator.is_valid(payload), "the schema can say this rule: it rejects its breach"


def _corpus(corpus_dir: Path) -> list[tuple[str, Any]]:
    """Every IMS fixture as an envelope: envelopes as they are, events and entities alone in one."""
    payloads = []
    for path in sorted(corpus_dir.glob("caliper*.json")):
        value = json.loads(path.read_text(encoding="utf-8"))
        if not path.name.startswith("caliperEnvelope"):
            value = {
                "sensor": "https://example.edu/sensors/1",
                "sendTime": "2018-11-15T10:15:00.000Z",
                "dataVersion": "http://purl.imsglobal.org/ctx/caliper/v1p2",
                "data": [value],
            }
        payloads.append((path.stem, value))
    return payloads


@pytest.mark.parametrize("strict", [False, True])
def test_it_agrees_with_validate_on_the_ims_corpus(schemas, corpus_dir, strict):
    validator = _validator(schemas[strict])
    payloads = _corpus(corpus_dir)
    assert len(payloads) == 129
    for _, payload in payloads:
        assert_agrees(payload, validator, strict=strict)
    # Not vacuous: the corpus has payloads either side of the line.
    assert {validator.is_valid(payload) for _, payload in payloads} == {True, False}


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("rule", BREAKABLE_RULES)
def test_it_agrees_with_validate_on_labelled_invalid_envelopes(schemas, strict, rule):
    validator = _validator(schemas[strict])

    @settings(max_examples=10, database=None, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(invalid_envelopes([rule]))
    def check(case: Any) -> None:
        payload = case.envelope
        if isinstance(payload, str):
            try:
                payload = json.loads(payload)
            except ValueError:
                return  # text that is not JSON: no schema reads it
        assert_agrees(payload, validator, strict=strict)

    check()


def test_a_null_anywhere_in_a_timeback_event_is_rejected_as_validate_rejects_it(schemas):
    envelope = seeds.activity()
    envelope["data"][0]["extensions"] = {"notes": [{"text": None}]}
    assert [v.rule for v in validate(envelope)] == ["timeback.null"]
    assert not _validator(schemas[False]).is_valid(envelope)
    envelope["data"][0]["extensions"] = {"notes": [{"text": "fine"}]}
    assert _validator(schemas[False]).is_valid(envelope)


def test_timeback_checks_apply_to_the_events_validate_applies_them_to(schemas):
    validator = _validator(schemas[False])
    envelope = seeds.activity()
    event = envelope["data"][0]
    event["actor"]["email"] = "not an email"
    assert not validator.is_valid(envelope)
    # Timeback types under another profile: still a Timeback event, and its profile is an error too.
    event["profile"] = "GeneralProfile"
    assert {v.rule for v in validate(envelope).errors} == {"timeback.profile", "timeback.actor.email"}
    assert not validator.is_valid(envelope)
    # No Timeback type left: a generic Caliper event, which the Timeback profile does not judge.
    event.update(type="Event", action="Created", actor={"id": event["actor"]["id"], "type": "Person"})
    event["object"] = event["object"]["id"]
    event["generated"] = event["generated"]["id"]
    assert validate(envelope).ok
    assert validator.is_valid(envelope)


def test_the_other_published_versions_bundle_too(reference_dir):
    for path in sorted((reference_dir / "other-versions").glob("*.yaml")):
        schema = _schema("--spec", str(path))
        Draft202012Validator.check_schema(schema)
        assert {"timeback-profile", "timeback-profile.TimebackUser"} <= set(schema["$defs"])
