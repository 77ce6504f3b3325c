"""Argument types shared by the commands."""

from __future__ import annotations

import argparse


def rule_list(value: str) -> list[str]:
    """The argparse type of options that take rule ids: `--ignore a,b` and `--ignore a --ignore b` both work."""
    ids = [item.strip() for item in value.split(",") if item.strip()]
    if not ids:
        raise argparse.ArgumentTypeError("expected a rule id, as `caliper-contract rules` lists them")
    return ids
