"""Verdicts that say what the sender meant: misnamed properties, broken profiles, one cause one error, sources."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from caliper_contract import RULES, Contract, validate
from caliper_contract.profile import TIMEBACK_TYPES
from tests import seeds

#: A time metric as the vendor's Python SDK (timeback-caliper 0.4.0) serialises it: no alias for subType.
SDK_METRIC = {"type": "waste", "value": 5, "sub_type": "eating"}


def found(report: Any) -> list[tuple[str, str, str]]:
    return [(v.severity, v.rule, v.path) for v in report]


# -- a documented property under another name ------------------------------------------------


def test_the_sdk_s_sub_type_is_one_error_saying_what_was_meant():
    envelope = seeds.time_spent()
    envelope["data"][0]["generated"]["items"].append(SDK_METRIC)
    (violation,) = validate(envelope)
    assert (violation.severity, violation.rule, violation.path) == (
        "error",
        "timeback.misnamed-property",
        "/data/0/generated/items/3/sub_type",
    )
    assert violation.message == '"sub_type" is not read by Timeback; did you mean "subType"?'


@pytest.mark.parametrize("key", ["sub_type", "SubType", "subtype", "sub-type", "subTyp"])
def test_case_underscores_and_small_typos_are_near_misses(key):
    envelope = seeds.time_spent()
    envelope["data"][0]["generated"]["items"][0][key] = "eating"
    assert found(validate(envelope)) == [("error", "timeback.misnamed-property", f"/data/0/generated/items/0/{key}")]


def test_beside_the_documented_property_or_far_from_any_it_stays_an_unknown_property_warning():
    envelope = seeds.time_spent()
    items = envelope["data"][0]["generated"]["items"]
    items[1]["sub_type"] = "eating"  # items[1] has its subType
    items[0]["seconds"] = 10  # near nothing documented
    assert found(validate(envelope)) == [
        ("warning", "timeback.unknown-property", "/data/0/generated/items/0/seconds"),
        ("warning", "timeback.unknown-property", "/data/0/generated/items/1/sub_type"),
    ]


def test_a_misnamed_required_property_is_one_error_not_also_a_missing_one():
    envelope = seeds.activity()
    actor = envelope["data"][0]["actor"]
    actor["Email"] = actor.pop("email")
    (violation,) = validate(envelope)
    assert (violation.rule, violation.path) == ("timeback.misnamed-property", "/data/0/actor/Email")
    assert violation.message == '"Email" is not read by Timeback; did you mean "email"?'
    # Ignored, the missing property it stood for is reported again.
    assert found(validate(envelope, ignore=["timeback.misnamed-property"])) == [
        ("error", "timeback.actor.email", "/data/0/actor")
    ]


def test_the_alternative_published_version_documents_start_and_end_dates(reference_dir):
    contract = Contract.from_openapi(reference_dir / "other-versions" / "timeback-events-api.alt.yaml")
    envelope = seeds.time_spent()
    metric = envelope["data"][0]["generated"]["items"][0]
    metric.update(startDate="2024-04-24T14:11:50.000Z", endDate="2024-04-24T14:12:00.000Z")
    assert contract.validate(envelope).violations == ()
    metric["start_date"] = metric.pop("startDate")
    assert found(contract.validate(envelope)) == [
        ("error", "timeback.misnamed-property", "/data/0/generated/items/0/start_date")
    ]


# -- a Timeback event with a broken profile ----------------------------------------------------


def test_a_missing_profile_hides_no_other_timeback_error():
    envelope = seeds.activity()
    event = envelope["data"][0]
    del event["profile"]
    event["actor"]["email"] = "student.example.com"
    report = validate(envelope)
    assert found(report) == [
        ("error", "timeback.profile", "/data/0"),
        ("error", "timeback.actor.email", "/data/0/actor/email"),
    ]
    assert report.errors[0].message == (
        'missing required property "profile": an event with a Timeback type (type "ActivityEvent") '
        'has profile "TimebackProfile"'
    )


def test_a_misspelled_profile_gets_a_did_you_mean_and_the_timeback_checks():
    envelope = seeds.time_spent()
    event = envelope["data"][0]
    event["profile"] = "TimeBackProfile"
    event["generated"]["items"][0]["value"] = -10
    report = validate(envelope)
    # In document order: the seed event holds its profile before what it generated.
    assert found(report) == [
        ("error", "timeback.profile", "/data/0/profile"),
        ("error", "timeback.time-metric.value", "/data/0/generated/items/0/value"),
    ]
    assert report.errors[0].message == '"TimeBackProfile" is not a Caliper profile; did you mean "TimebackProfile"?'


def test_timeback_types_under_another_caliper_profile_are_an_error_not_a_warning():
    envelope = seeds.activity()
    envelope["data"][0]["profile"] = "GeneralProfile"
    (violation,) = validate(envelope)
    assert (violation.severity, violation.rule, violation.path) == ("error", "timeback.profile", "/data/0/profile")
    assert "Timeback types outside TimebackProfile: the API stores it but never counts it" in violation.message


GENERIC_EVENT = {
    "id": "urn:uuid:8e7f5bc4-8c21-4d43-9c5c-37d4a3ec3d0e",
    "type": "Event",
    "actor": {"id": "https://example.com/users/1", "type": "Person"},
    "action": "Created",
    "object": {"id": "https://example.com/things/1", "type": "DigitalResource"},
    "generated": {"id": "https://example.com/things/2", "type": "DigitalResource"},
    "eventTime": "2024-04-24T14:12:00.000Z",
    "profile": "GeneralProfile",
}


def _generic_envelope(event: dict[str, Any]) -> dict[str, Any]:
    return {**seeds.activity(), "data": [event]}


def test_an_event_without_timeback_types_keeps_the_stored_but_not_counted_warning():
    assert found(validate(_generic_envelope(GENERIC_EVENT))) == [
        ("warning", "caliper.non-timeback-profile", "/data/0/profile")
    ]


@pytest.mark.parametrize("where", list(TIMEBACK_TYPES), ids=".".join)
def test_any_one_timeback_type_makes_a_timeback_event(where):
    event = json.loads(json.dumps(GENERIC_EVENT))
    node = event
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = TIMEBACK_TYPES[where][0]
    rules = {v.rule for v in validate(_generic_envelope(event)).errors}
    assert "timeback.profile" in rules
    assert "caliper.non-timeback-profile" not in {v.rule for v in validate(_generic_envelope(event))}


def test_an_entity_with_a_timeback_type_is_an_entity():
    envelope = seeds.activity()
    envelope["data"].append({"id": "https://example.com/users/1", "type": "TimebackUser"})
    assert validate(envelope).violations == ()


# -- one cause, one error ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "collection", "words"),
    [
        (seeds.activity, "TimebackTimeSpentMetricsCollection", 'of an ActivityEvent: it is "TimebackActivity'),
        (seeds.time_spent, "TimebackActivityMetricsCollection", 'of a TimeSpentEvent: it is "TimebackTimeSpent'),
    ],
)
def test_the_wrong_collection_type_is_one_error_and_the_items_are_judged_by_the_event_type(seed, collection, words):
    envelope = seed()
    envelope["data"][0]["generated"]["type"] = collection
    (violation,) = validate(envelope)
    assert (violation.rule, violation.path) == ("timeback.generated", "/data/0/generated/type")
    assert words in violation.message
    # Its items are still checked, as the event's type says.
    envelope["data"][0]["generated"]["items"][0]["type"] = "xp"
    assert [v.path for v in validate(envelope)] == ["/data/0/generated/type", "/data/0/generated/items/0/type"]


def test_a_value_that_breaks_an_error_rule_draws_no_warning_about_the_same_value():
    envelope = seeds.activity()
    envelope["data"][0]["actor"]["id"] = "student 42"
    assert found(validate(envelope)) == [("error", "timeback.actor.id", "/data/0/actor/id")]
    assert found(validate(envelope, strict=True)) == [("error", "timeback.actor.id", "/data/0/actor/id")]
    # Ignore the error, and the warning about the same value speaks.
    assert found(validate(envelope, ignore=["timeback.actor.id"])) == [
        ("warning", "timeback.actor.oneroster-id", "/data/0/actor/id")
    ]


def test_a_negative_attempt_is_one_error_in_words():
    envelope = seeds.activity()
    envelope["data"][0]["generated"]["attempt"] = -1
    (violation,) = validate(envelope)
    assert (violation.rule, violation.path) == ("timeback.generated.attempt", "/data/0/generated/attempt")
    assert violation.message == "-1 is not an attempt number: attempts are whole numbers from 1"


def test_an_attempt_on_a_time_collection_is_an_unknown_property_only():
    envelope = seeds.time_spent()
    envelope["data"][0]["generated"]["attempt"] = 2
    assert found(validate(envelope)) == [("warning", "timeback.unknown-property", "/data/0/generated/attempt")]


@pytest.mark.parametrize(
    ("seed", "duplicate", "words"),
    [
        (seeds.time_spent, {"type": "active", "value": 3}, 'metric "active" (no subType) already appears at item 0'),
        (
            seeds.time_spent,
            {"type": "waste", "value": 3, "subType": "eating"},
            'metric "waste" with subType "eating" already appears at item 1',
        ),
        (seeds.activity, {"type": "xpEarned", "value": 3}, 'metric "xpEarned" already appears at item 2'),
    ],
)
def test_a_duplicate_metric_is_named_in_words(seed, duplicate, words):
    envelope = seed()
    envelope["data"][0]["generated"]["items"].append(duplicate)
    (violation,) = validate(envelope)
    assert violation.rule == "timeback.metric.duplicate"
    assert violation.message.startswith(words)


def test_a_bound_without_words_of_its_own_reads_as_a_sentence(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /caliper/event:\n    post:\n"
        "      requestBody:\n        content:\n          application/json:\n"
        "            schema: {type: object, properties: {count: {type: integer, minimum: 1}}}\n",
        encoding="utf-8",
    )
    (violation,) = Contract.from_openapi(spec).validate({"count": -1})
    assert violation.message == "-1 is less than 1, the smallest value allowed here"


# -- honest sources ----------------------------------------------------------------------------

QUOTE = re.compile(r"“([^”]+)”")


def _words(text: str) -> str:
    return " ".join(text.split())


def test_every_prose_rule_quotes_the_page_and_every_quote_is_on_the_page(reference_dir):
    page = _words((reference_dir / "timeback-events-api.md").read_text(encoding="utf-8"))
    for rule in RULES.values():
        quotes = QUOTE.findall(rule.explanation)
        if rule.source == "prose":
            assert quotes, f"{rule.id} claims prose but quotes no sentence of the page"
        for quote in quotes:
            assert _words(quote) in page, f"{rule.id} quotes {quote!r}, which the page does not say"


def test_rules_the_page_does_not_state_do_not_claim_it():
    assert RULES["timeback.activity-metric.correct-exceeds-total"].source == "derived"
    assert RULES["timeback.time-metric.value"].source == "derived"
    assert RULES["timeback.generated.attempt"].source == "derived"
    assert RULES["timeback.misnamed-property"].source == "observed"
    assert RULES["timeback.profile"].source == "prose"


def _script() -> str:
    beside = Path(sys.executable).with_name("caliper-contract")
    script = str(beside) if beside.exists() else shutil.which("caliper-contract")
    assert script is not None, "the caliper-contract console script is not installed"
    return script


def test_explain_and_sarif_know_the_new_rule_and_its_source(tmp_path):
    explained = subprocess.run(
        [_script(), "explain", "timeback.misnamed-property"], capture_output=True, text=True, check=True
    ).stdout
    assert explained.startswith(
        "timeback.misnamed-property (error, source: observed)\n"
        "a documented Timeback property is sent under another name\n"
    )
    assert '/data/0/generated/items/0/sub_type set to "eating"' in explained
    envelope = seeds.time_spent()
    envelope["data"][0]["generated"]["items"].append(SDK_METRIC)
    (tmp_path / "sdk.json").write_text(json.dumps(envelope, indent=2), encoding="utf-8")
    result = subprocess.run(
        [_script(), "check", "sdk.json", "--format", "sarif"], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 1
    (sarif_run,) = json.loads(result.stdout)["runs"]
    rules = sarif_run["tool"]["driver"]["rules"]
    (misnamed,) = [rule for rule in rules if rule["id"] == "timeback.misnamed-property"]
    assert misnamed["properties"] == {"source": "observed"}
    assert misnamed["defaultConfiguration"] == {"level": "error"}
    assert [result["ruleId"] for result in sarif_run["results"]] == ["timeback.misnamed-property"]


def test_a_profile_the_api_does_not_know_is_not_said_to_be_stored():
    envelope = seeds.activity()
    envelope["data"][0]["profile"] = "CampusProfile"
    (violation,) = validate(envelope)
    assert (violation.rule, violation.path) == ("timeback.profile", "/data/0/profile")
    assert violation.message == (
        '"CampusProfile" is not a Caliper profile; an event with a Timeback type (type "ActivityEvent") '
        'has profile "TimebackProfile"'
    )


def test_a_document_that_lists_no_profiles_takes_any_other_as_stored_but_not_counted(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /caliper/event:\n    post:\n"
        "      requestBody:\n        content:\n          application/json:\n"
        "            schema: {$ref: '#/components/schemas/Envelope'}\n"
        "components:\n  schemas:\n"
        "    Envelope: {type: object, properties: {data: {type: array, items: {$ref: '#/components/schemas/Event'}}}}\n"
        "    Event: {type: object, properties: {profile: {type: string}}}\n",
        encoding="utf-8",
    )
    contract = Contract.from_openapi(spec)
    envelope = seeds.activity()
    envelope["data"][0]["profile"] = "CampusProfile"
    (violation,) = contract.validate(envelope)
    assert violation.message.startswith("Timeback types outside TimebackProfile: the API stores it")
    envelope["data"][0]["profile"] = "TimebackProfil"
    (violation,) = contract.validate(envelope)
    assert violation.message.endswith('did you mean "TimebackProfile"?')
