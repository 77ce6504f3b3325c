"""The plugin in a sender's own test suite: warnings it can see, @given with the fixture, one configuration.

Each test runs an inner pytest session (pytester) the way an app team's suite
runs, on default settings unless the test is about a setting.
"""

from __future__ import annotations

import importlib
import json
import textwrap

import pytest

from tests import seeds

pytest_plugins = ["pytester"]

importlib.import_module("yaml")  # see tests/test_plugin.py: loaded before pytester snapshots sys.modules

ACTIVITY = json.dumps(seeds.activity())

# An envelope whose only problems are warnings: the course is missing (a warning-level rule).
WARNED = '''
import json

ENVELOPE = json.loads(r"""{envelope}""")
del ENVELOPE["data"][0]["object"]["course"]
'''


def _warned() -> str:
    return WARNED.replace("{envelope}", ACTIVITY)


def test_warnings_found_through_the_fixture_reach_the_warnings_summary_attributed_to_the_test(pytester):
    pytester.makepyfile(
        test_sender=_warned()
        + textwrap.dedent(
            """
            def test_validate(caliper_contract):
                assert caliper_contract.validate(ENVELOPE).ok

            def test_matcher(caliper_contract):
                assert ENVELOPE == caliper_contract.envelope

            def test_assert_valid(caliper_contract):
                caliper_contract.assert_valid(ENVELOPE)
            """
        )
    )
    result = pytester.runpytest("-p", "no:hypothesispytest")
    result.assert_outcomes(passed=3, warnings=3)
    text = result.stdout.str()
    for test in ("test_validate", "test_matcher", "test_assert_valid"):
        assert f"test_sender.py::{test}" in text
    result.stdout.fnmatch_lines(
        ['*ContractWarning: /data/0/object: missing required property "course" [[]timeback.object.course[]]']
    )


def test_contract_warnings_can_be_made_errors_for_a_run_or_for_one_test(pytester):
    pytester.makepyfile(
        test_sender=_warned()
        + textwrap.dedent(
            """
            import pytest

            def test_default(caliper_contract):
                caliper_contract.assert_valid(ENVELOPE)

            @pytest.mark.filterwarnings("error::caliper_contract.ContractWarning")
            def test_strict_here(caliper_contract):
                caliper_contract.assert_valid(ENVELOPE)
            """
        )
    )
    result = pytester.runpytest("-p", "no:hypothesispytest")
    result.assert_outcomes(passed=1, failed=1, warnings=1)
    result.stdout.fnmatch_lines(["*test_strict_here*", "*ContractWarning*timeback.object.course*"])
    result = pytester.runpytest("-p", "no:hypothesispytest", "-W", "error::caliper_contract.ContractWarning")
    result.assert_outcomes(failed=2)


def test_module_level_functions_do_not_warn_by_themselves(pytester):
    pytester.makepyfile(
        test_library=_warned()
        + textwrap.dedent(
            """
            import caliper_contract

            def test_library_use():
                report = caliper_contract.validate(ENVELOPE)
                assert report.ok and len(report.warnings) == 1
                caliper_contract.assert_valid(ENVELOPE)
            """
        )
    )
    result = pytester.runpytest("-p", "no:hypothesispytest", "-W", "error::caliper_contract.ContractWarning")
    result.assert_outcomes(passed=1)


def test_payload_file_items_issue_their_warnings(pytester):
    envelope = seeds.activity()
    del envelope["data"][0]["object"]["course"]
    (pytester.path / "payloads").mkdir()
    (pytester.path / "payloads" / "warned.json").write_text(json.dumps(envelope, indent=2))
    pytester.makeini("[pytest]\ncaliper_contract_files = payloads/*.json\n")
    result = pytester.runpytest("-p", "no:hypothesispytest")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        ["*ContractWarning: payloads/warned.json:1: /data/0/object*[[]timeback.object.course[]]"]
    )


def test_given_tests_can_use_the_fixture_and_markers_still_apply_per_test(pytester):
    pytester.makepyfile(
        test_given=_warned()
        + textwrap.dedent(
            """
            import pytest
            from hypothesis import given, settings, strategies as st

            @given(st.integers(min_value=0, max_value=500))
            def test_any_xp(caliper_contract, xp):
                envelope = json.loads(json.dumps(ENVELOPE))
                envelope["data"][0]["generated"]["items"][2]["value"] = xp
                assert caliper_contract.validate(envelope).ok

            @pytest.mark.caliper_contract(strict=True)
            @given(st.just(0))
            def test_strict_by_marker(caliper_contract, _):
                assert not caliper_contract.validate(ENVELOPE).ok

            @pytest.mark.caliper_contract(ignore=["timeback.object.course"])
            @given(st.just(0))
            def test_ignore_by_marker(caliper_contract, _):
                assert caliper_contract.validate(ENVELOPE).violations == ()
            """
        )
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=3, warnings=1)
    assert "FailedHealthCheck" not in result.stdout.str()


PYPROJECT = """
[tool.caliper-contract]
strict = true
ignore = ["timeback.actor.oneroster-id"]
"""


def _settings_probe() -> str:
    return _warned() + textwrap.dedent(
        """
        def test_settings(caliper_contract):
            print("SETTINGS", caliper_contract.strict, list(caliper_contract.ignore))
            assert caliper_contract.validate(ENVELOPE).ok is not caliper_contract.strict
        """
    )


@pytest.mark.parametrize(
    ("ini", "args", "strict", "ignore"),
    [
        pytest.param("", (), True, ["timeback.actor.oneroster-id"], id="pyproject"),
        pytest.param(
            "caliper_contract_strict = false\ncaliper_contract_ignore = timeback.object.subject-other\n",
            (),
            False,
            ["timeback.object.subject-other"],
            id="ini-over-pyproject",
        ),
        pytest.param("caliper_contract_strict = false\n", ("--caliper-strict",), True, None, id="option-over-ini"),
    ],
)
def test_the_plugin_reads_pyproject_and_ini_and_options_override_it_in_order(pytester, ini, args, strict, ignore):
    pytester.makefile(".toml", pyproject=PYPROJECT)
    if ini:
        pytester.makeini("[pytest]\n" + ini)
    pytester.makepyfile(test_probe=_settings_probe())
    result = pytester.runpytest("-p", "no:hypothesispytest", "-s", *args)
    result.assert_outcomes(passed=1)
    (line,) = [line for line in result.outlines if "SETTINGS" in line]
    line = line[line.index("SETTINGS") :]
    expected_ignore = ignore if ignore is not None else ["timeback.actor.oneroster-id"]
    assert line == f"SETTINGS {strict} {expected_ignore}"


def test_a_broken_pyproject_table_is_a_usage_error_naming_it(pytester):
    pytester.makefile(".toml", pyproject='[tool.caliper-contract]\nstrict = "yes"\n')
    pytester.makepyfile(test_probe="def test_nothing():\n    pass\n")
    result = pytester.runpytest("-p", "no:hypothesispytest")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*pyproject.toml: [[]tool.caliper-contract[]] strict must be true or false*"])
    assert "Traceback" not in result.stderr.str()


# A small sender, as an app team has one: it builds envelopes from its own records.
SENDER = """
import uuid

BUG = "{bug}"


def activity(student, lesson, correct, total, finished_at):
    items = [{"type": "totalQuestions", "value": total}, {"type": "correctQuestions", "value": correct}]
    if BUG == "correct over total":
        items[1]["value"] = total + 1
    event = {
        "id": f"urn:uuid:{uuid.uuid4()}",
        "eventTime": finished_at,
        "profile": "TimebackProfile",
        "type": "ActivityEvent",
        "actor": {"id": student["id"], "type": "TimebackUser", "email": student["email"]},
        "action": "Completed",
        "object": {
            "id": lesson["url"],
            "type": "TimebackActivityContext",
            "subject": lesson["subject"],
            "app": {"name": "Math Garden"},
            "course": {"id": lesson["course"]},
        },
        "generated": {"id": f"urn:uuid:{uuid.uuid4()}", "type": "TimebackActivityMetricsCollection", "items": items},
    }
    if BUG == "explicit nulls":
        event["object"]["activity"] = None
    return envelope(event, finished_at)


def time_spent(student, lesson, milliseconds, finished_at):
    seconds = milliseconds if BUG == "milliseconds" else milliseconds / 1000
    metric = {"type": "waste", "value": seconds, "subType": "eating"}
    if BUG == "snake case":
        metric["sub_type"] = metric.pop("subType")
    event = {
        "id": f"urn:uuid:{uuid.uuid4()}",
        "eventTime": finished_at,
        "profile": "TimebackProfile",
        "type": "TimeSpentEvent",
        "actor": {"id": student["id"], "type": "TimebackUser", "email": student["email"]},
        "action": "SpentTime",
        "object": {
            "id": lesson["url"],
            "type": "TimebackActivityContext",
            "subject": lesson["subject"],
            "app": {"name": "Math Garden"},
        },
        "generated": {
            "id": f"urn:uuid:{uuid.uuid4()}",
            "type": "TimebackTimeSpentMetricsCollection",
            "items": [metric],
        },
    }
    return envelope(event, finished_at)


def envelope(event, send_time):
    return {
        "sensor": "https://app.example.com",
        "sendTime": send_time,
        "dataVersion": "http://purl.imsglobal.org/ctx/caliper/v1p2",
        "data": [event],
    }
"""

SENDER_TESTS = """
from hypothesis import given
from hypothesis import strategies as st

import sender
from caliper_contract.strategies import activity_urls, actors, course_urls, subjects, timestamps

lessons = st.fixed_dictionaries({"url": activity_urls(), "subject": subjects(), "course": course_urls()})


@given(student=actors(), lesson=lessons, total=st.integers(0, 50), data=st.data(), at=timestamps(utc=True))
def test_activity(caliper_contract, student, lesson, total, data, at):
    correct = data.draw(st.integers(0, total))
    caliper_contract.assert_valid(sender.activity(student, lesson, correct, total, at))


@given(student=actors(), lesson=lessons, milliseconds=st.integers(60_000, 300_000), at=timestamps(utc=True))
def test_time_spent(caliper_contract, student, lesson, milliseconds, at):
    caliper_contract.assert_valid(sender.time_spent(student, lesson, milliseconds, at))
"""


def _sender_suite(pytester: pytest.Pytester, bug: str) -> pytest.RunResult:
    pytester.makepyfile(sender=SENDER.replace("{bug}", bug), test_sender=SENDER_TESTS)
    # In a process of its own, as a team's CI runs it: a fresh Hypothesis, no state from this session.
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)


def test_a_sender_suite_with_given_and_the_fixture_passes_when_the_sender_is_right(pytester):
    result = _sender_suite(pytester, "none")
    result.assert_outcomes(passed=2)
    assert "ContractWarning" not in result.stdout.str()
    assert "HealthCheck" not in result.stdout.str()


@pytest.mark.parametrize(
    ("bug", "test", "rule"),
    [
        ("explicit nulls", "test_activity", "timeback.null"),
        ("correct over total", "test_activity", "timeback.activity-metric.correct-exceeds-total"),
        ("snake case", "test_time_spent", "timeback.misnamed-property"),
    ],
)
def test_a_sender_bug_fails_its_test_naming_the_rule(pytester, bug, test, rule):
    result = _sender_suite(pytester, bug)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([f"FAILED test_sender.py::{test} - *"])
    assert f"[{rule}]" in result.stdout.str()


def test_milliseconds_sent_as_seconds_show_in_the_warnings_summary(pytester):
    result = _sender_suite(pytester, "milliseconds")
    outcomes = result.parseoutcomes()
    assert (outcomes["passed"], outcomes.get("failed", 0)) == (2, 0)
    assert outcomes["warnings"] >= 1
    summary = result.stdout.str().split("warnings summary", 1)[1]
    assert "test_sender.py::test_time_spent" in summary
    assert "ContractWarning: /data/0/generated/items/0/value" in summary
    assert "[timeback.time-metric.over-a-day]" in summary
