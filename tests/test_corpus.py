"""The IMS Caliper 1.2 fixtures: the generic path agrees with the bare OpenAPI schema."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from caliper_contract import Contract, validate, validate_event
from caliper_contract.formats import format_checker
from conftest import CORPUS

GENERIC_ANYOF = "is not valid under any of the given schemas"


def _bare(component: str) -> Draft202012Validator:
    document = dict(Contract.default().document.contents)
    registry: Registry[Any] = Registry().with_resource(
        "urn:bare", Resource.from_contents(document, default_specification=DRAFT202012)
    )
    return Draft202012Validator(
        {"$ref": f"urn:bare#/components/schemas/{component}"}, registry=registry, format_checker=format_checker()
    )


def _files(prefix: str) -> list[Any]:
    if not CORPUS.exists():
        reason = f"{CORPUS} is absent: the shared reference material sits beside a full checkout only"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="corpus-absent")]
    return sorted(CORPUS.glob(f"{prefix}*.json"))


def test_the_corpus_is_where_the_tests_expect_it(corpus_dir):
    assert len(list(corpus_dir.glob("caliper*.json"))) == 129
    assert len(sorted(corpus_dir.glob("caliperEnvelope*.json"))) == 8
    assert len(sorted(corpus_dir.glob("caliperEvent*.json"))) == 46


@pytest.mark.parametrize("path", _files("caliperEnvelope"), ids=lambda path: getattr(path, "stem", str(path)))
def test_envelopes_agree_with_the_bare_openapi_schema(path):
    envelope = json.loads(path.read_text(encoding="utf-8"))
    report = validate(envelope)
    assert report.ok == _bare("Envelope").is_valid(envelope)
    assert GENERIC_ANYOF not in str(report)
    assert {v.rule for v in report.warnings} <= {"caliper.non-timeback-profile"}


@pytest.mark.parametrize("path", _files("caliperEvent"), ids=lambda path: getattr(path, "stem", str(path)))
def test_events_agree_with_the_bare_openapi_schema(path):
    event = json.loads(path.read_text(encoding="utf-8"))
    report = validate_event(event)
    assert report.ok == _bare("Event").is_valid(event)
    assert GENERIC_ANYOF not in str(report)
    bare_paths = {"/" + "/".join(map(str, e.absolute_path)) for e in _bare("Event").iter_errors(event)}
    assert {v.path for v in report.errors} <= bare_paths | {""}


@pytest.mark.parametrize("path", _files("caliperEntity"), ids=lambda path: getattr(path, "stem", str(path)))
def test_entities_in_an_envelope_agree_with_the_bare_entity_schema(path):
    entity = json.loads(path.read_text(encoding="utf-8"))
    envelope = {
        "sensor": "https://example.edu/sensors/1",
        "sendTime": "2018-11-15T10:15:00.000Z",
        "dataVersion": "http://purl.imsglobal.org/ctx/caliper/v1p2",
        "data": [entity],
    }
    report = validate(envelope)
    assert report.ok == _bare("Entity").is_valid(entity)
    assert GENERIC_ANYOF not in str(report)
