"""Checking sources against one contract: payloads to located findings, and how each file counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from caliper_contract._files import Finding, Kind, Payload, Source, is_not_a_payload, read
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
        options = self.options
        where = source.path if source.path is not None else source.name
        expecting = options.expect_invalid
        pattern = expecting.pattern_for(where) if expecting is not None else None
        ignore = options.ignore.union(*(rules for patterns, rules in options.per_file_ignores if patterns.match(where)))
        findings: list[Finding] = []
        for text in read(source, options.kind):
            problem = text.problem
            if problem is not None and not (pattern is not None and problem.rule is not None):
                findings.append(problem)  # a text that is not JSON breaks the contract, as expected-invalid files may
            if text.line is None and pattern is None and options.kind == "auto" and is_not_a_payload(text):
                return Checked((), "skipped")
            for payload in text.payloads:
                report = payload.validate(self.contract, strict=options.strict, ignore=ignore)
                if pattern is None:
                    findings.extend(self._located(source.name, payload, report))
                elif report.ok:
                    assert expecting is not None  # a pattern comes from it
                    line, column = payload.position("")
                    message = expecting.unmet(pattern)
                    findings.append(
                        Finding(
                            source.name, line, column, payload.pointer, None, "error", message, unmet_expectation=True
                        )
                    )
        if pattern is not None and not findings:
            return Checked((), "invalid as expected")
        return Checked(tuple(findings))

    def _located(self, name: str, payload: Payload, report: Report) -> list[Finding]:
        select = self.options.select
        findings = []
        for violation in report.violations:
            if select is not None and violation.rule not in select and RULES[violation.rule].ignorable:
                continue
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
