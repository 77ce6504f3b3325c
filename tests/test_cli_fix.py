"""`caliper-contract check --fix`, `--diff` and `--unsafe-fixes`, run as a user runs them, and the fix hook.

Every fix of the catalogue is made in a .json and a .jsonl file written with
tabs, CRLF line endings, 4 spaces and minified; each fixed file must be byte
for byte what the same writer makes of the envelope as the fix must leave it
(tests/fixable.py), so nothing outside the fixed text moves.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from caliper_contract import RULES
from caliper_contract._filefix import FileChanged, plan, write
from caliper_contract._files import Source
from caliper_contract._fixes import Fixer
from tests import fixable, seeds
from tests.test_cli import ROOT, _script, lines_of, pre_commit_hook, run

#: How a .json file is written: the text of an envelope, and the text that follows the last line.
JSON_STYLES: dict[str, Any] = {
    "tabs": lambda value: json.dumps(value, indent="\t") + "\n",
    "crlf": lambda value: json.dumps(value, indent=2).replace("\n", "\r\n") + "\r\n",
    "four": lambda value: json.dumps(value, indent=4),  # no newline at the end
    "minified": lambda value: json.dumps(value, separators=(",", ":")),
}
#: How a .jsonl line is written, and what ends each line.
LINE_STYLES: dict[str, tuple[dict[str, Any], str]] = {
    "tabs": ({"separators": (",\t", ":\t")}, "\n"),
    "crlf": ({}, "\r\n"),
    "four": ({"separators": (",    ", ":    ")}, "\n"),
    "minified": ({"separators": (",", ":")}, "\n"),
}


def json_lines(middle: Any, style: str) -> str:
    """Three lines (a valid envelope, ``middle``, another valid one) and a blank one, as ``style`` writes them."""
    options, end = LINE_STYLES[style]
    lines = [json.dumps(value, **options) for value in (seeds.activity(), middle, seeds.time_spent())]
    return end.join([*lines[:2], "", lines[2]]) + end


def texts(value: Any) -> dict[str, str]:
    """Every file of the matrix for one envelope: name -> text."""
    files = {f"{style}.json": write_json(value) for style, write_json in JSON_STYLES.items()}
    files.update({f"{style}.jsonl": json_lines(value, style) for style in LINE_STYLES})
    return files


def case_files(rule_id: str, fixed: bool) -> dict[str, bytes]:
    """The matrix of one rule's example, broken or as its fix leaves it: relative path -> bytes."""
    value = fixable.fixed(rule_id) if fixed else fixable.broken(rule_id)
    return {f"{rule_id}/{name}": text.encode() for name, text in texts(value).items()}


def write_files(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def read_files(root: Path, files: dict[str, bytes]) -> dict[str, bytes]:
    return {name: (root / name).read_bytes() for name in files}


def matrix(rules: tuple[str, ...], fixed: bool) -> dict[str, bytes]:
    return {name: data for rule_id in rules for name, data in case_files(rule_id, fixed).items()}


@pytest.fixture
def cases(tmp_path: Path) -> Path:
    write_files(tmp_path / "cases", matrix(fixable.FIXABLE, fixed=False))
    return tmp_path


def test_every_fix_on_every_formatting_changes_only_the_fixed_text_and_a_second_run_changes_nothing(cases):
    broken = {f"cases/{name}": data for name, data in matrix(fixable.FIXABLE, fixed=False).items()}
    expected = {f"cases/{name}": data for name, data in matrix(fixable.FIXABLE, fixed=True).items()}
    assert all(broken[name] != expected[name] for name in broken)  # each file has its fix to make

    safe = run("check", "--fix", "cases", cwd=cases)
    assert safe.returncode == 1, safe.stderr  # the unsafe cases are left, and fail
    now = read_files(cases, broken)
    for name in broken:
        rule_id = name.split("/")[1]
        assert now[name] == (expected[name] if rule_id in fixable.SAFE else broken[name]), name
    files = 8 * len(fixable.SAFE)
    assert lines_of(safe)[-1].endswith(f"; fixed {files} violations in {files} files")

    unsafe = run("check", "--fix", "--unsafe-fixes", "cases", "--format", "json", cwd=cases)
    assert unsafe.returncode == 0, unsafe.stdout
    assert read_files(cases, broken) == expected
    # What is left is no violation of a fixed rule (the generic event's profile warning stays).
    assert {(finding["rule"], finding["severity"]) for finding in json.loads(unsafe.stdout)} == {
        ("caliper.non-timeback-profile", "warning")
    }

    again = run("check", "--fix", "--unsafe-fixes", "cases", cwd=cases)
    assert again.returncode == 0
    assert lines_of(again)[-1].endswith("; nothing to fix")
    assert read_files(cases, broken) == expected


def test_diff_writes_nothing_shows_each_fixable_file_and_exits_1(cases):
    broken = {f"cases/{name}": data for name, data in matrix(fixable.FIXABLE, fixed=False).items()}
    result = run("check", "--diff", "cases", cwd=cases)
    assert result.returncode == 1
    assert read_files(cases, broken) == broken
    shown = set(re.findall(r"^--- (\S+)$", result.stdout, flags=re.MULTILINE))
    assert shown == {name for name in broken if name.split("/")[1] in fixable.SAFE}
    assert result.stderr == f"would fix {len(shown)} violations in {len(shown)} files\n"
    everything = run("check", "--diff", "--unsafe-fixes", "cases", "-o", "fixes.patch", cwd=cases)
    assert (everything.returncode, everything.stdout) == (1, "")
    patch = (cases / "fixes.patch").read_text(encoding="utf-8")
    assert set(re.findall(r"^--- (\S+)$", patch, flags=re.MULTILINE)) == set(broken)
    assert read_files(cases, broken) == broken


def test_the_diff_is_a_patch_that_makes_what_fix_makes(cases):
    patch = shutil.which("patch")
    if patch is None:
        pytest.skip("no `patch` program here to apply the diff with")
    broken = {f"cases/{name}": data for name, data in matrix(fixable.FIXABLE, fixed=False).items()}
    # Written to a file: text read from a pipe would lose the CRLF line endings the diff must keep.
    assert run("check", "--diff", "--unsafe-fixes", "cases", "-o", "fixes.patch", cwd=cases).returncode == 1
    diff = (cases / "fixes.patch").read_bytes()
    assert b"\r\n" in diff
    applied = subprocess.run(
        [patch, "-p0", "--binary", "--no-backup-if-mismatch"], input=diff, cwd=cases, capture_output=True
    )
    assert applied.returncode == 0, applied.stdout
    expected = {f"cases/{name}": data for name, data in matrix(fixable.FIXABLE, fixed=True).items()}
    assert read_files(cases, broken) == expected


def test_a_diff_of_a_json_lines_file_shows_the_changed_lines_with_their_context(tmp_path):
    lines = [json.dumps(seeds.activity())] * 12
    lines[1] = json.dumps(fixable.broken("envelope.send-time-utc"))
    lines[9] = json.dumps(fixable.broken("timeback.null"))
    lines[10] = json.dumps(fixable.broken("timeback.event.id"))
    (tmp_path / "traffic.jsonl").write_text("\n".join(lines))  # no newline at the end
    diff = run("check", "--diff", "traffic.jsonl", cwd=tmp_path).stdout.splitlines()
    assert diff[:3] == ["--- traffic.jsonl", "+++ traffic.jsonl", "@@ -1,5 +1,5 @@"]
    assert [line[0] for line in diff[3:9]] == [" ", "-", "+", " ", " ", " "]
    # Lines 10 and 11 change: three lines of context before them, one after (the last line, without a newline).
    assert diff[9] == "@@ -7,6 +7,6 @@"
    assert [line[0] for line in diff[10:]] == [" ", " ", " ", "-", "-", "+", "+", " ", "\\"]
    assert diff[-1] == "\\ No newline at end of file"


def test_what_is_not_json_not_a_payload_or_broken_on_purpose_is_never_touched(tmp_path):
    fixable_text = json.dumps(fixable.broken("timeback.null"), indent=2)
    files = {
        "broken.json": fixable_text[:-1] + ",}",  # a trailing comma: not JSON
        "latin-1.json": fixable_text.replace("alpharead", "alpharéad").encode("latin-1"),
        "package.json": json.dumps({"name": "reader", "version": None}),
        "invalid/oops.json": fixable_text,
        "late.invalid.jsonl": fixable_text.replace("\n", "") + "\n",
        "mixed.jsonl": "{broken\n" + json.dumps(fixable.broken("timeback.null")) + "\n\xff\n",
    }
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    before = {name: (tmp_path / name).read_bytes() for name in files}
    result = run("check", "--fix", ".", cwd=tmp_path)
    assert result.returncode == 2  # what cannot be read is still reported
    after = {name: (tmp_path / name).read_bytes() for name in files}
    assert {name for name in files if after[name] != before[name]} == {"mixed.jsonl"}
    broken_line, fixed_line, latin, _ = after["mixed.jsonl"].split(b"\n")
    assert (broken_line, latin) == (b"{broken", "\xff".encode())  # the other lines, byte for byte
    assert json.loads(fixed_line) == fixable.fixed("timeback.null")
    assert lines_of(result)[-1].endswith(
        "; fixed 1 violation in 1 file; 2 invalid as expected; 1 skipped: not a Caliper payload; "
        "2 expected-invalid files left alone"
    )
    diff = run("check", "--diff", ".", cwd=tmp_path)
    assert (diff.returncode, diff.stdout) == (2, "")  # nothing left to fix, but files that cannot be read
    *unreadable, summary = diff.stderr.splitlines()
    assert [line.split(":")[0] for line in unreadable] == ["broken.json", "latin-1.json", "mixed.jsonl", "mixed.jsonl"]
    assert summary == "nothing to fix; 2 expected-invalid files left alone"


def test_standard_input_cannot_be_fixed():
    for flag in ("--fix", "--diff"):
        result = run("check", flag, "-", stdin="{}")
        assert (result.returncode, result.stdout) == (2, "")
        assert result.stderr == f"caliper-contract: error: {flag} rewrites files: standard input (-) cannot be fixed\n"


def test_byte_order_marks_and_lone_carriage_returns_stay(tmp_path):
    bom = b"\xef\xbb\xbf"
    envelope = json.dumps(fixable.broken("timeback.misnamed-property"), indent=2).encode()
    (tmp_path / "bom.json").write_bytes(bom + envelope)
    line = json.dumps(fixable.broken("envelope.send-time-utc")).encode()
    (tmp_path / "old-mac.jsonl").write_bytes(bom + line + b"\r" + line + b"\r")
    assert run("check", "--fix", ".", cwd=tmp_path).returncode == 0
    assert (tmp_path / "bom.json").read_bytes() == bom + envelope.replace(b'"sub_type"', b'"subType"')
    fixed_line = line.replace(b"16:12:05.000+02:00", b"14:12:05.000Z")
    assert (tmp_path / "old-mac.jsonl").read_bytes() == bom + fixed_line + b"\r" + fixed_line + b"\r"


def test_a_linked_file_is_fixed_where_it_is_and_keeps_its_permissions(tmp_path):
    real = tmp_path / "real" / "activity.json"
    real.parent.mkdir()
    real.write_text(json.dumps(fixable.broken("timeback.event.id"), indent=2), encoding="utf-8")
    real.chmod(0o640)
    (tmp_path / "link.json").symlink_to(real)
    assert run("check", "--fix", "link.json", cwd=tmp_path).returncode == 0
    assert (tmp_path / "link.json").is_symlink()
    assert json.loads(real.read_text(encoding="utf-8")) == fixable.fixed("timeback.event.id")
    assert real.stat().st_mode & 0o777 == 0o640
    assert [path.name for path in real.parent.iterdir()] == ["activity.json"]  # no file left behind


def test_ignored_and_unselected_rules_are_not_fixed(tmp_path):
    envelope = fixable.broken("envelope.send-time-utc")
    envelope["data"][0]["object"]["activity"]["name"] = None
    text = json.dumps(envelope, indent=2)
    (tmp_path / "a.json").write_text(text, encoding="utf-8")
    run("check", "--fix", "a.json", "--ignore", "envelope.send-time-utc", cwd=tmp_path)
    first = (tmp_path / "a.json").read_text(encoding="utf-8")
    assert "+02:00" in first
    assert '"name": null' not in first
    (tmp_path / "a.json").write_text(text, encoding="utf-8")
    run("check", "--fix", "a.json", "--select", "envelope.send-time-utc", cwd=tmp_path)
    second = (tmp_path / "a.json").read_text(encoding="utf-8")
    assert "+02:00" not in second
    assert '"name": null' in second


# -- SARIF, rules, explain ---------------------------------------------------------------------------------------


def test_sarif_results_carry_their_fix_and_rules_say_which_have_one(tmp_path):
    envelope = fixable.broken("timeback.null")
    envelope["data"][0]["object"]["subject"] = "reading"
    text = json.dumps(envelope, indent=2).replace("\n", "\r\n")
    (tmp_path / "a.json").write_text(text, encoding="utf-8", newline="")
    log = json.loads(run("check", "a.json", "--format", "sarif", cwd=tmp_path).stdout)
    (sarif_run,) = log["runs"]
    results = {result["ruleId"]: result for result in sarif_run["results"]}
    assert "fixes" not in results["timeback.object.subject"]  # an unsafe fix, not asked for
    (null_fix,) = results["timeback.null"]["fixes"]
    assert null_fix["description"]["text"].startswith("/data/0/object/activity/name: removed the property")
    (change,) = null_fix["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "a.json"}
    (replacement,) = change["replacements"]
    assert "insertedContent" not in replacement  # a removal
    # Applying the region to the file gives what --fix writes.
    lines = text.split("\r\n")
    region = replacement["deletedRegion"]
    offsets = [sum(len(line) + 2 for line in lines[: number - 1]) for number in range(1, len(lines) + 1)]
    start = offsets[region["startLine"] - 1] + region["startColumn"] - 1
    end = offsets[region["endLine"] - 1] + region["endColumn"] - 1
    by_hand = text[:start] + text[end:]
    assert json.loads(by_hand)["data"][0]["object"]["activity"] == {}
    rules = {rule["id"]: rule for rule in sarif_run["tool"]["driver"]["rules"]}
    assert rules["timeback.null"]["properties"]["fix"] == "safe"
    assert rules["timeback.object.subject"]["properties"]["fix"] == "unsafe"
    assert "fix" not in rules["timeback.actor.email"]["properties"]
    unsafe = json.loads(run("check", "a.json", "--format", "sarif", "--unsafe-fixes", cwd=tmp_path).stdout)
    (subject,) = [r for r in unsafe["runs"][0]["results"] if r["ruleId"] == "timeback.object.subject"]
    (subject_fix,) = subject["fixes"]
    assert subject_fix["artifactChanges"][0]["replacements"][0]["insertedContent"] == {"text": '"Reading"'}
    assert subject_fix["description"]["text"].endswith("(unsafe: --unsafe-fixes)")
    assert (tmp_path / "a.json").read_bytes() == text.encode()  # reporting changed nothing


def test_rules_and_explain_show_each_rules_fix():
    text = lines_of(run("rules"))
    assert any(re.fullmatch(r"timeback\.null +error +explicit null in a Timeback event \[fix\]", line) for line in text)
    assert any(line.endswith("or not a Timeback subject [unsafe fix]") for line in text)
    listed = {rule["id"]: rule for rule in json.loads(run("rules", "--format", "json").stdout)}
    declared = RULES["timeback.null"].fix
    assert declared is not None
    assert listed["timeback.null"]["fix"] == {"applicability": "safe", "description": declared.description}
    assert listed["timeback.actor.email"]["fix"] is None
    explained = run("explain", "envelope.send-time-utc").stdout
    assert explained.endswith(
        "\n\nFix (safe, made by check --fix): rewrites the date-time in UTC with Z: the same instant,\n"
        "to the same precision.\n"
    )
    assert "made by check --fix --unsafe-fixes" in run("explain", "openapi.enum").stdout


# -- the README, and the hook ---------------------------------------------------------------------------------------


def readme_example(root: Path) -> None:
    """The fixture the README's example diff is of."""
    envelope = seeds.time_spent()
    envelope["sendTime"] = "2024-04-24T16:12:05.000+02:00"
    event = envelope["data"][0]
    event["id"] = "c51570e4-f8ed-4c18-bb3a-dfe51b2cc594"
    event["object"]["activity"] = {"name": "Answered quiz", "id": None}
    event["generated"]["items"][1] = {"type": "waste", "value": 2, "sub_type": "eating"}
    (root / "fixtures").mkdir()
    (root / "fixtures" / "time-spent.json").write_text(json.dumps(envelope, indent=2) + "\n", encoding="utf-8")


def test_the_readme_example_is_what_the_command_prints(tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Fixing what is mechanical") :]
    block = re.search(r"```console\n(.*?)```", section, flags=re.DOTALL)
    assert block is not None
    commands = re.split(r"^\$ (.*)\n", block[1], flags=re.MULTILINE)[1:]
    readme_example(tmp_path)
    for command, shown in zip(commands[::2], commands[1::2], strict=True):
        arguments = shlex.split(command)
        assert arguments[0] == "caliper-contract"
        result = run(*arguments[1:], cwd=tmp_path)
        assert result.stdout + result.stderr == shown, command


def test_the_fix_hook_fixes_the_staged_files_then_fails_on_what_is_left(tmp_path):
    hook = pre_commit_hook("caliper-contract-fix")
    assert (hook["language"], hook["files"]) == ("python", pre_commit_hook("caliper-contract")["files"])
    readme_example(tmp_path)
    (tmp_path / "fixtures" / "bad.json").write_text(json.dumps(fixable.broken("timeback.object.subject")))
    (tmp_path / "fixtures" / "invalid").mkdir()
    (tmp_path / "fixtures" / "invalid" / "null.json").write_text(json.dumps(fixable.broken("timeback.null")))
    (tmp_path / "notes.txt").write_text("not staged for the hook")
    staged = sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*") if path.is_file())
    matched = [name for name in staged if re.search(hook["files"], name)]
    before = {name: (tmp_path / name).read_bytes() for name in matched}
    command = shlex.split(hook["entry"])
    first = subprocess.run([_script(), *command[1:], *matched], capture_output=True, text=True, cwd=tmp_path)
    # pre-commit fails a commit whose files a hook changed, and names them; this one also fails on what is left.
    changed = [name for name in matched if (tmp_path / name).read_bytes() != before[name]]
    assert changed == ["fixtures/time-spent.json"]
    assert first.returncode == 1
    assert lines_of(first)[-1] == (
        "checked 3 files: 1 error, 0 warnings; fixed 4 violations in 1 file; 1 invalid as expected; "
        "1 expected-invalid file left alone"
    )
    second = subprocess.run([_script(), *command[1:], *matched], capture_output=True, text=True, cwd=tmp_path)
    assert second.returncode == 1
    assert lines_of(second)[-1].startswith("checked 3 files: 1 error, 0 warnings; nothing to fix")


# -- writing, in process -------------------------------------------------------------------------------------------


def test_a_file_that_changed_since_it_was_read_is_not_overwritten(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(fixable.broken("timeback.null")) + "\n", encoding="utf-8")
    planned = plan(Source.file(path), Fixer())
    assert planned.changes
    path.write_text(json.dumps(fixable.broken("envelope.send-time-utc")) + "\n", encoding="utf-8")
    edited = path.read_bytes()
    with pytest.raises(FileChanged):
        write(planned)
    assert path.read_bytes() == edited
    assert os.listdir(tmp_path) == ["a.jsonl"]


def test_a_file_that_cannot_be_written_is_an_error_naming_it_and_stays_as_it_was(tmp_path, monkeypatch, capsys):
    from caliper_contract.cli import main

    path = tmp_path / "a.json"
    text = json.dumps(fixable.broken("timeback.null"), indent=2)
    path.write_text(text, encoding="utf-8")

    def refuse(source: Any, target: Any) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(os, "replace", refuse)  # as a folder the user cannot write to refuses
    assert main(["check", "--fix", "a.json"]) == 2
    printed = capsys.readouterr()
    assert printed.out.splitlines() == [
        "a.json:25:19: error timeback.null /data/0/object/activity/name: explicit null; the API rejects nulls, "
        "omit the key instead",
        "checked 1 file: 1 error, 0 warnings; nothing to fix",
    ]
    assert printed.err == "caliper-contract: error: cannot fix a.json: Permission denied\n"
    assert path.read_text(encoding="utf-8") == text
    assert os.listdir(tmp_path) == ["a.json"]
