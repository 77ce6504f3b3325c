"""The pytest plugin's settings: the command line, ini options, pyproject.toml and markers, settled per test.

:class:`RunState` is the plugin's view of one pytest run: its settings, the
contracts it has compiled, the fixture files it collects and the test being
run.  One per ``pytest.Config``, so each pytest-xdist worker has its own and
nothing is shared between sessions.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from caliper_contract.errors import UnknownRuleError
from caliper_contract.rules import check_ignorable, check_rule_ids

if TYPE_CHECKING:
    from caliper_contract._paths import ExpectInvalid
    from caliper_contract.contract import Contract
    from caliper_contract.settings import Settings as ProjectSettings

MARKER = "caliper_contract"
MARKER_HELP = (
    "caliper_contract(strict=False, ignore=[], spec=None): settings of the caliper_contract fixture for this "
    "test, class or module; each argument comes from the closest marker that sets it"
)
_MARKER_ARGUMENTS = ("strict", "ignore", "spec")
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


def _ini_bool(value: object) -> bool:
    text = str(value).strip().lower()
    if text not in _TRUE + _FALSE:
        raise pytest.UsageError(f"caliper_contract_strict: expected true or false, got {value!r}")
    return text in _TRUE


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
        #: Which fixture files must break the contract: the command line's convention, from the same settings.
        self.expect_invalid = expect_invalid
        self.contracts = ContractCache()
        #: The real paths collected so far: a file reached by two paths is one test file.
        self.collected: set[Path] = set()
        #: The test being run, set by the plugin's runtest-protocol hook: the session-scoped
        #: fixture reads the settings of whichever test calls it (see ContractFixture).
        self.current: pytest.Item | None = None

    @classmethod
    def from_config(cls, config: pytest.Config) -> RunState:
        """Read the settings; raise :class:`pytest.UsageError` naming the one that is wrong.

        Each setting comes from the first of: the command line (``--caliper-spec``,
        ``--caliper-strict``), the ini options (``caliper_contract_strict``,
        ``caliper_contract_ignore``), ``[tool.caliper-contract]`` in the nearest
        pyproject.toml above the rootdir (read by the command line's own code),
        and the defaults.  Markers then override them test by test.
        """
        from caliper_contract.errors import ConfigError
        from caliper_contract.settings import discover

        try:
            project = discover(config.rootpath)
        except ConfigError as error:
            raise pytest.UsageError(str(error)) from None
        project_where = f"{project.source} [tool.caliper-contract]"
        spec_option = config.getoption("caliper_spec")
        strict_ini = config.getini("caliper_contract_strict")
        ignore_ini = config.getini("caliper_contract_ignore")
        if spec_option:
            spec, spec_source = config.invocation_params.dir / spec_option, "--caliper-spec"
        else:
            spec, spec_source = project.spec, project_where
        if ignore_ini:
            ignore, ignore_source = tuple(sorted(set(ignore_ini))), "caliper_contract_ignore"
        else:
            ignore, ignore_source = tuple(sorted(set(project.ignore or ()))), project_where
        if config.getoption("caliper_strict"):
            strict = True
        elif strict_ini is not None and strict_ini != "":
            strict = _ini_bool(strict_ini)
        else:
            strict = bool(project.strict)
        defaults = Settings(spec=spec, strict=strict, ignore=ignore)
        patterns = config.getini("caliper_contract_files")
        if patterns:
            files, unreadable = _glob_fixture_files(config.rootpath, patterns)
            state = cls(
                config.rootpath, defaults, files, unreadable=unreadable, expect_invalid=_expect_invalid(project, config)
            )
        else:
            state = cls(config.rootpath, defaults, frozenset())
        if spec is not None or defaults.ignore:
            state._check(defaults, spec_source=spec_source, ignore_source=ignore_source)
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

    def checking(self, item: pytest.Item | None) -> tuple[Contract, Settings]:
        """The contract and settings a fixture call in ``item`` (None: outside any test) checks with."""
        from caliper_contract.errors import SpecError  # see ContractCache.get

        settings = self.defaults if item is None else self.settings_for(item)
        try:
            return self.contracts.get(settings.spec), settings
        except SpecError as error:  # checked at collection; only a file changed since then gets here
            pytest.fail(str(error), pytrace=False)

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
            self.contracts.get(settings.spec)
        except SpecError as error:
            raise pytest.UsageError(f"{spec_source}: {error}") from None
        try:
            check_ignorable(settings.ignore)
        except UnknownRuleError as error:
            raise pytest.UsageError(f"{ignore_source}: {error}") from None


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


def _expect_invalid(project: ProjectSettings, config: pytest.Config) -> ExpectInvalid:
    """The expect-invalid convention of ``[tool.caliper-contract]`` above the rootdir, as the command reads it."""
    from caliper_contract._paths import ExpectInvalid, PathPatterns

    base = project.base or config.rootpath
    if project.expect_invalid is None:
        return ExpectInvalid.default(base)
    return ExpectInvalid(PathPatterns(project.expect_invalid, base), f"set in {project.source}")
