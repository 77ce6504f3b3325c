"""The ``caliper-contract`` command: check JSON fixture files against the contract.

Exit codes: 0 nothing wrong, 1 violations, 2 a file could not be read or the
command was misused.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from caliper_contract.checker import Contract
from caliper_contract.openapi import SpecError
from caliper_contract.rules import UnknownRuleError

_SUFFIXES = (".json", ".jsonl", ".ndjson")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="caliper-contract", description="Check Caliper envelopes against the Timeback Events API contract."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="check JSON files or folders of them")
    check.add_argument("paths", nargs="+", metavar="PATH", help="a .json file, or a folder to search for them")
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    check.add_argument("--ignore", action="append", default=[], metavar="RULE", help="skip a rule (repeatable)")
    check.add_argument("--spec", metavar="FILE", help="another OpenAPI 3.1 document to check against")
    return parser


def _files(paths: Sequence[str]) -> Iterator[Path]:
    for name in paths:
        path = Path(name)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.suffix in _SUFFIXES and p.is_file())
        else:
            yield path


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        contract = Contract.from_openapi(args.spec) if args.spec else Contract.default()
        contract.validate({}, ignore=args.ignore)  # checks the rule ids up front
    except (SpecError, UnknownRuleError) as error:
        print(f"caliper-contract: error: {error}", file=sys.stderr)
        return 2
    unusable = violations = 0
    for path in _files(args.paths):
        try:
            text = path.read_bytes()
        except OSError as error:
            print(f"{path}: error: cannot read: {error.strerror or error}")
            unusable += 1
            continue
        report = contract.validate(text, strict=args.strict, ignore=args.ignore)
        for violation in report:
            print(f"{path}: {violation.severity} {violation.rule} {violation.path or '/'}: {violation.message}")
        if any(v.rule.startswith("json.") for v in report):
            unusable += 1
        elif not report.ok:
            violations += 1
    return 2 if unusable else 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
