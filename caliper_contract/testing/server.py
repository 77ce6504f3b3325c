"""FakeTimebackServer: the Timeback Events API on 127.0.0.1, for tests of real HTTP clients."""

from __future__ import annotations

import ipaddress
import secrets
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from caliper_contract.contract import Contract
from caliper_contract.rules import check_ignorable
from caliper_contract.testing import arguments, defaults, duplicates
from caliper_contract.testing.api import EVENT_PATH, TOKEN_PATH, VALIDATE_PATH, Api
from caliper_contract.testing.auth import Clock, TokenIssuer
from caliper_contract.testing.records import ReceivedEnvelope, RecordedRequest, RejectedEnvelope, ServerError
from caliper_contract.testing.state import Failure, ServerState
from caliper_contract.testing.transport import HTTPServer, Site


class FakeTimebackServer:
    """A local HTTP server that behaves like the published Timeback Events API.

    It listens on 127.0.0.1 (a free port unless ``port`` is given) while started::

        with FakeTimebackServer() as server:
            my_sender.send(envelope, base_url=server.url, token_url=server.token_url,
                           client_id=server.client_id, client_secret=server.client_secret)
            assert server.received[0].envelope == envelope

    Envelopes are checked with ``contract`` (default: the bundled contract) and
    ``strict``/``ignore`` as :meth:`Contract.validate` takes them.  Tokens come
    from ``POST /oauth2/token`` for ``client_id``/``client_secret`` (generated
    when not given) and any pairs in ``clients``; they expire after
    ``token_ttl`` seconds of ``clock`` (pass a :class:`ManualClock` to expire
    them without waiting).
    """

    def __init__(
        self,
        *,
        contract: Contract | None = None,
        strict: bool = False,
        ignore: Iterable[str] = (),
        client_id: str | None = None,
        client_secret: str | None = None,
        clients: Mapping[str, str] | None = None,
        token_ttl: float = defaults.TOKEN_TTL,
        clock: Clock = time.monotonic,
        max_body_bytes: int = defaults.MAX_BODY_BYTES,
        request_timeout: float = defaults.REQUEST_TIMEOUT,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        token_ttl = arguments.seconds("token_ttl", token_ttl)
        request_timeout = arguments.seconds("request_timeout", request_timeout)
        max_body_bytes = arguments.whole("max_body_bytes", max_body_bytes, least=0)
        port = arguments.whole("port (0: any free port)", port, least=0, most=65535)
        self.contract = contract if contract is not None else Contract.default()
        self.strict = strict
        self.ignore = tuple(ignore)
        check_ignorable(self.ignore)  # an unknown rule id fails here, not on the first request
        self.client_id = client_id if client_id is not None else f"caliper-contract-{secrets.token_hex(4)}"
        self.client_secret = client_secret if client_secret is not None else secrets.token_urlsafe(24)
        self.host = loopback_host(host)
        self._port = port
        self._state = ServerState()
        self._issuer = TokenIssuer(
            {**(clients or {}), self.client_id: self.client_secret},
            ttl=token_ttl,
            clock=clock,
            scopes=_scopes(self.contract),
        )
        api = Api(self._state, self._issuer, self.contract, strict=strict, ignore=self.ignore)
        self._site = Site(api, self._state, clock, max_body_bytes, request_timeout)
        self._httpd: HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- running -------------------------------------------------------------------

    def start(self) -> FakeTimebackServer:
        """Listen and serve on a background thread; returns the server, started."""
        if self._httpd is not None:
            raise RuntimeError("the server is already started")
        self._httpd = HTTPServer((self.host, self._port), self._site)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},  # stop() waits up to this long for the loop to notice
            name=f"FakeTimebackServer:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and close idle connections; requests already being handled finish on their own threads."""
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        self._httpd.end_connections()
        if self._thread is not None:
            self._thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> FakeTimebackServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the server is not started: use it as a context manager, or call start()")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The API's base URL, without a trailing slash: ``http://127.0.0.1:<port>``."""
        return f"http://{self.host}:{self.port}"

    @property
    def token_url(self) -> str:
        return f"{self.url}{TOKEN_PATH}"

    @property
    def event_url(self) -> str:
        return f"{self.url}{EVENT_PATH}"

    @property
    def validate_url(self) -> str:
        return f"{self.url}{VALIDATE_PATH}"

    # -- what happened -------------------------------------------------------------

    @property
    def received(self) -> tuple[ReceivedEnvelope, ...]:
        """Envelopes ``POST /caliper/event`` accepted, in the order it accepted them."""
        return self._state.received

    @property
    def rejected(self) -> tuple[RejectedEnvelope, ...]:
        """Bodies ``POST /caliper/event`` refused with 400, each with its report."""
        return self._state.rejected

    @property
    def requests(self) -> tuple[RecordedRequest, ...]:
        """Every request with parsed headers, to any path, with the status it got."""
        return self._state.requests

    @property
    def errors(self) -> tuple[ServerError, ...]:
        """Exceptions raised while handling requests (each answered with a 500)."""
        return self._state.errors

    def events(self, *, type: str | None = None, action: str | None = None) -> list[Any]:
        """The events of every accepted envelope, in order; ``type``/``action`` keep only those."""
        return [
            event
            for received in self.received
            for event in received.events
            if (type is None or event.get("type") == type) and (action is None or event.get("action") == action)
        ]

    def duplicate_event_ids(self) -> list[str]:
        """Event ids accepted more than once, as a retrying sender can cause; empty is good."""
        return [group[0]["id"] for group in duplicates.groups(self.events(), "id")]

    def duplicate_events(self, *, by: duplicates.Sameness = "id") -> list[list[Any]]:
        """Accepted events that are one event sent more than once, grouped, in order; empty is good.

        ``by="id"``: the same event id.  ``by="content"``: the same event but for
        ``id``, ``eventTime`` and the id of what it ``generated`` -- the ids and
        times a sender (the vendor's SDK among them) makes afresh for each call,
        so a blind retry after a timeout stores the event again under a new id.
        """
        return duplicates.groups(self.events(), by)

    # -- shaping what comes next -----------------------------------------------------

    def fail_next(self, n: int = 1, *, status: int = 500, retry_after: int | str | None = None) -> None:
        """Answer the next ``n`` requests to the event endpoints with ``status`` instead of handling them.

        ``retry_after`` (seconds, or an HTTP date) is sent as the Retry-After
        header.  The event endpoints are ``POST /caliper/event`` and
        ``POST /caliper/event/validate``; failures come before the token check,
        as from a gateway in front of the API, and nothing is stored.
        """
        arguments.whole("fail_next", n, least=1)
        arguments.whole("fail_next status (an HTTP error status)", status, least=400, most=599)
        self._state.queue_failures(n, Failure(status, _retry_after(retry_after)))

    def delay_next(self, n: int, seconds: float) -> None:
        """Hold each of the next ``n`` requests to the event endpoints for ``seconds`` before handling it.

        A delayed request is still handled afterwards: a client that timed out
        meanwhile has had its envelope stored all the same, as with the real API.
        """
        arguments.whole("delay_next", n, least=1)
        self._state.queue_delays(n, arguments.seconds("delay_next seconds", seconds, zero=True))

    def issue_token(self, client_id: str | None = None) -> str:
        """A live bearer token, for tests about something other than the token flow."""
        return self._issuer.issue(self.client_id if client_id is None else client_id)


def loopback_host(host: str) -> str:
    """The address to bind: a loopback IPv4 address; ``localhost`` means 127.0.0.1."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.IPv4Address(host)
    except ValueError:
        address = None
    if address is None or not address.is_loopback:
        raise ValueError(f"host {host!r} is not a loopback address: the fake server listens on 127.x.x.x only")
    return host


def started_server(
    *,
    spec: str | Path | None = None,
    fail_next: int | None = None,
    status: int | None = None,
    retry_after: int | str | None = None,
    delay_next: int | None = None,
    delay: float | None = None,
    **options: Any,
) -> FakeTimebackServer:
    """A started :class:`FakeTimebackServer` built from keyword options; call ``stop()`` when done.

    ``options`` are the constructor's; besides them: ``spec`` (an OpenAPI file to
    use as the contract), ``fail_next``/``status``/``retry_after`` (as
    :meth:`FakeTimebackServer.fail_next`; ``status`` or ``retry_after`` alone
    means one failure) and ``delay_next``/``delay`` (``delay`` alone means one
    delayed request).
    """
    if spec is not None:
        if options.get("contract") is not None:
            raise ValueError("give spec or contract, not both")
        options["contract"] = Contract.from_openapi(spec)
    server = FakeTimebackServer(**options)
    if fail_next is None:
        fail_next = 1 if status is not None or retry_after is not None else 0
    if fail_next:
        server.fail_next(fail_next, status=500 if status is None else status, retry_after=retry_after)
    if delay_next is None:
        delay_next = 1 if delay is not None else 0
    if delay_next:
        if delay is None:
            raise ValueError(f"delay_next={delay_next} needs delay=SECONDS")
        server.delay_next(delay_next, delay)
    return server.start()


def _retry_after(value: int | str | None) -> str | None:
    """The Retry-After header value: seconds (RFC 9110 §10.2.3), or an HTTP date sent as given."""
    if value is None:
        return None
    if isinstance(value, str):
        if not value or not value.isprintable() or not value.isascii():
            raise ValueError(f"retry_after must be seconds or an HTTP date, got {value!r}")
        return value
    return str(arguments.whole("retry_after seconds", value, least=0))


def _scopes(contract: Contract) -> frozenset[str]:
    """The client-credentials scopes the contract's security schemes name."""
    components = contract.document.contents.get("components")
    schemes = components.get("securitySchemes") if isinstance(components, dict) else None
    found: set[str] = set()
    for scheme in schemes.values() if isinstance(schemes, dict) else ():
        flows = scheme.get("flows") if isinstance(scheme, dict) else None
        flow = flows.get("clientCredentials") if isinstance(flows, dict) else None
        scopes = flow.get("scopes") if isinstance(flow, dict) else None
        if isinstance(scopes, dict):
            found.update(str(name) for name in scopes)
    return frozenset(found)
