"""Loading OpenAPI documents: the bundled one, the other published versions, hostile ones."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

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
