"""OAuth2 for the fake server: the client-credentials token endpoint and bearer checks.

``POST /oauth2/token`` follows RFC 6749 §4.4 (client credentials grant), with
client authentication by form fields or HTTP Basic (§2.3.1) and errors in the
§5.2 shape.  Bearer tokens are checked as RFC 6750 §3 describes, against a
clock the caller may replace so tests can expire a token without sleeping.
"""

from __future__ import annotations

import base64
import hmac
import math
import secrets
import threading
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import Message

from caliper_contract.testing.arguments import seconds as _seconds
from caliper_contract.testing.wire import Request, Response, api_error

Clock = Callable[[], float]

_FORM = "application/x-www-form-urlencoded"
_NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))  # RFC 6749 §5.1
_REALM = 'realm="timeback"'


class ManualClock:
    """A clock that moves only when told: pass it as ``clock=`` and call :meth:`advance`."""

    def __init__(self, start: float = 0.0) -> None:
        if isinstance(start, bool) or not isinstance(start, (int, float)) or not math.isfinite(start):
            raise ValueError(f"ManualClock starts at a finite number of seconds, got {start!r}")
        self._now = float(start)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        if isinstance(seconds, (int, float)) and seconds < 0:
            raise ValueError(f"a clock cannot go back: advance({seconds})")
        step = _seconds("advance", seconds, zero=True)
        with self._lock:
            self._now += step


@dataclass(frozen=True)
class _Grant:
    client_id: str
    expires_at: float


def media_type(headers: Message) -> tuple[str | None, str | None]:
    """The Content-Type's media type (lower case) and charset, or None when absent."""
    if headers.get("Content-Type") is None:
        return None, None
    # email.message parses the parameters (quoting, case) as RFC 9110 describes.
    parsed = Message()
    parsed["Content-Type"] = headers["Content-Type"]
    return parsed.get_content_type(), parsed.get_content_charset()


class TokenIssuer:
    """Issues bearer tokens to configured clients and checks them later."""

    def __init__(self, clients: Mapping[str, str], *, ttl: float, clock: Clock, scopes: frozenset[str]) -> None:
        self._clients = dict(clients)
        self._ttl = ttl
        self._clock = clock
        self._scopes = scopes  # empty: the contract names none, so any scope is granted
        self._grants: dict[str, _Grant] = {}
        self._lock = threading.Lock()

    def issue(self, client_id: str) -> str:
        if client_id not in self._clients:
            raise ValueError(f"unknown client_id {client_id!r}")
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._grants[token] = _Grant(client_id, self._clock() + self._ttl)
        return token

    # -- POST /oauth2/token ------------------------------------------------------

    def token_endpoint(self, request: Request) -> Response:
        content_type, _ = media_type(request.headers)
        if content_type != _FORM:
            got = "no Content-Type header" if content_type is None else content_type
            return _oauth_error(
                400, "invalid_request", f"the token request must be sent as Content-Type: {_FORM}, got {got}"
            )
        try:
            pairs = urllib.parse.parse_qsl(request.body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            return _oauth_error(400, "invalid_request", "the form body is not UTF-8 text")
        params: dict[str, str] = {}
        for name, value in pairs:
            if name in params:  # RFC 6749 §3.2: parameters MUST NOT be included more than once
                return _oauth_error(400, "invalid_request", f"the parameter {name} appears more than once")
            params[name] = value
        client = self._authenticate(request.headers.get("Authorization"), params)
        if isinstance(client, Response):
            return client
        grant_type = params.get("grant_type")
        if grant_type is None:
            return _oauth_error(400, "invalid_request", "grant_type is missing: send grant_type=client_credentials")
        if grant_type != "client_credentials":
            return _oauth_error(
                400, "unsupported_grant_type", f"grant_type {grant_type!r} is not supported: use client_credentials"
            )
        requested = params.get("scope")
        unknown = sorted(set((requested or "").split()) - self._scopes) if self._scopes else []
        if unknown:
            return _oauth_error(400, "invalid_scope", f"unknown scope {unknown[0]!r}; known: {sorted(self._scopes)}")
        body: dict[str, object] = {
            "access_token": self.issue(client),
            "token_type": "Bearer",
            "expires_in": math.ceil(self._ttl),
        }
        if requested:
            body["scope"] = requested
        return Response(200, body, _NO_STORE)

    def _authenticate(self, authorization: str | None, params: dict[str, str]) -> str | Response:
        basic = _basic_credentials(authorization)
        if isinstance(basic, Response):
            return basic
        if basic is not None:
            if "client_secret" in params:
                return _oauth_error(
                    400, "invalid_request", "authenticate the client one way: HTTP Basic or client_secret, not both"
                )
            if params.get("client_id", basic[0]) != basic[0]:
                return _oauth_error(400, "invalid_request", "client_id in the body differs from the HTTP Basic user")
            client_id, secret = basic
        elif "client_id" in params and "client_secret" in params:
            client_id, secret = params["client_id"], params["client_secret"]
        else:
            return _invalid_client(
                "client authentication is missing: send client_id and client_secret in the form, or HTTP Basic"
            )
        expected = self._clients.get(client_id)
        if expected is None:
            return _invalid_client(f"unknown client_id {client_id!r}")
        if not hmac.compare_digest(expected.encode(), secret.encode()):
            return _invalid_client(f"wrong client_secret for client_id {client_id!r}")
        return client_id

    # -- bearer tokens on the API endpoints ----------------------------------------

    def bearer_client(self, request: Request) -> str | Response:
        """The client whose live token the request carries, else the 401 to send."""
        authorization = request.headers.get("Authorization")
        if authorization is None:
            return _unauthorised(
                "missing bearer token: send 'Authorization: Bearer <token>' with a token from POST /oauth2/token",
                None,
            )
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _unauthorised(
                f"the Authorization header must be 'Bearer <token>', got {scheme!r} credentials",
                "malformed credentials",
            )
        with self._lock:
            grant = self._grants.get(token.strip())
        if grant is None:
            return _unauthorised("the bearer token is not one this server issued", "unknown token")
        now = self._clock()
        if now >= grant.expires_at:
            return _unauthorised(
                f"the bearer token expired {now - grant.expires_at:.0f} s ago: get a new one from POST /oauth2/token",
                "the access token expired",
            )
        return grant.client_id


def _basic_credentials(authorization: str | None) -> tuple[str, str] | Response | None:
    if authorization is None:
        return None
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, colon, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):  # binascii.Error, and non-ASCII text such as "Basic éé"
        return _invalid_client("the HTTP Basic credentials are not base64 of UTF-8 'client_id:client_secret'")
    if not colon:
        return _invalid_client("the HTTP Basic credentials have no ':' between client_id and client_secret")
    # RFC 6749 §2.3.1: both are form-urlencoded before they are joined and encoded.
    return urllib.parse.unquote_plus(user), urllib.parse.unquote_plus(password)


def _oauth_error(
    status: int, error: str, description: str, headers: tuple[tuple[str, str], ...] = _NO_STORE
) -> Response:
    return Response(status, {"error": error, "error_description": description}, headers)


def _invalid_client(description: str) -> Response:
    # RFC 6749 §5.2: 401 with a challenge for the scheme the client may use.
    return _oauth_error(401, "invalid_client", description, (*_NO_STORE, ("WWW-Authenticate", f"Basic {_REALM}")))


def _unauthorised(message: str, error_description: str | None) -> Response:
    challenge = f"Bearer {_REALM}"
    if error_description is not None:  # RFC 6750 §3: no error code when no credentials were sent
        challenge += f', error="invalid_token", error_description="{error_description}"'
    return api_error(401, message, headers=(("WWW-Authenticate", challenge),))
