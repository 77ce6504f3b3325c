"""Every catalogue rule: defined once, checked, demonstrated, and removable only by failing a test."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any, get_args

import pytest

from caliper_contract import RULES, UnknownRuleError, validate
from caliper_contract._breaches import BASE_EXAMPLES, apply_breach
from caliper_contract.rules import Source, check_rule_ids, get_rule
from tests import seeds

ROOT = Path(__file__).resolve().parent.parent
BREAKABLE = [rule for rule in RULES.values() if rule.breach is not None]


def _base(kind: str) -> Any:
    return seeds.seed(BASE_EXAMPLES[kind])


@pytest.mark.parametrize("rule", BREAKABLE, ids=lambda rule: rule.id)
def test_each_rule_reports_its_breach_at_its_path_with_its_severity(rule):
    assert rule.breach is not None
    report = validate(apply_breach(rule.breach, _base(rule.breach.base)))
    hits = [v for v in report if v.rule == rule.id]
    assert [v.path for v in hits] == [rule.breach.path], str(report)
    assert hits[0].severity == rule.severity
    assert report.ok is (rule.severity == "warning")


@pytest.mark.parametrize("rule", BREAKABLE, ids=lambda rule: rule.id)
def test_ignoring_a_rule_removes_exactly_its_violations(rule):
    if rule.id.startswith("json."):
        with pytest.raises(UnknownRuleError, match="cannot be ignored"):
            validate("{}", ignore=[rule.id])
        return
    assert rule.breach is not None
    payload = apply_breach(rule.breach, _base(rule.breach.base))
    full = validate(payload)
    ignored = validate(payload, ignore=[rule.id])
    assert rule.id not in {v.rule for v in ignored}
    assert {v for v in full if v.rule != rule.id} <= set(ignored)


def test_only_the_generic_keyword_rule_lacks_a_breach():
    # openapi.schema covers keywords the bundled document does not use.
    assert [rule.id for rule in RULES.values() if rule.breach is None] == ["openapi.schema"]


def _profile_rules(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["x-rule"]} if "x-rule" in node else set()
        return found.union(*(_profile_rules(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_profile_rules(value) for value in node))
    return set()


def test_every_rule_in_the_profile_schema_is_in_the_catalogue():
    schema = json.loads(resources.files("caliper_contract").joinpath("timeback-profile.schema.json").read_text())
    assert _profile_rules(schema) <= set(RULES)


def test_every_rule_has_words_and_a_known_source():
    for rule in RULES.values():
        assert re.fullmatch(r"[a-z]+(\.[a-z-]+)+", rule.id)
        assert rule.severity in ("error", "warning")
        assert rule.title
        assert rule.explanation.endswith((".", ")"))
        assert rule.source in get_args(Source)


def test_unknown_rule_ids_are_refused_with_a_suggestion():
    with pytest.raises(UnknownRuleError, match=r"did you mean 'timeback\.null'"):
        validate(seeds.activity(), ignore=["timeback.nul"])
    with pytest.raises(UnknownRuleError):
        get_rule("nope")
    # A lone string is one id, not a set of letters.
    assert check_rule_ids("timeback.null") == {"timeback.null"}


def test_readme_rules_table_matches_the_catalogue():
    from caliper_contract._docs import rules_table

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert rules_table() in readme, "README's rules table is stale: run `python -m caliper_contract._docs`"
