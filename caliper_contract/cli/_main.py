"""The ``caliper-contract`` command (also ``python -m caliper_contract``).

Subcommands are entries of :data:`COMMANDS`: a name, a help line, a function
that adds its arguments and one that runs it and returns the exit status.  A
command imports what it needs when it runs, so ``check`` never loads
Hypothesis and ``rules`` never loads the OpenAPI document.

Exit status: 0 nothing wrong, 1 violations, 2 a file could not be read or
parsed or held no payload, or the command was misused, or its output could not
be written (:mod:`caliper_contract.cli._output`).  A reader that goes away early
(``| head``) changes nothing: output stops quietly, and ``check`` still exits
with the status of what it found.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from caliper_contract import __version__
from caliper_contract.cli import _output, _serve
from caliper_contract.cli._arguments import fix_arguments, rule_list

if TYPE_CHECKING:
    from caliper_contract._filefix import LocatedFix
    from caliper_contract._files import Finding
    from caliper_contract._paths import PathPatterns
    from caliper_contract.cli._check import FileChecker
    from caliper_contract.cli._fix import Fixing
    from caliper_contract.cli._render import FixKey
    from caliper_contract.contract import Contract
    from caliper_contract.settings import Settings

PROG = "caliper-contract"
FORMATS = ("text", "json", "github", "sarif")
EXAMPLES = ("activity", "timespent")
OK, VIOLATIONS, UNUSABLE = 0, 1, 2


class UsageError(Exception):
    """The command was misused (bad option, unknown rule, unusable spec or config): exit status 2."""


@dataclass(frozen=True)
class Command:
    """One subcommand."""

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# -- shared options -------------------------------------------------------------


def _contract_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--spec", metavar="FILE", help="another OpenAPI 3.1 document to check against (default: the bundled one)"
    )
    parser.add_argument(
        "--strict",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="count warnings as errors (--no-strict overrides pyproject.toml)",
    )


def _settings() -> Settings:
    from caliper_contract.errors import ConfigError
    from caliper_contract.settings import discover

    try:
        return discover(_cwd())
    except ConfigError as error:
        raise UsageError(str(error)) from None


def _cwd() -> Path:
    try:
        return Path.cwd()
    except OSError as error:  # deleted while the command was starting, or never reachable
        raise UsageError(f"the current folder cannot be used: {error.strerror or error}") from None


def _contract(args: argparse.Namespace, settings: Settings) -> Contract:
    from caliper_contract.contract import Contract
    from caliper_contract.errors import SpecError

    spec = args.spec if args.spec is not None else settings.spec
    try:
        return Contract.from_openapi(spec) if spec is not None else Contract.default()
    except SpecError as error:
        raise UsageError(str(error)) from None


# -- check ----------------------------------------------------------------------


def _check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="a .json, .jsonl or .ndjson file, a folder to search for them, a glob, or - for standard input",
    )
    parser.add_argument("--format", choices=FORMATS, default="text", help="how to print what is found (default: text)")
    parser.add_argument(
        "--color", choices=("auto", "always", "never"), default="auto", help="colour text output (auto: on a terminal)"
    )
    _contract_arguments(parser)
    parser.add_argument(
        "--ignore",
        action="extend",
        type=rule_list,
        metavar="RULE",
        help="skip a rule (repeatable, or comma-separated)",
    )
    parser.add_argument(
        "--select",
        action="extend",
        type=rule_list,
        metavar="RULE",
        help="report only these rules (repeatable, or comma-separated); unreadable files are always reported",
    )
    parser.add_argument(
        "--kind",
        choices=("auto", "envelope", "event"),
        default="auto",
        help="what each payload is (auto: an event has action/eventTime/profile and no envelope keys)",
    )
    parser.add_argument(
        "--stdin-name",
        default="<stdin>",
        metavar="NAME",
        help="the name of standard input in reports; a .jsonl or .ndjson name reads it a payload per line",
    )
    parser.add_argument(
        "--jobs",
        type=_jobs,
        default="auto",
        metavar="N",
        help="check with N worker processes; auto (the default): one per core, once there is enough to check",
    )
    _check_more_arguments(parser)


def _jobs(text: str) -> int | str:
    if text == "auto":
        return text
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a number of workers (1 or more) or auto, got {text!r}")
    return int(text)


def _check_more_arguments(parser: argparse.ArgumentParser) -> None:
    from caliper_contract._paths import DEFAULT_EXPECT_INVALID

    parser.add_argument(
        "--exclude",
        action="append",
        metavar="PATTERN",
        help="pass over files and folders this path pattern matches, named ones too (repeatable; replaces exclude "
        "from pyproject.toml)",
    )
    parser.add_argument(
        "--expect-invalid",
        action="append",
        metavar="PATTERN",
        help="files each of whose payloads must break the contract (repeatable; default: "
        f"{' '.join(DEFAULT_EXPECT_INVALID)}, or expect-invalid from pyproject.toml)",
    )
    parser.add_argument(
        "--no-expect-invalid", action="store_true", help="no file must break the contract: check every file as valid"
    )
    parser.add_argument("--statistics", action="store_true", help="print how often each rule was broken, not where")
    parser.add_argument("-q", "--quiet", action="store_true", help="print errors only: no warnings, no summary")
    parser.add_argument(
        "--exit-zero", action="store_true", help="exit 0 even when errors are found (not when a file cannot be read)"
    )
    parser.add_argument("-o", "--output-file", metavar="FILE", help="write the report to FILE, not standard output")
    fix_arguments(parser)


def _check(args: argparse.Namespace) -> int:
    from caliper_contract._files import STDIN, Finding
    from caliper_contract.cli import _fix
    from caliper_contract.cli._check import FileChecker, Tally
    from caliper_contract.cli._discover import sources
    from caliper_contract.cli._render import REPORTERS, STATISTICS, Run
    from caliper_contract.cli._settle import OptionError, check_options, exclusions
    from caliper_contract.errors import SpecError

    if args.statistics and args.format not in STATISTICS:
        raise UsageError(f"--statistics works with --format {' or '.join(STATISTICS)}, not {args.format}")
    if STDIN in args.paths and sys.stdin is None:
        raise UsageError("standard input is closed: there is nothing to read for -")
    if STDIN in args.paths and (args.fix or args.diff):
        raise UsageError(f"--{'fix' if args.fix else 'diff'} rewrites files: standard input (-) cannot be fixed")
    settings = _settings()
    try:
        options = check_options(args, settings, _cwd())
        exclude = exclusions(args, settings, _cwd())
    except OptionError as error:  # an unknown rule id, a bad pattern
        raise UsageError(str(error)) from None
    checker = FileChecker(_contract(args, settings), options)

    tally = Tally()
    try:
        fixing = _fix_files(args, checker, exclude)
        if isinstance(fixing, int):
            return fixing  # --diff
        found = sources(args.paths, stdin_name=args.stdin_name, exclude=exclude)
        if args.jobs == 1:
            for source in found:
                tally.add(source if isinstance(source, Finding) else checker.check(source))
        else:
            from caliper_contract.cli._parallel import check_in_order, usable_cores

            jobs = usable_cores() if args.jobs == "auto" else args.jobs
            for result in check_in_order(checker, found, jobs, auto=args.jobs == "auto"):
                tally.add(result)
    except SpecError as error:  # --kind event with a document that has no Event schema
        raise UsageError(str(error)) from None
    shown = [finding for finding in tally.findings if finding.severity == "error"] if args.quiet else tally.findings
    color = args.format == "text" and _use_color(args.color, args.output_file)
    fixed = None if fixing is None else fixing.counts
    fixes = _fixes_for(args, checker, exclude, shown)
    run = Run(
        shown, tally.files, color, tally.invalid_as_expected, tally.skipped, quiet=args.quiet, fixing=fixed, fixes=fixes
    )
    reporter = (STATISTICS if args.statistics else REPORTERS)[args.format]
    try:
        _output.write(reporter(run), args.output_file)
    except BrokenPipeError:
        # Every file was checked before anything was written: the status is still what they hold.
        _stop_writing()
    except _output.OutputError as error:
        raise UsageError(str(error)) from None
    if fixing is not None and fixing.failures:
        _fix.report_failures(fixing)
        return UNUSABLE
    return tally.status(exit_zero=args.exit_zero)


def _fix_files(args: argparse.Namespace, checker: FileChecker, exclude: PathPatterns | None) -> Fixing | int | None:
    """``--fix``: the files fixed before they are checked; ``--diff``: the diff shown, and its exit status."""
    if not (args.fix or args.diff):
        return None
    from caliper_contract.cli import _fix
    from caliper_contract.cli._discover import sources

    found = sources(args.paths, stdin_name=args.stdin_name, exclude=exclude)
    if args.diff:
        return _fix.show_diff(found, checker, unsafe=args.unsafe_fixes, quiet=args.quiet, output=args.output_file)
    return _fix.fix_files(found, checker, unsafe=args.unsafe_fixes, writing=True)


def _fixes_for(
    args: argparse.Namespace, checker: FileChecker, exclude: PathPatterns | None, findings: Sequence[Finding]
) -> dict[FixKey, LocatedFix]:
    """SARIF output: the fix of each finding that has one."""
    if args.format != "sarif":
        return {}
    from caliper_contract.cli._discover import sources
    from caliper_contract.cli._fix import suggested

    found = sources(args.paths, stdin_name=args.stdin_name, exclude=exclude)
    return suggested(found, checker, findings, unsafe=args.unsafe_fixes)


def _stop_writing() -> None:
    """The reader went away (`| head`): the rest of the output goes nowhere (see :func:`_output.stop_writing`)."""
    _output.stop_writing()


def _use_color(choice: str, output_file: str | None = None) -> bool:
    if choice != "auto" or output_file is not None:
        return choice == "always"
    # https://no-color.org: a non-empty NO_COLOR turns colour off.
    return not os.environ.get("NO_COLOR") and sys.stdout.isatty()


# -- rules, explain -------------------------------------------------------------


def _rules_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text")


def _rules(args: argparse.Namespace) -> int:
    from caliper_contract.rules import RULES

    if args.format == "json":
        rules = [
            {
                "id": r.id,
                "severity": r.severity,
                "title": r.title,
                "source": r.source,
                "explanation": r.explanation,
                "fix": r.fix and {"applicability": r.fix.applicability, "description": r.fix.description},
            }
            for r in RULES.values()
        ]
        print(json.dumps(rules, indent=2))
        return OK
    width = max(len(rule_id) for rule_id in RULES)
    for rule in RULES.values():
        fix = "" if rule.fix is None else " [fix]" if rule.fix.safe else " [unsafe fix]"
        print(f"{rule.id:<{width}}  {rule.severity:<7}  {rule.title}{fix}")
    return OK


def _explain_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rule", metavar="RULE", help="a rule id, as `caliper-contract rules` lists them")


def _explain(args: argparse.Namespace) -> int:
    from caliper_contract._breaches import DELETE
    from caliper_contract._jsonvalue import show
    from caliper_contract.errors import UnknownRuleError
    from caliper_contract.rules import get_rule

    try:
        rule = get_rule(args.rule)
    except UnknownRuleError as error:
        raise UsageError(str(error)) from None
    lines = [f"{rule.id} ({rule.severity}, source: {rule.source})", rule.title, ""]
    lines += textwrap.wrap(rule.explanation, width=88)
    breach = rule.breach
    if breach is not None:
        lines += ["", "Example of a payload that breaks it:"]
        if breach.text is not None:
            lines.append(f"  the JSON text {breach.text}")
        else:
            lines.append(f'  the "{breach.base}" seed example, with')
            for location, value in breach.edits:
                lines.append(f"    {location} removed" if value is DELETE else f"    {location} set to {show(value)}")
        where = breach.path or "(root)"
        lines.append(f"  is reported at {where if len(where) <= 80 else where[:77] + '...'}")
    if rule.fix is not None:
        made_by = "check --fix" if rule.fix.safe else "check --fix --unsafe-fixes"
        lines += ["", *textwrap.wrap(f"Fix ({rule.fix.applicability}, made by {made_by}): {rule.fix.description}.", 88)]
    print("\n".join(lines))
    return OK


# -- schema ---------------------------------------------------------------------


def _schema(args: argparse.Namespace) -> int:
    from caliper_contract._bundle import bundled_schema
    from caliper_contract.errors import SpecError

    settings = _settings()
    strict = args.strict if args.strict is not None else bool(settings.strict)
    try:
        schema = bundled_schema(_contract(args, settings).document, strict=strict)
    except SpecError as error:
        raise UsageError(str(error)) from None
    print(json.dumps(schema, indent=2, ensure_ascii=False))
    return OK


# -- example --------------------------------------------------------------------


def _example_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", choices=EXAMPLES, help="an ActivityEvent or a TimeSpentEvent envelope")
    parser.add_argument("--seed", type=int, default=0, help="draw another example (default: 0)")


def _example(args: argparse.Namespace) -> int:
    from caliper_contract.cli._example import example_envelope

    envelope: Any = example_envelope(args.kind, seed=args.seed)
    print(json.dumps(envelope, indent=2, ensure_ascii=False))
    return OK


COMMANDS: tuple[Command, ...] = (
    Command("check", "check JSON payload files against the contract", _check_arguments, _check),
    Command("rules", "list every rule: id, severity, title", _rules_arguments, _rules),
    Command("explain", "explain one rule, with an example of breaking it", _explain_arguments, _explain),
    Command("schema", "print the contract as one JSON Schema (Draft 2020-12)", _contract_arguments, _schema),
    Command("example", "print a valid example envelope", _example_arguments, _example),
    Command("serve", _serve.HELP, _serve.add_serve_arguments, _serve.run_serve),
)


def parser() -> argparse.ArgumentParser:
    main_parser = argparse.ArgumentParser(
        prog=PROG, description="Check Caliper envelopes against the Timeback Events API contract, offline."
    )
    main_parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = main_parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.arguments(commands.add_parser(command.name, help=command.help, description=command.help))
    return main_parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit status."""
    if isinstance(sys.stdout, io.TextIOWrapper):
        # Messages quote payload text: never fail on a console that cannot show a character.
        sys.stdout.reconfigure(errors="backslashreplace")
    args = parser().parse_args(argv)
    run = next(command.run for command in COMMANDS if command.name == args.command)
    try:
        if sys.stdout is None and getattr(args, "output_file", None) is None:
            raise UsageError(_output.closed_stdout())
        status = run(args)
        if sys.stdout is not None:
            sys.stdout.flush()  # here, so that a reader gone away is met here and not as Python exits
        return status
    except UsageError as error:
        _output.error_line(PROG, str(error))
        return UNUSABLE
    except BrokenPipeError:
        # check keeps its own status (see _check); for the others the output is the result, read as far as wanted.
        _stop_writing()
        return OK
    except OSError as error:  # standard output full or failing (read errors are findings, never raised)
        _output.error_line(PROG, _output.cannot_write(error))
        return UNUSABLE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
