"""`caliper-contract check` in a real repository: expected-invalid files, files that are not payloads, and the
options that fit it to one (--exclude, per-file ignores, --statistics, --quiet, --exit-zero, --output-file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import seeds
from tests.test_cli import bad_email_envelope, lines_of, run, write

PACKAGE_JSON = {"name": "reader", "version": "1.0.0", "type": "module", "scripts": {"test": "vitest"}}
TSCONFIG_JSON = {"compilerOptions": {"strict": True, "target": "ES2022"}, "include": ["src"]}


# -- expected-invalid files ------------------------------------------------------------------------------


def test_an_expected_invalid_file_passes_when_it_breaks_the_contract_and_fails_when_it_does_not(tmp_path):
    write(tmp_path, "fixtures/invalid/bad.json", bad_email_envelope())
    write(tmp_path, "fixtures/invalid/broken.json", '{"sensor": "a", "sensor": "b"}')  # not strict JSON: breaks it
    write(tmp_path, "fixtures/invalid/valid.json", seeds.activity())
    write(
        tmp_path, "fixtures/late.invalid.jsonl", f"{json.dumps(bad_email_envelope())}\n{json.dumps(seeds.activity())}\n"
    )
    write(tmp_path, "fixtures/invalid/empty.json", "")  # nothing to check is never a pass
    result = run("check", "fixtures", cwd=tmp_path)
    assert result.returncode == 2
    assert lines_of(result) == [
        "fixtures/late.invalid.jsonl:2:1: error: expected to break the contract, but it is valid (its path matches "
        "the expect-invalid pattern '*.invalid.*' by default)",
        "fixtures/invalid/empty.json: error: no payload to check: empty or blank",
        "fixtures/invalid/valid.json:1:1: error: expected to break the contract, but it is valid (its path matches "
        "the expect-invalid pattern 'invalid/' by default)",
        "checked 5 files: 3 errors, 0 warnings; 1 could not be read; 2 invalid as expected",
    ]
    # A valid expected-invalid payload is a contract verdict (status 1), not an unreadable file.
    assert run("check", "fixtures/invalid/valid.json", cwd=tmp_path).returncode == 1


def test_warnings_break_an_expected_invalid_file_only_when_strict(tmp_path):
    envelope = seeds.activity()
    envelope["data"][0]["object"]["subject"] = "Other"  # a warning
    write(tmp_path, "invalid/other.json", envelope)
    assert run("check", "invalid", cwd=tmp_path).returncode == 1
    assert run("check", "invalid", "--strict", cwd=tmp_path).stdout == (
        "checked 1 file: no problems found; 1 invalid as expected\n"
    )


def test_the_convention_is_set_in_pyproject_or_on_the_command_line(tmp_path):
    write(tmp_path, "fixtures/bad/one.json", bad_email_envelope())
    write(tmp_path, "fixtures/invalid/two.json", bad_email_envelope())
    write(tmp_path, "pyproject.toml", '[tool.caliper-contract]\nexpect-invalid = ["fixtures/bad/"]\n')
    configured = run("check", ".", cwd=tmp_path / "fixtures")  # patterns are relative to pyproject.toml
    assert [line.split(":")[0] for line in lines_of(configured)[:-1]] == ["invalid/two.json"]
    assert lines_of(configured)[-1] == "checked 2 files: 1 error, 0 warnings; 1 invalid as expected"
    given = run("check", "fixtures", "--expect-invalid", "two.json", cwd=tmp_path)
    assert [line.split(":")[0] for line in lines_of(given)[:-1]] == ["fixtures/bad/one.json"]
    every = run("check", "fixtures", "--no-expect-invalid", cwd=tmp_path)
    assert lines_of(every)[-1] == "checked 2 files: 2 errors, 0 warnings"
    write(tmp_path, "pyproject.toml", "[tool.caliper-contract]\nexpect-invalid = []\n")
    assert lines_of(run("check", "fixtures", cwd=tmp_path))[-1] == "checked 2 files: 2 errors, 0 warnings"


# -- JSON that is not a payload -----------------------------------------------------------------------------


def test_json_files_that_are_not_payloads_are_skipped_and_counted_but_broken_payloads_still_fail(tmp_path):
    write(tmp_path, "package.json", PACKAGE_JSON)
    write(tmp_path, "tsconfig.json", TSCONFIG_JSON)
    write(tmp_path, "renovate.json", [{"matchPackageNames": ["*"]}])  # a list of objects, none a payload
    write(tmp_path, "half.json", {"sensor": "https://example.com"})  # one envelope key: a broken payload
    write(tmp_path, "typed.json", {"type": "ActivityEvent"})  # an event type: a broken payload
    write(tmp_path, "comments.json", '{"compilerOptions": {} // JSONC\n}')  # not JSON: always a finding
    result = run("check", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert sorted({line.split(":")[0] for line in lines_of(result)[:-1]}) == [
        "comments.json",
        "half.json",
        "typed.json",
    ]
    assert lines_of(result)[-1].endswith("; 3 skipped: not Caliper payloads")
    assert lines_of(result)[-1].startswith("checked 3 files: ")
    alone = run("check", "package.json", cwd=tmp_path)
    assert (alone.returncode, alone.stdout) == (
        0,
        "checked 0 files: no problems found; 1 skipped: not a Caliper payload\n",
    )
    # --kind says what every payload is: nothing is skipped then.
    forced = run("check", "package.json", "--kind", "envelope", cwd=tmp_path)
    assert forced.returncode == 1
    assert 'missing required property "data"' in forced.stdout


# -- --exclude and per-file ignores ------------------------------------------------------------------------


def test_exclude_passes_over_files_and_folders_named_found_or_globbed(tmp_path):
    write(tmp_path, "fixtures/ok.json", seeds.activity())
    write(tmp_path, "fixtures/drafts/bad.json", bad_email_envelope())
    write(tmp_path, "node_modules/pkg/bad.json", bad_email_envelope())
    write(tmp_path, "fixtures/wip.json", bad_email_envelope())
    everything = ["fixtures", "node_modules", "fixtures/wip.json", "fixtures/**/*.json"]
    assert run("check", *everything, cwd=tmp_path).returncode == 1
    excluded = run(
        "check", *everything, "--exclude", "node_modules", "--exclude", "fixtures/drafts/", "--exclude", "wip.*",
        cwd=tmp_path,
    )  # fmt: skip
    assert (excluded.returncode, excluded.stdout) == (0, "checked 1 file: no problems found\n")
    write(tmp_path, "pyproject.toml", '[tool.caliper-contract]\nexclude = ["node_modules", "drafts", "wip.json"]\n')
    configured = run("check", *everything, cwd=tmp_path)
    assert (configured.returncode, configured.stdout) == (0, "checked 1 file: no problems found\n")
    replaced = run("check", *everything, "--exclude", "node_modules", cwd=tmp_path)  # the command line wins
    assert [line.split(":")[0] for line in lines_of(replaced)[:-1]] == ["fixtures/wip.json", "fixtures/drafts/bad.json"]


def test_per_file_ignores_skip_rules_in_the_files_a_pattern_matches(tmp_path):
    write(tmp_path, "fixtures/legacy/old.json", bad_email_envelope())
    write(tmp_path, "fixtures/new.json", bad_email_envelope())
    write(
        tmp_path,
        "pyproject.toml",
        '[tool.caliper-contract.per-file-ignores]\n"fixtures/legacy/*.json" = ["timeback.actor.email"]\n',
    )
    result = run("check", "fixtures", cwd=tmp_path)
    assert [line.split(":")[0] for line in lines_of(result)[:-1]] == ["fixtures/new.json"]
    # standard input is matched by its --stdin-name
    piped = run(
        "check", "-", "--stdin-name", "fixtures/legacy/piped.json", cwd=tmp_path, stdin=json.dumps(bad_email_envelope())
    )
    assert (piped.returncode, lines_of(piped)) == (0, ["checked 1 file: no problems found"])


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            '[tool.caliper-contract.per-file-ignores]\n"*.json" = ["timeback.actor.mail"]',
            "did you mean 'timeback.actor.email'?",
        ),
        ('[tool.caliper-contract.per-file-ignores]\n"*.json" = ["json.syntax"]', "json.syntax cannot be ignored"),
        ('[tool.caliper-contract.per-file-ignores]\n"*.json" = "timeback.null"', "must be a list of rule ids"),
        ('[tool.caliper-contract]\nexclude = "node_modules"', "exclude must be a list of path patterns"),
        ('[tool.caliper-contract]\nexpect-invalid = ["a/../b"]', "expect-invalid: 'a/../b' is not a path pattern"),
        ("[tool.caliper-contract]\nexlude = []", "unknown key 'exlude'; did you mean 'exclude'?"),
    ],
)
def test_bad_new_settings_are_usage_errors_naming_the_file(tmp_path, table, message):
    write(tmp_path, "pyproject.toml", table + "\n")
    write(tmp_path, "x.json", seeds.activity())
    result = run("check", "x.json", cwd=tmp_path)
    assert result.returncode == 2
    assert str(tmp_path / "pyproject.toml") in result.stderr
    assert message in result.stderr


# -- --statistics, --quiet, --exit-zero, --output-file ------------------------------------------------------


@pytest.fixture
def two_kinds(tmp_path: Path) -> Path:
    """Two files with the same error, one with a warning too, and one that cannot be read."""
    warned = bad_email_envelope()
    warned["data"][0]["object"]["subject"] = "Other"
    write(tmp_path, "a.json", warned)
    write(tmp_path, "b.json", bad_email_envelope())
    return tmp_path


def test_statistics_count_each_rule_instead_of_listing_findings(two_kinds):
    result = run("check", "a.json", "b.json", "gone.json", "--statistics", cwd=two_kinds)
    assert result.returncode == 2
    assert lines_of(result) == [
        "     2  timeback.actor.email           error    actor.email is missing or not an email address",
        "     1  -                              error    files or texts that could not be read, or held no payload",
        "     1  timeback.object.subject-other  warning  object.subject is `Other`",
        "checked 3 files: 3 errors, 1 warning; 1 could not be read",
    ]
    as_json = json.loads(run("check", "a.json", "b.json", "--statistics", "--format", "json", cwd=two_kinds).stdout)
    assert as_json[0] == {
        "rule": "timeback.actor.email",
        "severity": "error",
        "count": 2,
        "title": "actor.email is missing or not an email address",
    }
    refused = run("check", "a.json", "--statistics", "--format", "sarif", cwd=two_kinds)
    assert (refused.returncode, refused.stderr) == (
        2,
        "caliper-contract: error: --statistics works with --format text or json, not sarif\n",
    )


def test_quiet_prints_errors_only_and_nothing_when_all_is_well(two_kinds):
    result = run("check", "a.json", "b.json", "--quiet", cwd=two_kinds)
    assert result.returncode == 1
    assert [line.split()[2] for line in lines_of(result)] == ["timeback.actor.email", "timeback.actor.email"]
    write(two_kinds, "ok.json", seeds.activity())
    assert run("check", "ok.json", "-q", cwd=two_kinds).stdout == ""
    as_json = json.loads(run("check", "a.json", "-q", "--format", "json", cwd=two_kinds).stdout)
    assert [finding["severity"] for finding in as_json] == ["error"]


def test_exit_zero_passes_errors_but_never_a_file_that_cannot_be_read(two_kinds):
    assert run("check", "a.json", "b.json", "--exit-zero", cwd=two_kinds).returncode == 0
    assert run("check", "a.json", "gone.json", "--exit-zero", cwd=two_kinds).returncode == 2


def test_output_file_takes_the_report_and_leaves_standard_output_empty(two_kinds):
    result = run("check", "a.json", "--format", "sarif", "--output-file", "report.sarif", cwd=two_kinds)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", "")
    log = json.loads((two_kinds / "report.sarif").read_text(encoding="utf-8"))
    assert {r["ruleId"] for r in log["runs"][0]["results"]} == {"timeback.actor.email", "timeback.object.subject-other"}
    run("check", "a.json", "-o", "report.txt", "--color", "auto", cwd=two_kinds)
    assert "\033[" not in (two_kinds / "report.txt").read_text(encoding="utf-8")


# -- JSON Lines on standard input ---------------------------------------------------------------------------


def test_several_json_values_on_standard_input_get_a_hint_naming_stdin_name(tmp_path):
    lines = f"{json.dumps(seeds.activity())}\n{json.dumps(bad_email_envelope())}\n"
    result = run("check", "-", stdin=lines, cwd=tmp_path)
    assert result.returncode == 2
    assert lines_of(result)[0] == (
        "<stdin>:2:1: error json.syntax (root): extra text after the JSON value, found '{' (several JSON values, "
        "one a line: name standard input with --stdin-name x.jsonl to check one a line)"
    )
    as_lines = run("check", "-", "--stdin-name", "x.jsonl", stdin=lines, cwd=tmp_path)
    assert [line.split(": error")[0] for line in lines_of(as_lines)[:-1]] == [
        "x.jsonl:2:" + lines_of(as_lines)[0].split(":")[2]
    ]
    # Pretty-printed values one after another are not JSON Lines: no hint that would not work.
    pretty = json.dumps(seeds.activity(), indent=2) * 2
    assert "--stdin-name" not in run("check", "-", stdin=pretty, cwd=tmp_path).stdout
