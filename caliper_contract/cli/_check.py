"""Checking sources against one contract: payloads to located findings, and how each file counts."""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from caliper_contract._files import (
    Finding,
    Kind,
    Payload,
    PayloadText,
    Source,
    Vouched,
    holds_nothing,
    is_not_a_payload,
    read_lazily,
    read_lines_lazily,
)
from caliper_contract._paths import ExpectInvalid, PathPatterns
from caliper_contract.contract import Contract
from caliper_contract.report import Report
from caliper_contract.rules import RULES

#: How a file counts in the summary: checked; expected to break the contract and did; not a Caliper payload.
Outcome = Literal["checked", "invalid as expected", "skipped"]


@dataclass(frozen=True)
class Options:
    """How to check: the options of ``caliper-contract check`` once settled."""

    strict: bool = False
    ignore: frozenset[str] = frozenset()
    #: Report only these rules (None: every rule).  Files that cannot be read are always reported.
    select: frozenset[str] | None = None
    kind: Kind = "auto"
    #: Files whose every payload must break the contract (None: none must).
    expect_invalid: ExpectInvalid | None = None
    #: More rules to skip in the files each pattern matches.
    per_file_ignores: tuple[tuple[PathPatterns, frozenset[str]], ...] = ()

    def ignored_in(self, where: str | os.PathLike[str]) -> frozenset[str]:
        """The rules skipped in the file at ``where``: ``ignore`` and the per-file ignores that match it."""
        return self.ignore.union(*(rules for patterns, rules in self.per_file_ignores if patterns.match(where)))

    def expected_invalid(self, where: str | os.PathLike[str]) -> str | None:
        """The expect-invalid pattern that says the file at ``where`` must break the contract, or None."""
        return self.expect_invalid.pattern_for(where) if self.expect_invalid is not None else None


@dataclass(frozen=True)
class _Plan:
    """How one file is checked: whether it must be invalid (by which pattern), and the rules skipped in it."""

    expecting: ExpectInvalid | None
    pattern: str | None
    ignore: frozenset[str]

    def checked(self, findings: list[Finding]) -> Checked:
        if self.pattern is not None and not findings:
            return Checked((), "invalid as expected")
        return Checked(tuple(findings))


@dataclass(frozen=True)
class Checked:
    """What checking one source gave: the findings to report, and how the file counts."""

    findings: tuple[Finding, ...]
    outcome: Outcome = "checked"


class FileChecker:
    """Checks sources against one contract with one set of options."""

    def __init__(self, contract: Contract, options: Options) -> None:
        self.contract = contract
        self.options = options

    def check(self, source: Source) -> Checked:
        """Every finding in one source, in line order; never raises for what the file holds.

        A file the expect-invalid convention names passes when each of its
        payloads breaks the contract with an error (a text that is not strict
        JSON does); a payload that meets it is a finding.  A ``.json`` file that
        holds no Caliper payload at all (:func:`is_not_a_payload`) is skipped,
        unless ``--kind`` says what its payloads are or it must be invalid.
        """
        plan = self._plan(source)
        findings: list[Finding] = []
        for text in read_lazily(source, self.options.kind):
            if (
                isinstance(text, PayloadText)
                and text.line is None
                and plan.pattern is None
                and self.options.kind == "auto"
                and is_not_a_payload(text)
            ):
                return Checked((), "skipped")
            findings.extend(self._text(source.name, text, plan))
        return plan.checked(findings)

    def check_lines(self, source: Source, block: bytes, first_line: int) -> tuple[list[Finding], bool]:
        """The findings in a block of the JSON Lines of ``source`` that starts on line ``first_line``.

        Also whether the block holds anything but blank lines; :meth:`lines_checked` puts the blocks together.
        """
        plan = self._plan(source)
        findings: list[Finding] = []
        seen = False
        # A BytesIO splits at "\n", as reading the file does (bytes.splitlines also splits at "\r").
        for text in read_lines_lazily(source.name, io.BytesIO(block), first_line, self.options.kind):
            seen = True
            findings.extend(self._text(source.name, text, plan))
        return findings, seen

    def lines_checked(
        self, source: Source, findings: list[Finding], *, seen: bool, failure: Finding | None = None
    ) -> Checked:
        """What :meth:`check` says of a JSON Lines source, from the findings of its blocks in order.

        ``seen``: whether any block held a text; ``failure``: why reading stopped early.
        """
        if failure is not None:
            findings = [*findings, failure]
        elif not seen:
            findings = [*findings, holds_nothing(source.name)]
        return self._plan(source).checked(findings)

    def _plan(self, source: Source) -> _Plan:
        options = self.options
        where = source.path if source.path is not None else source.name
        return _Plan(options.expect_invalid, options.expected_invalid(where), options.ignored_in(where))

    def _text(self, name: str, text: PayloadText | Vouched, plan: _Plan) -> Iterable[Finding]:
        """The findings of one JSON text of a file."""
        if isinstance(text, Vouched):  # most lines of a large file: a Payload only if there is something to say
            return self._payload(name, text, plan)
        findings: list[Finding] = []
        problem = text.problem
        if problem is not None and not (plan.pattern is not None and problem.rule is not None):
            findings.append(problem)  # a text that is not JSON breaks the contract, as expected-invalid files may
        for payload in text.payloads:
            findings.extend(self._payload(name, payload, plan))
        return findings

    def _payload(self, name: str, payload: Payload | Vouched, plan: _Plan) -> list[Finding]:
        report = payload.validate(self.contract, strict=self.options.strict, ignore=plan.ignore)
        if plan.pattern is None:
            return self._located(name, payload, report) if report.violations else []
        if not report.ok:
            return []
        assert plan.expecting is not None  # a pattern comes from it
        where = payload.payload() if isinstance(payload, Vouched) else payload
        line, column = where.position("")
        message = plan.expecting.unmet(plan.pattern)
        return [Finding(name, line, column, where.pointer, None, "error", message, unmet_expectation=True)]

    def _located(self, name: str, payload: Payload | Vouched, report: Report) -> list[Finding]:
        select = self.options.select
        findings = []
        for violation in report.violations:
            if select is not None and violation.rule not in select and RULES[violation.rule].ignorable:
                continue
            if isinstance(payload, Vouched):
                payload = payload.payload()
            line, column = payload.position(violation.path)
            findings.append(
                Finding(
                    name,
                    line,
                    column,
                    payload.pointer + violation.path,
                    violation.rule,
                    violation.severity,
                    violation.message,
                    violation.schema_location,
                )
            )
        return sorted(findings)


@dataclass
class Tally:
    """What a run has found so far: findings in order, and how many files counted which way."""

    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    invalid_as_expected: int = 0
    skipped: int = 0

    def add(self, result: Checked | Finding) -> None:
        """Count one checked source, or a finding about an argument that named no file to check."""
        if isinstance(result, Finding):
            self.findings.append(result)
        elif result.outcome == "skipped":
            self.skipped += 1
        else:
            self.files += 1
            self.invalid_as_expected += result.outcome == "invalid as expected"
            self.findings.extend(result.findings)

    def status(self, *, exit_zero: bool = False) -> int:
        """2 when something could not be read, else 1 for an error (0 with ``exit_zero``), else 0."""
        if any(finding.unreadable for finding in self.findings):
            return 2
        if not exit_zero and any(finding.severity == "error" for finding in self.findings):
            return 1
        return 0
