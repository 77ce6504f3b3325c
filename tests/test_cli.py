"""The console command, run as a user runs it: the installed `caliper-contract` script, in a subprocess."""

from __future__ import annotations

import json
import os
import pty
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from caliper_contract.rules import RULES
from tests import seeds

ROOT = Path(__file__).resolve().parent.parent
FINDING_KEYS = ["file", "line", "column", "path", "rule", "severity", "message", "schema_location"]


def _script() -> str:
    beside = Path(sys.executable).with_name("caliper-contract")
    found = str(beside) if beside.exists() else shutil.which("caliper-contract")
    if found is None:
        pytest.fail("the caliper-contract console script is not installed: pip install -e .")
    return found


def run(*args: str, cwd: Path | None = None, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key not in ("NO_COLOR", "FORCE_COLOR")}
    environment.update(env)
    return subprocess.run(
        [_script(), *args], capture_output=True, text=True, cwd=cwd, input=stdin, env=environment, timeout=120
    )


def write(folder: Path, name: str, payload: Any) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(payload, bytes):
        path.write_bytes(payload)
    else:
        path.write_text(payload if isinstance(payload, str) else json.dumps(payload, indent=2), encoding="utf-8")
    return path


def bad_email_envelope() -> Any:
    envelope = seeds.activity()
    envelope["data"][0]["actor"]["email"] = "student.example.com"
    return envelope


def lines_of(result: subprocess.CompletedProcess[str]) -> list[str]:
    return result.stdout.splitlines()


def pre_commit_hook(hook_id: str) -> dict[str, Any]:
    """One hook of .pre-commit-hooks.yaml, by its id."""
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    return {hook["id"]: hook for hook in hooks}[hook_id]


# -- the Quickstart, and positions ---------------------------------------------------


def test_the_quickstart_command_passes_the_examples_and_counts_those_invalid_as_expected():
    result = run("check", "examples/", cwd=ROOT)
    assert (result.returncode, result.stdout) == (0, "checked 4 files: no problems found; 2 invalid as expected\n")
    # What the invalid examples break, with positions, once they are not expected to break anything.
    shown = run("check", "examples/", "--no-expect-invalid", cwd=ROOT)
    assert shown.returncode == 1, shown.stderr
    *findings, summary = lines_of(shown)
    assert (
        "examples/invalid/activity-four-mistakes.json:14:18: error timeback.actor.email /data/0/actor/email: "
        '"student.example.com" is not an email address'
    ) in findings
    assert all(line.startswith("examples/invalid/") for line in findings)
    assert summary == "checked 4 files: 7 errors, 1 warning"
    valid = run("check", "examples/valid", cwd=ROOT)
    assert (valid.returncode, valid.stdout) == (0, "checked 2 files: no problems found\n")


# Hand-made: every position below was counted by hand.  Line 3 starts with a tab,
# line 4 has an "é" before the value, lines end in CRLF.
HAND_MADE = (
    '{"sensor": "https://example.com",\r\n'
    '  "sendTime": "yesterday", "dataVersion": "http://purl.imsglobal.org/ctx/caliper/v1p2",\r\n'
    '\t"data": [{"id": "urn:uuid:c51570e4-f8ed-4c18-bb3a-dfe51b2cc594", "type": "Event",\r\n'
    '   "actor": {"name": "é"}, "action": 7, "eventTime": "2024-04-24T14:12:00.000Z",\r\n'
    '   "object": "https://example.com/things/1", "profile": "GeneralProfile"},\r\n'
    "  {}]}\r\n"
)


def test_positions_come_from_the_file_text_counted_by_hand(tmp_path):
    write(tmp_path, "hand.json", HAND_MADE)
    result = run("check", "hand.json", "--format", "json", cwd=tmp_path)
    located = {(f["path"], f["rule"]): (f["line"], f["column"]) for f in json.loads(result.stdout)}
    assert located == {
        ("/sendTime", "openapi.format"): (2, 15),
        ("/data/0/action", "openapi.type"): (4, 38),
        ("/data/0/profile", "caliper.non-timeback-profile"): (5, 57),
        # A missing property points at the object that lacks it.
        ("/data/1", "openapi.required"): (6, 3),
    }


def test_a_missing_property_points_at_the_object_that_lacks_it(tmp_path):
    envelope = seeds.activity()
    del envelope["data"][0]["object"]["app"]
    path = write(tmp_path, "missing.json", envelope)
    text = path.read_text(encoding="utf-8").splitlines()
    object_line = next(n for n, line in enumerate(text, 1) if line.strip() == '"object": {')
    result = run("check", "missing.json", cwd=tmp_path)
    column = text[object_line - 1].index("{") + 1
    expected = f'{object_line}:{column}: error timeback.object.app /data/0/object: missing required property "app"'
    assert f"missing.json:{expected}" in lines_of(result)


# -- bad files ------------------------------------------------------------------------


BAD_FILES = {
    "duplicate.json": ('{"sensor": "a",\n  "sensor": "b"}', '2:3: error json.duplicate-key /sensor: key "sensor"'),
    "nan.json": ('{"data": [\n  NaN]}', "2:3: error json.value /data/0: NaN is not a JSON number"),
    "infinity.json": ('{"x": Infinity}', "1:7: error json.value /x: Infinity is not a JSON number"),
    "trailing.json": ("{}\n}", "2:1: error json.syntax (root): extra text after the JSON value, found '}'"),
    "syntax.json": ('{"a": 1,}', "1:9: error json.syntax (root): expected a property name in double quotes"),
    "blank.json": ("\n  \n", " error: no payload to check: empty or blank"),
    "latin1.json": (b'{"name":\n "caf\xe9"}', "2:6: error json.syntax: not UTF-8 text: invalid continuation byte"),
}


def test_each_bad_file_is_reported_with_its_position_and_never_stops_the_others(tmp_path):
    for name, (content, _) in BAD_FILES.items():
        write(tmp_path, name, content.encode() if isinstance(content, str) else content)
    write(tmp_path, "valid.json", seeds.activity())
    write(tmp_path, "zz-invalid.json", bad_email_envelope())
    result = run("check", ".", "missing.json", cwd=tmp_path)
    assert result.returncode == 2
    output = lines_of(result)
    for name, (_, expected) in BAD_FILES.items():
        assert any(line.startswith(f"{name}:{expected}") for line in output), (name, output)
    assert any(line.startswith("zz-invalid.json:") and "timeback.actor.email" in line for line in output)
    assert "missing.json: error: cannot read: No such file or directory" in output
    assert output[-1] == "checked 10 files: 9 errors, 0 warnings; 8 could not be read"
    assert not any("valid.json" in line and "zz-" not in line for line in output)
    assert "Traceback" not in result.stdout + result.stderr


def test_a_bom_is_tolerated(tmp_path):
    write(tmp_path, "bom.json", b"\xef\xbb\xbf" + json.dumps(seeds.activity()).encode())
    assert run("check", "bom.json", cwd=tmp_path).returncode == 0


def test_nesting_deeper_than_any_parser_recursion_is_reported_not_a_crash(tmp_path):
    write(tmp_path, "deep.json", "[" * 50_000 + "]" * 50_000)
    result = run("check", "deep.json", cwd=tmp_path)
    assert result.returncode == 2
    assert re.match(r"deep\.json:1:\d+: error json\.too-deep /0/0/0", result.stdout)
    assert "Traceback" not in result.stderr


def test_arguments_that_name_no_file_are_errors(tmp_path):
    (tmp_path / "empty-folder").mkdir()
    write(tmp_path, "empty-folder/notes.txt", "not a payload")
    result = run("check", "empty-folder", "nothing-*.json", cwd=tmp_path)
    assert result.returncode == 2
    assert lines_of(result) == [
        "empty-folder: error: no .json, .jsonl, .ndjson files in this folder",
        "nothing-*.json: error: no file matches this pattern",
        "checked 0 files: 2 errors, 0 warnings; 2 could not be read",
    ]


# -- what a file holds ------------------------------------------------------------


def test_folders_are_searched_recursively_skipping_hidden_ones_and_globs_expand(tmp_path):
    write(tmp_path, "fixtures/a/one.json", bad_email_envelope())
    write(tmp_path, "fixtures/b/two.ndjson", json.dumps(bad_email_envelope()) + "\n")
    write(tmp_path, "fixtures/.cache/three.json", "{broken")
    write(tmp_path, "fixtures/notes.md", "{broken")
    by_folder = run("check", "fixtures", cwd=tmp_path)
    assert [line.split(":")[0] for line in lines_of(by_folder)[:-1]] == [
        str(Path("fixtures/a/one.json")),
        str(Path("fixtures/b/two.ndjson")),
    ]
    by_glob = run("check", "fixtures/**/*.json", "fixtures/a/one.json", cwd=tmp_path)
    assert [line.split(":")[0] for line in lines_of(by_glob)[:-1]] == [str(Path("fixtures/a/one.json"))]
    assert lines_of(by_glob)[-1].startswith("checked 1 file:")


def test_json_lines_report_the_line_in_the_file_and_a_bad_line_stops_nothing(tmp_path):
    good = json.dumps(seeds.time_spent())
    bad = json.dumps(bad_email_envelope())
    write(tmp_path, "traffic.jsonl", f"{good}\n\n{bad}\r\nnot json\n{good}\n{bad}")
    result = run("check", "traffic.jsonl", cwd=tmp_path)
    assert result.returncode == 2
    column = bad.index('"student.example.com"') + 1
    assert lines_of(result) == [
        f'traffic.jsonl:3:{column}: error timeback.actor.email /data/0/actor/email: "student.example.com" is not an '
        "email address",
        "traffic.jsonl:4:1: error json.syntax (root): expected a JSON value, found 'n'",
        f'traffic.jsonl:6:{column}: error timeback.actor.email /data/0/actor/email: "student.example.com" is not an '
        "email address",
        "checked 1 file: 3 errors, 0 warnings; 1 could not be read",
    ]


def test_a_list_of_envelopes_and_events_is_detected_item_by_item(tmp_path):
    lone_event = bad_email_envelope()["data"][0]
    write(tmp_path, "mixed.json", [seeds.time_spent(), lone_event])
    write(tmp_path, "event.json", lone_event)
    result = run("check", "mixed.json", "event.json", "--format", "json", cwd=tmp_path)
    found = [(f["file"], f["path"], f["rule"]) for f in json.loads(result.stdout)]
    assert found == [
        ("mixed.json", "/1/actor/email", "timeback.actor.email"),
        ("event.json", "/actor/email", "timeback.actor.email"),
    ]
    forced = run("check", "event.json", "--kind", "envelope", cwd=tmp_path)
    assert "openapi.required (root): missing required property" in forced.stdout
    # A line of a .jsonl file is read as a .json file is: an event, or a list, on a line works too.
    write(tmp_path, "mixed.jsonl", f"{json.dumps(lone_event)}\n{json.dumps([seeds.activity(), lone_event])}\n")
    by_line = run("check", "mixed.jsonl", "--format", "json", cwd=tmp_path)
    assert [(f["line"], f["path"], f["rule"]) for f in json.loads(by_line.stdout)] == [
        (1, "/actor/email", "timeback.actor.email"),
        (2, "/1/actor/email", "timeback.actor.email"),
    ]


def test_a_file_that_holds_no_payload_is_an_error_whatever_its_suffix(tmp_path):
    good = json.dumps(seeds.activity())
    write(tmp_path, "zero.json", "")
    write(tmp_path, "blank.json", "  \r\n\t\n")
    write(tmp_path, "list.json", "\n [ ]\n")
    write(tmp_path, "zero.jsonl", "")
    write(tmp_path, "blank.ndjson", "\n\n   \n")
    write(tmp_path, "list.jsonl", f"{good}\n\n[]\n")  # blank lines between payloads are skipped
    result = run(
        "check", "zero.json", "blank.json", "list.json", "zero.jsonl", "blank.ndjson", "list.jsonl", cwd=tmp_path
    )
    assert result.returncode == 2
    assert lines_of(result) == [
        "zero.json: error: no payload to check: empty or blank",
        "blank.json: error: no payload to check: empty or blank",
        "list.json:2:2: error: no payload to check: an empty list",
        "zero.jsonl: error: no payload to check: empty or blank",
        "blank.ndjson: error: no payload to check: empty or blank",
        "list.jsonl:3:1: error: no payload to check: an empty list",
        "checked 6 files: 6 errors, 0 warnings; 6 could not be read",
    ]
    piped = run("check", "-", "--stdin-name", "piped.ndjson", stdin="\n\n")
    assert (piped.returncode, lines_of(piped)[0]) == (2, "piped.ndjson: error: no payload to check: empty or blank")


def test_a_lone_carriage_return_ends_a_line_for_reading_json_lines_and_for_positions_alike(tmp_path):
    bad = json.dumps(bad_email_envelope())
    good = json.dumps(seeds.time_spent())
    # Line 1 ends in a lone CR: it is a line of its own, as editors and positions count lines.
    write(tmp_path, "old-mac.jsonl", f"{good}\r{bad}\r\n{bad}\r{good}")
    result = run("check", "old-mac.jsonl", cwd=tmp_path)
    column = bad.index('"student.example.com"') + 1
    assert lines_of(result) == [
        f'old-mac.jsonl:2:{column}: error timeback.actor.email /data/0/actor/email: "student.example.com" is not '
        "an email address",
        f'old-mac.jsonl:3:{column}: error timeback.actor.email /data/0/actor/email: "student.example.com" is not '
        "an email address",
        "checked 1 file: 2 errors, 0 warnings",
    ]
    # A .json file counts lines by the same rule.
    write(tmp_path, "old-mac.json", '{"sensor": "https://example.com",\r"sendTime": 7}')
    (finding,) = [
        f
        for f in json.loads(run("check", "old-mac.json", "--format", "json", cwd=tmp_path).stdout)
        if f["path"] == "/sendTime"
    ]
    assert (finding["line"], finding["column"]) == (2, 13)


def test_an_envelope_serialised_into_a_json_string_is_a_string_not_an_envelope(tmp_path):
    quoted = json.dumps(json.dumps(seeds.activity()))
    write(tmp_path, "quoted.json", quoted)
    write(tmp_path, "quoted.jsonl", f"{quoted}\n")
    write(tmp_path, "listed.json", f"[{quoted}]")
    result = run("check", "quoted.json", "quoted.jsonl", "listed.json", cwd=tmp_path)
    assert result.returncode == 1
    assert [line.split(", got ")[0] for line in lines_of(result)[:-1]] == [
        "quoted.json:1:1: error openapi.type (root): expected object",
        "quoted.jsonl:1:1: error openapi.type (root): expected object",
        "listed.json:1:2: error openapi.type /0: expected object",
    ]
    assert all(', got string "{\\"sensor\\": ' in line for line in lines_of(result)[:-1])


def test_standard_input_is_read_as_json_or_as_json_lines_by_its_name(tmp_path):
    result = run("check", "-", stdin=json.dumps(bad_email_envelope(), indent=2))
    assert result.returncode == 1
    assert lines_of(result)[0].startswith("<stdin>:14:18: error timeback.actor.email")
    lines = run("check", "-", "--stdin-name", "piped.ndjson", stdin=f"{json.dumps(seeds.activity())}\n{{}}\n")
    assert lines_of(lines)[0] == 'piped.ndjson:2:1: error openapi.required (root): missing required property "data"'


def test_standard_input_named_twice_is_read_and_checked_once(tmp_path):
    write(tmp_path, "bad.json", bad_email_envelope())
    # As a file named twice is checked once; a second read would find nothing left.
    result = run("check", "-", "bad.json", "-", "bad.json", cwd=tmp_path, stdin=json.dumps(bad_email_envelope()))
    assert result.returncode == 1
    assert [line.split(":")[0] for line in lines_of(result)[:-1]] == ["<stdin>", "bad.json"]
    assert lines_of(result)[-1] == "checked 2 files: 2 errors, 0 warnings"


# -- options and exit codes ------------------------------------------------------------


@pytest.fixture
def warned(tmp_path: Path) -> Path:
    """A folder with one file that has only a warning (subject "Other")."""
    envelope = seeds.activity()
    envelope["data"][0]["object"]["subject"] = "Other"
    write(tmp_path, "other.json", envelope)
    return tmp_path


def test_warnings_alone_exit_zero_and_strict_makes_them_errors(warned):
    relaxed = run("check", "other.json", cwd=warned)
    assert relaxed.returncode == 0
    assert "warning timeback.object.subject-other /data/0/object/subject" in relaxed.stdout
    strict = run("check", "other.json", "--strict", cwd=warned)
    assert strict.returncode == 1
    assert "error timeback.object.subject-other" in strict.stdout


def test_ignore_and_select_take_repeated_or_comma_separated_rules(tmp_path):
    envelope = bad_email_envelope()
    envelope["data"][0]["object"]["subject"] = "Maths"
    write(tmp_path, "two.json", envelope)
    ignored = run("check", "two.json", "--ignore", "timeback.actor.email,timeback.object.subject", cwd=tmp_path)
    assert (ignored.returncode, lines_of(ignored)) == (0, ["checked 1 file: no problems found"])
    selected = run("check", "two.json", "--select", "timeback.object.subject", cwd=tmp_path)
    assert selected.returncode == 1
    assert [line.split()[2] for line in lines_of(selected)[:-1]] == ["timeback.object.subject"]


def test_select_never_hides_a_file_that_cannot_be_read(tmp_path):
    write(tmp_path, "broken.json", "{")
    result = run("check", "broken.json", "--select", "timeback.actor.email", cwd=tmp_path)
    assert result.returncode == 2
    assert "json.syntax" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["check", "--ignore", "timeback.nul", "x.json"],
            "--ignore: unknown rule id 'timeback.nul'; did you mean 'timeback.null'?",
        ),
        (["check", "--select", "openapi.requird", "x.json"], "did you mean 'openapi.required'?"),
        (["check", "--ignore", "json.syntax", "x.json"], "json.syntax cannot be ignored"),
        (["check", "--spec", "nowhere.yaml", "x.json"], "nowhere.yaml: cannot read the OpenAPI document"),
        (["check", "--format", "xml", "x.json"], "invalid choice: 'xml'"),
        (["check", "--jobs", "0", "x.json"], "argument --jobs: expected a number of workers (1 or more) or auto"),
        (["check", "--select", ",", "x.json"], "argument --select: expected a rule id"),
        (["check", "--ignore", " , ", "x.json"], "argument --ignore: expected a rule id"),
        # A serve that got past its options would fail on the host instead.
        (["serve", "--ignore", ",", "--host", "0.0.0.0", "--port", "0"], "argument --ignore: expected a rule id"),
        (["check"], "the following arguments are required: PATH"),
        (["explain", "timeback.actor.mail"], "did you mean 'timeback.actor.email'?"),
        ([], "the following arguments are required: COMMAND"),
    ],
)
def test_misuse_exits_two_with_a_clear_message_and_no_traceback(tmp_path, args, message):
    write(tmp_path, "x.json", seeds.activity())
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_another_spec_is_used_when_given(tmp_path):
    write(tmp_path, "ok.json", seeds.activity())
    spec = ROOT / "openapi" / "timeback-events-api.yaml"
    assert run("check", "ok.json", "--spec", str(spec), cwd=tmp_path).returncode == 0


# -- pyproject.toml ---------------------------------------------------------------------


def test_pyproject_settings_apply_from_a_subfolder_and_the_command_line_wins(warned):
    write(warned, "pyproject.toml", '[project]\nname = "x"\n\n[tool.caliper-contract]\nstrict = true\n')
    (warned / "sub").mkdir()
    shutil.copy(warned / "other.json", warned / "sub" / "other.json")
    assert run("check", "other.json", cwd=warned / "sub").returncode == 1
    assert run("check", "other.json", "--no-strict", cwd=warned / "sub").returncode == 0
    write(
        warned, "pyproject.toml", '[tool.caliper-contract]\nstrict = true\nignore = ["timeback.object.subject-other"]\n'
    )
    assert run("check", "other.json", cwd=warned).returncode == 0
    overridden = run("check", "other.json", "--ignore", "timeback.actor.email", cwd=warned)
    assert overridden.returncode == 1


def test_pyproject_select_and_spec_paths_are_relative_to_the_file(tmp_path):
    shutil.copy(ROOT / "openapi" / "timeback-events-api.yaml", tmp_path / "contract.yaml")
    envelope = bad_email_envelope()
    envelope["data"][0]["object"]["subject"] = "Maths"
    write(tmp_path, "data/two.json", envelope)
    write(
        tmp_path,
        "pyproject.toml",
        '[tool.caliper-contract]\nselect = ["timeback.object.subject"]\nspec = "contract.yaml"\n',
    )
    result = run("check", "two.json", cwd=tmp_path / "data")
    assert [line.split()[2] for line in lines_of(result)[:-1]] == ["timeback.object.subject"]
    write(tmp_path, "pyproject.toml", '[tool.caliper-contract]\nspec = "missing.yaml"\n')
    assert "missing.yaml: cannot read the OpenAPI document" in run("check", "data", cwd=tmp_path).stderr


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("strict = 1", "strict must be true or false, not 1"),
        ("ignored = []", "unknown key 'ignored'; did you mean 'ignore'?"),
        ('ignore = "timeback.null"', "ignore must be a list of rule ids"),
        ('select = ["timeback.nul"]', "[tool.caliper-contract]: unknown rule id 'timeback.nul'"),
        ("strict = ", "not valid TOML"),
        ("select = []", "select is empty, which would report nothing"),
    ],
)
def test_a_bad_pyproject_table_is_a_usage_error_naming_the_file(tmp_path, table, message):
    write(tmp_path, "pyproject.toml", f"[tool.caliper-contract]\n{table}\n")
    write(tmp_path, "x.json", seeds.activity())
    result = run("check", "x.json", cwd=tmp_path)
    assert result.returncode == 2
    assert str(tmp_path / "pyproject.toml") in result.stderr
    assert message in result.stderr


# -- output formats ---------------------------------------------------------------------


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """One file with an error, one that cannot be read, one that does not exist (named on the command line)."""
    write(tmp_path, "bad.json", bad_email_envelope())
    write(tmp_path, "broken.json", '{"a": 1,\n "a": 2}')
    return tmp_path


def test_json_format_is_a_list_of_objects_with_every_key(mixed):
    result = run("check", "bad.json", "broken.json", "gone.json", "--format", "json", cwd=mixed)
    assert result.returncode == 2
    findings = json.loads(result.stdout)
    assert [list(finding) for finding in findings] == [FINDING_KEYS] * 3
    assert findings == [
        {
            "file": "bad.json",
            "line": 14,
            "column": 18,
            "path": "/data/0/actor/email",
            "rule": "timeback.actor.email",
            "severity": "error",
            "message": '"student.example.com" is not an email address',
            "schema_location": "timeback-profile#/$defs/TimebackUser/properties/email/format",
        },
        {
            "file": "broken.json",
            "line": 2,
            "column": 2,
            "path": "/a",
            "rule": "json.duplicate-key",
            "severity": "error",
            "message": 'key "a" appears twice in one object (first at line 1, column 2)',
            "schema_location": None,
        },
        {
            "file": "gone.json",
            "line": None,
            "column": None,
            "path": None,
            "rule": None,
            "severity": "error",
            "message": "cannot read: No such file or directory",
            "schema_location": None,
        },
    ]


def test_github_format_annotates_files_and_lines(mixed):
    write(mixed, "a,b:c.json", bad_email_envelope())
    result = run("check", "bad.json", "a,b:c.json", "gone.json", "--format", "github", cwd=mixed)
    assert lines_of(result) == [
        "::error file=bad.json,line=14,col=18,title=caliper-contract timeback.actor.email::/data/0/actor/email: "
        '"student.example.com" is not an email address',
        "::error file=a%2Cb%3Ac.json,line=14,col=18,title=caliper-contract timeback.actor.email::/data/0/actor/email: "
        '"student.example.com" is not an email address',
        "::error file=gone.json,title=caliper-contract::cannot read: No such file or directory",
        "checked 3 files: 3 errors, 0 warnings; 1 could not be read",
    ]


def test_sarif_format_is_a_sarif_2_1_0_log(mixed):
    write(mixed, "warned.json", {**seeds.activity(), "sendTime": "2024-04-24T16:12:05.000+02:00"})
    result = run("check", "bad.json", "broken.json", "warned.json", "gone.json", "--format", "sarif", cwd=mixed)
    assert result.returncode == 2
    log = json.loads(result.stdout)
    assert (log["version"], log["$schema"]) == ("2.1.0", "https://json.schemastore.org/sarif-2.1.0.json")
    (sarif_run,) = log["runs"]
    rules = sarif_run["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == list(RULES)
    assert sarif_run["columnKind"] == "unicodeCodePoints"
    results = {r["ruleId"]: r for r in sarif_run["results"]}
    assert set(results) == {"timeback.actor.email", "json.duplicate-key", "envelope.send-time-utc"}
    for result_ in results.values():
        assert rules[result_["ruleIndex"]]["id"] == result_["ruleId"]
    email = results["timeback.actor.email"]
    assert email["level"] == "error"
    assert email["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "bad.json"},
        "region": {"startLine": 14, "startColumn": 18},
    }
    assert email["locations"][0]["logicalLocations"] == [
        {"fullyQualifiedName": "/data/0/actor/email", "kind": "element"}
    ]
    assert results["envelope.send-time-utc"]["level"] == "warning"
    (invocation,) = sarif_run["invocations"]
    assert invocation["executionSuccessful"] is False
    (notification,) = invocation["toolExecutionNotifications"]
    assert notification["message"]["text"] == "cannot read: No such file or directory"
    assert notification["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "gone.json"


def test_text_is_coloured_only_when_asked_or_on_a_terminal_without_no_color(mixed):
    plain = run("check", "bad.json", cwd=mixed)
    assert "\033[" not in plain.stdout
    forced = run("check", "bad.json", "--color", "always", cwd=mixed, NO_COLOR="1")
    assert "\033[31merror\033[0m" in forced.stdout
    assert "\033[" in _on_a_terminal(mixed, {})
    assert "\033[" not in _on_a_terminal(mixed, {"NO_COLOR": "1"})


def _on_a_terminal(cwd: Path, env: dict[str, str]) -> str:
    controller, terminal = pty.openpty()
    environment = {key: value for key, value in os.environ.items() if key != "NO_COLOR"} | env
    with subprocess.Popen(
        [_script(), "check", "bad.json"], stdout=terminal, stderr=terminal, cwd=cwd, env=environment
    ) as process:
        os.close(terminal)
        chunks = []
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal closes when the process ends
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=60)
    os.close(controller)
    return b"".join(chunks).decode()


@pytest.mark.parametrize("jobs", ["auto", "2"])
def test_a_reader_that_goes_away_ends_the_command_quietly_with_the_status_of_what_it_found(tmp_path, jobs):
    bad = json.dumps(bad_email_envelope())
    write(tmp_path, "many.jsonl", "\n".join([bad] * 800))  # more output than a pipe holds
    with subprocess.Popen(
        [_script(), "check", "many.jsonl", "--jobs", jobs], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        process.stdout.readline()
        process.stdout.close()
        errors = process.stderr.read()
        process.wait(timeout=60)
    assert (process.returncode, errors) == (1, b"")


@pytest.mark.parametrize(
    ("args", "status"),
    [(["check", "bad.json"], 1), (["check", "ok.json"], 0), (["check", "gone.json"], 2), (["rules"], 0)],
)
def test_a_reader_gone_before_any_output_changes_nothing_either(tmp_path, args, status):
    write(tmp_path, "bad.json", bad_email_envelope())
    write(tmp_path, "ok.json", seeds.activity())
    # Little output, all of it still buffered when the command ends: the failing write is the last flush.
    process = subprocess.Popen([_script(), *args], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    process.stdout.close()  # before the command has started writing
    _, errors = process.communicate(timeout=60)
    assert (process.returncode, errors) == (status, b"")


# -- rules, explain, schema, example ------------------------------------------------------


def test_rules_lists_every_rule_as_text_and_json():
    text = lines_of(run("rules"))
    assert [line.split()[0] for line in text] == list(RULES)
    (email,) = [line for line in text if line.startswith("timeback.actor.email ")]
    assert re.fullmatch(r"timeback\.actor\.email +error +actor\.email is missing or not an email address", email)
    listed = json.loads(run("rules", "--format", "json").stdout)
    assert [item["id"] for item in listed] == list(RULES)
    assert listed[0] == {
        "id": "json.syntax",
        "severity": "error",
        "title": RULES["json.syntax"].title,
        "source": "json",
        "explanation": RULES["json.syntax"].explanation,
        "fix": None,
    }


def test_explain_prints_the_explanation_source_and_a_breaking_edit():
    result = run("explain", "timeback.time-metric.over-a-day")
    assert result.returncode == 0
    assert result.stdout.startswith(
        "timeback.time-metric.over-a-day (warning, source: derived)\none time metric is over 86,400 seconds\n\n"
    )
    assert "A single time metric above one day is almost always milliseconds sent as seconds." in " ".join(
        result.stdout.split()
    )
    assert 'the "time-spent" seed example, with\n    /data/0/generated/items/0/value set to 90000\n' in result.stdout
    assert result.stdout.endswith("  is reported at /data/0/generated/items/0/value\n")
    removed = run("explain", "openapi.required").stdout
    assert "    /sensor removed\n  is reported at (root)\n" in removed
    text = run("explain", "json.duplicate-key").stdout
    assert '  the JSON text {"sensor": "https://a.example", "sensor": "https://b.example"}\n' in text


def test_example_prints_a_valid_envelope_chosen_by_the_seed_and_leaves_no_cache(tmp_path):
    commands = [["activity", "--seed", "3"], ["activity", "--seed", "3"], ["activity", "--seed", "4"], ["timespent"]]
    # Drawing is slow (Hypothesis): the four commands run side by side.
    processes = [
        subprocess.Popen([_script(), "example", *command], cwd=tmp_path, stdout=subprocess.PIPE, text=True)
        for command in commands
    ]
    first, again, other, spent = (process.communicate(timeout=300)[0] for process in processes)
    assert [process.returncode for process in processes] == [0, 0, 0, 0]
    assert first == again != other
    assert json.loads(first)["data"][0]["type"] == "ActivityEvent"
    assert json.loads(spent)["data"][0]["type"] == "TimeSpentEvent"
    for number, text in enumerate((first, other, spent)):
        write(tmp_path, f"drawn-{number}.json", text)
    assert run("check", ".", "--strict", cwd=tmp_path).stdout == "checked 3 files: no problems found\n"
    assert not (tmp_path / ".hypothesis").exists()


def test_check_never_imports_hypothesis(tmp_path):
    write(tmp_path, "bad.json", bad_email_envelope())
    result = run("check", "bad.json", cwd=tmp_path, PYTHONPROFILEIMPORTTIME="1")
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert "caliper_contract.contract" in imported  # the profile did record the imports
    assert not {name for name in imported if name.split(".")[0] == "hypothesis"}


def test_python_dash_m_runs_the_same_command(tmp_path):
    write(tmp_path, "bad.json", bad_email_envelope())
    module = subprocess.run(
        [sys.executable, "-m", "caliper_contract", "check", "bad.json"], capture_output=True, text=True, cwd=tmp_path
    )
    script = run("check", "bad.json", cwd=tmp_path)
    assert (module.returncode, module.stdout) == (script.returncode, script.stdout) == (1, script.stdout)
    assert "bad.json:14:18" in module.stdout


# -- pre-commit -------------------------------------------------------------------------------


def test_the_pre_commit_hook_runs_its_entry_on_the_files_it_matches(tmp_path):
    hook = pre_commit_hook("caliper-contract")
    assert hook["language"] == "python"
    write(tmp_path, "fixtures/ok.json", seeds.activity())
    write(tmp_path, "fixtures/bad.json", bad_email_envelope())
    write(tmp_path, "fixtures/traffic.ndjson", json.dumps(seeds.time_spent()) + "\n")
    write(tmp_path, "fixtures/events.jsonl", json.dumps(bad_email_envelope()["data"][0]) + "\n")
    write(tmp_path, "config.yaml", "{not: json}")
    write(tmp_path, "README.md", "# fixtures")
    # As pre-commit does: the staged files that `files` matches, appended to `entry` as arguments.
    staged = sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*") if path.is_file())
    matched = [name for name in staged if re.search(hook["files"], name)]
    assert matched == ["fixtures/bad.json", "fixtures/events.jsonl", "fixtures/ok.json", "fixtures/traffic.ndjson"]
    command = shlex.split(hook["entry"])
    assert command[0] == "caliper-contract"
    result = subprocess.run(
        [_script(), *command[1:], *matched], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert result.returncode == 1
    assert [line.split(":")[0] for line in lines_of(result)[:-1]] == ["fixtures/bad.json", "fixtures/events.jsonl"]
    assert lines_of(result)[-1] == "checked 4 files: 2 errors, 0 warnings"
