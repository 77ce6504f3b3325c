"""The pytest plugin of caliper-contract: hooks and fixtures only.

Registered through the ``pytest11`` entry point ``caliper_contract``, so
installing the package enables it and ``pytest -p no:caliper_contract`` turns it
off.  What the hooks do lives beside it: settings in ``_settings``, the
fixture's object in ``_fixture``, fixture files as tests in ``_items``.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from caliper_contract.pytest_plugin import _fixture, _items
from caliper_contract.pytest_plugin._settings import MARKER_HELP, RunState

_STATE = pytest.StashKey[RunState]()

# The caliper_server fixture and its marker (a FakeTimebackServer per test).
pytest_plugins = ["caliper_contract.testing.pytest_plugin"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("caliper-contract", "caliper-contract: Timeback Events API contract")
    group.addoption(
        "--caliper-spec",
        metavar="PATH",
        help="check payloads against this OpenAPI 3.1 document instead of the bundled one",
    )
    group.addoption(
        "--caliper-strict", action="store_true", help="treat contract warnings as errors (a marker may say otherwise)"
    )
    parser.addini(
        "caliper_contract_strict",
        type="string",
        default="",
        help="treat contract warnings as errors: true or false (default: pyproject.toml's, else false)",
    )
    parser.addini(
        "caliper_contract_ignore", type="args", default=[], help="rule ids the caliper_contract fixture skips"
    )
    parser.addini(
        "caliper_contract_files",
        type="args",
        default=[],
        help="glob patterns, relative to the rootdir, of JSON/NDJSON fixture files to check as tests",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    config.stash[_STATE] = RunState.from_config(config)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    return _items.collect_file(parent.config.stash[_STATE], file_path, parent)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, None]:
    # A misused marker fails the collection of its module, as pytest's own
    # --strict-markers does: reported the same way in xdist workers.
    outcome = yield
    report: pytest.CollectReport = outcome.get_result()
    if report.passed:
        state = collector.config.stash[_STATE]
        problems = state.marker_problems(report.result)
        if problems:
            report.outcome = "failed"
            report.longrepr = "\n".join(problems)
            report.result = []
        elif isinstance(collector, pytest.Session) and state.unreadable:
            # Fixture files pytest's walk passes over (a loop of links, a named pipe) still fail, one item each.
            report.result.extend(_items.unreadable_files(state, collector))


def pytest_assertrepr_compare(op: str, left: object, right: object) -> list[str] | None:
    return _fixture.explain_comparison(op, left, right)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, Any, None]:
    # The session-scoped fixture checks with the settings of the test being run.
    state = item.config.stash[_STATE]
    state.current = item
    try:
        yield
    finally:
        state.current = None


@pytest.fixture(scope="session")
def caliper_contract(pytestconfig: pytest.Config) -> _fixture.ContractFixture:
    """Check Caliper payloads against the Timeback Events API contract configured for the calling test.

    ``.validate(payload)``, ``.validate_event(event)``, ``.assert_valid(payload)``,
    and ``assert payload == caliper_contract.envelope`` (or ``.event``); warnings
    found are issued as ``caliper_contract.ContractWarning``.  Configure it with
    ``@pytest.mark.caliper_contract(strict=..., ignore=[...], spec=...)``.  One
    object serves the session, so ``@given`` tests can use it; each call reads
    the markers of the test that makes it.
    """
    return _fixture.ContractFixture(pytestconfig.stash[_STATE])
