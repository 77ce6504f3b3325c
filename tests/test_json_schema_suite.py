"""The official JSON Schema Test Suite (Draft 2020-12) through the contract, on every engine.

Each group's schema becomes the ``POST /caliper/event`` request body of a
minimal OpenAPI 3.1 document.  For every test, ``validate()`` returns a Report
whose verdict is python-jsonschema's on the same schema (formats as the
contract asserts them).  The only groups refused at load are those that need
the suite's remote files or a custom metaschema, and each is refused by name.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.exceptions import NoSuchResource

from caliper_contract import Contract, Report, SpecError
from caliper_contract.formats import FORMAT_FUNCTIONS, format_checker
from caliper_contract.openapi import OpenAPIDocument, parse

SUITE = Path(__file__).resolve().parent / "json-schema-test-suite" / "draft2020-12"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
FILES = sorted(SUITE.glob("*.json")) + [
    path for name in sorted(FORMAT_FUNCTIONS) if (path := SUITE / "optional" / "format" / f"{name}.json").exists()
]
ENGINES = ["python", "rust", "none"]
#: The keywords that make a schema refer to itself; a schema with one needs a base URI.
_SELF_REFERRING = ('"$ref"', '"$dynamicRef"', '"$anchor"', '"$dynamicAnchor"')


def _name(path: Path) -> str:
    return path.relative_to(SUITE).as_posix()


def _groups(path: Path) -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return groups


def _body(schema: Any) -> Any:
    """The group's schema as a request body: its own resource, as a standalone JSON Schema document is.

    Inside an OpenAPI document a schema without ``$id`` shares the document's
    base URI, so its ``#/$defs/...`` would point into the OpenAPI document; a
    schema that refers to itself and has no ``$id`` is given one.
    """
    text = json.dumps(schema)
    if isinstance(schema, dict) and "$id" not in schema and any(keyword in text for keyword in _SELF_REFERRING):
        return {"$id": "urn:example:json-schema-test-suite", **schema}
    return schema


def _document_text(schema: Any) -> str:
    body = {"requestBody": {"content": {"application/json": {"schema": _body(schema)}}}}
    return json.dumps(
        {"openapi": "3.1.0", "info": {"title": "suite", "version": "1"}, "paths": {"/caliper/event": {"post": body}}}
    )


@cache
def _loaded(path: Path) -> tuple[tuple[OpenAPIDocument | SpecError, dict[str, Any]], ...]:
    """Each group of a file, loaded (or refused) once for every engine."""
    outcomes: list[tuple[OpenAPIDocument | SpecError, dict[str, Any]]] = []
    for group in _groups(path):
        try:
            outcome: OpenAPIDocument | SpecError = parse(_document_text(group["schema"]), source=f"{_name(path)}.json")
        except SpecError as error:
            outcome = error
        outcomes.append((outcome, group))
    return tuple(outcomes)


def _reference(schema: Any) -> tuple[Draft202012Validator, list[str]]:
    """python-jsonschema on the same schema, and the list it adds each URI to that it would have to fetch."""
    fetched: list[str] = []

    def retrieve(uri: str) -> Any:
        fetched.append(uri)
        raise NoSuchResource(ref=uri)

    registry: Registry[Any] = Registry(retrieve=retrieve)  # type: ignore[call-arg]
    return Draft202012Validator(_body(schema), registry=registry, format_checker=format_checker()), fetched


def _needs(group: dict[str, Any]) -> set[str]:
    """What of the suite's own a group needs: remote files python-jsonschema fetches, and custom metaschemas."""
    reference, fetched = _reference(group["schema"])
    for test in group["tests"]:
        with contextlib.suppress(Exception):  # an unresolvable reference: `fetched` says which
            reference.is_valid(test["data"])
    dialects = {value for value in _values(group["schema"], "$schema") if value != DRAFT}
    return set(fetched) | dialects


def _values(node: Any, key: str) -> Iterator[Any]:
    if isinstance(node, dict):
        for name, value in node.items():
            if name == key:
                yield value
            yield from _values(value, key)
    elif isinstance(node, list):
        for item in node:
            yield from _values(item, key)


def test_the_vendored_suite_is_there():
    groups = [group for path in FILES for group in _groups(path)]
    assert len(FILES) >= 47
    assert len(groups) > 350
    assert sum(len(group["tests"]) for group in groups) > 1_200


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("path", FILES, ids=_name)
def test_every_verdict_is_python_jsonschemas(path, engine):
    if engine == "rust":
        pytest.importorskip("jsonschema_rs", reason="the rust engine is the `fast` extra")
    wrong = []
    for outcome, group in _loaded(path):
        if isinstance(outcome, SpecError):
            continue  # which groups may be refused is the next test's business
        contract = Contract(outcome, engine=engine)
        reference, _ = _reference(group["schema"])
        for test in group["tests"]:
            report = contract.validate(json.dumps(test["data"]))
            assert isinstance(report, Report)
            expected = reference.is_valid(test["data"])
            if report.ok != expected:
                wrong.append(f"{group['description']} / {test['description']}: {expected=}, report: {report}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("path", FILES, ids=_name)
def test_only_groups_that_need_the_suites_remote_files_or_metaschemas_are_refused_by_name(path):
    for outcome, group in _loaded(path):
        needs = _needs(group)
        if not needs:
            assert not isinstance(outcome, SpecError), f"{group['description']}: {outcome}"
            continue
        assert isinstance(outcome, SpecError), f"{group['description']} needs {sorted(needs)} yet loads"
        message = str(outcome)
        assert "\n" not in message
        assert any(uri.startswith("http://localhost:1234/") for uri in needs)
        # The refusal names what it cannot do without: the reference as written, or where it leads.
        assert "http://localhost:1234/" in message or any(
            ref in message for ref in _values(group["schema"], "$ref") if isinstance(ref, str)
        ), message


def test_the_refused_groups_are_exactly_the_remote_and_metaschema_ones():
    refused = {
        (_name(path), group["description"])
        for path in FILES
        for outcome, group in _loaded(path)
        if isinstance(outcome, SpecError)
    }
    files = {name for name, _ in refused}
    assert files == {"dynamicRef.json", "refRemote.json", "vocabulary.json"}
    assert len(refused) == 22
