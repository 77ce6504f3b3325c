"""Each catalogue fix's example, broken and as its fix must leave it, written down here rather than computed.

``broken(rule)`` is the seed envelope with the rule's fix example (``Fix.example``,
or the rule's own breach); ``fixed(rule)`` is the same envelope as the fix must
leave it, from the values below, so a test compares what the fixer does with
what a person expects.
"""

from __future__ import annotations

from typing import Any

from caliper_contract import RULES
from caliper_contract._breaches import BASE_EXAMPLES, Breach, apply_breach
from caliper_contract.pointers import tokens
from tests import seeds

#: The rules with a fix, in catalogue order.
FIXABLE = tuple(rule.id for rule in RULES.values() if rule.fix is not None)
SAFE = tuple(rule_id for rule_id in FIXABLE if RULES[rule_id].fix.safe)  # type: ignore[union-attr]
UNSAFE = tuple(rule_id for rule_id in FIXABLE if rule_id not in SAFE)


class Removed:
    """The property is gone."""


class Renamed:
    def __init__(self, key: str) -> None:
        self.key = key


#: What each example's fix leaves at the example's path.
AFTER: dict[str, Any] = {
    "openapi.const": "http://purl.imsglobal.org/ctx/caliper/v1p2",
    "openapi.enum": "GeneralProfile",
    "openapi.pattern": "urn:uuid:8e7f5bc4-8c21-4d43-9c5c-37d4a3ec3d0e",
    "envelope.send-time-utc": "2024-04-24T14:12:05.000Z",
    "timeback.profile": "TimebackProfile",
    "timeback.event.type": "ActivityEvent",
    "timeback.event.action": "Completed",
    "timeback.event.id": "urn:uuid:c51570e4-f8ed-4c18-bb3a-dfe51b2cc594",
    "timeback.actor": "TimebackUser",
    "timeback.object": "TimebackActivityContext",
    "timeback.object.subject": "Reading",
    "timeback.generated": "TimebackActivityMetricsCollection",
    "timeback.activity-metric.type": "xpEarned",
    "timeback.time-metric.type": "active",
    "timeback.null": Removed(),
    "timeback.misnamed-property": Renamed("subType"),
}


def example(rule_id: str) -> Breach:
    fix = RULES[rule_id].fix
    assert fix is not None
    breach = fix.example or RULES[rule_id].breach
    assert breach is not None
    return breach


def broken(rule_id: str) -> Any:
    breach = example(rule_id)
    return apply_breach(breach, seeds.seed(BASE_EXAMPLES[breach.base]))


def fixed(rule_id: str) -> Any:
    envelope = broken(rule_id)
    *parents, last = tokens(example(rule_id).path)
    holder = envelope
    for token in parents:
        holder = holder[int(token)] if isinstance(holder, list) else holder[token]
    after = AFTER[rule_id]
    if isinstance(after, Removed):
        del holder[last]
    elif isinstance(after, Renamed):
        items = list(holder.items())
        holder.clear()
        holder.update((after.key if key == last else key, value) for key, value in items)
    else:
        holder[last] = after
    return envelope
