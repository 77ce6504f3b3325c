"""The shape of the package: the library at the root, adapters over it, no cycles; and what that promises users.

README's "How it is built" describes the layout these tests keep: the core
(modules directly in ``caliper_contract/``) never imports an adapter
(``cli``, ``pytest_plugin``, ``strategies``, ``testing``), and no module imports
another in a circle, whether at the top of the file or inside a function.
"""

from __future__ import annotations

import ast
import json
import multiprocessing
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

import caliper_contract
from caliper_contract import (
    RULES,
    CaliperContractError,
    ConfigError,
    Contract,
    ContractError,
    SpecError,
    UnknownRuleError,
    assert_valid,
    validate,
    validate_event,
)
from caliper_contract.openapi import bundled_path
from caliper_contract.report import render
from tests import seeds

PACKAGE = Path(caliper_contract.__file__).parent
ADAPTERS = ("cli", "pytest_plugin", "strategies", "testing")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Every caliper_contract module ``path`` imports, wherever the import statement stands."""
    found: set[str] = set()
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            # `from package import module` imports the module; `from module import name` the module.
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        found.update(name for name in names if name in modules)
    return found - {_module_name(path)}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, modules) for name, path in modules.items()}


def _is_adapter(module: str) -> bool:
    parts = module.split(".")
    return len(parts) > 1 and (parts[1] in ADAPTERS or parts[1] == "__main__")


def test_the_core_never_imports_an_adapter():
    offences = sorted(
        f"{module} imports {target}"
        for module, targets in _graph().items()
        if not _is_adapter(module)
        for target in targets
        if _is_adapter(target)
    )
    assert offences == []


def test_no_module_imports_another_in_a_circle_lazily_or_not():
    graph = _graph()
    # The package root lazily re-exports the public API; importing `caliper_contract` itself
    # (for __version__, say) is not a cycle through the modules it re-exports.
    graph["caliper_contract"] = set()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycles.append([*trail[trail.index(target) :], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_import_walk_sees_lazy_imports():
    # The two tests above are only as good as this walk: an import inside a function counts.
    graph = _graph()
    assert "caliper_contract.strategies" in graph["caliper_contract.cli._example"]
    assert "caliper_contract.testing.server" in graph["caliper_contract.cli._serve"]


def test_validate_in_a_fresh_process_loads_no_adapter_nor_hypothesis_nor_pytest():
    code = """
import json, sys
import caliper_contract
envelope = caliper_contract.Contract.default().examples()[3].value
assert caliper_contract.validate(envelope).ok
assert not caliper_contract.validate({"sensor": 1}).ok
print(json.dumps(sorted(sys.modules)))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    loaded = set(json.loads(result.stdout))
    assert "caliper_contract.contract" in loaded  # the walk below would pass vacuously otherwise
    adapters = sorted(name for name in loaded if name.startswith("caliper_contract.") and _is_adapter(name))
    assert adapters == []
    assert not {"hypothesis", "pytest", "_pytest", "hypothesis_jsonschema"} & loaded


# -- one error hierarchy -----------------------------------------------------------------------


def test_every_error_the_library_raises_on_purpose_is_a_caliper_contract_error(tmp_path):
    with pytest.raises(CaliperContractError):
        validate({}, ignore=["no.such-rule"])
    with pytest.raises(CaliperContractError):
        Contract.from_openapi(tmp_path / "missing.yaml")
    with pytest.raises(CaliperContractError):
        assert_valid({})
    assert issubclass(ContractError, AssertionError)  # pytest shows it as an assertion
    assert issubclass(UnknownRuleError, ValueError)
    assert issubclass(ConfigError, CaliperContractError)


def test_a_spec_error_carries_the_document_and_the_location(tmp_path):
    spec = tmp_path / "api.yaml"
    spec.write_text(bundled_path().read_text(encoding="utf-8").replace("'#/components/schemas/Event'", "'#/nowhere'"))
    with pytest.raises(SpecError) as caught:
        Contract.from_openapi(spec)
    error = caught.value
    assert error.document == str(spec)
    assert str(error.location).startswith("#/")
    assert "#/nowhere" in error.reason
    assert str(error) == f"{spec} at {error.location}: {error.reason}"
    assert "\n" not in str(error)
    again = pickle.loads(pickle.dumps(error))
    assert (again.document, again.location, again.reason) == (error.document, error.location, error.reason)


# -- rule semantics are data ---------------------------------------------------------------------


def test_each_rule_says_its_family_whether_it_can_be_ignored_and_its_precedence():
    for rule in RULES.values():
        assert rule.id.split(".")[0] == rule.family  # the catalogue's naming convention
        assert rule.ignorable is (rule.family != "json")
    unignorable = [rule.id for rule in RULES.values() if not rule.ignorable]
    for rule_id in unignorable:
        with pytest.raises(UnknownRuleError, match="cannot be ignored"):
            validate({}, ignore=[rule_id])
    # An explicit null outranks the profile's complaint, which outranks the OpenAPI one.
    assert RULES["timeback.null"].precedence > RULES["timeback.actor.email"].precedence
    assert RULES["timeback.actor.email"].precedence > RULES["openapi.format"].precedence


def test_no_module_decides_from_a_rule_ids_prefix():
    families = {f"{rule.family}." for rule in RULES.values()}
    offences = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "startswith"
                and any(isinstance(arg, ast.Constant) and arg.value in families for arg in node.args)
            ):
                offences.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert offences == []


# -- one renderer of a report --------------------------------------------------------------------


def _broken() -> dict:
    envelope = seeds.activity()
    envelope["data"].append(seeds.time_spent()["data"][0])
    envelope["data"][1]["id"] = "urn:uuid:00000000-0000-4000-8000-000000000001"
    envelope["sendTime"] = "later"
    envelope["data"][0]["actor"]["email"] = "nobody"
    envelope["data"][1]["generated"]["items"][0]["value"] = -1
    envelope["data"][0]["object"].pop("course")
    return envelope


def test_str_of_a_report_and_a_contract_error_are_the_one_rendering_grouped_by_event():
    report = validate(_broken())
    lines = str(report).splitlines()
    assert lines == render(report)
    assert lines[0] == "envelope breaks the Timeback Events API contract (3 errors, 1 warning)"
    assert lines[1:] == [
        "errors:",
        "  envelope:",
        f"    {report.errors[0]}",
        "  event 0:",
        f"    {report.errors[1]}",
        "  event 1:",
        f"    {report.errors[2]}",
        "warnings:",
        "  event 0:",
        f"    {report.warnings[0]}",
    ]
    with pytest.raises(ContractError) as caught:
        assert_valid(_broken())
    assert str(caught.value) == str(report)


def test_a_lone_events_report_is_about_the_event():
    event = seeds.activity()["data"][0]
    event["actor"]["email"] = "nobody"
    report = validate_event(event)
    assert report.subject == "event"
    assert str(report).splitlines()[:3] == [
        "event breaks the Timeback Events API contract (1 error)",
        "errors:",
        f"  {report.errors[0]}",
    ]
    assert str(validate_event(seeds.activity()["data"][0])) == (
        "event meets the Timeback Events API contract: no errors, no warnings"
    )


def test_violations_come_in_the_order_the_payload_holds_them_not_by_name():
    envelope = seeds.activity()
    event = envelope["data"][0]
    # Both broken; "eventTime" comes after "actor" in the payload, though it sorts before it by name.
    event["actor"]["email"] = "nobody"
    event["eventTime"] = "soon"
    reordered = {key: event[key] for key in ("id", "type", "actor", "eventTime", *event) if key in event}
    envelope["data"][0] = reordered
    paths = [v.path for v in validate(envelope).errors]
    assert paths == ["/data/0/actor/email", "/data/0/eventTime"]
    envelope["data"][0] = {key: reordered[key] for key in ("eventTime", *reordered)}
    assert [v.path for v in validate(envelope).errors] == ["/data/0/eventTime", "/data/0/actor/email"]


def test_json_text_errors_from_validate_carry_the_words_and_position_the_command_line_prints(tmp_path):
    text = '{"sensor": "https://example.com",\n "sendTime": NaN}'
    (violation,) = validate(text).violations
    path = tmp_path / "broken.json"
    path.write_text(text)
    result = subprocess.run(
        [sys.executable, "-m", "caliper_contract", "check", str(path)], capture_output=True, text=True, timeout=60
    )
    first = result.stdout.splitlines()[0]
    assert violation.rule == "json.value"
    assert violation.message == "line 2 column 14: NaN is not a JSON number"
    assert first == f"{path}:2:14: error json.value /sendTime: NaN is not a JSON number"


# -- a contract pickles --------------------------------------------------------------------------


def _reports(contract: Contract) -> list[dict]:
    return [contract.validate(payload).to_dict() for payload in (seeds.activity(), _broken(), "{", {"data": [1]})]


def test_a_contract_pickles_and_is_rebuilt_from_its_document():
    default = Contract.default()
    assert pickle.loads(pickle.dumps(default)) is default
    other = Contract.from_openapi(bundled_path(), engine="python")
    again = pickle.loads(pickle.dumps(other))
    assert again is not other
    assert again.document == other.document
    assert _reports(again) == _reports(other)


def test_a_contract_can_be_sent_to_a_worker_process():
    other = Contract.from_openapi(bundled_path())
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        assert pool.apply(_reports, (other,)) == _reports(other)
