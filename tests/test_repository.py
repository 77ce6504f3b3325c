"""A repository as a new user has one: package.json, tsconfig.json, and payload fixtures under valid/ and invalid/.

The pre-commit hook (its entry run on the files it matches, as pre-commit runs it) and the pytest plugin
(caliper_contract_files) must give every file the same verdict.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import seeds
from tests.test_cli import _script, bad_email_envelope, lines_of

pytest_plugins = ["pytester"]
importlib.import_module("yaml")  # see tests/test_plugin.py: loaded before any pytester snapshot

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 120


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:hypothesispytest")  # see tests/test_plugin.py
    return pytester


def write(root: Path, name: str, content: Any) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2), encoding="utf-8")


def build_repository(root: Path) -> None:
    """A web app's repository with Caliper fixtures, two of them in the wrong folder."""
    write(root, "package.json", {"name": "reader", "version": "1.0.0", "type": "module", "private": True})
    write(root, "tsconfig.json", {"compilerOptions": {"strict": True, "target": "ES2022"}, "include": ["src"]})
    write(root, "src/app.ts", "export {};\n")
    fixtures = "tests/fixtures"
    write(root, f"{fixtures}/valid/activity.json", seeds.activity())
    write(
        root, f"{fixtures}/valid/traffic.jsonl", f"{json.dumps(seeds.time_spent())}\n{json.dumps(seeds.activity())}\n"
    )
    write(root, f"{fixtures}/valid/oops-bad-email.json", bad_email_envelope())  # wrong: breaks the contract
    write(root, f"{fixtures}/invalid/bad-email.json", bad_email_envelope())
    write(root, f"{fixtures}/invalid/duplicate-key.json", '{"sensor": "a", "sensor": "b"}')
    write(root, f"{fixtures}/invalid/oops-valid.json", seeds.time_spent())  # wrong: meets the contract
    write(root, f"{fixtures}/missing-send-time.invalid.json", {**seeds.activity(), "sendTime": None})
    write(
        root,
        "pyproject.toml",
        "[tool.pytest.ini_options]\n"
        'caliper_contract_files = ["*.json", "tests/fixtures/**/*.json", "tests/fixtures/**/*.jsonl"]\n',
    )


def staged(root: Path) -> list[str]:
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())


def run_hook(root: Path, hook: dict[str, Any]) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """As pre-commit runs a hook: its entry, then its args, then the staged files its `files` matches."""
    matched = [name for name in staged(root) if re.search(hook["files"], name)]
    command = shlex.split(hook["entry"])
    assert command[0] == "caliper-contract"
    arguments = [*command[1:], *hook.get("args", []), *matched]
    return subprocess.run([_script(), *arguments], capture_output=True, text=True, cwd=root, timeout=LIMIT), matched


def hook_verdicts(result: subprocess.CompletedProcess[str], matched: list[str]) -> dict[str, str]:
    failed = {line.split(":")[0] for line in lines_of(result)[:-1]}
    return {name: "failed" if name in failed else "passed" for name in matched}


def plugin_verdicts(pytester: pytest.Pytester) -> tuple[dict[str, str], set[str]]:
    """Each collected file's verdict (failed if one of its tests failed), and the files skipped whole."""
    recorder = pytester.inline_run("-p", "no:cacheprovider")
    outcomes: dict[str, set[str]] = {}
    for report in recorder.getreports("pytest_runtest_logreport"):
        if report.when == "call" or report.outcome != "passed":
            outcomes.setdefault(report.nodeid.split("::")[0], set()).add(report.outcome)
    verdicts = {name: "failed" if "failed" in seen else "passed" for name, seen in outcomes.items()}
    return verdicts, {name for name, seen in outcomes.items() if seen == {"skipped"}}


EXPECTED = {
    "package.json": "passed",
    "tsconfig.json": "passed",
    "tests/fixtures/valid/activity.json": "passed",
    "tests/fixtures/valid/traffic.jsonl": "passed",
    "tests/fixtures/valid/oops-bad-email.json": "failed",
    "tests/fixtures/invalid/bad-email.json": "passed",
    "tests/fixtures/invalid/duplicate-key.json": "passed",
    "tests/fixtures/invalid/oops-valid.json": "failed",
    "tests/fixtures/missing-send-time.invalid.json": "passed",
}


def test_the_hook_and_the_plugin_give_each_file_of_a_repository_the_same_verdict(pytester):
    build_repository(pytester.path)
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert (hook["id"], hook["language"]) == ("caliper-contract", "python")
    result, matched = run_hook(pytester.path, hook)
    assert sorted(matched) == sorted(EXPECTED)  # every JSON file of the repository, package.json included
    assert result.returncode == 1, result.stderr
    assert hook_verdicts(result, matched) == EXPECTED
    assert lines_of(result)[-1] == (
        "checked 7 files: 2 errors, 0 warnings; 3 invalid as expected; 2 skipped: not Caliper payloads"
    )
    verdicts, skipped = plugin_verdicts(pytester)
    assert verdicts == EXPECTED
    assert skipped == {"package.json", "tsconfig.json"}


def readme_pre_commit_snippet() -> dict[str, Any]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (snippet,) = [block for block in re.findall(r"```yaml\n(.*?)```", readme, flags=re.DOTALL) if "rev:" in block]
    (repo,) = yaml.safe_load(snippet)["repos"]
    return dict(repo)


def test_the_readme_snippet_narrows_the_hook_to_the_fixtures_and_keeps_the_verdicts(pytester):
    build_repository(pytester.path)
    write(pytester.path, ".vscode/settings.json", '{"editor.tabSize": 2, // JSONC, not JSON\n}')
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (settings,) = readme_pre_commit_snippet()["hooks"]
    assert settings["id"] == hook["id"]
    result, matched = run_hook(pytester.path, {**hook, **settings})
    assert matched == sorted(name for name in EXPECTED if name.startswith("tests/fixtures/"))
    assert hook_verdicts(result, matched) == {name: EXPECTED[name] for name in matched}
    # Without the narrowing, a JSONC editor file fails the commit: the reason to narrow it.
    unnarrowed, _ = run_hook(pytester.path, hook)
    assert ".vscode/settings.json:1:23: error json.syntax" in unnarrowed.stdout


def test_the_readme_snippet_pins_a_commit_of_this_repository_that_has_the_hook():
    rev = readme_pre_commit_snippet()["rev"]
    assert re.fullmatch(r"[0-9a-f]{40}", rev), "until releases are tagged, rev is a full commit id"
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the pinned commit cannot be looked up here")
    hooks = subprocess.run(
        [git, "show", f"{rev}:.pre-commit-hooks.yaml"], capture_output=True, text=True, cwd=ROOT, timeout=LIMIT
    )
    assert hooks.returncode == 0, f"README's rev {rev} is not a commit of this repository: {hooks.stderr}"
    assert "caliper-contract" in [hook["id"] for hook in yaml.safe_load(hooks.stdout)]
    # The pinned commit knows the convention this README documents.
    source = subprocess.run(
        [git, "show", f"{rev}:caliper_contract/_paths.py"], capture_output=True, text=True, cwd=ROOT, timeout=LIMIT
    )
    assert "DEFAULT_EXPECT_INVALID" in source.stdout


# -- the plugin's fixture files in hostile folders ----------------------------------------------------------


def test_a_loop_of_links_or_a_named_pipe_among_fixture_files_is_one_failing_test_each(pytester):
    pytester.makeini("[pytest]\ncaliper_contract_files = payloads/**/*.json\n")
    write(pytester.path, "payloads/ok.json", seeds.activity())
    (pytester.path / "payloads" / "loop.json").symlink_to("loop.json")
    (pytester.path / "payloads" / "again").symlink_to(".")  # the same folder, reached again and again
    os.mkfifo(pytester.path / "payloads" / "pipe.json")
    result = pytester.runpytest("-p", "no:cacheprovider", "-rf")
    assert "INTERNALERROR" not in result.stdout.str()
    result.assert_outcomes(passed=1, failed=2)  # ok.json once, however many paths lead to it
    result.stdout.fnmatch_lines(
        [
            "payloads/loop.json: cannot read: Too many levels of symbolic links",
            "payloads/pipe.json: cannot read: not a regular file (a named pipe)",
            "FAILED payloads/loop.json::file - *",
            "FAILED payloads/pipe.json::file - *",
        ],
        consecutive=False,
    )
    # Only where pytest collects: a run of another folder does not fail on them.
    write(pytester.path, "other/test_it.py", "def test_it():\n    pass\n")
    pytester.runpytest("-p", "no:cacheprovider", "other").assert_outcomes(passed=1)


def test_the_plugin_reads_the_expect_invalid_convention_from_pyproject_as_the_command_does(pytester):
    pytester.makepyprojecttoml(
        "[tool.pytest.ini_options]\n"
        'caliper_contract_files = ["fixtures/**/*.json"]\n'
        "[tool.caliper-contract]\n"
        'expect-invalid = ["fixtures/bad/"]\n'
    )
    write(pytester.path, "fixtures/bad/email.json", bad_email_envelope())
    write(pytester.path, "fixtures/bad/fine.json", seeds.activity())
    write(pytester.path, "fixtures/invalid/email.json", bad_email_envelope())  # not expected to break it here
    result = pytester.runpytest("-p", "no:cacheprovider", "-rf")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "fixtures/bad/fine.json:1: envelope expected to break the contract, but it is valid (its path matches the "
            f"expect-invalid pattern 'fixtures/bad/' set in {pytester.path / 'pyproject.toml'})",
        ]
    )
    command = subprocess.run(
        [_script(), "check", "fixtures"], capture_output=True, text=True, cwd=pytester.path, timeout=LIMIT
    )
    assert sorted(line.split(":")[0] for line in lines_of(command)[:-1]) == [
        "fixtures/bad/fine.json",
        "fixtures/invalid/email.json",
    ]
