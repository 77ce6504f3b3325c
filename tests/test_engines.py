"""The fast paths change speed, never reports: every engine agrees with plain python-jsonschema.

The "none" engine is the reference: python-jsonschema over whole schemas, no
fast verdict and no narrowing down.  Each available engine ("python" is
fastjsonschema, "rust" is jsonschema-rs from the `fast` extra) must give the
very same report for every payload.
"""

from __future__ import annotations

import copy
import importlib.util
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caliper_contract import RULES, Contract
from caliper_contract._breaches import BASE_EXAMPLES, DELETE, Breach, apply_breach
from caliper_contract.openapi import bundled_path, load
from caliper_contract.strategies import envelopes, invalid_envelopes
from caliper_contract.strategies._values import texts

ENGINES = ["python"] + (["rust"] if importlib.util.find_spec("jsonschema_rs") else [])
DOCUMENT = load(bundled_path())
REFERENCE = Contract(DOCUMENT, engine="none")
CONTRACTS = {engine: Contract(DOCUMENT, engine=engine) for engine in ENGINES}
SEEDS = {example.name: example.value for example in REFERENCE.examples()}


def test_the_rust_engine_is_tested_wherever_the_fast_extra_is_installed():
    # CI installs the `test` extra, which brings jsonschema-rs: both engines run there.
    assert "python" in ENGINES
    if importlib.util.find_spec("jsonschema_rs"):
        assert "rust" in ENGINES


def _agree(payload: Any, *, event: bool = False) -> None:
    expected = (REFERENCE.validate_event if event else REFERENCE.validate)(payload)
    for engine, contract in CONTRACTS.items():
        report = (contract.validate_event if event else contract.validate)(payload)
        assert report == expected, f"engine {engine} disagrees on {json.dumps(payload)[:200]}"


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_engines_agree_on_the_published_examples(name):
    _agree(SEEDS[name])


@pytest.mark.parametrize("rule", [rule for rule in RULES.values() if rule.breach], ids=lambda rule: rule.id)
def test_engines_agree_on_every_rule_breach(rule):
    _agree(apply_breach(rule.breach, SEEDS[BASE_EXAMPLES[rule.breach.base]]))


def test_engines_agree_on_the_ims_corpus(corpus_dir):
    for path in sorted(corpus_dir.glob("caliper*.json")):
        payload = json.loads(path.read_text(encoding="utf-8"))
        _agree(payload, event=path.name.startswith("caliperEvent"))
        _agree(
            {
                "sensor": "https://example.edu/sensors/1",
                "sendTime": "2018-11-15T10:15:00.000Z",
                "dataVersion": "http://purl.imsglobal.org/ctx/caliper/v1p2",
                "data": [payload],
            }
        )


@pytest.mark.parametrize("version", ["caliper-api.yaml", "timeback-events-api.alt.yaml"])
def test_engines_agree_under_the_other_published_versions(reference_dir, corpus_dir, version):
    # Other documents, other schema shapes to take apart when explaining.
    path = reference_dir / "other-versions" / version
    reference = Contract.from_openapi(path, engine="none")
    contracts = [Contract.from_openapi(path, engine=engine) for engine in ENGINES]
    payloads = [example.value for example in reference.examples()]
    payloads += [
        apply_breach(rule.breach, SEEDS[BASE_EXAMPLES[rule.breach.base]]) for rule in RULES.values() if rule.breach
    ]
    for corpus_path in sorted(corpus_dir.glob("caliper*.json")):
        payloads.append({**SEEDS[BASE_EXAMPLES["activity"]], "data": [json.loads(corpus_path.read_text("utf-8"))]})
    for payload in payloads:
        expected = reference.validate(payload)
        assert all(contract.validate(payload) == expected for contract in contracts), json.dumps(payload)[:200]


def _pointers(value: Any, path: str = "") -> Iterator[str]:
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _pointers(child, f"{path}/{key.replace('~', '~0').replace('/', '~1')}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _pointers(child, f"{path}/{index}")


JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-100_000, 100_000),
    st.floats(allow_nan=False, allow_infinity=False),
    texts(max_size=12),
    st.sampled_from(["", "Other", "TimebackProfile", "https://example.com/x", "2024-04-24T14:12:00Z", "a@b.co"]),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts(max_size=8), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def mutated_envelopes(draw: st.DrawFn) -> Any:
    envelope = copy.deepcopy(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(1, 3))):
        pointer = draw(st.sampled_from(sorted(_pointers(envelope))[1:]))
        value = draw(st.one_of(st.just(DELETE), JSON_VALUES))
        envelope = apply_breach(Breach("activity", ((pointer, value),), pointer), envelope)
    return envelope


@settings(max_examples=300, deadline=None)
@given(mutated_envelopes())
def test_engines_agree_on_random_mutations_of_the_examples(envelope):
    _agree(envelope)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_schema_an_engine_cannot_compile_is_checked_by_python_jsonschema_alone(tmp_path, engine):
    # Requiring a property that additionalProperties forbids: fastjsonschema refuses to compile it.
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "openapi: 3.1.0\n"
        "paths:\n"
        "  /caliper/event:\n"
        "    post:\n"
        "      requestBody:\n"
        "        content:\n"
        "          application/json:\n"
        "            schema: {type: object, required: [title], properties: {}, additionalProperties: false}\n",
        encoding="utf-8",
    )
    contract = Contract.from_openapi(spec, engine=engine)
    reference = Contract.from_openapi(spec, engine="none")
    for payload in ({}, {"title": "x"}, {"other": 1}):
        assert contract.validate(payload) == reference.validate(payload)
    assert not contract.validate({"title": "x"}).ok


@pytest.mark.parametrize("engine", ENGINES)
def test_each_engine_compiles_whole_layer_checks_that_accept_the_examples(engine):
    # Not a speed test: it pins down that the fast path is really in use, since
    # reports alone cannot tell a fast path from a slow one.
    contract = CONTRACTS[engine]
    assert contract._envelope.fast is not None
    assert contract._profile.fast is not None
    for envelope in SEEDS.values():
        assert contract._envelope.fast(envelope)
        assert all(contract._profile.fast(event) for event in envelope["data"])


@settings(max_examples=150, deadline=None)
@given(st.one_of(envelopes(max_events=3, allow_warnings=True), invalid_envelopes().map(lambda case: case.envelope)))
def test_engines_agree_on_generated_valid_and_invalid_envelopes(envelope):
    _agree(envelope)


def _layers(layer: Any) -> Iterator[Any]:
    yield layer
    for child in (layer.shell, layer.items, *layer.parts.values(), *layer.together, *layer.branches):
        if child is not None:
            yield from _layers(child)
    for child in layer.condition or ():
        if child is not None:
            yield from _layers(child)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_failure_is_explained_by_python_jsonschema_on_the_failing_part_alone(engine):
    # Not a speed test either: it pins down that a bad metric value is not
    # explained by running python-jsonschema over the event, its metrics
    # collection or the metric; only over the schema of that value.
    contract = Contract(DOCUMENT, engine=engine)
    rule = RULES["timeback.activity-metric.value"]
    report = contract.validate(apply_breach(rule.breach, SEEDS[BASE_EXAMPLES[rule.breach.base]]))
    assert [(v.path, v.rule) for v in report.violations] == [(rule.breach.path, rule.id)]
    explained = [layer.pointer for layer in _layers(contract._profile) if "validator" in vars(layer)]
    assert explained == ["/$defs/ActivityMetricKind/properties/value"]
    assert not [layer.pointer for layer in _layers(contract._envelope) if "validator" in vars(layer)]
