"""Violations as data, and the report that holds them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from caliper_contract.errors import ContractError
from caliper_contract.rules import Severity

__all__ = ["ContractError", "Report", "Violation"]


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


@dataclass(frozen=True)
class Report:
    """Everything found in one payload: errors first, then warnings, in path order."""

    violations: tuple[Violation, ...] = ()

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
        if not self.violations:
            return "valid: no errors, no warnings"
        counts = f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)"
        lines = [f"{'invalid' if not self.ok else 'valid'}: {counts}"]
        lines.extend(f"  {v.severity}: {v}" for v in self.violations)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "violations": [v.to_dict() for v in self.violations]}
