"""HTTP/1.1 plumbing for the fake server, on the standard library's ThreadingHTTPServer.

Framing problems are answered here, before the API sees a request: a missing
Content-Length (411), a body over the limit (413), a client too slow to send
its request (408), malformed request lines (400).  Every response is JSON, an
exception in an endpoint becomes a recorded 500, and nothing a client sends can
stop the server.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import threading
import time
import traceback
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from caliper_contract.testing.api import Api, describe
from caliper_contract.testing.records import RecordedRequest, ServerError
from caliper_contract.testing.state import ServerState
from caliper_contract.testing.wire import Request, Response, api_error

logger = logging.getLogger("caliper_contract.testing")

_BYTE_COUNT = re.compile(r"[0-9]+")
_CHUNK = 64 * 1024
# After a 413 the rest of the body is read and dropped, up to this much: closing a
# socket with unread bytes makes the kernel reset the connection, which can destroy
# the 413 before the client reads it.
_DISCARD_LIMIT = 16 * 1024 * 1024


class _ClientGone(Exception):
    """The client closed the connection in the middle of its request."""


@dataclass(frozen=True)
class Site:
    """What the handlers need from the server that owns them."""

    api: Api
    state: ServerState
    clock: Callable[[], float]
    max_body_bytes: int
    request_timeout: float


class HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # many clients connecting at once must not wait for SYN retries

    def __init__(self, address: tuple[str, int], site: Site) -> None:
        self.site = site
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        self.ending = False  # set by end_connections: requests read after it go unanswered
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def end_connections(self) -> None:
        """Serve no further request on any open connection; a request being handled still gets its answer.

        Without this a stopped server would go on answering clients that kept a
        keep-alive connection, and their threads would wait out request_timeout.
        """
        with self._open_lock:
            self.ending = True
            connections = list(self._open)
        for connection in connections:
            # A handler waiting for the next request sees the end of the stream; answers can still be written.
            # Linux may yet deliver bytes that arrive afterwards: `ending` covers those.
            with contextlib.suppress(OSError):  # closed meanwhile by its own thread
                connection.shutdown(socket.SHUT_RD)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Only socket errors get here (the handler turns its own into 500s): a client
        # that went away is no news, so it is logged quietly rather than printed.
        logger.debug("connection from %s ended with an error", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle's algorithm on, the body
    # would wait for the client's delayed ACK, 40 ms a request.
    disable_nagle_algorithm = True
    server_version = "caliper-contract-fake-timeback"
    sys_version = ""
    server: HTTPServer

    def setup(self) -> None:
        super().setup()
        self._timeout = self.server.site.request_timeout
        self.connection.settimeout(self._timeout)
        self._served = 0
        self._responding = False
        self._arrived = 0.0

    # -- one request -------------------------------------------------------------

    def handle_one_request(self) -> None:
        # BaseHTTPRequestHandler's version, with two changes: every method goes to
        # one dispatcher (so unknown methods get 405, not 501), and a client too slow
        # to send its request gets a 408 instead of a silently closed connection.
        self._responding = False
        self.command, self.requestline, self.request_version = "", "", "HTTP/1.1"
        begun = self._served == 0  # an idle keep-alive connection timing out is no error
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if len(self.raw_requestline) > 65536:
                self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
                return
            if not self.raw_requestline or self.server.ending:
                self.close_connection = True
                return
            begun = True
            self._arrived = self.server.site.clock()
            if not self.parse_request():
                return
            self._served += 1
            self._respond()
            self.wfile.flush()
        except TimeoutError:
            self.close_connection = True
            if begun and not self._responding:
                with contextlib.suppress(OSError):  # the client may be gone as well as slow
                    self._write(api_error(408, "the request did not arrive in time (request_timeout)", close=True))
        except (_ClientGone, OSError):
            self.close_connection = True

    def _respond(self) -> None:
        site = self.server.site
        length = self._content_length()
        if isinstance(length, Response):
            self._finish(length)
            if self.headers.get("Transfer-Encoding") is not None:
                self._discard_chunked()
            return
        if length > site.max_body_bytes:
            limit = site.max_body_bytes
            self._finish(
                api_error(413, f"the body is {length} bytes; this server takes at most {limit} bytes", close=True)
            )
            self._discard(length)
            return
        body = self._read_body(length)
        if body is None:
            self._finish(api_error(408, "the request body did not arrive in time (request_timeout)", close=True))
            return
        split = urllib.parse.urlsplit(self.path)
        request = Request(self.command, split.path, split.query, self.headers, body)
        try:
            response = site.api.handle(request)
        except Exception as error:  # the server must survive its own bugs: report them as 500s
            response = self._internal_error(error)
        self._finish(response, body)

    def _content_length(self) -> int | Response:
        if self.headers.get("Transfer-Encoding") is not None:
            return api_error(411, "send the body with a Content-Length; Transfer-Encoding is not supported", close=True)
        lengths = self.headers.get_all("Content-Length") or []
        if not lengths:
            if self.command in ("POST", "PUT", "PATCH"):
                return api_error(411, f"a {self.command} needs a Content-Length header")
            return 0
        if len(set(lengths)) > 1 or not _BYTE_COUNT.fullmatch(lengths[0].strip()):
            return api_error(400, f"Content-Length {', '.join(lengths)!r} is not one byte count", close=True)
        return int(lengths[0])

    def handle_expect_100(self) -> bool:
        # A client that asks before sending a body too big hears 413 before sending it.
        length = self._content_length()
        if isinstance(length, int) and length > self.server.site.max_body_bytes:
            limit = self.server.site.max_body_bytes
            self._finish(
                api_error(413, f"the body is {length} bytes; this server takes at most {limit} bytes", close=True)
            )
            return False
        return super().handle_expect_100()

    # -- reading bodies under a deadline -------------------------------------------

    def _read_body(self, length: int) -> bytes | None:
        """The body, or None when it does not arrive within request_timeout in all."""
        received = b"".join(self._chunks(length))
        return received if len(received) == length else None

    def _discard(self, length: int) -> None:
        try:
            for _ in self._chunks(min(length, _DISCARD_LIMIT)):
                pass
        except (_ClientGone, OSError):
            pass

    def _discard_chunked(self) -> None:
        # As after a 413: a client still sending chunks would see its connection reset.
        budget = _DISCARD_LIMIT
        try:
            while budget > 0:
                size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
                if size == 0:  # the last chunk, then trailer lines up to an empty one
                    while self.rfile.readline(1024).strip():
                        pass
                    return
                budget -= size
                for _ in self._chunks(size + 2):  # the chunk and its CRLF
                    pass
        except (ValueError, _ClientGone, OSError):  # not chunked after all, or the client left
            pass

    def _chunks(self, length: int) -> Iterator[bytes]:
        """Up to length bytes of body, ending early when request_timeout runs out."""
        # The socket timeout bounds each read; the deadline bounds them all, so a client
        # trickling a byte at a time cannot hold a thread forever.
        deadline = time.monotonic() + self._timeout
        remaining = length
        try:
            while remaining:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self.connection.settimeout(left)
                try:
                    chunk = self.rfile.read1(min(remaining, _CHUNK))
                except TimeoutError:
                    return
                if not chunk:
                    raise _ClientGone
                remaining -= len(chunk)
                yield chunk
        finally:
            self.connection.settimeout(self._timeout)

    # -- answering -----------------------------------------------------------------

    def _internal_error(self, error: Exception) -> Response:
        name = f"{type(error).__name__}: {error}"
        path = urllib.parse.urlsplit(self.path).path
        self.server.site.state.record_error(ServerError(self.command, path, name, traceback.format_exc()))
        logger.error("%s %s failed", self.command, path, exc_info=error)
        return api_error(500, f"the fake server failed: {name} (recorded in server.errors)")

    def _finish(self, response: Response, body: bytes = b"") -> None:
        """Record the exchange, then send: a client that has its answer finds it recorded."""
        split = urllib.parse.urlsplit(self.path)
        self.server.site.state.record_request(
            RecordedRequest(
                method=self.command,
                path=split.path,
                query=split.query,
                headers=tuple(self.headers.items()),
                body=body,
                status=response.status,
                at=self._arrived,
            )
        )
        logger.info("%s %s -> %d %s", self.command, self.path, response.status, describe(response.body))
        self._write(response)

    def _write(self, response: Response) -> None:
        self._responding = True
        payload = json.dumps(response.body).encode("utf-8")
        self.send_response(response.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in response.headers:
            self.send_header(name, value)
        if response.close:
            self.close_connection = True
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        self.wfile.flush()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # Called by BaseHTTPRequestHandler for requests it cannot parse: answer in JSON too,
        # with a status line even when the request line was too broken to name a version.
        self.request_version = "HTTP/1.1"
        self._write(api_error(code, message or HTTPStatus(code).phrase, close=True))

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # _finish logs each exchange with its message

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug(format, *args)
