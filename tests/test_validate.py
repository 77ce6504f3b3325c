"""The public API: validate(), validate_event(), assert_valid(), Report and Violation."""

from __future__ import annotations

import json

import pytest

from caliper_contract import Contract, ContractError, Report, Violation, assert_valid, validate, validate_event
from tests import seeds


@pytest.mark.parametrize("name", [f"example{n}" for n in range(1, 9)])
def test_the_eight_published_examples_have_no_errors_and_no_warnings(name):
    report = validate(seeds.seed(name))
    assert report.ok
    assert report.violations == (), str(report)


def test_examples_fill_every_placeholder_with_concrete_values():
    examples = Contract.default().examples()
    assert [example.name for example in examples] == [f"example{n}" for n in range(1, 9)]
    text = json.dumps([example.value for example in examples])
    assert "<" not in text
    assert ">" not in text
    assert all(example.value["sendTime"] == "2024-04-24T14:12:05.000Z" for example in examples)
    chosen = Contract.default().examples(send_time="2030-01-01T00:00:00Z")
    assert chosen[0].value["sendTime"] == "2030-01-01T00:00:00Z"


def test_a_send_time_of_yesterday_fails_its_format_check():
    envelope = seeds.activity()
    envelope["sendTime"] = "yesterday"
    (violation,) = validate(envelope).errors
    assert (violation.path, violation.rule) == ("/sendTime", "openapi.format")
    assert "RFC 3339" in violation.message
    assert violation.schema_location == "openapi#/components/schemas/Envelope/properties/sendTime/format"


@pytest.mark.parametrize(
    ("field", "value"),
    [("sensor", "not a uri"), ("sensor", "example.com/no-scheme"), ("sendTime", "2024-13-01T00:00:00Z")],
)
def test_uri_and_date_time_formats_are_really_checked(field, value):
    envelope = seeds.activity()
    envelope[field] = value
    assert [(v.path, v.rule) for v in validate(envelope)] == [(f"/{field}", "openapi.format")]


def test_json_text_in_str_and_bytes_is_accepted():
    text = json.dumps(seeds.activity())
    assert validate(text).ok
    assert validate(text.encode()).ok
    assert validate(b"\xef\xbb\xbf" + text.encode()).ok  # a UTF-8 BOM


@pytest.mark.parametrize(
    ("text", "rule", "words"),
    [
        ('{"sensor": ', "json.syntax", "line 1 column 12"),
        ("[1, 2,]", "json.syntax", "line 1 column 7"),
        ('{"a": NaN}', "json.value", "NaN"),
        ('{"a": 1, "a": 2}', "json.duplicate-key", '"a"'),
        (b"\xff\xfe", "json.syntax", "not UTF-8"),
        ("{} trailing", "json.syntax", "line 1 column 4: extra text after the JSON value"),
    ],
)
def test_broken_json_text_is_a_violation_not_an_exception(text, rule, words):
    (violation,) = validate(text).violations
    assert violation.rule == rule
    assert violation.path == ""
    assert words in violation.message


@pytest.mark.parametrize(
    "value", [None, 0, 1.5, True, "", [], {}, [{}], {"data": None}, {"data": [None, 1, "x"]}, {"data": [{"²": None}]}]
)
def test_any_json_value_gives_a_report(value):
    report = validate(value)
    assert isinstance(report, Report)
    assert not report.ok


def test_every_violation_is_reported_not_just_the_first():
    envelope = seeds.activity()
    event = envelope["data"][0]
    event["actor"]["email"] = "nope"
    event["object"]["subject"] = "reading"
    envelope["dataVersion"] = "1.2"
    assert {v.rule for v in validate(envelope).errors} == {
        "timeback.actor.email",
        "timeback.object.subject",
        "openapi.const",
    }


def test_enum_and_const_near_misses_suggest_the_allowed_value():
    envelope = seeds.activity()
    envelope["data"][0]["profile"] = "timebackprofile"
    (violation,) = validate(envelope).errors
    assert violation.message.endswith('did you mean "TimebackProfile"?')


def test_an_unknown_key_suggests_the_known_one():
    envelope = seeds.time_spent()
    item = envelope["data"][0]["generated"]["items"][1]
    item["sub_type"] = "eating"  # beside its subType: not a misnamed subType, an unknown key
    (violation,) = validate(envelope).warnings
    assert violation.path == "/data/0/generated/items/1/sub_type"
    assert violation.message == 'unknown property "sub_type"; did you mean "subType"?'


def test_data_items_report_the_real_errors_of_the_event_or_entity_branch():
    envelope = seeds.activity()
    envelope["data"].append({"id": "https://example.com/people/1", "type": "Person", "nmae": "Ada"})
    envelope["data"].append({"type": "NavigationEvent", "action": "NavigatedTo", "profile": "GeneralProfile"})
    report = validate(envelope)
    assert "any of the given schemas" not in str(report)
    assert [(v.path, v.rule) for v in report.errors] == [
        ("/data/1/nmae", "openapi.additional-properties"),
        ("/data/2", "openapi.required"),
        ("/data/2", "openapi.required"),
        ("/data/2", "openapi.required"),
        ("/data/2", "openapi.required"),
    ]
    assert {v.message for v in report.errors if v.path == "/data/2"} == {
        f'missing required property "{name}"' for name in ("id", "actor", "object", "eventTime")
    }


def test_a_missing_property_points_at_the_object_that_lacks_it():
    envelope = seeds.activity()
    del envelope["data"][0]["actor"]["email"]
    (violation,) = validate(envelope).errors
    assert (violation.path, violation.rule) == ("/data/0/actor", "timeback.actor.email")
    assert violation.message == 'missing required property "email"'


def test_an_explicit_null_is_reported_once_as_a_null():
    envelope = seeds.activity()
    envelope["data"][0]["actor"] = None
    assert [(v.path, v.rule) for v in validate(envelope)] == [("/data/0/actor", "timeback.null")]


def test_decimal_and_negative_xp_are_fine():
    envelope = seeds.seed("example1")
    envelope["data"][0]["generated"]["items"][0]["value"] = -2.5
    assert validate(envelope).violations == ()


def test_booleans_are_not_numbers():
    envelope = seeds.seed("example1")
    envelope["data"][0]["generated"]["items"][0]["value"] = True
    assert [v.rule for v in validate(envelope)] == ["timeback.activity-metric.value"]


def test_time_metrics_may_repeat_a_type_with_different_sub_types():
    envelope = seeds.time_spent()
    envelope["data"][0]["generated"]["items"].append({"type": "waste", "value": 3, "subType": "chatting"})
    assert validate(envelope).violations == ()


def test_attempt_with_process_true_is_fine():
    envelope = seeds.activity()
    envelope["data"][0]["object"]["process"] = True
    envelope["data"][0]["generated"]["attempt"] = 2
    assert validate(envelope).violations == ()


def test_strict_turns_warnings_into_errors_and_ignore_drops_rules():
    envelope = seeds.activity()
    envelope["data"][0]["object"]["subject"] = "Other"
    assert validate(envelope).ok
    strict = validate(envelope, strict=True)
    assert not strict.ok
    assert [v.rule for v in strict.errors] == ["timeback.object.subject-other"]
    assert validate(envelope, strict=True, ignore=["timeback.object.subject-other"]).ok


def test_validate_event_paths_are_relative_to_the_event():
    event = seeds.activity()["data"][0]
    assert validate_event(event).violations == ()
    event["actor"]["email"] = ""
    assert [(v.path, v.rule) for v in validate_event(event)] == [("/actor/email", "timeback.actor.email")]


def test_assert_valid_raises_an_assertion_error_listing_every_error():
    envelope = seeds.activity()
    envelope["data"][0]["actor"]["email"] = "nope"
    envelope["sendTime"] = "later"
    with pytest.raises(AssertionError) as caught:
        assert_valid(envelope)
    assert isinstance(caught.value, ContractError)
    text = str(caught.value)
    assert "/data/0/actor/email" in text
    assert "[timeback.actor.email]" in text
    assert "/sendTime" in text
    assert "[openapi.format]" in text
    assert assert_valid(seeds.activity()).ok


def test_report_is_iterable_data_that_renders_as_text():
    envelope = seeds.activity()
    envelope["data"][0]["object"]["subject"] = "Other"
    envelope["sendTime"] = "later"
    report = validate(envelope)
    assert list(report) == list(report.violations)
    assert len(report) == 2
    assert [v.severity for v in report] == ["error", "warning"]  # errors first
    assert report.errors[0].is_error
    assert not report.warnings[0].is_error
    assert str(report).splitlines()[0] == "envelope breaks the Timeback Events API contract (1 error, 1 warning)"
    assert report.to_dict()["violations"][0]["rule"] == "openapi.format"
    assert isinstance(report.violations[0], Violation)
    with pytest.raises(AttributeError):
        report.violations[0].rule = "x"  # type: ignore[misc]


def test_violations_are_in_document_order_with_numeric_indexes():
    envelope = seeds.activity()
    envelope["data"] = [seeds.activity()["data"][0] for _ in range(12)]
    for index, event in enumerate(envelope["data"]):
        event["id"] = f"urn:uuid:00000000-0000-4000-8000-{index:012d}"
        event["actor"]["email"] = "x"
    assert [v.path for v in validate(envelope)] == [f"/data/{i}/actor/email" for i in range(12)]


def test_checking_imports_neither_rfc3987_syntax_nor_hypothesis(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys, caliper_contract as c; "
        "assert not c.validate({'sendTime': 'yesterday'}).ok; "
        "assert c.validate(c.Contract.default().examples()[0].value).ok; "
        "print(sorted(m for m in ('rfc3987_syntax', 'hypothesis', 'jsonschema') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True)
    # jsonschema is loaded to explain the invalid payload; the slow imports never are.
    assert result.stdout.strip() == "['jsonschema']"


def test_a_valid_payload_does_not_load_python_jsonschema(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys, caliper_contract as c; "
        "assert c.validate(c.Contract.default().examples()[0].value).ok; "
        "print('jsonschema' in sys.modules)"
    )
    environment = {"CALIPER_CONTRACT_ENGINE": "python", "PATH": ""}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True, env=environment
    )
    assert result.stdout.strip() == "False"
