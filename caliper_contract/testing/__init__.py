"""An offline stand-in for the Timeback Events API, for end-to-end tests of HTTP senders.

:class:`FakeTimebackServer` is a real HTTP server on 127.0.0.1 that serves
``POST /oauth2/token``, ``POST /caliper/event``, ``POST /caliper/event/validate``,
``GET /caliper/events``, ``GET /caliper/events/{id}`` and ``GET /jobs/{id}/status``
as the published API and the vendor's SDK describe them, checks envelopes with
the contract, and records what it saw.  The
``caliper_server`` pytest fixture lives in :mod:`caliper_contract.testing.pytest_plugin`;
``caliper-contract serve`` runs the same server from the command line.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from caliper_contract.testing.auth import ManualClock
    from caliper_contract.testing.records import ReceivedEnvelope, RecordedRequest, RejectedEnvelope, ServerError
    from caliper_contract.testing.server import FakeTimebackServer, started_server

# Loaded on first use: the `caliper-contract` command imports this package for the
# serve command's defaults on every run, and must not pay for a server it does not start.
_HOMES = {
    "FakeTimebackServer": "server",
    "ManualClock": "auth",
    "ReceivedEnvelope": "records",
    "RecordedRequest": "records",
    "RejectedEnvelope": "records",
    "ServerError": "records",
    "started_server": "server",
}
__all__ = [
    "FakeTimebackServer",
    "ManualClock",
    "ReceivedEnvelope",
    "RecordedRequest",
    "RejectedEnvelope",
    "ServerError",
    "started_server",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
