"""JSON fixture files as tests: one pytest item per payload, read as ``caliper-contract check`` reads them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from caliper_contract.pytest_plugin._fixture import warn_each
from caliper_contract.pytest_plugin._settings import RunState
from caliper_contract.report import Report, Violation, render

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr, TracebackStyle

    from caliper_contract._files import Finding, Payload


def collect_file(state: RunState, file_path: Path, parent: pytest.Collector) -> ContractFile | None:
    """The fixture file at ``file_path`` as a collector, if ``caliper_contract_files`` matches it."""
    if not state.fixture_files:
        return None
    from caliper_contract._files import SUFFIXES  # see caliper_contract.pytest_plugin._settings._glob_fixture_files

    if file_path.suffix.lower() not in SUFFIXES:
        return None
    # realpath, not resolve(): resolve() raises on a loop of links before Python 3.13.
    real = Path(os.path.realpath(file_path))
    if real not in state.fixture_files or real in state.collected:
        return None
    state.collected.add(real)
    return ContractFile.from_parent(parent, path=file_path, state=state)


def unreadable_files(state: RunState, session: pytest.Session) -> list[ContractFile]:
    """A file node for each matched path pytest's own walk passes over, under the paths it collects."""
    config = session.config
    roots = [Path(os.path.abspath(config.invocation_params.dir / arg.split("::")[0])) for arg in config.args]
    return [
        ContractFile.from_parent(session, path=path, state=state)
        for path in state.unreadable
        if any(path == root or root in path.parents for root in roots)
        and not config.hook.pytest_ignore_collect(collection_path=path, config=config)
    ]


def expects_invalid(state: RunState, path: Path) -> str | None:
    """The expect-invalid pattern that says a fixture file must break the contract, or None."""
    return None if state.expect_invalid is None else state.expect_invalid.pattern_for(path)


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
        from caliper_contract._files import Source, is_not_a_payload, read  # see collect_file

        invalid = expects_invalid(self.state, self.path)
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

            lines = render(report, where=where)
            raise FixtureFailure(f"{location}: {lines[0]}", *lines[1:])

    def _report(self, payload: Payload, location: str) -> Report:
        from caliper_contract.errors import SpecError  # see ContractCache.get

        contract, settings = self.state.checking(None)
        try:
            report = payload.validate(contract, strict=settings.strict, ignore=settings.ignore)
        except SpecError as error:  # a lone event, and a document without an Event schema
            raise FixtureFailure(f"{location}: cannot be checked: {error}") from None
        if self.expect_invalid is None:
            warn_each(report, lambda violation: f"{location}: ")
        return report

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
