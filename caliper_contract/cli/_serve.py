"""``caliper-contract serve``: the fake Timeback Events API as a process, until Ctrl-C.

For trying a sender by hand, or testing one written in another language.  It
listens on a loopback address only.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from types import FrameType

from caliper_contract.cli._arguments import rule_list
from caliper_contract.testing import defaults

HELP = "run a fake Timeback Events API on 127.0.0.1 for integration tests"


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8080, help="port to listen on; 0 picks a free one (default 8080)")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on (default 127.0.0.1)")
    parser.add_argument("--client-id", help="the OAuth2 client id to accept (default: generated)")
    parser.add_argument("--client-secret", help="the OAuth2 client secret to accept (default: generated)")
    parser.add_argument("--spec", metavar="FILE", help="another OpenAPI 3.1 document to check envelopes against")
    parser.add_argument("--strict", action="store_true", help="reject envelopes with warnings too")
    parser.add_argument(
        "--ignore",
        action="extend",
        type=rule_list,
        default=[],
        metavar="RULE",
        help="skip a rule (repeatable, or comma-separated)",
    )
    parser.add_argument(
        "--token-ttl", type=float, default=defaults.TOKEN_TTL, metavar="SECONDS", help="access token lifetime"
    )
    parser.add_argument(
        "--max-body-bytes", type=int, default=defaults.MAX_BODY_BYTES, metavar="N", help="largest request body taken"
    )


def run_serve(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C (or SIGTERM); exit status 0, or 2 when the server cannot start."""
    # Imported here: every `caliper-contract` command builds this parser, and only serve needs a server.
    from caliper_contract.contract import Contract
    from caliper_contract.errors import SpecError
    from caliper_contract.testing.server import FakeTimebackServer

    try:
        contract = Contract.from_openapi(args.spec) if args.spec else Contract.default()
        server = FakeTimebackServer(
            contract=contract,
            strict=args.strict,
            ignore=args.ignore,
            client_id=args.client_id,
            client_secret=args.client_secret,
            token_ttl=args.token_ttl,
            max_body_bytes=args.max_body_bytes,
            host=args.host,
            port=args.port,
        )
        server.start()
    except (SpecError, ValueError) as error:  # UnknownRuleError is a ValueError
        print(f"caliper-contract serve: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(
            f"caliper-contract serve: error: cannot listen on {args.host}:{args.port}: {error.strerror or error}",
            file=sys.stderr,
        )
        return 2
    log = logging.getLogger("caliper_contract.testing")
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    level = log.level
    log.setLevel(logging.INFO)
    restore = _stop_on_sigterm()
    try:
        print(f"Fake Timeback Events API on {server.url} (Ctrl-C stops it)")
        print(f"  token URL:     {server.token_url}")
        print(f"  events URL:    {server.event_url}")
        print(f"  validate URL:  {server.validate_url}")
        print(f"  client id:     {server.client_id}")
        print(f"  client secret: {server.client_secret}")
        print(f"  contract:      {contract.document.source}{' (strict)' if args.strict else ''}", flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        restore()
        server.stop()
        log.removeHandler(handler)
        log.setLevel(level)
    print(f"stopped: {len(server.received)} envelope(s) accepted, {len(server.rejected)} rejected", flush=True)
    return 0


def serve_main(argv: Sequence[str] | None = None) -> int:
    """``caliper-contract serve [options]`` as a function; returns the exit status."""
    parser = argparse.ArgumentParser(prog="caliper-contract serve", description=HELP)
    add_serve_arguments(parser)
    return run_serve(parser.parse_args(argv))


def _stop_on_sigterm() -> Callable[[], object]:
    """Let SIGTERM stop the server as Ctrl-C does; returns what puts the old handler back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # signal handlers can only be set from the main thread

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    return lambda: signal.signal(signal.SIGTERM, previous)
