"""Loading OpenAPI documents: the bundled one, the other published versions, hostile ones."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from caliper_contract import Contract, SpecError, validate
from caliper_contract.openapi import bundled_path
from tests import seeds

ROOT = Path(__file__).resolve().parent.parent
SEED_DOC = ROOT / "openapi" / "timeback-events-api.yaml"


def test_the_bundled_document_is_the_published_one_byte_for_byte(reference_dir):
    page = (reference_dir / "timeback-events-api.md").read_text(encoding="utf-8")
    fence = "````yaml /openapi/beyond-ai/timeback-events-api.yaml post /caliper/event\n"
    published = page[page.index(fence) + len(fence) : page.index("\n````", page.index(fence)) + 1]
    bundled = SEED_DOC.read_text(encoding="utf-8")
    header, _, body = bundled.partition("openapi: 3.1.0\n")
    assert "Source: the published Timeback Events API page" in header
    assert all(line.startswith("#") for line in header.splitlines())
    assert "openapi: 3.1.0\n" + body == published


def test_the_installed_package_finds_its_document_from_any_directory(tmp_path):
    code = "import caliper_contract as c; print(c.Contract.default().document.source)"
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert result.stdout.strip().endswith("timeback-events-api.yaml")
    assert Path(result.stdout.strip()).is_file()


@pytest.mark.parametrize("name", ["timeback-events-api.alt.yaml", "caliper-api.yaml"])
def test_the_other_published_versions_load_and_their_examples_validate(reference_dir, name):
    contract = Contract.from_openapi(reference_dir / "other-versions" / name)
    assert contract.examples()


def test_the_alternative_version_accepts_its_own_examples_with_profile_warnings_only(reference_dir):
    contract = Contract.from_openapi(reference_dir / "other-versions" / "timeback-events-api.alt.yaml")
    results = {example.name: contract.validate(example.value) for example in contract.examples()}
    assert all(report.ok for report in results.values())
    # Its examples 2-4 omit course ids or the course, which the Timeback prose asks for.
    assert {name: [v.rule for v in report] for name, report in results.items() if len(report)} == {
        "example2": ["timeback.object.course"],
        "example3": ["timeback.object.course"],
        "example4": ["timeback.object.course"],
    }


def test_caliper_api_examples_against_its_own_schema(reference_dir):
    contract = Contract.from_openapi(reference_dir / "other-versions" / "caliper-api.yaml")
    results = {example.name: contract.validate(example.value) for example in contract.examples()}
    # Its "Generic Event Example" has no profile, which its own Event schema requires.
    assert [(v.path, v.rule, v.message) for v in results["example1"].errors] == [
        ("/data/0", "openapi.required", 'missing required property "profile"')
    ]
    assert [name for name, report in results.items() if report.ok] == ["example2", "example3", "example4"]
    assert {v.rule for name in ("example2", "example3", "example4") for v in results[name]} == {
        "caliper.non-timeback-profile"
    }


def _spec(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


MINIMAL = """\
    openapi: 3.1.0
    info: {title: t, version: '1'}
    paths:
      /caliper/event:
        post:
          requestBody:
            content:
              application/json:
                schema: {$ref: '#/components/schemas/Envelope'}
    components:
      schemas:
        Envelope:
          type: object
          required: [sensor]
          properties:
            sensor: {type: string, maxLength: 10, example: abc, xml: {name: s}}
          discriminator: {propertyName: sensor}
          externalDocs: {url: 'https://example.com'}
"""


def test_openapi_only_keywords_are_annotations_and_other_keywords_map_to_a_rule(tmp_path):
    contract = Contract.from_openapi(_spec(tmp_path, MINIMAL))
    assert contract.validate({"sensor": "short"}).ok
    (violation,) = contract.validate({"sensor": "much too long"}).errors
    assert (violation.rule, violation.path) == ("openapi.schema", "/sensor")


def test_a_ref_that_leaves_the_document_is_refused_by_name(tmp_path):
    text = MINIMAL.replace("'#/components/schemas/Envelope'", "'https://example.com/envelope.json'")
    with pytest.raises(SpecError, match=r"'https://example.com/envelope.json'.*leaves the document"):
        Contract.from_openapi(_spec(tmp_path, text))


def test_a_ref_to_nothing_is_refused(tmp_path):
    text = MINIMAL.replace("schemas/Envelope'", "schemas/Nope'")
    with pytest.raises(SpecError, match="points at nothing"):
        Contract.from_openapi(_spec(tmp_path, text))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("just: text\n", "not an OpenAPI document"),
        ("openapi: 3.0.3\npaths: {}\n", "OpenAPI 3.0.3 is not supported"),
        ("openapi: 3.1.0\npaths: {}\n", "no application/json request body schema for POST /caliper/event"),
        ("openapi: 3.1.0\npaths: [\n", "not valid YAML"),
        ("!!python/object/apply:os.system ['echo hacked']\n", "not valid YAML"),
    ],
)
def test_a_file_that_cannot_be_the_contract_is_a_clear_error(tmp_path, text, words):
    with pytest.raises(SpecError, match=words):
        Contract.from_openapi(_spec(tmp_path, text))


def test_yaml_alias_bombs_are_refused(tmp_path):
    lines = ["openapi: 3.1.0", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 9)]
    with pytest.raises(SpecError, match="aliases expand"):
        Contract.from_openapi(_spec(tmp_path, "\n".join(lines) + "\n"))


def test_an_unreadable_spec_is_a_clear_error(tmp_path):
    with pytest.raises(SpecError, match="cannot read"):
        Contract.from_openapi(tmp_path / "missing.yaml")


def test_the_default_contract_is_loaded_once_and_shared():
    assert Contract.default() is Contract.default()
    assert bundled_path().read_bytes() == SEED_DOC.read_bytes()
    assert validate(seeds.activity()).ok


# -- reading documents as JSON and YAML 1.2 ----------------------------------------------------


def _body_document(schema: Any, components: dict[str, Any] | None = None) -> dict[str, Any]:
    body = {"requestBody": {"content": {"application/json": {"schema": schema}}}}
    document: dict[str, Any] = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}}
    document["paths"] = {"/caliper/event": {"post": body}}
    if components is not None:
        document["components"] = {"schemas": components}
    return document


def _json_spec(tmp_path: Path, document: Any, name: str = "spec.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


ENGINES = ["python", "rust", "none"]


def _contracts(path: Path) -> list[Contract]:
    pytest.importorskip("jsonschema_rs", reason="the rust engine is the `fast` extra")
    return [Contract.from_openapi(path, engine=engine) for engine in ENGINES]


@pytest.mark.parametrize("name", ["spec.json", "spec.yaml", "spec"])
def test_a_json_document_is_read_as_json_whatever_its_name(tmp_path, name):
    text = '{"openapi": "3.1.0", "paths": {"/caliper/event": {"post": {"requestBody": {"content": {"application/json":'
    text += ' {"schema": {"type": "number", "maximum": 1e2, "exclusiveMinimum": 1e-08}}}}}}}}'
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    for contract in _contracts(path):
        assert contract.document.envelope_schema == {"type": "number", "maximum": 100.0, "exclusiveMinimum": 1e-08}
        assert contract.validate("100").ok
        assert [v.rule for v in contract.validate("150")] == ["openapi.schema"]
        assert [v.rule for v in contract.validate("0")] == ["openapi.schema"]


def test_yaml_scalars_are_read_as_yaml_1_2_reads_them(tmp_path):
    path = _spec(
        tmp_path,
        """\
        openapi: 3.1.0
        paths:
          /caliper/event:
            post:
              requestBody:
                content:
                  application/json:
                    schema:
                      type: object
                      properties:
                        score: {maximum: 1e2, exclusiveMinimum: 1e-08, multipleOf: 0.5}
                        count: {maximum: 012}
                        switch: {enum: [on, off, yes, no, y, n]}
                        day: {const: 2024-04-24}
                        hex: {const: 0x1F}
        """,
    )
    properties = Contract.from_openapi(path).document.envelope_schema["properties"]
    assert properties["score"] == {"maximum": 100.0, "exclusiveMinimum": 1e-08, "multipleOf": 0.5}
    assert properties["count"] == {"maximum": 12}
    assert properties["switch"] == {"enum": ["on", "off", "yes", "no", "y", "n"]}
    assert properties["day"] == {"const": "2024-04-24"}
    assert properties["hex"] == {"const": 31}
    contract = Contract.from_openapi(path)
    assert contract.validate({"score": 99.5, "count": 12, "switch": "on", "day": "2024-04-24", "hex": 31}).ok


def test_a_json_document_with_a_duplicate_key_or_nan_is_refused_where_it_is(tmp_path):
    path = tmp_path / "spec.json"
    path.write_text('{"openapi": "3.1.0",\n "openapi": "3.1.1"}', encoding="utf-8")
    with pytest.raises(SpecError, match='the key "openapi" appears twice'):
        Contract.from_openapi(path)
    path.write_text('{"openapi": "3.1.0", "x": NaN}', encoding="utf-8")
    with pytest.raises(SpecError, match="NaN is not a JSON number"):
        Contract.from_openapi(path)
    path.write_text('{"openapi": "3.1.0",\n  "x": [1, }', encoding="utf-8")
    with pytest.raises(SpecError, match="at line 2 column 12: not valid JSON: Expecting value"):
        Contract.from_openapi(path)


def test_a_property_named_ref_is_a_property(tmp_path):
    schema = {"type": "object", "properties": {"$ref": {"type": "string"}, "$id": {"type": "integer"}}}
    for contract in _contracts(_json_spec(tmp_path, _body_document(schema))):
        assert contract.validate({"$ref": "#/nowhere", "$id": 1}).ok
        assert [(v.path, v.rule) for v in contract.validate({"$ref": 5})] == [("/$ref", "openapi.type")]


def test_ref_shaped_data_is_data(tmp_path):
    schema = {
        "type": "object",
        "properties": {
            "a": {"enum": [{"$ref": "#/nowhere"}, {"$ref": "https://example.com/x"}]},
            "b": {"const": {"$ref": "#/paths"}},
        },
        "default": {"$ref": "#/nowhere"},
        "examples": [{"$ref": "#/nowhere"}],
        "example": {"$ref": "https://example.com/y"},
    }
    document = _body_document(schema)
    document["components"] = {"examples": {"one": {"value": {"$ref": "https://example.com/z"}}}}
    for contract in _contracts(_json_spec(tmp_path, document)):
        assert contract.validate({"a": {"$ref": "#/nowhere"}, "b": {"$ref": "#/paths"}}).ok
        assert [(v.path, v.rule) for v in contract.validate({"a": {"$ref": "#/x"}})] == [("/a", "openapi.enum")]


def test_percent_encoded_pointers_are_decoded(tmp_path):
    components = {
        "Envelope": {"type": "object", "properties": {"n": {"$ref": "#/components/schemas/percent%25field"}}},
        "percent%field": {"type": "integer"},
    }
    document = _body_document({"$ref": "#/components/schemas/Envelope"}, components)
    for contract in _contracts(_json_spec(tmp_path, document)):
        assert contract.validate({"n": 1}).ok
        assert [(v.path, v.rule) for v in contract.validate({"n": "x"})] == [("/n", "openapi.type")]
    # A key spelt with "%25" is not what "%25" in a pointer means: that reference points at nothing.
    components["a%25b"] = components.pop("percent%field")
    components["Envelope"]["properties"]["n"]["$ref"] = "#/components/schemas/a%25b"
    words = r"'#/components/schemas/a%25b' points at nothing: the document has no '/components/schemas/a%25b'"
    with pytest.raises(SpecError, match=words):
        Contract.from_openapi(_json_spec(tmp_path, document))


IN_DOCUMENT = {
    "an $id-relative reference": (
        {"$ref": "#/components/schemas/Tree"},
        {
            "Tree": {
                "$id": "https://example.com/schemas/tree",
                "type": "object",
                "properties": {"leaf": {"$ref": "leaf"}},
            },
            "Leaf": {"$id": "https://example.com/schemas/leaf", "type": "integer"},
        },
    ),
    "a URN id": (
        {"type": "object", "properties": {"leaf": {"$ref": "urn:example:leaf"}}},
        {"Leaf": {"$id": "urn:example:leaf", "type": "integer"}},
    ),
    "an $anchor": (
        {"type": "object", "properties": {"leaf": {"$ref": "#leaf"}}},
        {"Leaf": {"$anchor": "leaf", "type": "integer"}},
    ),
    "$defs inside a schema with its own $id": (
        {"$ref": "#/components/schemas/Tree"},
        {
            "Tree": {
                "$id": "https://example.com/schemas/tree",
                "type": "object",
                "properties": {"leaf": {"$ref": "#/$defs/leaf"}},
                "$defs": {"leaf": {"type": "integer"}},
            }
        },
    ),
    "a $dynamicRef": (
        {"$ref": "#/components/schemas/StrictTree"},
        {
            "Tree": {
                "$id": "https://example.com/schemas/tree",
                "$dynamicAnchor": "node",
                "type": "object",
                "properties": {"leaf": {"type": "integer"}, "children": {"items": {"$dynamicRef": "#node"}}},
            },
            "StrictTree": {
                "$id": "https://example.com/schemas/strict-tree",
                "$dynamicAnchor": "node",
                "$ref": "tree",
                "unevaluatedProperties": False,
            },
        },
    ),
}


LOCATIONS = {
    "an $id-relative reference": "openapi#/components/schemas/Leaf/type",
    "a URN id": "openapi#/components/schemas/Leaf/type",
    "an $anchor": "openapi#/components/schemas/Leaf/type",
    "$defs inside a schema with its own $id": "openapi#/components/schemas/Tree/$defs/leaf/type",
    "a $dynamicRef": "openapi#/components/schemas/Tree/properties/leaf/type",
}


@pytest.mark.parametrize("case", list(IN_DOCUMENT))
def test_references_that_resolve_inside_the_document_load_and_validate(tmp_path, case):
    body, components = IN_DOCUMENT[case]
    for contract in _contracts(_json_spec(tmp_path, _body_document(body, components))):
        assert contract.validate({"leaf": 1}).ok
        assert [(v.path, v.rule) for v in contract.validate({"leaf": "x"})] == [("/leaf", "openapi.type")]
        assert contract.validate({"leaf": "x"}).errors[0].schema_location == LOCATIONS[case]
        if case == "a $dynamicRef":
            # The children are strict trees too: #node resolves to the outermost schema that has it.
            assert contract.validate({"children": [{"leaf": 2}]}).ok
            report = contract.validate({"children": [{"leaf": 2, "lefa": 3}]})
            assert [(v.path, v.rule) for v in report] == [("/children/0", "openapi.schema")]
            assert "'lefa' was unexpected" in report.errors[0].message
            assert report.errors[0].schema_location == "openapi#/components/schemas/StrictTree/unevaluatedProperties"


@pytest.mark.parametrize(
    ("ref", "words"),
    [
        ("leaf.json", "'leaf.json' leaves the document: no schema in it has the $id https://example.com/schemas/leaf.json"),
        ("https://example.com/other#/x", "no schema in it has the $id https://example.com/other"),
        ("#nothing", "names the anchor 'nothing', which the schema with $id https://example.com/schemas/tree does not"),
        ("#/$defs/nothing", "the schema with $id https://example.com/schemas/tree has no '/$defs/nothing'"),
        ("#/properties", "'#/properties' resolves to a part of the document that is not a schema"),
    ],
)  # fmt: skip
def test_a_reference_that_resolves_to_nothing_says_precisely_why(tmp_path, ref, words):
    tree = {
        "$id": "https://example.com/schemas/tree",
        "type": "object",
        "properties": {"leaf": {"$ref": ref}},
    }
    with pytest.raises(SpecError, match=re.escape(words)) as refused:
        Contract.from_openapi(_json_spec(tmp_path, _body_document(tree)))
    assert (
        refused.value.location
        == "#/paths/~1caliper~1event/post/requestBody/content/application~1json/schema/properties/leaf/$ref"
    )


def test_the_metaschemas_python_jsonschema_ships_are_references_inside_the_contract(tmp_path):
    schema = {"type": "object", "properties": {"schema": {"$ref": "https://json-schema.org/draft/2020-12/schema"}}}
    for contract in _contracts(_json_spec(tmp_path, _body_document(schema))):
        assert contract.validate({"schema": {"type": "string"}}).ok
        (violation,) = contract.validate({"schema": {"type": "objekt"}})
        assert (violation.path, violation.rule) == ("/schema/type", "openapi.enum")
        assert (
            violation.schema_location == "https://json-schema.org/draft/2020-12/meta/validation#/$defs/simpleTypes/enum"
        )


@pytest.mark.parametrize("body", [True, False])
def test_a_boolean_schema_is_a_request_body(tmp_path, body):
    for contract in _contracts(_json_spec(tmp_path, _body_document(body))):
        for payload in (seeds.activity(), {}, [], 1, None):
            report = contract.validate(payload)
            assert report.ok is body
            assert all(v.rule == "openapi.schema" for v in report.errors)


def test_a_false_branch_of_anyof_or_oneof_is_explained(tmp_path):
    schema = {
        "type": "object",
        "properties": {"a": {"anyOf": [False, {"type": "string"}]}, "o": {"oneOf": [False, False]}},
    }
    for contract in _contracts(_json_spec(tmp_path, _body_document(schema))):
        assert contract.validate({"a": "x"}).ok
        assert [(v.path, v.rule) for v in contract.validate({"a": 1})] == [("/a", "openapi.type")]
        report = contract.validate({"o": 1})
        assert [(v.path, v.message) for v in report] == [
            ("/o", "no value is allowed here (the schema is false), got 1")
        ]


def test_yaml_integer_keys_must_be_quoted(tmp_path):
    text = MINIMAL.replace("    components:\n", "    components:\n      responses:\n        200: {description: ok}\n")
    words = r"at #/components/responses: the key 200 is a number; JSON keys are strings \(quote it: '200'\)"
    with pytest.raises(SpecError, match=words):
        Contract.from_openapi(_spec(tmp_path, text))
    assert Contract.from_openapi(_spec(tmp_path, text.replace("200:", "'200':")))


def test_bundling_renames_references_only_and_names_the_file_it_cannot_bundle(tmp_path):
    from caliper_contract._bundle import bundled_schema

    components = {
        "Envelope": {
            "type": "object",
            "properties": {"$ref": {"$ref": "#/components/schemas/Id"}, "kind": {"enum": [{"$ref": "#/x"}]}},
        },
        "Id": {"type": "string"},
    }
    path = _json_spec(tmp_path, _body_document({"$ref": "#/components/schemas/Envelope"}, components))
    schema = bundled_schema(Contract.from_openapi(path).document)
    assert schema["$defs"]["Envelope"]["properties"] == {
        "$ref": {"$ref": "#/$defs/Id"},
        "kind": {"enum": [{"$ref": "#/x"}]},
    }
    components["Id"]["$anchor"] = "id"
    components["Envelope"]["properties"]["$ref"]["$ref"] = "#id"
    path = _json_spec(tmp_path, _body_document({"$ref": "#/components/schemas/Envelope"}, components))
    with pytest.raises(
        SpecError, match=rf"^{re.escape(str(path))}: \$ref '#id' does not point at a schema in components"
    ):
        bundled_schema(Contract.from_openapi(path).document)


def test_x_rule_and_x_message_in_a_document_are_annotations(tmp_path):
    schema = {
        "type": "object",
        "properties": {"a": {"x-rule": "no.such", "x-message": "{oops} {0} {", "type": "string"}},
    }
    for contract in _contracts(_json_spec(tmp_path, _body_document(schema))):
        (violation,) = contract.validate({"a": 1})
        assert (violation.rule, violation.message) == ("openapi.type", "expected string, got number 1")
