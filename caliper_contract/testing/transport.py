"""HTTP/1.1 plumbing for the fake server, on the standard library's ThreadingHTTPServer.

Framing problems are answered here, before the API sees a request: a missing
Content-Length (411), a body over the limit (413), a client too slow to send
its request (408), malformed request lines (400), a head too large (414, 431).
Every response is JSON, an exception in an endpoint becomes a recorded 500, and
nothing a client sends can stop the server.

Each connection has a thread; ``request_timeout`` bounds each request as a
whole, request line and headers included, so a client trickling bytes holds its
thread for that long at most, then gets a 408.
"""

from __future__ import annotations

import contextlib
import io
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
from typing import Any, cast

from caliper_contract.testing.api import Api, describe
from caliper_contract.testing.records import RecordedRequest, ServerError, kept
from caliper_contract.testing.state import ServerState
from caliper_contract.testing.wire import Request, Response, api_error

logger = logging.getLogger("caliper_contract.testing")

_BYTE_COUNT = re.compile(r"[0-9]+")
_MAX_LENGTH_DIGITS = 18  # a longer Content-Length is more than any body taken (and int() refuses 4,300 digits)
_CHUNK = 64 * 1024
_REQUEST_LINE_LIMIT = 65536  # as BaseHTTPRequestHandler's
_HEAD_LIMIT = 128 * 1024  # the request line and all header lines
_HEAD_END = re.compile(rb"\n\r?\n")  # the empty line after the headers (bare LF lines are read too)
# After a 413 the rest of the body is read and dropped, up to this much: closing a
# socket with unread bytes makes the kernel reset the connection, which can destroy
# the 413 before the client reads it.
_DISCARD_LIMIT = 16 * 1024 * 1024
_LINGER = 2.0  # seconds a 408's connection waits for the client to close before closing it (as Apache's)


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
        self._deadline = time.monotonic() + self._timeout  # the first request is due from the connection's start
        # StreamRequestHandler makes rfile a buffered reader (rbufsize -1); typeshed says only BufferedIOBase.
        self._reader = cast(io.BufferedReader, self.rfile)

    # -- one request -------------------------------------------------------------

    def handle_one_request(self) -> None:
        # BaseHTTPRequestHandler's version, with three changes: the request line and
        # headers are read under the request's deadline (_read_head), every method goes
        # to one dispatcher (so unknown methods get 405, not 501), and a client too slow
        # to send its request gets a 408 instead of a silently closed connection.
        self._responding = False
        self.command, self.requestline, self.request_version = "", "", "HTTP/1.1"
        try:
            if self._served and not self._next_request_begins():
                self.close_connection = True  # an idle keep-alive connection timing out is no error
                return
            head = self._read_head()
            if isinstance(head, Response):
                self._write(head)
                self._linger()
                return
            if head is None or self.server.ending:
                self.close_connection = True
                return
            self._arrived = self.server.site.clock()
            if not self._parse_head(head):
                return
            self._served += 1
            self._respond()
            self.wfile.flush()
        except TimeoutError:
            self.close_connection = True
            if not self._responding:
                with contextlib.suppress(OSError):  # the client may be gone as well as slow
                    self._write(api_error(408, "the request did not arrive in time (request_timeout)", close=True))
                    self._linger()
        except (_ClientGone, OSError):
            self.close_connection = True

    def _next_request_begins(self) -> bool:
        """Wait up to request_timeout for a kept-alive connection's next request; its deadline runs from there."""
        self.connection.settimeout(self._timeout)
        try:
            begun = bool(self._reader.peek(1))
        except TimeoutError:
            return False
        self._deadline = time.monotonic() + self._timeout
        return begun

    def _read_head(self) -> bytes | Response | None:
        """The request line and headers through the empty line that ends them, or None when the client left first.

        The socket timeout bounds one read, not the head: a client sending a byte
        every few seconds would hold the thread forever.  So each read waits only
        for what is left of the request's deadline (TimeoutError after it), and
        peek-then-consume never takes bytes past the head: they are the body's.
        """
        head = bytearray()
        while True:
            left = self._deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            self.connection.settimeout(left)
            available = self._reader.peek(1)  # one recv at most, and only when nothing is buffered
            if not available:
                if head:
                    raise _ClientGone
                return None
            searched = max(0, len(head) - 2)  # the empty line may have begun in the bytes before
            head += available
            if head.startswith((b"\r", b"\n")):  # RFC 9112 §2.2: empty lines before a request line are ignored
                del head[: len(head) - len(head.lstrip(b"\r\n"))]
                searched = 0
            end = _HEAD_END.search(head, searched)
            beyond = len(head) - end.end() if end else 0
            self._reader.read1(len(available) - beyond)  # from the buffer peek filled
            if end is not None:
                return bytes(head[: end.end()])
            if b"\n" not in head[: _REQUEST_LINE_LIMIT + 1] and len(head) > _REQUEST_LINE_LIMIT:
                return api_error(414, f"the request line is longer than {_REQUEST_LINE_LIMIT} bytes", close=True)
            if len(head) > _HEAD_LIMIT:
                return api_error(431, f"the request line and headers exceed {_HEAD_LIMIT} bytes", close=True)

    def _parse_head(self, head: bytes) -> bool:
        """BaseHTTPRequestHandler.parse_request on a head already read; False when it answered an error."""
        line_end = head.index(b"\n") + 1
        self.raw_requestline = head[:line_end]
        connection_file = self.rfile
        self.rfile = io.BytesIO(head[line_end:])  # parse_request reads the header lines from rfile
        try:
            return self.parse_request()
        finally:
            self.rfile = connection_file

    def _respond(self) -> None:
        site = self.server.site
        length = self._content_length()
        if isinstance(length, Response):
            self._finish(length)
            if length.close:
                # Whatever body follows is dropped before closing: closing a socket with
                # unread bytes makes the kernel reset the connection, which can destroy
                # the answer before the client reads it.
                self._discard(_DISCARD_LIMIT)
            return
        if length > site.max_body_bytes:
            self._finish(_too_large(length, site.max_body_bytes))
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
        text = lengths[0].strip()
        if len(set(lengths)) > 1 or not _BYTE_COUNT.fullmatch(text):
            shown = ", ".join(length[:40] for length in lengths)
            return api_error(400, f"Content-Length {shown!r} is not one byte count", close=True)
        if len(text.lstrip("0")) > _MAX_LENGTH_DIGITS:
            return _too_large(text, self.server.site.max_body_bytes)
        return int(text)

    def handle_expect_100(self) -> bool:
        # A client that asks before sending a body too big hears 413 before sending it.
        length = self._content_length()
        if isinstance(length, int) and length > self.server.site.max_body_bytes:
            self._finish(_too_large(length, self.server.site.max_body_bytes))
            return False
        if isinstance(length, Response) and length.status == 413:
            self._finish(length)
            return False
        return super().handle_expect_100()

    # -- reading bodies under a deadline -------------------------------------------

    def _read_body(self, length: int) -> bytes | None:
        """The body, or None when it does not arrive by the request's deadline."""
        received = b"".join(self._chunks(length, self._deadline))
        return received if len(received) == length else None

    def _discard(self, length: int) -> None:
        """Read and drop up to length bytes, until the client closes, for at most request_timeout."""
        try:
            for _ in self._chunks(min(length, _DISCARD_LIMIT), time.monotonic() + self._timeout):
                pass
        except (_ClientGone, OSError):
            pass

    def _chunks(self, length: int, deadline: float) -> Iterator[bytes]:
        """Up to length bytes of body, ending early at the deadline."""
        # The socket timeout bounds each read; the deadline bounds them all, so a client
        # trickling a byte at a time cannot hold a thread forever.
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

    def _linger(self) -> None:
        """After a last answer to a client that may still be sending: end our side, drop what it sends until it closes.

        Closing with its bytes unread would make the kernel reset the connection,
        which can destroy the answer before the client reads it.  Bounded by _LINGER.
        """
        deadline = time.monotonic() + _LINGER
        with contextlib.suppress(OSError):  # TimeoutError at the end of _LINGER, or the client reset
            self.connection.shutdown(socket.SHUT_WR)
            while (left := deadline - time.monotonic()) > 0:
                self.connection.settimeout(left)
                if not self.connection.recv(_CHUNK):
                    return

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
                body=kept(body),
                status=response.status,
                at=self._arrived,
                body_size=len(body),
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


def _too_large(length: int | str, limit: int) -> Response:
    size = f"{length} bytes" if isinstance(length, int) else f"a {len(length)}-digit number of bytes"
    return api_error(413, f"the body is {size}; this server takes at most {limit} bytes", close=True)
