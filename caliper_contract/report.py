"""Violations as data, and the report that holds them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from caliper_contract.errors import CaliperContractError
from caliper_contract.rules import Severity

__all__ = ["ContractError", "Report", "Violation", "render"]


@dataclass(frozen=True, order=True)
class Violation:
    """One broken rule at one place in the payload.

    ``path`` is an RFC 6901 JSON Pointer to the offending value (``""`` is the
    root); for a missing property it points at the object that lacks it.
    ``schema_location`` names the schema keyword that failed, where one did:
    ``openapi#/components/schemas/Event/properties/id/pattern`` or
    ``timeback-profile#/...``.
    """

    path: str
    rule: str
    severity: Severity
    message: str
    schema_location: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        return f"{self.path or '(root)'}: {self.message} [{self.rule}]"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, stable for machine consumers."""
        return {
            "path": self.path,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "schema_location": self.schema_location,
        }


#: What a report is about: an envelope (violations are grouped by their ``/data/N``
#: event) or one event checked on its own (paths relative to it).
Subject = Literal["envelope", "event"]
_CONTRACT_NAME = "the Timeback Events API contract"
_EVENT_PATH = re.compile(r"^/data/(\d+)(?:/|$)")


@dataclass(frozen=True)
class Report:
    """Everything found in one payload: errors first, then warnings, each in document order.

    Document order is the order in which the offending values appear in the
    payload (keys in the order the payload holds them); ``str(report)`` shows
    them grouped by event, as :func:`render` does.
    """

    violations: tuple[Violation, ...] = ()
    subject: Subject = "envelope"

    @property
    def errors(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.severity == "error")

    @property
    def warnings(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.severity == "warning")

    @property
    def ok(self) -> bool:
        """True when there are no errors (warnings alone do not fail a payload)."""
        return not any(v.severity == "error" for v in self.violations)

    def __iter__(self) -> Iterator[Violation]:
        return iter(self.violations)

    def __len__(self) -> int:
        return len(self.violations)

    def __bool__(self) -> bool:
        # A report is always a report; truthiness must not mean "valid" or "empty"
        # by accident, so spell it out: use `.ok`.
        return True

    def __str__(self) -> str:
        return "\n".join(render(self))

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "violations": [v.to_dict() for v in self.violations]}


def render(report: Report, *, where: Callable[[Violation], str] | None = None) -> list[str]:
    """A report as lines a person reads: a headline, then errors and warnings, each grouped by event.

    The one text form of a report: ``str(report)``, :class:`ContractError`, the
    pytest plugin's failures and fixture-file items all use it.  ``where``
    prefixes each violation (a fixture file's name, line and column).
    """
    subject = report.subject
    if not report.violations:
        return [f"{subject} meets {_CONTRACT_NAME}: no errors, no warnings"]
    verdict = "breaks" if not report.ok else "meets"
    lines = [f"{subject} {verdict} {_CONTRACT_NAME} ({_counts(report)})"]
    for heading, violations in (("errors", report.errors), ("warnings", report.warnings)):
        if not violations:
            continue
        lines.append(f"{heading}:")
        if subject == "event":
            lines.extend(f"  {where(v) if where else ''}{v}" for v in violations)
            continue
        # A stable sort keeps the report's document order inside each group.
        for group, members in _groups(sorted(violations, key=_event_index)):
            lines.append(f"  {group}:")
            lines.extend(f"    {where(v) if where else ''}{v}" for v in members)
    return lines


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


class ContractError(CaliperContractError, AssertionError):
    """Raised by :func:`caliper_contract.assert_valid`; its text lists every error, grouped as a report is."""

    def __init__(self, report: Report, message: str | None = None) -> None:
        self.report = report
        if message is None:
            message = "\n".join(render(report))
        super().__init__(message)

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.report, str(self)))
