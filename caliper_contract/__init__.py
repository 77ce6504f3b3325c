"""caliper-contract: check Caliper envelopes against the Timeback Events API, offline.

>>> from caliper_contract import validate
>>> report = validate({"sensor": "https://example.com"})
>>> report.ok
False
"""

from caliper_contract.checker import Contract, assert_valid, validate, validate_event
from caliper_contract.openapi import Example, SpecError
from caliper_contract.report import ContractError, Report, Violation
from caliper_contract.rules import RULES, Rule, UnknownRuleError

__all__ = [
    "RULES",
    "Contract",
    "ContractError",
    "Example",
    "Report",
    "Rule",
    "SpecError",
    "UnknownRuleError",
    "Violation",
    "assert_valid",
    "validate",
    "validate_event",
]
__version__ = "0.1.0"
