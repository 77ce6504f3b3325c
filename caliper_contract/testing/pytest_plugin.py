"""The ``caliper_server`` fixture and its marker, as a pytest plugin module.

The caliper_contract plugin (:mod:`caliper_contract.pytest_plugin.plugin`) loads it, so
installing the package is enough::

    @pytest.mark.caliper_server(strict=True, fail_next=2, status=429, retry_after=1)
    def test_my_sender_retries(caliper_server):
        send(envelope, base_url=caliper_server.url, token_url=caliper_server.token_url,
             client_id=caliper_server.client_id, client_secret=caliper_server.client_secret)
        assert len(caliper_server.received) == 1
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from caliper_contract.testing.server import FakeTimebackServer

MARKER = "caliper_server"
MARKER_HELP = (
    f"{MARKER}(**options): configure the caliper_server fixture's FakeTimebackServer "
    "(strict=, ignore=, spec=, fail_next=, status=, retry_after=, delay_next=, delay=, token_ttl=, clock=, ...)"
)


@functools.cache
def marker_option_names() -> tuple[str, ...]:
    """Every keyword the marker takes: started_server's own and the server constructor's."""
    # The server (and the contract behind it) is imported on first use only: pytest loads
    # this module in every session of every project with caliper-contract installed.
    from caliper_contract.testing.server import FakeTimebackServer, started_server

    return tuple(
        name
        for function in (started_server, FakeTimebackServer.__init__)
        for name, parameter in inspect.signature(function).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)


def marker_options(marker: pytest.Mark | None) -> dict[str, Any]:
    """The marker's keyword options, checked; raises ``ValueError`` naming what is wrong."""
    if marker is None:
        return {}
    if marker.args:
        raise ValueError(f"@pytest.mark.{MARKER} takes keyword options only, got {marker.args!r}")
    options = marker_option_names()
    for name in marker.kwargs:
        if name not in options:
            close = difflib.get_close_matches(name, options, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; options: {', '.join(options)}"
            raise ValueError(f"@pytest.mark.{MARKER} has no option {name!r}{hint}")
    return dict(marker.kwargs)


@pytest.fixture
def caliper_server(request: pytest.FixtureRequest) -> Iterator[FakeTimebackServer]:
    """A started FakeTimebackServer on 127.0.0.1, configured by ``@pytest.mark.caliper_server(...)``."""
    from caliper_contract.errors import SpecError  # see marker_option_names
    from caliper_contract.testing.server import started_server

    try:
        server = started_server(**marker_options(request.node.get_closest_marker(MARKER)))
    except (ValueError, TypeError, SpecError) as error:  # UnknownRuleError is a ValueError
        pytest.fail(f"@pytest.mark.{MARKER}: {error}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()
