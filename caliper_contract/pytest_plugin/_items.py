"""JSON fixture files as tests: one pytest item per payload, read as ``caliper-contract check`` reads them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from caliper_contract.pytest_plugin._fixture import warn_each
from caliper_contract.pytest_plugin._settings import INVALID_NAME, RunState
from caliper_contract.report import Report, Violation, render

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr, TracebackStyle

    from caliper_contract._files import Finding, Payload

_CONTRACT_NAME = "the Timeback Events API contract"


def collect_file(state: RunState, file_path: Path, parent: pytest.Collector) -> ContractFile | None:
    """The fixture file at ``file_path`` as a collector, if ``caliper_contract_files`` matches it."""
    if not state.fixture_files:
        return None
    from caliper_contract._files import SUFFIXES  # see caliper_contract.pytest_plugin._settings._glob_fixture_files

    if file_path.suffix.lower() not in SUFFIXES or file_path.resolve() not in state.fixture_files:
        return None
    return ContractFile.from_parent(parent, path=file_path, state=state)


def expects_invalid(rootpath: Path, path: Path) -> bool:
    """Whether a fixture file's name says it must fail: ``*.invalid.json`` or under ``invalid/``."""
    from caliper_contract._files import SUFFIXES  # see collect_file

    if any(path.name.lower().endswith(f".{INVALID_NAME}{suffix}") for suffix in SUFFIXES):
        return True
    try:
        folders = path.relative_to(rootpath).parts[:-1]
    except ValueError:  # a pattern reached outside the rootdir
        folders = path.parts[:-1]
    return INVALID_NAME in folders


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
        from caliper_contract._files import Source, read  # see collect_file

        invalid = expects_invalid(self.config.rootpath, self.path)
        for text in read(Source.file(self.path, _relative_path(self.path, self.config.rootpath))):
            where = None if text.line is None else f"line[{text.line}]"
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
        expect_invalid: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.payload = payload
        self.problem = problem
        self.expect_invalid = expect_invalid

    @property
    def state(self) -> RunState:
        assert isinstance(self.parent, ContractFile)
        return self.parent.state

    def runtest(self) -> None:
        problem, payload = self.problem, self.payload
        if problem is not None:
            # A text that is not strict JSON breaks a json.* rule: a file expected to fail may hold one.
            if not (self.expect_invalid and problem.rule is not None):
                raise FixtureFailure(_problem_line(problem))
            return
        assert payload is not None  # an item has a payload or a problem
        file = _relative_path(self.path, self.config.rootpath)
        location = f"{file}:{payload.line}"
        report = self._report(payload, location)
        if self.expect_invalid and report.ok:
            raise FixtureFailure(
                f"{location}: {payload.kind} meets {_CONTRACT_NAME}, but its file is expected to break it: "
                f"files named *.{INVALID_NAME}.json (.jsonl, .ndjson) or under a folder named "
                f"{INVALID_NAME!r} must fail"
            )
        if not self.expect_invalid and not report.ok:

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
        if not self.expect_invalid:
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
        line = where.line if where is not None else None
        return self.path, None if line is None else line - 1, self.name


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
