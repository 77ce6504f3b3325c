"""The Hypothesis strategies, checked against the validator they are meant to agree with.

Valid draws must validate with no violation at all; every invalid draw must
report its labelled rule at its labelled path, also for the values Hypothesis
tries while shrinking.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from random import Random
from typing import Any

import pytest
import yaml
from hypothesis import find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from caliper_contract import RULES, Contract, validate, validate_event
from caliper_contract.openapi import bundled_path
from caliper_contract.strategies import (
    BREAKABLE_RULES,
    InvalidEnvelope,
    activity_events,
    caliper_entities,
    caliper_events,
    envelopes,
    invalid_envelopes,
    time_spent_events,
    timeback_events,
)
from caliper_contract.strategies.vocabulary import ENTITY_TYPES, EVENTS
from tests import readme

pytest_plugins = ["pytester"]

README_SECTION = "Property-based testing"
ROOT = Path(__file__).resolve().parent.parent
WARNING_RULES = {rule.id for rule in RULES.values() if rule.severity == "warning"}
#: For find(): no example database (its examples belong to other conditions), and find()'s own example budget.
NO_DATABASE = settings(database=None, max_examples=2000)
#: The one extra an invalid case may carry: openapi.pattern needs a generic Caliper event.
GENERIC_EVENT_WARNING = "caliper.non-timeback-profile"


def violations(payload: Any) -> set[tuple[str, str]]:
    return {(violation.rule, violation.path) for violation in validate(payload)}


def assert_label_holds(case: InvalidEnvelope) -> None:
    """validate() reports the labelled rule at the labelled path, once, and nothing else."""
    report = validate(case.envelope)
    assert [v.path for v in report if v.rule == case.rule] == [case.path], (case, str(report))
    others = {(v.rule, v.path) for v in report if v.rule != case.rule}
    if case.rule == "openapi.pattern":
        others = {(rule, path) for rule, path in others if rule != GENERIC_EVENT_WARNING}
    assert not others, (case, str(report))
    assert report.ok is (case.severity == "warning")


# -- valid data -------------------------------------------------------------------------------


@given(envelopes())
def test_envelopes_validate_with_no_error_and_no_warning(envelope):
    assert validate(envelope).violations == ()
    assert 1 <= len(envelope["data"]) <= 3
    ids = [event["id"] for event in envelope["data"]]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize(
    ("strategy", "types"),
    [
        (activity_events(), {"ActivityEvent"}),
        (time_spent_events(), {"TimeSpentEvent"}),
        (timeback_events(), {"ActivityEvent", "TimeSpentEvent"}),
    ],
    ids=["activity", "time-spent", "timeback"],
)
def test_event_strategies_give_valid_events_of_their_types(strategy, types):
    seen = set()

    @settings(max_examples=60, database=None)
    @given(strategy)
    def check(event):
        assert validate_event(event).violations == ()
        assert event["type"] in types
        assert event["profile"] == "TimebackProfile"
        seen.add(event["type"])

    check()
    assert seen == types


@settings(max_examples=60)
@given(activity_events())
def test_activity_metrics_are_realistic_and_respect_the_cross_field_rules(event):
    items = event["generated"]["items"]
    values = {item["type"]: item["value"] for item in items}
    assert len(values) == len(items) >= 1
    if "correctQuestions" in values and "totalQuestions" in values:
        assert 0 <= values["correctQuestions"] <= values["totalQuestions"]
    assert re.fullmatch(r"https://[^/]+/ims/oneroster/rostering/v1p2/users/[^/]+", event["actor"]["id"])
    assert re.fullmatch(r"https://[^/]+/ims/oneroster/rostering/v1p2/courses/[^/]+", event["object"]["course"]["id"])
    assert re.fullmatch(r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", event["id"])


def test_allow_warnings_adds_every_warning_level_rule_but_never_an_error():
    found: set[str] = set()

    @settings(max_examples=300, database=None, derandomize=True)
    @given(envelopes(allow_warnings=True))
    def check(envelope):
        report = validate(envelope)
        assert report.ok, str(report)
        found.update(violation.rule for violation in report)

    check()
    assert found == WARNING_RULES


ONEROSTER = "https://api.alpha-1edtech.ai/ims/oneroster/rostering/v1p2"
MINIMAL_EVENT = {
    "id": "urn:uuid:00000000-0000-4000-8000-000000000000",
    "eventTime": "2020-01-01T00:00:00.000Z",
    "profile": "TimebackProfile",
    "type": "ActivityEvent",
    "actor": {"id": f"{ONEROSTER}/users/0", "type": "TimebackUser", "email": "ada.lovelace@example.com"},
    "action": "Completed",
    "object": {
        "id": f"{ONEROSTER}/courses/component-resources/0",
        "type": "TimebackActivityContext",
        "subject": "Reading",
        "app": {"name": "PowerPath UI"},
        "course": {"id": f"{ONEROSTER}/courses/0"},
    },
    "generated": {
        "id": "urn:uuid:00000000-0000-4000-8000-000000000000",
        "type": "TimebackActivityMetricsCollection",
        "items": [{"type": "totalQuestions", "value": 0}],
    },
}


def test_the_minimal_envelope_is_one_readable_activity_event():
    assert find(envelopes(), lambda envelope: True, settings=NO_DATABASE) == {
        "sensor": "https://alpharead.alpha.school",
        "sendTime": "2020-01-01T00:00:00.000Z",
        "dataVersion": "http://purl.imsglobal.org/ctx/caliper/v1p2",
        "data": [MINIMAL_EVENT],
    }


def test_shrinking_keeps_examples_readable_and_valid():
    def two_events(envelope):
        assert validate(envelope).violations == ()  # for every value the shrinker tries, too
        return len(envelope["data"]) >= 2

    minimal = find(envelopes(max_events=2), two_events, settings=NO_DATABASE, random=Random(0))
    second = {**MINIMAL_EVENT, "id": "urn:uuid:00000000-0000-4000-8000-000000000001"}
    assert minimal["data"] == [MINIMAL_EVENT, second]


# -- pinning parts ---------------------------------------------------------------------------

STUDENT = {
    "id": "https://api.alpha-1edtech.ai/ims/oneroster/rostering/v1p2/users/s-42",
    "type": "TimebackUser",
    "email": "s42@example.com",
}


@settings(max_examples=30)
@given(
    envelopes(actor=STUDENT, subject=st.sampled_from(["Math", "FastMath"]), min_events=2, max_events=2),
    envelopes(sensor="https://app.example.com", send_time="2024-04-24T14:12:05.000Z"),
)
def test_pinned_parts_appear_as_given(pinned, fixed):
    assert validate(pinned).violations == ()
    assert len(pinned["data"]) == 2
    for event in pinned["data"]:
        assert event["actor"] == STUDENT
        assert event["actor"] is not STUDENT  # a copy: a test may change its input
        assert event["object"]["subject"] in ("Math", "FastMath")
    assert (fixed["sensor"], fixed["sendTime"]) == ("https://app.example.com", "2024-04-24T14:12:05.000Z")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: activity_events(subject="Maths"), r'(?s)subject=\'Maths\' breaks .*did you mean "Math"'),
        (lambda: timeback_events(subject="Other"), r"subject-other; a warning: pass allow_warnings=True"),
        (
            lambda: envelopes(actor={**STUDENT, "email": "s42"}),
            r"actor=.* breaks .*\n  /email: \"s42\" is not an email address \[timeback.actor.email\]",
        ),
        (lambda: time_spent_events(actor="https://example.com/users/1"), r"actor= must be a dict or a strategy"),
        (lambda: envelopes(sensor="app.example.com"), r"sensor='app.example.com' breaks"),
        (lambda: envelopes(send_time="2024-04-24T16:12:05+02:00"), r"(?s)send_time=.*envelope.send-time-utc"),
        (lambda: envelopes(min_events=0), r"min_events=0 must be an integer >= 1"),
        (lambda: envelopes(min_events=3, max_events=2), r"max_events=2 is less than min_events=3"),
        (lambda: envelopes(max_events=True), r"max_events=True must be an integer or None"),
        (lambda: envelopes(events=[{}]), r"events= must be a Hypothesis strategy"),
        (lambda: envelopes(events=activity_events(), subject="Math"), r"pass them to your events= strategy"),
        (lambda: activity_events(allow_warnings=1), r"allow_warnings=1 must be True or False"),
        (lambda: caliper_events(contract="bundled"), r"contract= must be a caliper_contract.Contract"),
    ],
)
def test_bad_arguments_are_refused_up_front(call, message):
    with pytest.raises(InvalidArgument, match=message):
        call()


def test_warning_level_pins_are_allowed_when_warnings_are():
    @settings(max_examples=10, database=None)
    @given(timeback_events(subject="Other", allow_warnings=True))
    def check(event):
        assert event["object"]["subject"] == "Other"
        assert validate_event(event).ok

    check()


def test_a_pinned_strategy_is_checked_on_every_draw():
    @settings(max_examples=10, database=None)
    @given(activity_events(subject=st.just("maths")))
    def check(event):
        pass

    with pytest.raises(InvalidArgument, match=r"the subject= strategy drew 'maths', which breaks"):
        check()


# -- generic Caliper items ---------------------------------------------------------------------

ENVELOPE = {"sensor": "https://example.edu", "sendTime": "2024-04-24T14:12:05.000Z"}
DATA_VERSION = "http://purl.imsglobal.org/ctx/caliper/v1p2"


@settings(max_examples=60)
@given(caliper_events(), caliper_entities())
def test_generic_caliper_items_are_valid_and_speak_caliper(event, entity):
    envelope = {**ENVELOPE, "dataVersion": DATA_VERSION, "data": [event, entity]}
    assert violations(envelope) == {(GENERIC_EVENT_WARNING, "/data/0/profile")}
    assert validate_event(event).ok
    assert (event["profile"], event["type"], event["action"]) in {
        (term.profile, term.type, action) for term in EVENTS for action in term.actions
    }
    assert entity["type"] in ENTITY_TYPES
    assert entity["id"].startswith("https://")


def test_the_minimal_generic_items_are_readable():
    assert find(caliper_events(), lambda event: True, settings=NO_DATABASE) == {
        "id": "urn:uuid:00000000-0000-4000-8000-000000000000",
        "type": "NavigationEvent",
        "actor": "https://example.edu/users/1",
        "action": "NavigatedTo",
        "object": "https://example.edu/digital-resources/1",
        "eventTime": "2020-01-01T00:00:00.000Z",
        "profile": "ReadingProfile",
    }
    assert find(caliper_entities(), lambda entity: True, settings=NO_DATABASE) == {
        "id": "https://example.edu/digital-resources/1",
        "type": "DigitalResource",
    }


def changed_contract(directory: Path, change: Callable[[dict[str, Any]], None]) -> Contract:
    """The bundled document with ``change`` made to its component schemas."""
    document = yaml.safe_load(bundled_path().read_text(encoding="utf-8"))
    change(document["components"]["schemas"])
    path = directory / "changed.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return Contract.from_openapi(path)


def test_a_changed_spec_changes_the_generic_items(tmp_path):
    def change(schemas):
        entity = schemas["Entity"]
        entity["properties"]["gradeLevel"] = {"type": "integer", "minimum": 1, "maximum": 12}
        entity["properties"]["tags"] = {
            "type": "array",
            "items": {"type": "string"},
            "minItems": 1,
            "uniqueItems": True,
        }
        entity["properties"]["scores"] = {"type": "object", "additionalProperties": {"type": "integer"}}
        entity["properties"]["nickname"] = {"type": ["string", "null"]}
        entity["properties"]["parent"] = {"$ref": "#/components/schemas/Entity"}  # recursive, optional
        entity["required"] += ["gradeLevel", "tags"]
        del entity["properties"]["description"]
        schemas["Event"]["properties"]["profile"] = {"type": "string", "enum": ["GeneralProfile", "TimebackProfile"]}

    changed = changed_contract(tmp_path, change)

    @settings(max_examples=40, database=None)
    @given(caliper_events(contract=changed), caliper_entities(contract=changed))
    def check(event, entity):
        envelope = {**ENVELOPE, "dataVersion": DATA_VERSION, "data": [event, entity]}
        assert changed.validate(envelope).ok
        assert (event["profile"], event["type"]) == ("GeneralProfile", "Event")
        assert 1 <= entity["gradeLevel"] <= 12
        assert 1 <= len(entity["tags"]) == len(set(entity["tags"]))
        assert "description" not in entity
        assert not validate(envelope).ok  # the bundled contract does not know gradeLevel

    check()


def test_where_no_vocabulary_term_fits_the_spec_s_own_values_are_used(tmp_path):
    def change(schemas):
        schemas["Event"]["properties"]["profile"] = {"enum": ["TimebackProfile", "CampusProfile"]}
        schemas["Entity"]["properties"]["type"] = {"const": "Thing"}

    changed = changed_contract(tmp_path, change)

    @settings(max_examples=20, database=None)
    @given(caliper_events(contract=changed), caliper_entities(contract=changed))
    def check(event, entity):
        assert event["profile"] == "CampusProfile"
        assert entity["type"] == "Thing"
        assert changed.validate({**ENVELOPE, "dataVersion": DATA_VERSION, "data": [event, entity]}).ok

    check()


def _one_of(schemas: dict[str, Any]) -> None:
    schemas["Entity"]["oneOf"] = [{"required": ["name"]}, {"required": ["description"]}]


def _conflicting_all_of(schemas: dict[str, Any]) -> None:
    schemas["Entity"]["properties"]["name"] = {"allOf": [{"type": "string"}, {"type": "integer"}]}


def _required_but_forbidden(schemas: dict[str, Any]) -> None:
    schemas["Entity"]["required"].append("title")


def _requires_itself(schemas: dict[str, Any]) -> None:
    schemas["Entity"]["properties"]["parent"] = {"$ref": "#/components/schemas/Entity"}
    schemas["Entity"]["required"].append("parent")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_one_of, r"changed.yaml#/components/schemas/Entity: cannot generate from keyword 'oneOf'"),
        (_conflicting_all_of, r"Entity/properties/name: cannot merge two different 'type' values in allOf"),
        (_required_but_forbidden, r"Entity: 'title' is required but not allowed"),
        (_requires_itself, r"required properties nest deeper than 32 levels"),
    ],
)
def test_a_schema_the_walker_cannot_honour_is_refused_with_its_location(tmp_path, monkeypatch, change, message):
    # No fast engine: some of these documents are ones a schema compiler refuses outright.
    monkeypatch.setenv("CALIPER_CONTRACT_ENGINE", "none")
    with pytest.raises(InvalidArgument, match=message):
        caliper_entities(contract=changed_contract(tmp_path, change))


def test_the_vocabulary_covers_every_type_in_the_caliper_corpus(corpus_dir):
    event_types, entity_types = set(), set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            kind = node.get("type")
            if isinstance(kind, str) and "id" in node:
                (event_types if "action" in node else entity_types).add(kind)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in corpus_dir.glob("*.json"):
        walk(json.loads(path.read_text(encoding="utf-8")))
    assert event_types
    assert entity_types
    assert event_types <= {term.type for term in EVENTS}
    assert entity_types <= set(ENTITY_TYPES)


# -- invalid data -----------------------------------------------------------------------------


def test_every_rule_with_a_breach_in_the_catalogue_can_be_broken():
    assert list(BREAKABLE_RULES) == [rule.id for rule in RULES.values() if rule.breach is not None]


@pytest.mark.parametrize("rule", BREAKABLE_RULES)
def test_each_invalid_envelope_breaks_its_rule_at_its_path_and_nothing_else(rule):
    @settings(max_examples=20, database=None)
    @given(invalid_envelopes([rule]))
    def check(case):
        assert case.rule == rule
        assert_label_holds(case)
        assert isinstance(case.envelope, str) is (rule in ("json.syntax", "json.duplicate-key"))

    check()


def data_list(envelope: Any) -> list[Any]:
    data = envelope.get("data")
    return data if isinstance(data, list) else []


def labelled_truly(case: InvalidEnvelope) -> InvalidEnvelope:
    assert_label_holds(case)
    return case


@pytest.mark.parametrize(
    ("strategy", "condition"),
    [
        # A later rule than the first: the shrinker tries earlier rules and simpler envelopes on its way.
        (invalid_envelopes(severity="error"), lambda case: case.rule.startswith("timeback.activity-metric")),
        # Two items: the shrinker removes every other one, and simplifies the two it keeps.
        (invalid_envelopes(severity="warning"), lambda case: len(case.envelope["data"]) >= 2),
        (invalid_envelopes(["timeback.null", "openapi.type"]), lambda case: len(data_list(case.envelope)) >= 2),
    ],
    ids=["errors", "warnings", "two-rules"],
)
def test_labels_stay_true_while_hypothesis_shrinks(strategy, condition):
    # Every case the shrinker tries has its label checked, not only the one it settles on.
    minimal = find(strategy, lambda case: condition(labelled_truly(case)), settings=NO_DATABASE, random=Random(0))
    assert condition(minimal)
    assert_label_holds(minimal)


def test_severity_picks_the_rules_a_receiver_must_reject_or_accept():
    @settings(max_examples=50, database=None)
    @given(invalid_envelopes(severity="error"), invalid_envelopes(severity="warning"))
    def check(error, warning):
        assert (error.severity, validate(error.envelope).ok) == ("error", False)
        assert (warning.severity, validate(warning.envelope).ok) == ("warning", True)

    check()


@pytest.mark.parametrize(
    ("rules", "severity", "message"),
    [
        (["timeback.nul"], None, r"unknown rule id 'timeback.nul'; did you mean 'timeback.null'\?"),
        (["openapi.schema"], None, r"openapi.schema cannot be broken by a payload under the default contract"),
        ([], None, r"no rule to break"),
        (["timeback.null"], "warning", r"no rule to break"),
        (None, "fatal", r"severity='fatal' must be 'error', 'warning' or None"),
    ],
)
def test_bad_rule_selections_are_refused_up_front(rules, severity, message):
    with pytest.raises(InvalidArgument, match=message):
        invalid_envelopes(rules, severity=severity)


@settings(max_examples=10)
@given(invalid_envelopes("timeback.null"))
def test_a_lone_rule_id_is_one_rule(case):
    assert case.rule == "timeback.null"


# -- fast, healthy, and not imported by accident ----------------------------------------------


def test_importing_caliper_contract_does_not_import_hypothesis():
    code = "import sys, caliper_contract; caliper_contract.validate({}); print('hypothesis' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_the_strategies_work_with_the_caliper_contract_fixture_and_no_health_check_suppressed(pytester):
    pytester.makepyfile(
        """
        from hypothesis import given, settings

        from caliper_contract.strategies import envelopes, invalid_envelopes

        def test_senders_output(caliper_contract):
            @settings(max_examples=50)
            @given(envelopes())
            def check(envelope):
                caliper_contract.assert_valid(envelope)

            check()

        def test_receiver_rejects(caliper_contract):
            @settings(max_examples=50)
            @given(invalid_envelopes(severity="error"))
            def check(case):
                report = caliper_contract.validate(case.envelope)
                assert (case.rule, case.path) in {(v.rule, v.path) for v in report.errors}

            check()
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


# -- the README's examples --------------------------------------------------------------------


def sender_example() -> str:
    (sender,) = [block for block in readme.code_blocks(README_SECTION) if "def build_envelope(" in block]
    return sender


def test_the_readme_examples_fuzz_a_sender_and_a_receiver_and_pass(pytester):
    blocks = readme.code_blocks(README_SECTION)
    pytester.makepyfile(**{f"test_readme_example_{index}": block for index, block in enumerate(blocks)})
    tests = sum(len(re.findall(r"^def test_", block, flags=re.MULTILINE)) for block in blocks)
    assert tests >= 2
    pytester.runpytest().assert_outcomes(passed=tests)


def run_buggy_sender(pytester, old: str, new: str):
    """The README's sender example with ``old`` replaced by ``new``, run to find the bug (no shrinking)."""
    buggy = sender_example().replace(old, new)
    assert buggy != sender_example()
    pytester.makepyfile(test_readme_example=buggy)
    # Finding the bug is the point here; shrinking is tested with the strategies, and slow.  A bug
    # one input in nine shows (a subject) is missed in about one run of twenty at 100 examples.
    pytester.makeconftest(
        "from hypothesis import Phase, settings\n"
        "settings.register_profile('find', phases=[Phase.generate], database=None, max_examples=500)\n"
    )
    result = pytester.runpytest("-W", "ignore::DeprecationWarning", "--hypothesis-profile=find")
    result.assert_outcomes(failed=1)
    return result


def test_the_readme_example_catches_a_sender_bug(pytester):
    # The classic mistake the section warns about: a naive UTC time has no offset.
    result = run_buggy_sender(
        pytester,
        'datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")',
        "datetime.utcnow().isoformat()",
    )
    result.stdout.re_match_lines([r".*/sendTime: .* is not a valid date-time.*\[openapi\.format\]"])


def test_fuzzing_the_inputs_finds_the_one_subject_title_case_breaks(pytester):
    result = run_buggy_sender(pytester, '"subject": lesson["subject"],', '"subject": lesson["subject"].title(),')
    result.stdout.re_match_lines([r'.*/object/subject: "Fastmath" is not one of .*\[timeback\.object\.subject\]'])
