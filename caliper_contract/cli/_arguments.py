"""Argument types shared by the commands, and argument groups kept out of the command module."""

from __future__ import annotations

import argparse


def rule_list(value: str) -> list[str]:
    """The argparse type of options that take rule ids: `--ignore a,b` and `--ignore a --ignore b` both work."""
    ids = [item.strip() for item in value.split(",") if item.strip()]
    if not ids:
        raise argparse.ArgumentTypeError("expected a rule id, as `caliper-contract rules` lists them")
    return ids


def fix_arguments(parser: argparse.ArgumentParser) -> None:
    """``check --fix``, ``--diff`` and ``--unsafe-fixes`` (see :mod:`caliper_contract.cli._fix`)."""
    parser.add_argument(
        "--fix",
        action="store_true",
        help="rewrite payload files with the fixes of what they break (formatting kept), then report what is left",
    )
    parser.add_argument(
        "--diff",
        action="store_true",
        help="print what --fix would change as a unified diff, write nothing; exit 1 when there is something to fix",
    )
    parser.add_argument(
        "--unsafe-fixes",
        action="store_true",
        help="also make the fixes that may not be what was meant (with --fix or --diff, and in SARIF output)",
    )
