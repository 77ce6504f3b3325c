"""caliper-contract: check Caliper envelopes against the Timeback Events API, offline.

>>> from caliper_contract import validate
>>> validate({"sensor": "https://example.com"}).ok
False

The checking machinery is imported on first use (PEP 562), so that
``import caliper_contract`` stays cheap for every pytest session and CLI run.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from caliper_contract.errors import CaliperContractError, ConfigError, ContractWarning, SpecError, UnknownRuleError
from caliper_contract.report import ContractError, Report, Violation
from caliper_contract.rules import RULES, Fix, Rule

if TYPE_CHECKING:
    from caliper_contract._fixes import AppliedFix, Fixed, fix, fix_event
    from caliper_contract.contract import Contract, assert_valid, validate, validate_event
    from caliper_contract.openapi import Example

__all__ = [
    "RULES",
    "AppliedFix",
    "CaliperContractError",
    "ConfigError",
    "Contract",
    "ContractError",
    "ContractWarning",
    "Example",
    "Fix",
    "Fixed",
    "Report",
    "Rule",
    "SpecError",
    "UnknownRuleError",
    "Violation",
    "assert_valid",
    "fix",
    "fix_event",
    "validate",
    "validate_event",
]
__version__ = "0.1.0"

_LAZY = {
    "Contract": "caliper_contract.contract",
    "assert_valid": "caliper_contract.contract",
    "validate": "caliper_contract.contract",
    "validate_event": "caliper_contract.contract",
    "Example": "caliper_contract.openapi",
    "AppliedFix": "caliper_contract._fixes",
    "Fixed": "caliper_contract._fixes",
    "fix": "caliper_contract._fixes",
    "fix_event": "caliper_contract._fixes",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'caliper_contract' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
