"""What the pytest plugin does, kept apart from its hooks (:mod:`caliper_contract.pytest_plugin.plugin`).

- :class:`RunState`: the settings of one pytest run (command line and ini), the
  contracts it has compiled, and the fixture files it collects.  One per
  ``pytest.Config``, so each pytest-xdist worker has its own and nothing is
  shared between sessions.
- :class:`ContractFixture`: the ``caliper_contract`` fixture's object, bound to
  the contract and settings of one test.
- :class:`PayloadMatcher`: ``caliper_contract.envelope`` / ``.event``, equal to
  any payload the contract accepts, so ``assert payload == caliper_contract.envelope``
  works; :func:`explain_comparison` renders its mismatch.
- :func:`describe`: the failure text, every violation as ``path: message [rule]``,
  errors before warnings, grouped by event.
- :class:`ContractFile` / :class:`PayloadItem`: JSON fixture files as tests, one per payload;
  which must break the contract is the command's convention
  (:class:`caliper_contract._paths.ExpectInvalid`, ``expect-invalid`` in
  ``[tool.caliper-contract]``).
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from caliper_contract._jsonvalue import show
from caliper_contract.errors import ContractError, UnknownRuleError
from caliper_contract.report import Report, Violation
from caliper_contract.rules import check_rule_ids

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr, TracebackStyle

    from caliper_contract._files import Finding, Payload, PayloadKind
    from caliper_contract._paths import ExpectInvalid
    from caliper_contract.contract import Contract

MARKER = "caliper_contract"
MARKER_HELP = (
    "caliper_contract(strict=False, ignore=[], spec=None): settings of the caliper_contract fixture for this "
    "test, class or module; each argument comes from the closest marker that sets it"
)
_MARKER_ARGUMENTS = ("strict", "ignore", "spec")
_CONTRACT_NAME = "the Timeback Events API contract"
_EVENT_PATH = re.compile(r"^/data/(\d+)(?:/|$)")


@dataclass(frozen=True)
class Settings:
    """How payloads are checked: against which document, strictly or not, ignoring which rules."""

    spec: Path | None = None  # None: the bundled document
    strict: bool = False
    ignore: tuple[str, ...] = ()


class ContractCache:
    """Compiled contracts by resolved spec path, for one pytest process.

    Compiling a contract reads and checks the OpenAPI document; this keeps it to
    once per document per process, however many tests ask.
    """

    def __init__(self) -> None:
        self._contracts: dict[Path, Contract] = {}

    def get(self, spec: Path | None) -> Contract:
        """The contract of ``spec`` (the bundled one for None); raises :class:`SpecError`."""
        # Imported here: pytest imports this module in every session of every
        # project that has caliper-contract installed, most of which never
        # compile a contract.
        from caliper_contract.contract import Contract

        if spec is None:
            return Contract.default()
        key = spec.resolve()
        contract = self._contracts.get(key)
        if contract is None:
            contract = self._contracts[key] = Contract.from_openapi(key)
        return contract


class RunState:
    """The plugin's view of one pytest run; build it with :meth:`from_config`."""

    def __init__(
        self,
        rootpath: Path,
        defaults: Settings,
        fixture_files: frozenset[Path],
        *,
        unreadable: tuple[Path, ...] = (),
        expect_invalid: ExpectInvalid | None = None,
    ) -> None:
        self.rootpath = rootpath
        self.defaults = defaults
        #: The real paths of the fixture files; each is collected once, however many paths lead to it.
        self.fixture_files = fixture_files
        #: Paths the patterns match that pytest's walk passes over (a loop of links, a named pipe): failing items.
        self.unreadable = unreadable
        self.expect_invalid = expect_invalid
        self.contracts = ContractCache()
        self._collected: set[Path] = set()

    @classmethod
    def from_config(cls, config: pytest.Config) -> RunState:
        """Read the options; raise :class:`pytest.UsageError` naming the one that is wrong."""
        spec_option = config.getoption("caliper_spec")
        spec = config.invocation_params.dir / spec_option if spec_option else None
        defaults = Settings(
            spec=spec,
            strict=bool(config.getoption("caliper_strict")),
            ignore=tuple(sorted(set(config.getini("caliper_contract_ignore")))),
        )
        patterns = config.getini("caliper_contract_files")
        if patterns:
            files, unreadable = _glob_fixture_files(config.rootpath, patterns)
            state = cls(
                config.rootpath,
                defaults,
                files,
                unreadable=unreadable,
                expect_invalid=_expect_invalid(config.rootpath),
            )
        else:
            state = cls(config.rootpath, defaults, frozenset())
        if spec is not None or defaults.ignore:
            state._check(defaults, spec_source="--caliper-spec", ignore_source="caliper_contract_ignore")
        return state

    # -- markers and the fixture ---------------------------------------------------

    def settings_for(self, item: pytest.Item) -> Settings:
        """The settings of one test: each argument from the closest marker that sets it, else the run's."""
        chosen: dict[str, Any] = {}
        for owner, mark in item.iter_markers_with_node(MARKER):
            for key, value in self._marker_arguments(f"{owner.nodeid}: @pytest.mark.{MARKER}", mark).items():
                chosen.setdefault(key, value)
        return replace(self.defaults, **chosen)

    def marker_problems(self, nodes: Iterable[pytest.Item | pytest.Collector]) -> list[str]:
        """What is wrong with the caliper_contract markers of these tests, one line per problem.

        Each marker is checked on its own (arguments, types, rule ids, whether
        its spec can serve) as its tests are collected, so misuse fails
        collection, in xdist workers too, instead of being ignored.
        """
        problems: dict[str, None] = {}  # ordered and without repeats
        seen: set[int] = set()  # a module's or class's marker is shared by all its tests
        for item in nodes:
            if not isinstance(item, pytest.Item):
                continue
            # Farthest first: a module's marker is reported before its tests' markers.
            for owner, mark in reversed(list(item.iter_markers_with_node(MARKER))):
                if id(mark) in seen:
                    continue
                seen.add(id(mark))
                where = f"{owner.nodeid}: @pytest.mark.{MARKER}"
                try:
                    arguments = self._marker_arguments(where, mark)
                    if "spec" in arguments or "ignore" in arguments:
                        self._check(replace(self.defaults, **arguments), spec_source=where, ignore_source=where)
                except pytest.UsageError as error:
                    problems.update(dict.fromkeys(str(arg) for arg in error.args))
        return list(problems)

    def fixture_for(self, item: pytest.Item) -> ContractFixture:
        from caliper_contract.errors import SpecError  # see ContractCache.get

        settings = self.settings_for(item)
        try:
            contract = self.contracts.get(settings.spec)
        except SpecError as error:  # checked at collection; only a file changed since then gets here
            pytest.fail(str(error), pytrace=False)
        return ContractFixture(contract, strict=settings.strict, ignore=settings.ignore)

    def _marker_arguments(self, where: str, mark: pytest.Mark) -> dict[str, Any]:
        if mark.args:
            raise pytest.UsageError(
                f"{where}: takes keyword arguments only (strict=, ignore=, spec=), got {len(mark.args)} positional"
            )
        arguments: dict[str, Any] = {}
        for key, value in mark.kwargs.items():
            if key == "strict":
                if not isinstance(value, bool):
                    raise pytest.UsageError(f"{where}: strict= must be True or False, got {value!r}")
                arguments[key] = value
            elif key == "ignore":
                arguments[key] = _rule_ids(value, where)
            elif key == "spec":
                if not isinstance(value, (str, os.PathLike)):
                    raise pytest.UsageError(f"{where}: spec= must be a path, got {value!r}")
                arguments[key] = self.rootpath / value
            else:
                close = difflib.get_close_matches(key, _MARKER_ARGUMENTS, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise pytest.UsageError(f"{where}: unknown argument {key!r}; {hint}it takes strict=, ignore= and spec=")
        return arguments

    def _check(self, settings: Settings, *, spec_source: str, ignore_source: str) -> None:
        """Compile the contract and try the rule ids now, so misuse stops the run before any test."""
        from caliper_contract.errors import SpecError  # see ContractCache.get

        try:
            contract = self.contracts.get(settings.spec)
        except SpecError as error:
            raise pytest.UsageError(f"{spec_source}: {error}") from None
        try:
            contract.validate({}, ignore=settings.ignore)
        except UnknownRuleError as error:  # unknown ids, and json.* rules, which cannot be ignored
            raise pytest.UsageError(f"{ignore_source}: {error}") from None

    # -- fixture files ---------------------------------------------------------------

    def collect_file(self, file_path: Path, parent: pytest.Collector) -> ContractFile | None:
        if not self.fixture_files:
            return None
        from caliper_contract._files import SUFFIXES  # see _glob_fixture_files

        if file_path.suffix.lower() not in SUFFIXES:
            return None
        # realpath, not resolve(): resolve() raises on a loop of links before Python 3.13.
        real = Path(os.path.realpath(file_path))
        if real not in self.fixture_files or real in self._collected:
            return None
        self._collected.add(real)
        return ContractFile.from_parent(parent, path=file_path, state=self)

    def unreadable_files(self, session: pytest.Session) -> list[ContractFile]:
        """A file node for each matched path pytest's own walk passes over, under the paths it collects."""
        config = session.config
        roots = [Path(os.path.abspath(config.invocation_params.dir / arg.split("::")[0])) for arg in config.args]
        return [
            ContractFile.from_parent(session, path=path, state=self)
            for path in self.unreadable
            if any(path == root or root in path.parents for root in roots)
            and not config.hook.pytest_ignore_collect(collection_path=path, config=config)
        ]

    def expects_invalid(self, path: Path) -> str | None:
        """The expect-invalid pattern that says a fixture file must break the contract, or None."""
        return None if self.expect_invalid is None else self.expect_invalid.pattern_for(path)


def _rule_ids(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, (list, tuple, set, frozenset)) or not all(isinstance(item, str) for item in value):
        raise pytest.UsageError(f"{where}: ignore= must be a list of rule ids, got {value!r}")
    try:
        check_rule_ids(value)
    except UnknownRuleError as error:
        raise pytest.UsageError(f"{where}: {error}") from None
    return tuple(sorted(set(value)))


def _glob_fixture_files(rootpath: Path, patterns: Sequence[str]) -> tuple[frozenset[Path], tuple[Path, ...]]:
    """The real paths of the fixture files the patterns match, and the matched paths that are not files to collect.

    pytest's walk passes over a path it cannot look at (a loop of links) or
    that is not a file (a named pipe): those get a failing item of their own.
    """
    # Imported here, as everything about fixture files: the reader shared with
    # the command is not needed by the many sessions that have none.
    from caliper_contract._files import SUFFIXES

    # pathlib's glob gives "**" its usual meaning (any number of folders, none
    # included) on every supported Python; fnmatch would not.
    found: set[Path] = set()
    unreadable: dict[Path, None] = {}
    for pattern in patterns:
        if not pattern or Path(pattern).is_absolute():
            raise pytest.UsageError(
                f"caliper_contract_files: {pattern!r} is not a glob pattern relative to the rootdir ({rootpath})"
            )
        for path in rootpath.glob(pattern):
            if path.suffix.lower() not in SUFFIXES:
                continue
            try:
                is_file = path.is_file()
            except OSError:  # a loop of links
                is_file = False
            if is_file:
                found.add(Path(os.path.realpath(path)))
            elif not path.is_dir():
                unreadable[path] = None
    return frozenset(found), tuple(sorted(unreadable))


def _expect_invalid(rootpath: Path) -> ExpectInvalid:
    """The expect-invalid convention of ``[tool.caliper-contract]`` above the rootdir, as the command reads it."""
    from caliper_contract._paths import DEFAULT_EXPECT_INVALID, ExpectInvalid, PathPatterns
    from caliper_contract.errors import ConfigError
    from caliper_contract.settings import discover

    try:
        settings = discover(rootpath)
    except ConfigError as error:
        raise pytest.UsageError(str(error)) from None
    base = settings.base or rootpath
    if settings.expect_invalid is None:
        return ExpectInvalid(PathPatterns(DEFAULT_EXPECT_INVALID, base), "by default")
    return ExpectInvalid(PathPatterns(settings.expect_invalid, base), f"set in {settings.source}")


# -- the fixture's object ------------------------------------------------------------


class ContractFixture:
    """The ``caliper_contract`` fixture: the contract and settings of the current test."""

    def __init__(self, contract: Contract, *, strict: bool = False, ignore: Iterable[str] = ()) -> None:
        self.contract = contract
        self.strict = strict
        self.ignore = tuple(ignore)

    def validate(self, payload: Any) -> Report:
        """Check an envelope (a parsed value, or JSON text as str/bytes)."""
        return self.contract.validate(payload, strict=self.strict, ignore=self.ignore)

    def validate_event(self, event: Any) -> Report:
        """Check one event on its own; paths are relative to it."""
        return self.contract.validate_event(event, strict=self.strict, ignore=self.ignore)

    def assert_valid(self, payload: Any) -> Report:
        """Return the report of an envelope, or raise :class:`ContractError` listing every violation."""
        __tracebackhide__ = True
        report = self.validate(payload)
        if not report.ok:
            raise contract_error(report, "envelope")
        return report

    @property
    def envelope(self) -> PayloadMatcher:
        """Equal to any envelope the contract accepts: ``assert payload == caliper_contract.envelope``."""
        return PayloadMatcher(self, "envelope")

    @property
    def event(self) -> PayloadMatcher:
        """Equal to any single event the contract accepts: ``assert event == caliper_contract.event``."""
        return PayloadMatcher(self, "event")

    def __repr__(self) -> str:
        return f"<caliper_contract {self.contract.document.source} strict={self.strict} ignore={list(self.ignore)}>"


class PayloadMatcher:
    """Compares equal to every payload the contract accepts, and to nothing else."""

    def __init__(self, fixture: ContractFixture, kind: PayloadKind) -> None:
        self.fixture = fixture
        self.kind: PayloadKind = kind

    def report(self, payload: Any) -> Report:
        if self.kind == "event":
            return self.fixture.validate_event(payload)
        return self.fixture.validate(payload)

    def __eq__(self, other: object) -> bool:
        return self.report(other).ok

    __hash__ = None  # type: ignore[assignment]  # equal to many unequal values: must not be hashed

    def __repr__(self) -> str:
        return f"caliper_contract.{self.kind}"


def explain_comparison(op: str, left: object, right: object) -> list[str] | None:
    """The ``pytest_assertrepr_compare`` text for ``payload == caliper_contract.envelope``."""
    if op != "==":
        return None
    if isinstance(right, PayloadMatcher):
        matcher, payload = right, left
    elif isinstance(left, PayloadMatcher):
        matcher, payload = left, right
    else:
        return None
    report = matcher.report(payload)
    if report.ok:  # an unrelated `and` in the same assert failed; nothing to explain here
        return None
    sides = [show(side, limit=60) if side is payload else repr(side) for side in (left, right)]
    return [f"{sides[0]} == {sides[1]}", *describe(report, matcher.kind)]


# -- failure text --------------------------------------------------------------------


def describe(report: Report, subject: str, *, where: Callable[[Violation], str] | None = None) -> list[str]:
    """Every violation as ``path: message [rule]``: errors, then warnings, each grouped by event.

    ``subject`` is "envelope" (violations are grouped by their ``/data/N`` event)
    or "event"; ``where`` prefixes each violation (a fixture file's name, line and column).
    """
    lines = [f"{subject} breaks {_CONTRACT_NAME} ({_counts(report)})"]
    for heading, violations in (("errors", report.errors), ("warnings", report.warnings)):
        if not violations:
            continue
        lines.append(f"{heading}:")
        if subject == "event":
            lines.extend(f"  {where(v) if where else ''}{v}" for v in violations)
            continue
        # A stable sort keeps the report's path order inside each group.
        for group, members in _groups(sorted(violations, key=_event_index)):
            lines.append(f"  {group}:")
            lines.extend(f"    {where(v) if where else ''}{v}" for v in members)
    return lines


def contract_error(report: Report, subject: str) -> ContractError:
    """A :class:`ContractError` whose text is :func:`describe`'s: grouped, warnings included."""
    # Same exception users catch everywhere else; only the text is the richer pytest one.
    return ContractError(report, "\n".join(describe(report, subject)))


def _counts(report: Report) -> str:
    counts = [_plural(len(report.errors), "error")]
    if report.warnings:
        counts.append(_plural(len(report.warnings), "warning"))
    return ", ".join(counts)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _event_index(violation: Violation) -> int:
    match = _EVENT_PATH.match(violation.path)
    return int(match[1]) if match else -1  # -1: about the envelope itself


def _groups(violations: list[Violation]) -> Iterator[tuple[str, list[Violation]]]:
    current: list[Violation] = []
    for violation in violations:
        if current and _event_index(current[0]) != _event_index(violation):
            yield _group_name(current[0]), current
            current = []
        current.append(violation)
    if current:
        yield _group_name(current[0]), current


def _group_name(violation: Violation) -> str:
    index = _event_index(violation)
    return "envelope" if index < 0 else f"event {index}"


# -- fixture files as tests -------------------------------------------------------------


NOT_A_PAYLOAD = "not a Caliper payload: no envelope or event keys at the top level"


class FixtureFailure(Exception):
    """A fixture file item failed; its args are the lines to show."""


class ContractFile(pytest.File):
    """A JSON fixture file matched by ``caliper_contract_files``: one test per payload.

    Files are read as ``caliper-contract check`` reads them (:func:`caliper_contract._files.read`).
    """

    def __init__(self, *, state: RunState, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.state = state

    def collect(self) -> Iterator[PayloadItem]:
        from caliper_contract._files import Source, is_not_a_payload, read  # see _glob_fixture_files

        invalid = self.state.expects_invalid(self.path)
        for text in read(Source.file(self.path, _relative_path(self.path, self.config.rootpath))):
            where = None if text.line is None else f"line[{text.line}]"
            if text.line is None and invalid is None and is_not_a_payload(text):
                item = PayloadItem.from_parent(self, name="file", expect_invalid=None)
                item.add_marker(pytest.mark.skip(reason=NOT_A_PAYLOAD))  # reported at the file, not in this module
                yield item
                return
            if text.problem is not None:
                yield PayloadItem.from_parent(self, name=where or "file", problem=text.problem, expect_invalid=invalid)
            for payload in text.payloads:
                name = where or payload.kind
                if payload.index is not None:
                    name = f"{name}[{payload.index}]"
                yield PayloadItem.from_parent(self, name=name, payload=payload, expect_invalid=invalid)


class PayloadItem(pytest.Item):
    """One payload of a fixture file, checked with the run's settings; or what kept the file from giving one."""

    def __init__(
        self,
        *,
        payload: Payload | None = None,
        problem: Finding | None = None,
        expect_invalid: str | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.payload = payload
        self.problem = problem
        #: The expect-invalid pattern that says this payload must break the contract, or None.
        self.expect_invalid = expect_invalid

    @property
    def state(self) -> RunState:
        assert isinstance(self.parent, ContractFile)
        return self.parent.state

    def runtest(self) -> None:
        problem, payload = self.problem, self.payload
        if problem is not None:
            # A text that is not strict JSON breaks a json.* rule: a file expected to fail may hold one.
            if not (self.expect_invalid is not None and problem.rule is not None):
                raise FixtureFailure(_problem_line(problem))
            return
        assert payload is not None  # an item has a payload or a problem, or is skipped before it runs
        file = _relative_path(self.path, self.config.rootpath)
        location = f"{file}:{payload.line}"
        report = self._report(payload, location)
        if self.expect_invalid is not None and report.ok:
            assert self.state.expect_invalid is not None  # the pattern comes from it
            raise FixtureFailure(f"{location}: {payload.kind} {self.state.expect_invalid.unmet(self.expect_invalid)}")
        if self.expect_invalid is None and not report.ok:

            def where(violation: Violation) -> str:
                line, column = payload.position(violation.path)
                return f"{file}:{line}:{column}: "

            lines = describe(report, payload.kind, where=where)
            raise FixtureFailure(f"{location}: {lines[0]}", *lines[1:])

    def _report(self, payload: Payload, location: str) -> Report:
        from caliper_contract.errors import SpecError  # see ContractCache.get

        settings = self.state.defaults
        contract = self.state.contracts.get(settings.spec)
        try:
            return payload.validate(contract, strict=settings.strict, ignore=settings.ignore)
        except SpecError as error:  # a lone event, and a document without an Event schema
            raise FixtureFailure(f"{location}: cannot be checked: {error}") from None

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: TracebackStyle | None = None
    ) -> str | TerminalRepr:
        if isinstance(excinfo.value, FixtureFailure):
            return "\n".join(str(line) for line in excinfo.value.args)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[os.PathLike[str] | str, int | None, str]:
        where = self.payload if self.payload is not None else self.problem
        if where is None:  # a skipped file: pytest reports a skip at the item's line, its first
            return self.path, 0, self.name
        return self.path, None if where.line is None else where.line - 1, self.name


def _problem_line(problem: Finding) -> str:
    """A file's problem as the plugin shows violations: ``file:line:column: path: message [rule]``."""
    where = problem.file if problem.line is None else f"{problem.file}:{problem.line}:{problem.column}"
    path = "" if problem.path is None else f"{problem.path or '(root)'}: "
    rule = "" if problem.rule is None else f" [{problem.rule}]"
    return f"{where}: {path}{problem.message}{rule}"


def _relative_path(path: Path, rootpath: Path) -> str:
    try:
        return path.relative_to(rootpath).as_posix()
    except ValueError:
        return str(path)
