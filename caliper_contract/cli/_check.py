"""Checking sources against one contract: payloads to located findings."""

from __future__ import annotations

from dataclasses import dataclass

from caliper_contract._files import Finding, Kind, Payload, Source, read
from caliper_contract.contract import Contract
from caliper_contract.report import Violation
from caliper_contract.rules import RULES


@dataclass(frozen=True)
class Options:
    """How to check: the options of ``caliper-contract check`` once settled."""

    strict: bool = False
    ignore: frozenset[str] = frozenset()
    #: Report only these rules (None: every rule).  Files that cannot be read are always reported.
    select: frozenset[str] | None = None
    kind: Kind = "auto"


class FileChecker:
    """Checks sources against one contract with one set of options."""

    def __init__(self, contract: Contract, options: Options) -> None:
        self.contract = contract
        self.options = options

    def check(self, source: Source) -> list[Finding]:
        """Every finding in one source, in line order; never raises for what the file holds."""
        findings: list[Finding] = []
        for text in read(source, self.options.kind):
            if text.problem is not None:
                findings.append(text.problem)
            for payload in text.payloads:
                findings.extend(self._check_payload(source.name, payload))
        return findings

    def _check_payload(self, name: str, payload: Payload) -> list[Finding]:
        findings = []
        for violation in self._violations(payload):
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

    def _violations(self, payload: Payload) -> tuple[Violation, ...]:
        options = self.options
        violations = payload.validate(self.contract, strict=options.strict, ignore=options.ignore).violations
        if options.select is None:
            return violations
        return tuple(v for v in violations if v.rule in options.select or not RULES[v.rule].ignorable)
