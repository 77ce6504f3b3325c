"""The options of ``caliper-contract check``, settled from its command line and ``[tool.caliper-contract]``.

The command line wins: each option given there replaces the setting (a list
is replaced, not extended).  Path patterns from pyproject.toml are relative to
its folder; patterns given on the command line, to the current folder.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from caliper_contract._paths import ExpectInvalid, PathPatterns, PatternError
from caliper_contract.cli._check import Options
from caliper_contract.errors import UnknownRuleError
from caliper_contract.rules import check_ignorable, check_rule_ids
from caliper_contract.settings import TABLE, Settings


class OptionError(ValueError):
    """An option or setting that cannot be used, in words that name it."""


def check_options(args: argparse.Namespace, settings: Settings, cwd: Path) -> Options:
    """The :class:`Options` of one run; :class:`OptionError` naming what is wrong."""
    table = f"{settings.source} [{TABLE}]"
    ignore_where = "--ignore" if args.ignore is not None else table
    ignore = _ignorable(
        _rule_ids(args.ignore if args.ignore is not None else settings.ignore or (), ignore_where), ignore_where
    )
    select = (
        _rule_ids(args.select, "--select")
        if args.select is not None
        else None
        if settings.select is None
        else _rule_ids(settings.select, table)
    )
    strict = args.strict if args.strict is not None else bool(settings.strict)
    base = settings.base or cwd
    per_file = []
    for pattern, ids in settings.per_file_ignores or ():
        where = f"{settings.source} [{TABLE}.per-file-ignores] {pattern!r}"
        per_file.append((_patterns((pattern,), base, where), _ignorable(_rule_ids(ids, where), where)))
    return Options(strict, ignore, select, args.kind, _expect_invalid(args, settings, cwd), tuple(per_file))


def exclusions(args: argparse.Namespace, settings: Settings, cwd: Path) -> PathPatterns | None:
    """What ``--exclude`` (or ``exclude`` in pyproject.toml) passes over; None for nothing."""
    if args.exclude is not None:
        patterns = _patterns(args.exclude, cwd, "--exclude")
    elif settings.exclude:
        patterns = _patterns(settings.exclude, settings.base or cwd, f"{settings.source} [{TABLE}] exclude")
    else:
        return None
    return patterns or None


def _expect_invalid(args: argparse.Namespace, settings: Settings, cwd: Path) -> ExpectInvalid | None:
    if args.no_expect_invalid:
        return None
    if args.expect_invalid is not None:
        return ExpectInvalid(_patterns(args.expect_invalid, cwd, "--expect-invalid"), "given with --expect-invalid")
    if settings.expect_invalid is not None:
        where = f"set in {settings.source}"
        patterns = _patterns(settings.expect_invalid, settings.base or cwd, f"{settings.source} expect-invalid")
        return ExpectInvalid(patterns, where) if patterns else None
    return ExpectInvalid.default(settings.base or cwd)


def _patterns(texts: Sequence[str], base: Path, where: str) -> PathPatterns:
    try:
        return PathPatterns(texts, base)
    except PatternError as error:
        raise OptionError(f"{where}: {error}") from None


def _rule_ids(ids: Sequence[str], where: str) -> frozenset[str]:
    try:
        return check_rule_ids(ids)
    except UnknownRuleError as error:
        raise OptionError(f"{where}: {error}") from None


def _ignorable(ids: frozenset[str], where: str) -> frozenset[str]:
    try:
        return check_ignorable(ids)
    except UnknownRuleError as error:
        raise OptionError(f"{where}: {error}") from None
