"""Every exception caliper-contract raises on purpose, under one root.

A payload never raises: what is wrong with it is a :class:`~caliper_contract.report.Violation`
in a :class:`~caliper_contract.report.Report`.  These are for the other things a
caller can get wrong (a contract document, a rule id, a settings file) and for
:func:`~caliper_contract.assert_valid`, which raises
:class:`~caliper_contract.report.ContractError` (a subclass of the root too) by design.
"""

from __future__ import annotations

__all__ = ["CaliperContractError", "ConfigError", "ContractWarning", "SpecError", "UnknownRuleError"]


class CaliperContractError(Exception):
    """The root of caliper-contract's exceptions: ``except CaliperContractError`` catches them all."""


class SpecError(CaliperContractError):
    """An OpenAPI document that cannot serve as the contract.

    ``document`` names the document (its path, or ``<string>``) and ``location``
    where in it the problem is: a JSON Pointer such as
    ``#/components/schemas/Event/properties/id``, a ``line N column M`` for text
    that cannot be read, or None when the problem is the document as a whole.
    ``reason`` is what is wrong, and ``str(error)`` says all three on one line.
    """

    def __init__(self, document: str, reason: str, location: str | None = None) -> None:
        self.document = document
        self.reason = reason
        self.location = location
        where = f" at {location}" if location else ""
        super().__init__(f"{document}{where}: {reason}")

    def __reduce__(self) -> tuple[object, ...]:
        # Exceptions pickle their args; ours are the constructor's, so a SpecError
        # raised in a worker process arrives whole.
        return (type(self), (self.document, self.reason, self.location))


class ContractWarning(UserWarning):
    """A warning-level violation, issued by the pytest plugin so that pytest's warnings summary shows it.

    The library's own functions return warnings in the report and never issue
    them; ``-W error::caliper_contract.ContractWarning`` (or ``filterwarnings``)
    makes them fail a test.
    """


class UnknownRuleError(CaliperContractError, ValueError):
    """A rule id that is not in the catalogue was named (e.g. in ``ignore``)."""


class ConfigError(CaliperContractError):
    """A pyproject.toml whose ``[tool.caliper-contract]`` cannot be used; the text says where and why."""
