"""The command under hostile conditions, each as a user met it: no false green, no hang, no traceback.

Every test runs the installed `caliper-contract` script in a subprocess bounded in time, so a hang fails the
test instead of stopping the suite.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from caliper_contract._files import MAX_JSON_BYTES
from tests import seeds
from tests.test_cli import _script, bad_email_envelope, lines_of, run, write

LIMIT = 60  # seconds: far above what any of these takes when it works


def shell(command: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``command`` in sh, with $0 the script and $1... the arguments: for what only a shell sets up (``<&-``)."""
    return subprocess.run(
        ["sh", "-c", command, _script(), *args], capture_output=True, text=True, cwd=cwd, timeout=LIMIT
    )


def assert_one_line_on_stderr(result: subprocess.CompletedProcess[str], words: str) -> None:
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"caliper-contract: error: {words}"]
    assert "Traceback" not in result.stdout + result.stderr


# -- folders that cannot be read: never a pass ------------------------------------------------------


def without_permission_override() -> list[str]:
    """The prefix that runs a command without the power to read what permissions forbid.

    Root reads a folder of mode 000 all the same; ``setpriv`` drops the two
    capabilities that let it, so a root test run sees what a user sees.
    """
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a folder of mode 000 cannot be made unreadable here")
    drop = "-dac_override,-dac_read_search"
    return [setpriv, "--bounding-set", drop, "--inh-caps", drop]


@pytest.fixture
def locked(tmp_path: Path):
    """A folder with a payload file, and a subfolder that cannot be read holding a broken one."""
    write(tmp_path, "fixtures/ok.json", seeds.activity())
    write(tmp_path, "fixtures/locked/bad.json", bad_email_envelope())
    (tmp_path / "fixtures" / "locked").chmod(0)
    yield tmp_path
    (tmp_path / "fixtures" / "locked").chmod(0o755)


@pytest.mark.parametrize(
    "arguments",
    [
        ["fixtures"],
        ["fixtures/**/*.json"],
        ["fixtures/locked"],
        ["fixtures/locked/*.json"],
        ["fixtures", "fixtures/**"],
    ],
    ids=["inside-a-folder", "under-a-glob", "named", "glob-inside-it", "reached-twice"],
)
def test_a_folder_that_cannot_be_read_is_a_finding_with_status_two(locked, arguments):
    result = subprocess.run(
        [*without_permission_override(), _script(), "check", *arguments],
        capture_output=True,
        text=True,
        cwd=locked,
        timeout=LIMIT,
    )
    assert result.returncode == 2, result.stdout
    # Named once, however many arguments reach it.
    assert lines_of(result).count("fixtures/locked: error: cannot read this folder: Permission denied") == 1
    assert "could not be read" in lines_of(result)[-1]
    assert "no problems found" not in result.stdout


# -- what is not a regular file: reported, never opened to wait on ------------------------------------


def test_a_named_pipe_given_found_in_a_folder_or_as_pyproject_toml_never_blocks(tmp_path):
    write(tmp_path, "fixtures/ok.json", seeds.activity())
    os.mkfifo(tmp_path / "pipe.json")
    os.mkfifo(tmp_path / "fixtures" / "pipe.jsonl")
    os.mkfifo(tmp_path / "pyproject.toml")  # a settings file nobody writes to
    result = run("check", "pipe.json", "fixtures", cwd=tmp_path)
    assert result.returncode == 2
    assert lines_of(result) == [
        "pipe.json: error: cannot read: not a regular file (a named pipe)",
        "fixtures/pipe.jsonl: error: cannot read: not a regular file (a named pipe)",
        "checked 3 files: 2 errors, 0 warnings; 2 could not be read",
    ]


def test_a_device_is_not_read_and_standard_input_stops_at_the_size_limit(tmp_path):
    result = run("check", "/dev/zero", cwd=tmp_path)
    assert lines_of(result)[0] == "/dev/zero: error: cannot read: not a regular file (a character device)"
    assert result.returncode == 2
    piped = shell('exec "$0" check - </dev/zero', tmp_path)
    assert piped.returncode == 2
    assert lines_of(piped)[0].startswith(
        "<stdin>: error: too large to check: 67,108,865 bytes or more, over the 64 MiB"
    )


def test_a_json_file_over_the_size_limit_is_refused_unread_and_json_lines_have_no_limit(tmp_path):
    with (tmp_path / "huge.json").open("wb") as huge:
        huge.truncate(MAX_JSON_BYTES + 1)  # sparse: no disk used, and nothing is read
    write(tmp_path, "stream.jsonl", f"{json.dumps(seeds.activity())}\n" * 3)
    result = run("check", "huge.json", "stream.jsonl", cwd=tmp_path)
    assert result.returncode == 2
    assert lines_of(result) == [
        "huge.json: error: too large to check: 67,108,865 bytes or more, over the 64 MiB limit for one .json file "
        "(a .jsonl or .ndjson file, one payload per line, has no limit)",
        "checked 2 files: 1 error, 0 warnings; 1 could not be read",
    ]


def test_a_glob_over_two_loops_of_links_ends_and_checks_each_file_once(tmp_path):
    write(tmp_path, "fixtures/a/bad.json", bad_email_envelope())
    write(tmp_path, "fixtures/b/ok.json", seeds.activity())
    (tmp_path / "fixtures" / "a" / "up").symlink_to("..")  # fixtures/a/up/a/up/... for ever
    (tmp_path / "fixtures" / "b" / "back").symlink_to("../a")
    (tmp_path / "fixtures" / "self.json").symlink_to("self.json")  # a loop of one link
    for arguments in (["fixtures/**/*.json"], ["fixtures"], ["fixtures", "fixtures/a/up/a/bad.json"]):
        result = run("check", *arguments, cwd=tmp_path)
        findings = sorted(lines_of(result)[:-1])
        assert [line.split(":")[0] for line in findings] == ["fixtures/a/bad.json", "fixtures/self.json"], arguments
        assert findings[1] == "fixtures/self.json: error: cannot read: Too many levels of symbolic links"
        assert lines_of(result)[-1] == "checked 3 files: 2 errors, 0 warnings; 1 could not be read"


# -- standard streams and the working folder: one line on stderr, exit 2 ------------------------------


def test_closed_standard_input(tmp_path):
    assert_one_line_on_stderr(
        shell('exec "$0" check - <&-', tmp_path), "standard input is closed: there is nothing to read for -"
    )


@pytest.mark.parametrize("command", ["check ok.json", "rules", "schema"])
def test_closed_standard_output(tmp_path, command):
    write(tmp_path, "ok.json", seeds.activity())
    assert_one_line_on_stderr(
        shell(f'exec "$0" {command} >&-', tmp_path), "standard output is closed: nothing can be printed"
    )


def test_closed_standard_output_is_no_matter_with_an_output_file(tmp_path):
    write(tmp_path, "bad.json", bad_email_envelope())
    result = shell('exec "$0" check bad.json --output-file report.txt >&-', tmp_path)
    assert (result.returncode, result.stderr) == (1, "")
    assert (tmp_path / "report.txt").read_text().endswith("checked 1 file: 1 error, 0 warnings\n")


@pytest.mark.parametrize("command", ["check bad.json", "check bad.json --format sarif", "rules", "schema"])
def test_a_full_disk(tmp_path, command):
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full on this system")
    write(tmp_path, "bad.json", bad_email_envelope())
    result = shell(f'exec "$0" {command} >/dev/full', tmp_path)
    assert_one_line_on_stderr(result, "cannot write to standard output: No space left on device")


def test_an_output_file_that_cannot_be_written(tmp_path):
    write(tmp_path, "bad.json", bad_email_envelope())
    result = run("check", "bad.json", "--output-file", "no/such/folder/report.txt", cwd=tmp_path)
    assert_one_line_on_stderr(result, "cannot write no/such/folder/report.txt: No such file or directory")


def test_a_deleted_working_folder(tmp_path):
    write(tmp_path, "ok.json", seeds.activity())
    (tmp_path / "gone").mkdir()
    result = shell('cd gone && rmdir ../gone && exec "$0" check "$1"', tmp_path, str(tmp_path / "ok.json"))
    assert_one_line_on_stderr(result, "the current folder cannot be used: No such file or directory")


# -- file names: one finding a line, whatever the name ---------------------------------------------------


def test_a_file_name_with_a_newline_or_colons_stays_one_unambiguous_line(tmp_path):
    write(tmp_path, "two\nlines.json", bad_email_envelope())
    write(tmp_path, "a:1:2.json", bad_email_envelope())
    write(tmp_path, "100%.json", bad_email_envelope())
    result = run("check", ".", cwd=tmp_path)
    assert [line.split(": error ")[0] for line in lines_of(result)[:-1]] == [
        "100%25.json:14:18",
        "a%3A1%3A2.json:14:18",
        "two%0Alines.json:14:18",
    ]
    assert lines_of(result)[-1] == "checked 3 files: 3 errors, 0 warnings"


def test_a_file_name_that_is_not_utf_8_in_every_format(tmp_path):
    name = os.fsdecode(b"caf\xe9.json")  # a Latin-1 name on a UTF-8 system
    write(tmp_path, name, bad_email_envelope())
    sarif = run("check", name, "--format", "sarif", cwd=tmp_path)
    assert sarif.returncode == 1, sarif.stderr
    (result,) = json.loads(sarif.stdout)["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "caf%E9.json"
    text = run("check", name, cwd=tmp_path)
    assert lines_of(text)[0].startswith("caf%E9.json:14:18: error timeback.actor.email")
    for format_ in ("json", "github"):
        other = run("check", name, "--format", format_, cwd=tmp_path)
        assert (other.returncode, other.stderr) == (1, ""), format_
