"""The console command, run as a user runs it: in a subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import seeds

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = shutil.which("caliper-contract")
    argv = [command, *args] if command else [sys.executable, "-m", "caliper_contract", *args]
    return subprocess.run(argv, capture_output=True, text=True, cwd=cwd, timeout=60)


def test_the_bundled_examples_check_as_the_quickstart_says():
    result = run("check", str(ROOT / "examples"))
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert all("/invalid/" in line for line in lines)
    assert any("timeback.actor.email /data/0/actor/email" in line for line in lines)
    assert run("check", str(ROOT / "examples" / "valid")).returncode == 0


def test_exit_code_two_for_unreadable_files_and_the_rest_still_checked(tmp_path):
    (tmp_path / "a.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps(seeds.activity()), encoding="utf-8")
    (tmp_path / "c.json").write_text("{}", encoding="utf-8")
    result = run("check", str(tmp_path), str(tmp_path / "missing.json"))
    assert result.returncode == 2
    assert "a.json: error json.syntax" in result.stdout
    assert "c.json: error openapi.required" in result.stdout
    assert "missing.json: error: cannot read" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_misuse_is_exit_code_two_with_a_clear_message(tmp_path):
    result = run("check", "--ignore", "timeback.nul", str(tmp_path))
    assert result.returncode == 2
    assert "did you mean 'timeback.null'" in result.stderr


@pytest.mark.parametrize("python_m", [True, False])
def test_python_dash_m_runs_the_same_command(tmp_path, python_m):
    (tmp_path / "ok.json").write_text(json.dumps(seeds.time_spent()), encoding="utf-8")
    if python_m:
        result = subprocess.run([sys.executable, "-m", "caliper_contract", "check", str(tmp_path)], capture_output=True)
    else:
        result = run("check", str(tmp_path / "ok.json"))
    assert result.returncode == 0
