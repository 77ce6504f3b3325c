"""Valid seed envelopes for tests: the published examples, placeholders filled."""

from __future__ import annotations

import copy
from typing import Any

from caliper_contract import Contract
from caliper_contract._breaches import BASE_EXAMPLES


def seed(name: str) -> Any:
    """A fresh copy of one of the bundled document's request examples."""
    return copy.deepcopy({example.name: example.value for example in Contract.default().examples()}[name])


def activity() -> Any:
    """ActivityEvent - Slim: totalQuestions, correctQuestions, xpEarned, masteredUnits."""
    return seed(BASE_EXAMPLES["activity"])


def time_spent() -> Any:
    """TimeSpentEvent - Slim: active, waste (subType eating), inactive."""
    return seed(BASE_EXAMPLES["time-spent"])
