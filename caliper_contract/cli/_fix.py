"""``check --fix``, ``--diff`` and ``--unsafe-fixes``: the command's wiring of :mod:`caliper_contract._filefix`.

``--fix`` rewrites each payload file with the fixes of what it breaks, and the
files are then checked as ``check`` checks them, so the report and the exit
status are about what is left.  ``--diff`` prints what ``--fix`` would change,
as a unified diff, and writes nothing: exit status 1 when there is something
to fix (as ``ruff --diff``), 2 when a file could not be read.  Files the
expect-invalid convention names are never fixed: they are broken on purpose.
The fixes each file gets are those of the rules ``check`` reports there
(``--ignore``, ``--select``, per-file ignores); unsafe ones only with
``--unsafe-fixes``, which also adds them to SARIF output.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from caliper_contract._filefix import FileChanged, LocatedFix, plan, unified_diff, write
from caliper_contract._files import Finding, Source
from caliper_contract._fixes import Fixer
from caliper_contract.cli import _output
from caliper_contract.cli._check import FileChecker
from caliper_contract.cli._render import FixCounts, FixKey, Run, text
from caliper_contract.rules import RULES


@dataclass(frozen=True)
class Fixing:
    """What fixing the files of one run did, or with ``--diff`` would do."""

    counts: FixCounts
    #: Files that could not be written, or changed while being fixed: what to say of each (exit status 2).
    failures: tuple[str, ...] = ()
    #: Files, or texts in them, that could not be read, and arguments that named no file.
    problems: tuple[Finding, ...] = ()
    diff: str = ""


def fix_files(sources: Iterable[Source | Finding], checker: FileChecker, *, unsafe: bool, writing: bool) -> Fixing:
    """Fix (``writing``) or plan the fixes of every source; never raises for what a file holds."""
    options = checker.options
    fixes = files = left_alone = 0
    failures: list[str] = []
    problems: list[Finding] = []
    diffs: list[str] = []
    for source in sources:
        if isinstance(source, Finding):
            problems.append(source)
            continue
        assert source.path is not None  # standard input is refused before
        if options.expected_invalid(source.path) is not None:
            left_alone += 1
            continue
        fixer = Fixer(checker.contract, unsafe=unsafe, ignore=options.ignored_in(source.path), select=options.select)
        planned = plan(source, fixer, options.kind)
        problems += planned.problems
        if not planned.changes:
            continue
        try:
            if writing:
                write(planned)
            else:
                diffs.append(unified_diff(planned))
        except FileChanged as error:
            failures.append(f"not fixed: {error}")
            continue
        except OSError as error:
            failures.append(f"cannot fix {source.name}: {error.strerror or error}")
            continue
        fixes += len(planned.fixes)
        files += 1
    return Fixing(FixCounts(fixes, files, left_alone), tuple(failures), tuple(problems), "".join(diffs))


def show_diff(
    sources: Iterable[Source | Finding], checker: FileChecker, *, unsafe: bool, quiet: bool, output: str | None
) -> int:
    """``check --diff``: the diff on standard output (or ``output``), what could not be read and a summary on
    standard error; the exit status."""
    fixing = fix_files(sources, checker, unsafe=unsafe, writing=False)
    try:
        _output.write(fixing.diff, output)
    except BrokenPipeError:
        _output.stop_writing()
    except _output.OutputError as error:
        _output.error_line("caliper-contract", str(error))
        return 2
    if sys.stderr is not None and fixing.problems:
        sys.stderr.write(text(Run(fixing.problems, 0, quiet=True)))
    report_failures(fixing)
    if sys.stderr is not None and not quiet:
        print(diff_summary(fixing.counts), file=sys.stderr)
    return 2 if fixing.problems or fixing.failures else 1 if fixing.diff else 0


def report_failures(fixing: Fixing) -> None:
    """Each file that could not be fixed, one line on standard error."""
    for failure in fixing.failures:
        _output.error_line("caliper-contract", failure)


def diff_summary(counts: FixCounts) -> str:
    """What ``--diff`` would fix, in one line."""
    words = f"would fix {counts.in_words()}" if counts.fixes else "nothing to fix"
    return "; ".join([words, *counts.left_alone_words()])


def suggested(
    sources: Iterable[Source | Finding], checker: FileChecker, findings: Sequence[Finding], *, unsafe: bool
) -> dict[FixKey, LocatedFix]:
    """The fix of each finding that has one, for SARIF's ``fixes``: only files with such findings are read again."""
    wanted = {
        finding.file
        for finding in findings
        if finding.rule is not None and (fix := RULES[finding.rule].fix) is not None and (fix.safe or unsafe)
    }
    found: dict[FixKey, LocatedFix] = {}
    options = checker.options
    for source in sources:
        if isinstance(source, Finding) or source.path is None or source.name not in wanted:
            continue
        fixer = Fixer(checker.contract, unsafe=unsafe, ignore=options.ignored_in(source.path), select=options.select)
        for located in plan(source, fixer, options.kind).fixes:
            found[(located.file, located.line, located.column, located.pointer, located.fix.rule)] = located
    return found
