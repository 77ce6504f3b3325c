"""The pytest plugin, used as users use it: pytester sessions with caliper-contract installed."""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from caliper_contract import Contract
from caliper_contract import _files as files
from caliper_contract.openapi import bundled_path
from tests import seeds

pytest_plugins = ["pytester"]

# Loaded before any pytester snapshot of sys.modules: pytester unloads what an
# inner run imported first, and PyYAML's C extension, which cannot be loaded
# twice, would then keep the unloaded module's node classes and break every
# later YAML spec (this file on its own failed; the whole suite passed only
# because another test module imports yaml).
importlib.import_module("yaml")

ROOT = Path(__file__).resolve().parent.parent

# The inner suites' payloads come from a conftest, as a project's own builders would.
CONFTEST = '''
import copy
import json

import pytest

PAYLOADS = json.loads(r"""{payloads}""")


@pytest.fixture
def activity():
    return copy.deepcopy(PAYLOADS["activity"])


@pytest.fixture
def time_spent():
    return copy.deepcopy(PAYLOADS["time_spent"])


@pytest.fixture
def broken():
    """sendTime, actor email and a time metric are wrong, object.course is missing (a warning)."""
    return copy.deepcopy(PAYLOADS["broken"])
'''

# What a user reads about the `broken` payload, in assert_valid's error and under a matcher's assert.
BROKEN_TEXT = [
    "envelope breaks the Timeback Events API contract (3 errors, 1 warning)",
    "errors:",
    "  envelope:",
    '    /sendTime: "yesterday" is not a valid date-time: expected an RFC 3339 date and time such as '
    "2024-04-24T14:12:00.000Z [openapi.format]",
    "  event 0:",
    '    /data/0/actor/email: "student.example.com" is not an email address [timeback.actor.email]',
    "  event 1:",
    "    /data/1/generated/items/0/value: -1 is not a number of seconds >= 0 [timeback.time-metric.value]",
    "warnings:",
    "  event 0:",
    '    /data/0/object: missing required property "course" [timeback.object.course]',
]
BROKEN_ERROR = [
    f"E       caliper_contract.report.ContractError: {BROKEN_TEXT[0]}",
    *(f"E       {line}" for line in BROKEN_TEXT[1:]),
]


def broken_envelope() -> Any:
    envelope = seeds.activity()
    envelope["sendTime"] = "yesterday"
    envelope["data"][0]["actor"]["email"] = "student.example.com"
    del envelope["data"][0]["object"]["course"]
    second = seeds.time_spent()["data"][0]
    second["id"] = "urn:uuid:0b4f2d3e-7c8a-4d1e-9f2a-5b6c7d8e9f01"
    second["generated"]["items"][0]["value"] = -1
    envelope["data"].append(second)
    return envelope


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    # Hypothesis's plugin imports hypothesis as each session ends, and pytester
    # unloads modules between in-process runs: without this every inner run
    # would spend about a second importing it again.
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:hypothesispytest")
    return pytester


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester project whose conftest provides `activity`, `time_spent` and `broken` payloads."""
    payloads = {"activity": seeds.activity(), "time_spent": seeds.time_spent(), "broken": broken_envelope()}
    pytester.makeconftest(CONFTEST.replace("{payloads}", json.dumps(payloads)))
    return pytester


def block(lines: list[str], first: str) -> list[str]:
    """The lines from `first` on, while they continue pytest's `E ` block."""
    start = lines.index(first)
    end = start + 1
    while end < len(lines) and lines[end].startswith("E  "):
        end += 1
    return lines[start:end]


def spec_variant(directory: Path, name: str = "variant.yaml") -> Path:
    """The bundled document, but asking for Caliper 1.3 envelopes: a v1p2 envelope fails it."""
    text = bundled_path().read_text(encoding="utf-8")
    old = "const: http://purl.imsglobal.org/ctx/caliper/v1p2"
    assert text.count(old) == 1
    path = directory / name
    path.write_text(text.replace(old, old.replace("v1p2", "v1p3")), encoding="utf-8")
    return path


# -- installation --------------------------------------------------------------------------


def test_the_plugin_is_registered_by_the_pytest11_entry_point_and_can_be_disabled(suite):
    (entry,) = [e for e in importlib.metadata.entry_points(group="pytest11") if e.name == "caliper_contract"]
    assert entry.value == "caliper_contract.pytest_plugin.plugin"
    suite.makepyfile("def test_it(caliper_contract, activity):\n    caliper_contract.assert_valid(activity)\n")
    suite.runpytest().assert_outcomes(passed=1)
    disabled = suite.runpytest("-p", "no:caliper_contract")
    disabled.assert_outcomes(errors=1)
    disabled.stdout.fnmatch_lines(["*fixture 'caliper_contract' not found*"])


def test_a_session_that_checks_nothing_loads_no_contract_no_file_reader_and_no_server(pytester):
    # pytest loads the plugin in every session of every project that installs caliper-contract.
    pytester.makepyfile(
        """
        import sys

        def test_it():
            heavy = {"caliper_contract.contract", "caliper_contract._files", "caliper_contract.testing.server"}
            loaded = heavy & set(sys.modules)
            assert not loaded
        """
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_help_lists_the_options_in_their_own_group_and_the_marker_is_declared(pytester):
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        [
            "caliper-contract: Timeback Events API contract:",
            "  --caliper-spec=PATH*",
            "  --caliper-strict*",
        ]
    )
    result.stdout.fnmatch_lines(["  caliper_contract_ignore (args):*", "  caliper_contract_files (args):*"])
    pytester.runpytest("--markers").stdout.fnmatch_lines(["@pytest.mark.caliper_contract(strict=False, ignore=[]*"])


# -- the fixture -----------------------------------------------------------------------------


def test_assert_valid_lists_every_violation_by_event_errors_first_with_the_plugin_hidden(suite):
    suite.makepyfile(
        """
        def test_valid(caliper_contract, activity, time_spent):
            assert caliper_contract.assert_valid(activity).ok
            caliper_contract.assert_valid(time_spent)

        def test_broken(caliper_contract, broken):
            caliper_contract.assert_valid(broken)
        """
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    assert block(result.outlines, BROKEN_ERROR[0]) == BROKEN_ERROR
    result.stdout.fnmatch_lines([">       caliper_contract.assert_valid(broken)"])
    assert "pytest_plugin" not in result.stdout.str()
    assert "contract.py" not in result.stdout.str()


def test_validate_and_validate_event_return_reports_and_the_error_is_a_contract_error(suite):
    suite.makepyfile(
        """
        import pytest
        from caliper_contract import ContractError, Report

        def test_reports(caliper_contract, activity, broken):
            assert isinstance(caliper_contract.validate(activity), Report)
            assert caliper_contract.validate(activity).ok
            assert caliper_contract.validate_event(activity["data"][0]).ok
            event = broken["data"][0]
            assert [(v.path, v.rule) for v in caliper_contract.validate_event(event).errors] == [
                ("/actor/email", "timeback.actor.email")
            ]
            assert caliper_contract.validate(b"{").errors[0].rule == "json.syntax"
            with pytest.raises(ContractError) as raised:
                caliper_contract.assert_valid(broken)
            assert len(raised.value.report.errors) == 3
        """
    )
    suite.runpytest().assert_outcomes(passed=1)


def test_a_matcher_compares_equal_to_valid_payloads_and_explains_a_mismatch(suite):
    suite.makepyfile(
        """
        def test_equal(caliper_contract, activity, broken):
            assert activity == caliper_contract.envelope
            assert caliper_contract.envelope == activity
            assert activity["data"][0] == caliper_contract.event
            assert broken != caliper_contract.envelope
            assert {"not": "an event"} != caliper_contract.event

        def test_envelope(caliper_contract, activity):
            activity["sendTime"] = "yesterday"
            assert activity == caliper_contract.envelope

        def test_event(caliper_contract, broken):
            assert caliper_contract.event == broken["data"][0]
        """
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=1, failed=2)
    lines = result.outlines
    first = 'E       assert {"sensor": "https://alpharead.alpha.school", "sendTime": ... == caliper_contract.envelope'
    assert block(lines, first) == [
        first,
        "E         envelope breaks the Timeback Events API contract (1 error)",
        "E         errors:",
        "E           envelope:",
        'E             /sendTime: "yesterday" is not a valid date-time: expected an RFC 3339 date and time such as '
        "2024-04-24T14:12:00.000Z [openapi.format]",
    ]
    first = 'E       assert caliper_contract.event == {"id": "urn:uuid:c51570e4-f8ed-4c18-bb3a-dfe51b2cc594", "...'
    assert block(lines, first) == [
        first,
        "E         event breaks the Timeback Events API contract (1 error, 1 warning)",
        "E         errors:",
        'E           /actor/email: "student.example.com" is not an email address [timeback.actor.email]',
        "E         warnings:",
        'E           /object: missing required property "course" [timeback.object.course]',
    ]


def test_a_long_matcher_explanation_is_whole_with_dash_vv(suite):
    suite.makepyfile("def test_it(caliper_contract, broken):\n    assert broken == caliper_contract.envelope\n")
    result = suite.runpytest("-vv")
    result.assert_outcomes(failed=1)
    first = 'E       assert {"sensor": "https://alpharead.alpha.school", "sendTime": ... == caliper_contract.envelope'
    assert block(result.outlines, first) == [first, *(f"E         {line}" for line in BROKEN_TEXT)]


def test_warnings_alone_pass_unless_strict(suite):
    suite.makepyfile(
        """
        import pytest

        def test_default(caliper_contract, activity):
            del activity["data"][0]["object"]["course"]
            report = caliper_contract.assert_valid(activity)
            assert [v.rule for v in report.warnings] == ["timeback.object.course"]

        @pytest.mark.caliper_contract(strict=False)
        def test_lenient(caliper_contract, activity):
            del activity["data"][0]["object"]["course"]
            caliper_contract.assert_valid(activity)
        """
    )
    suite.runpytest().assert_outcomes(passed=2)
    strict = suite.runpytest("--caliper-strict")
    strict.assert_outcomes(passed=1, failed=1)
    strict.stdout.fnmatch_lines(
        [
            "*_ test_default _*",
            "E       caliper_contract.report.ContractError: envelope breaks the Timeback Events API contract (1 error)",
            "E       errors:",
            "E         event 0:",
            'E           /data/0/object: missing required property "course" ?timeback.object.course?',
        ]
    )


# -- markers ---------------------------------------------------------------------------------


def test_each_marker_argument_comes_from_the_closest_marker_then_the_options(suite):
    suite.makeini("[pytest]\ncaliper_contract_ignore = timeback.actor.oneroster-id timeback.object.app\n")
    suite.makepyfile(
        test_unmarked="""
        def test_run_settings(caliper_contract):
            assert caliper_contract.strict is True
            assert caliper_contract.ignore == ("timeback.actor.oneroster-id", "timeback.object.app")
        """,
        test_marked="""
        import pytest

        pytestmark = pytest.mark.caliper_contract(ignore=["timeback.object.course"])

        def test_module(caliper_contract):
            assert (caliper_contract.strict, caliper_contract.ignore) == (True, ("timeback.object.course",))

        @pytest.mark.caliper_contract(strict=False)
        def test_function_over_options_module_kept(caliper_contract):
            assert (caliper_contract.strict, caliper_contract.ignore) == (False, ("timeback.object.course",))

        @pytest.mark.caliper_contract(ignore=["timeback.null"], strict=False)
        class TestClass:
            def test_class_over_module(self, caliper_contract):
                assert (caliper_contract.strict, caliper_contract.ignore) == (False, ("timeback.null",))

            @pytest.mark.caliper_contract(ignore=[])
            def test_method_over_class(self, caliper_contract):
                assert (caliper_contract.strict, caliper_contract.ignore) == (False, ())

        @pytest.mark.parametrize(
            "strict", [pytest.param(False, marks=pytest.mark.caliper_contract(strict=False)), True]
        )
        def test_parameter_marks(caliper_contract, strict):
            assert caliper_contract.strict is strict
        """,
    )
    suite.runpytest("--caliper-strict", "--strict-markers").assert_outcomes(passed=7)


def test_marker_settings_change_the_verdict(suite):
    (suite.path / "specs").mkdir()
    spec_variant(suite.path / "specs", "v1p3.yaml")
    suite.makepyfile(
        """
        import pytest
        from caliper_contract import ContractError

        @pytest.mark.caliper_contract(ignore=["timeback.actor.email", "openapi.format", "timeback.time-metric.value"])
        def test_ignored_rules_do_not_fail(caliper_contract, broken):
            caliper_contract.assert_valid(broken)

        @pytest.mark.caliper_contract(strict=True, ignore="timeback.object.course")
        def test_one_rule_as_a_string(caliper_contract, activity):
            del activity["data"][0]["object"]["course"]
            caliper_contract.assert_valid(activity)

        @pytest.mark.caliper_contract(spec="specs/v1p3.yaml")
        def test_spec_relative_to_the_rootdir(caliper_contract, activity):
            assert caliper_contract.contract.document.source.endswith("v1p3.yaml")
            assert [v.rule for v in caliper_contract.validate(activity)] == ["openapi.const"]
        """
    )
    suite.runpytest().assert_outcomes(passed=3)


def test_a_misused_marker_fails_collection_with_one_line_per_problem(suite):
    suite.makepyfile(
        test_misuse="""
        import pytest

        pytestmark = pytest.mark.caliper_contract(strcit=True)

        @pytest.mark.caliper_contract(ignore=["timeback.nul"])
        def test_unknown_rule(caliper_contract): pass

        @pytest.mark.caliper_contract(ignore=["json.syntax"])
        def test_unignorable(caliper_contract): pass

        @pytest.mark.caliper_contract(spec="missing.yaml")
        def test_spec(caliper_contract): pass

        @pytest.mark.caliper_contract(True)
        def test_positional(caliper_contract): pass

        @pytest.mark.caliper_contract(strict="yes", ignore=3)
        def test_types(caliper_contract): pass
        """,
        test_fine="def test_fine(caliper_contract):\n    pass\n",
    )
    result = suite.runpytest()
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.assert_outcomes(errors=1)
    where = "test_misuse.py::"
    lines = result.outlines
    start = next(n for n, line in enumerate(lines) if re.fullmatch("_+ ERROR collecting test_misuse.py _+", line))
    assert lines[start + 1 : start + 8] == [
        "test_misuse.py: @pytest.mark.caliper_contract: unknown argument 'strcit'; did you mean 'strict'? "
        "it takes strict=, ignore= and spec=",
        f"{where}test_unknown_rule: @pytest.mark.caliper_contract: unknown rule id 'timeback.nul'; "
        "did you mean 'timeback.null'?",
        f"{where}test_unignorable: @pytest.mark.caliper_contract: json.syntax cannot be ignored: "
        "a payload that cannot be read cannot be checked",
        f"{where}test_spec: @pytest.mark.caliper_contract: {suite.path / 'missing.yaml'}: "
        "cannot read the OpenAPI document: No such file or directory",
        f"{where}test_positional: @pytest.mark.caliper_contract: takes keyword arguments only "
        "(strict=, ignore=, spec=), got 1 positional",
        f"{where}test_types: @pytest.mark.caliper_contract: strict= must be True or False, got 'yes'",
        "=========================== short test summary info ============================",
    ]
    assert "Traceback" not in result.stdout.str()


# -- options ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "ini", "message"),
    [
        (
            ["--caliper-spec", "missing.yaml"],
            "",
            "ERROR: --caliper-spec: {path}/missing.yaml: cannot read the OpenAPI document: No such file or directory",
        ),
        (
            ["--caliper-spec", "notes.yaml"],
            "",
            "ERROR: --caliper-spec: {path}/notes.yaml: not an OpenAPI document (no top-level `openapi` field)",
        ),
        (
            [],
            "caliper_contract_ignore = timeback.nul",
            "ERROR: caliper_contract_ignore: unknown rule id 'timeback.nul'; did you mean 'timeback.null'?",
        ),
        (
            [],
            "caliper_contract_files = /abs/*.json",
            "ERROR: caliper_contract_files: '/abs/*.json' is not a glob pattern relative to the rootdir ({path})",
        ),
    ],
)
def test_a_bad_option_is_a_usage_error_not_a_traceback(pytester, args, ini, message):
    pytester.makeini(f"[pytest]\n{ini}\n")
    (pytester.path / "notes.yaml").write_text("title: notes\n", encoding="utf-8")
    pytester.makepyfile("def test_it(caliper_contract):\n    pass\n")
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message.format(path=pytester.path) in result.errlines
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_caliper_spec_checks_the_whole_run_against_another_document(suite):
    variant = spec_variant(suite.path)
    suite.makepyfile(
        """
        def test_it(caliper_contract, activity):
            caliper_contract.assert_valid(activity)
        """
    )
    suite.runpytest().assert_outcomes(passed=1)
    result = suite.runpytest("--caliper-spec", variant.name)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ['E           /dataVersion: expected "http://purl.imsglobal.org/ctx/caliper/v1p3", got * ?openapi.const?']
    )


def test_a_thousand_tests_compile_each_contract_once(suite, monkeypatch):
    sources: Counter[str] = Counter()
    original_init = Contract.__init__

    def counting_init(self: Contract, document: Any, *args: Any, **kwargs: Any) -> None:
        sources[Path(document.source).name] += 1
        original_init(self, document, *args, **kwargs)

    monkeypatch.setattr(Contract, "__init__", counting_init)
    spec_variant(suite.path, "run.yaml")
    shutil.copy(bundled_path(), suite.path / "marked.yaml")
    suite.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("n", range(500))
        def test_run_spec(caliper_contract, n):
            assert caliper_contract.contract.document.source.endswith("run.yaml")

        @pytest.mark.caliper_contract(spec="marked.yaml")
        @pytest.mark.parametrize("n", range(500))
        def test_marked_spec(caliper_contract, activity, n):
            caliper_contract.assert_valid(activity)
        """
    )
    result = suite.runpytest("--caliper-spec", "run.yaml", "-q")
    result.assert_outcomes(passed=1000)
    assert sources["run.yaml"] == 1
    assert sources["marked.yaml"] == 1


# -- xdist and the cache provider -------------------------------------------------------------


def test_it_works_under_xdist_and_without_the_cache_provider(suite):
    spec_variant(suite.path)
    suite.makeini("[pytest]\ncaliper_contract_files = payloads/*.json\n")
    payloads = suite.mkdir("payloads")
    (payloads / "one.json").write_text(json.dumps(seeds.time_spent()), encoding="utf-8")
    suite.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("n", range(6))
        def test_valid(caliper_contract, activity, n):
            assert activity == caliper_contract.envelope

        @pytest.mark.caliper_contract(spec="variant.yaml")
        def test_marked(caliper_contract, activity):
            assert activity != caliper_contract.envelope

        def test_broken(caliper_contract, broken):
            caliper_contract.assert_valid(broken)
        """
    )
    for args in (["-n", "2"], ["-p", "no:cacheprovider"]):
        result = suite.runpytest(*args)
        result.assert_outcomes(passed=8, failed=1)
        assert block(result.outlines, BROKEN_ERROR[0]) == BROKEN_ERROR


def test_a_misused_marker_is_reported_the_same_under_xdist(suite):
    suite.makepyfile(
        """
        import pytest

        @pytest.mark.caliper_contract(ignore=["timeback.nul"])
        def test_it(caliper_contract): pass
        """
    )
    result = suite.runpytest("-n", "2")
    result.stdout.fnmatch_lines(
        [
            "test_a_misused_marker_is_reported_the_same_under_xdist.py::test_it: @pytest.mark.caliper_contract: "
            "unknown rule id 'timeback.nul'; did you mean 'timeback.null'?"
        ]
    )
    assert "INTERNALERROR" not in result.stdout.str()
    result.assert_outcomes(errors=1)


# -- fixture files ---------------------------------------------------------------------------


def write(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


def bad_email() -> Any:
    envelope = seeds.activity()
    envelope["data"][0]["actor"]["email"] = "student.example.com"
    return envelope


def payload_tree(root: Path) -> None:
    """Fixture files of every kind the reader takes, and of every kind of problem."""
    good, bad = seeds.activity(), bad_email()
    event, bad_event = good["data"][0], bad["data"][0]
    write(root / "single.json", json.dumps(good, indent=2))
    write(root / "late.json", "\n\n" + json.dumps(bad))
    write(root / "nested" / "batch.json", json.dumps([good, bad], indent=2))
    write(root / "mixed.json", json.dumps([seeds.time_spent(), bad_event]))
    write(root / "event.json", json.dumps(event))
    write(root / "stream.jsonl", f"{json.dumps(good)}\n\n{json.dumps(bad)}\n{{oops\n")
    write(root / "stream.ndjson", json.dumps(seeds.time_spent()) + "\r\n")
    write(root / "lists.ndjson", json.dumps([event, good]) + "\n[]\n")
    write(root / "broken.json", '{\n  "sensor": "https://example.com",\n  "data": ]\n}\n')
    write(root / "empty.json", "[]")
    write(root / "zero.json", "")
    write(root / "blank.jsonl", "\n  \n")
    write(root / "latin1.json", '{"sensor": "caf\xe9"}'.encode("latin-1"))
    write(root / "quoted.json", json.dumps(json.dumps(good)))  # a string, however envelope-like
    write(root / "notes.txt", "not a payload")
    write(root / "invalid" / "bad.json", json.dumps(bad))
    write(root / "invalid" / "oops.json", json.dumps(good))
    write(root / "invalid" / "duplicate.json", '{"sensor": "a", "sensor": "b"}')
    write(root / "invalid" / "blank.ndjson", "")
    write(root / "bad.invalid.ndjson", json.dumps(bad) + "\n" + json.dumps(good) + "\n")


def test_fixture_files_become_one_test_per_payload(pytester):
    pytester.makepyprojecttoml(
        '[tool.pytest.ini_options]\ncaliper_contract_files = ["payloads/**/*.json", "payloads/**/*.*json*"]\n'
    )
    payload_tree(pytester.path / "payloads")
    write(pytester.path / "elsewhere" / "unmatched.json", json.dumps(bad_email()))

    collected = pytester.runpytest("--collect-only", "-q")
    assert sorted(collected.outlines[: collected.outlines.index("")]) == [
        "payloads/bad.invalid.ndjson::line[1]",
        "payloads/bad.invalid.ndjson::line[2]",
        "payloads/blank.jsonl::file",
        "payloads/broken.json::file",
        "payloads/empty.json::file",
        "payloads/event.json::event",
        "payloads/invalid/bad.json::envelope",
        "payloads/invalid/blank.ndjson::file",
        "payloads/invalid/duplicate.json::file",
        "payloads/invalid/oops.json::envelope",
        "payloads/late.json::envelope",
        "payloads/latin1.json::file",
        "payloads/lists.ndjson::line[1][0]",
        "payloads/lists.ndjson::line[1][1]",
        "payloads/lists.ndjson::line[2]",
        "payloads/mixed.json::envelope[0]",
        "payloads/mixed.json::event[1]",
        "payloads/nested/batch.json::envelope[0]",
        "payloads/nested/batch.json::envelope[1]",
        "payloads/quoted.json::envelope",
        "payloads/single.json::envelope",
        "payloads/stream.jsonl::line[1]",
        "payloads/stream.jsonl::line[3]",
        "payloads/stream.jsonl::line[4]",
        "payloads/stream.ndjson::line[1]",
        "payloads/zero.json::file",
    ]

    result = pytester.runpytest("-rf")
    result.assert_outcomes(passed=11, failed=15)
    failures = {line.split(" - ")[0].removeprefix("FAILED ") for line in result.outlines if line.startswith("FAILED ")}
    assert failures == {
        "payloads/bad.invalid.ndjson::line[2]",
        "payloads/blank.jsonl::file",
        "payloads/broken.json::file",
        "payloads/empty.json::file",
        "payloads/invalid/blank.ndjson::file",
        "payloads/invalid/oops.json::envelope",
        "payloads/late.json::envelope",
        "payloads/latin1.json::file",
        "payloads/lists.ndjson::line[2]",
        "payloads/mixed.json::event[1]",
        "payloads/nested/batch.json::envelope[1]",
        "payloads/quoted.json::envelope",
        "payloads/stream.jsonl::line[3]",
        "payloads/stream.jsonl::line[4]",
        "payloads/zero.json::file",
    }
    # The item points at the line where the payload starts; each violation at its value's line and column.
    bad = bad_email()
    batch_lines = json.dumps([seeds.activity(), bad], indent=2).splitlines()
    starts = [number for number, line in enumerate(batch_lines, start=1) if line == "  {"]
    ((email_line, email_text),) = [(n, t) for n, t in enumerate(batch_lines, 1) if "student.example.com" in t]
    quote = '"student.example.com"'
    email = f"payloads/nested/batch.json:{email_line}:{email_text.index(quote) + 1}"
    stream_email = f"payloads/stream.jsonl:3:{json.dumps(bad).index(quote) + 1}"
    mixed_email = f"payloads/mixed.json:1:{json.dumps([seeds.time_spent(), bad['data'][0]]).index(quote) + 1}"
    must_fail = "expected to break the contract, but it is valid (its path matches the expect-invalid pattern"
    lines = result.outlines
    for expected in (
        [
            f"payloads/nested/batch.json:{starts[1]}: envelope breaks the Timeback Events API contract (1 error)",
            "errors:",
            "  event 0:",
            f'    {email}: /data/0/actor/email: "student.example.com" is not an email address [timeback.actor.email]',
        ],
        [
            "payloads/stream.jsonl:3: envelope breaks the Timeback Events API contract (1 error)",
            "errors:",
            "  event 0:",
            f'    {stream_email}: /data/0/actor/email: "student.example.com" is not an email address '
            "[timeback.actor.email]",
        ],
        [
            "payloads/late.json:3: envelope breaks the Timeback Events API contract (1 error)",
            "errors:",
            "  event 0:",
            f"    payloads/late.json:3:{json.dumps(bad).index(quote) + 1}: /data/0/actor/email: "
            '"student.example.com" is not an email address [timeback.actor.email]',
        ],
        [
            # A lone event: paths are relative to it, and nothing is grouped.
            "payloads/mixed.json:1: event breaks the Timeback Events API contract (1 error)",
            "errors:",
            f'  {mixed_email}: /actor/email: "student.example.com" is not an email address [timeback.actor.email]',
        ],
        # What keeps a file or a line from giving a payload: the command's message, at the command's position.
        ["payloads/stream.jsonl:4:2: (root): expected a property name in double quotes, found 'o' [json.syntax]"],
        ["payloads/broken.json:3:11: /data: expected a JSON value, found ']' [json.syntax]"],
        ["payloads/latin1.json:1:16: not UTF-8 text: invalid continuation byte (byte 0xe9) [json.syntax]"],
        ["payloads/empty.json:1:1: no payload to check: an empty list"],
        ["payloads/lists.ndjson:2:1: no payload to check: an empty list"],
        ["payloads/zero.json: no payload to check: empty or blank"],
        ["payloads/blank.jsonl: no payload to check: empty or blank"],
        # Holding nothing to check is not breaking the contract, even where payloads must fail.
        ["payloads/invalid/blank.ndjson: no payload to check: empty or blank"],
        [
            "payloads/quoted.json:1: envelope breaks the Timeback Events API contract (1 error)",
            "errors:",
            "  envelope:",
        ],
        [f"payloads/invalid/oops.json:1: envelope {must_fail} 'invalid/' by default)"],
        [f"payloads/bad.invalid.ndjson:2: envelope {must_fail} '*.invalid.*' by default)"],
    ):
        start = lines.index(expected[0])
        assert lines[start : start + len(expected)] == expected
    heading = "payloads/quoted.json:1: envelope breaks the Timeback Events API contract (1 error)"
    quoted = lines[lines.index(heading) + 3]
    assert quoted.startswith('    payloads/quoted.json:1:1: (root): expected object, got string "{\\"sensor\\": ')


def test_the_command_reads_fixture_files_as_the_plugin_does(pytester):
    pytester.makeini("[pytest]\ncaliper_contract_files = payloads/**/*.json payloads/**/*.jsonl payloads/**/*.ndjson\n")
    payload_tree(pytester.path / "payloads")
    result = pytester.runpytest()
    command = subprocess.run(
        [sys.executable, "-m", "caliper_contract", "check", "payloads", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=pytester.path,
        check=False,
    )
    findings = json.loads(command.stdout)
    assert len(findings) == 15  # one for each failing test of the plugin
    shown = [line.strip() for line in result.outlines]
    for finding in findings:
        where = (
            finding["file"] if finding["line"] is None else f"{finding['file']}:{finding['line']}:{finding['column']}"
        )
        rule = "" if finding["rule"] is None else f" [{finding['rule']}]"
        if finding["message"].startswith("expected to break the contract"):
            where = f"{finding['file']}:{finding['line']}"  # the plugin names the payload by its first line
        # Every finding of the command is in a failure of the plugin, at the same place with the same words
        # (the plugin's paths are relative to each payload; the command's to the file's JSON text).
        said = [
            line for line in shown if line.startswith(f"{where}: ") and line.endswith(f"{finding['message']}{rule}")
        ]
        assert said, finding
    # Files that must break the contract and do: nothing to say in either.
    assert not [f for f in findings if f["file"] in ("payloads/invalid/bad.json", "payloads/invalid/duplicate.json")]


def test_positions_are_worked_out_only_for_payloads_with_violations(pytester, monkeypatch):
    located: list[str] = []

    def counting(original: Any) -> Any:
        def position_work(text: str, *args: Any) -> Any:
            located.append(text)
            return original(text, *args)

        return position_work

    # Either reader of positions: one walks to a value, the other places every value of a text.
    monkeypatch.setattr(files, "find", counting(files.find))
    monkeypatch.setattr(files, "locate", counting(files.locate))
    pytester.makeini("[pytest]\ncaliper_contract_files = *.json *.jsonl\n")
    batch = [seeds.activity(), seeds.time_spent()] * 20
    write(pytester.path / "batch.json", json.dumps(batch, indent=2))
    write(pytester.path / "stream.jsonl", "\n".join(json.dumps(envelope) for envelope in batch))
    result = pytester.runpytest("-q")
    result.assert_outcomes(passed=80)
    assert located == []
    batch[7] = bad_email()
    write(pytester.path / "batch.json", json.dumps(batch, indent=2))
    result = pytester.runpytest("-q")
    result.assert_outcomes(passed=79, failed=1)
    assert len(located) == 1  # the file's text, read for positions once, for its one failing payload
    result.stdout.fnmatch_lines(["batch.json:*: envelope breaks the Timeback Events API contract (1 error)"])


def test_an_event_file_against_a_document_without_an_event_schema_fails_saying_why(pytester):
    spec = {
        "openapi": "3.1.0",
        "info": {"title": "envelopes only", "version": "1"},
        "paths": {
            "/caliper/event": {
                "post": {
                    "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                    "responses": {"200": {"description": "accepted"}},
                }
            }
        },
    }
    write(pytester.path / "envelopes-only.json", json.dumps(spec))
    pytester.makeini("[pytest]\ncaliper_contract_files = payloads/*.json\n")
    write(pytester.path / "payloads" / "event.json", json.dumps(seeds.activity()["data"][0]))
    result = pytester.runpytest("--caliper-spec", "envelopes-only.json")
    result.assert_outcomes(failed=1)
    assert (
        f"payloads/event.json:1: cannot be checked: {pytester.path / 'envelopes-only.json'}: "
        "no Event schema to check a lone event against"
    ) in result.outlines
    assert "Traceback" not in result.stdout.str()


def test_fixture_files_use_the_run_settings(pytester):
    pytester.makeini("[pytest]\ncaliper_contract_files = *.json\n")
    envelope = seeds.activity()
    del envelope["data"][0]["object"]["course"]  # a warning
    write(pytester.path / "warned.json", json.dumps(envelope))
    pytester.runpytest().assert_outcomes(passed=1)
    pytester.runpytest("--caliper-strict").assert_outcomes(failed=1)
    pytester.makeini("[pytest]\ncaliper_contract_files = *.json\ncaliper_contract_ignore = timeback.object.course\n")
    pytester.runpytest("--caliper-strict").assert_outcomes(passed=1)


def test_a_file_that_cannot_be_read_is_a_problem_of_the_whole_file(tmp_path):
    (text,) = files.read(files.Source.file(tmp_path))  # a folder: reading it fails
    assert (text.line, text.payloads) == (None, ())
    assert text.problem == files.Finding(
        str(tmp_path), None, None, None, None, "error", "cannot read: not a regular file (a folder)"
    )


# -- the README ------------------------------------------------------------------------------


def readme_blocks() -> list[tuple[str, str]]:
    """(language, text) of each code block of the README's "Using it in pytest" section."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Using it in pytest\n")
    section = readme[start : readme.index("\n## ", start)]
    return re.findall(r"```(\w+)\n(.*?)```", section, flags=re.DOTALL)


def test_the_readme_examples_run_as_written(pytester):
    blocks = readme_blocks()
    outputs = [text.splitlines() for language, text in blocks if language == "text"]
    for language, text in blocks:
        if language in ("python", "toml"):
            name = text.splitlines()[0].removeprefix("# ")
            write(pytester.path / name, text)
    assert (pytester.path / "pyproject.toml").is_file()
    # The payload files the README's output shows: a batch whose second envelope has a bad email, a broken file.
    payloads = pytester.path / "tests" / "payloads"
    write(payloads / "batch.json", json.dumps([seeds.activity(), bad_email()], indent=2))
    write(payloads / "stream.jsonl", "\n".join(json.dumps(seeds.seed(f"example{n}")) for n in range(1, 9)))
    write(payloads / "invalid" / "no-email.json", json.dumps(bad_email()))
    write(payloads / "broken.json", '{\n  "sensor": "https://example.com",\n  "data": ]\n}\n')

    result = pytester.runpytest()
    # Every test passes except the one per output block that the README shows failing.
    (collected,) = (int(m[1]) for line in result.outlines if (m := re.match(r"collected (\d+) items", line)))
    outcomes = result.parseoutcomes()
    # The settings example's warning-level violations reach the warnings summary (tested on their own below).
    assert outcomes.pop("warnings") > 0
    assert outcomes == {"passed": collected - len(outputs), "failed": len(outputs)}
    for output in outputs:
        start = result.outlines.index(output[0])
        assert result.outlines[start : start + len(output)] == output
