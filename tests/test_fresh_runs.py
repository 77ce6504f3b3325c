"""Every strategy and the README's Hypothesis examples pass the default health checks on a fresh run.

A fresh run is what every CI run is: a new process, an empty home and no
``.hypothesis/`` folder, so nothing Hypothesis caches there (its Unicode
tables, above all) is warm.  Each run below is such a pytest process over the
README's examples and one ``@given`` test per strategy, on Hypothesis's default
settings but ``max_examples=10``: the ``too_slow`` health check times the first
ten examples, and that window is what a cold cache slows down.  No health
check is suppressed.  The runs take turns at which test comes first (and so
pays for whatever is done once per process), and every run must leave no
Unicode table behind: building one is the slow first draw this guards against.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import readme

RUNS = 10

#: One @given test each; STUDENT is a valid actor.
STRATEGIES = (
    "envelopes()",
    "envelopes(allow_warnings=True)",
    "envelopes(actor=STUDENT, subject='Math', sensor='https://app.example.com', send_time='2024-04-24T14:12:05.000Z')",
    "activity_events(subject='Math')",
    "activity_events(subject=st.sampled_from(['Math', 'FastMath']), actor=st.just(STUDENT))",
    "time_spent_events()",
    "timeback_events(allow_warnings=True)",
    "caliper_events()",
    "caliper_entities()",
    "invalid_envelopes()",
    "invalid_envelopes(severity='error')",
    "invalid_envelopes(['openapi.pattern', 'openapi.type'])",
    "actors()",
    "actors(allow_warnings=True)",
    "emails()",
    "emails(domains=['alpha.school'])",
    "user_urls(allow_warnings=True)",
    "course_urls(allow_warnings=True)",
    "activity_urls()",
    "subjects(allow_warnings=True)",
    "activity_metrics(allow_warnings=True)",
    "time_metrics(allow_warnings=True)",
    "event_ids()",
    "timestamps()",
    "timestamps(utc=True)",
)

CONFTEST = """
from hypothesis import settings

settings.register_profile("first-examples", max_examples=10)
settings.load_profile("first-examples")
"""


def strategies_module(first: int) -> str:
    """A test module with one @given test per strategy, starting at ``STRATEGIES[first]``."""
    lines = [
        "from hypothesis import given",
        "from hypothesis import strategies as st",
        "from caliper_contract.strategies import *",
        "",
        "STUDENT = {",
        "    'id': 'https://api.alpha-1edtech.ai/ims/oneroster/rostering/v1p2/users/s-42',",
        "    'type': 'TimebackUser',",
        "    'email': 's42@example.com',",
        "}",
    ]
    order = [*STRATEGIES[first:], *STRATEGIES[:first]]
    for index, expression in enumerate(order):
        lines += ["", "", f"@given({expression})", f"def test_{index}(value):", "    pass"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("run", range(RUNS))
def test_a_fresh_run_passes_every_health_check(tmp_path, run):
    project, home, storage = tmp_path / "project", tmp_path / "home", tmp_path / "hypothesis"
    project.mkdir()
    home.mkdir()
    (project / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    examples = readme.code_blocks("Property-based testing")
    modules = [f"test_readme_{index}.py" for index in range(len(examples))]
    for name, code in zip(modules, examples, strict=True):
        (project / name).write_text(code, encoding="utf-8")
    (project / "test_strategies.py").write_text(strategies_module(run * len(STRATEGIES) // RUNS), encoding="utf-8")
    # Half the runs start with the README's examples, as a user's suite would; the others with a strategy.
    order = [*modules, "test_strategies.py"] if run % 2 == 0 else ["test_strategies.py", *modules]
    environment = {name: value for name, value in os.environ.items() if not name.startswith(("PYTEST_", "HYPOTHESIS"))}
    environment.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), HYPOTHESIS_STORAGE_DIRECTORY=str(storage))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *order],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    expected = len(STRATEGIES) + sum(code.count("\ndef test_") for code in examples)
    assert (result.returncode, f"{expected} passed") == (0, output.strip().splitlines()[-1].split(" in ")[0]), output
    assert not _unicode_tables(storage), f"Hypothesis built Unicode tables: {_unicode_tables(storage)}"


def _unicode_tables(storage: Path) -> list[str]:
    return sorted(path.name for path in (storage / "unicode_data").rglob("*") if path.is_file())
