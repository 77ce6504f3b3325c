"""How to break a rule: a minimal edit of a published example, for ``explain``, the tests and the benchmarks.

Each rule of the catalogue that a payload can break carries a :class:`Breach`
(``Rule.breach``), so the rule and its example stay one definition.  What a
breach means, and how to apply it, lives here.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Literal

from caliper_contract.pointers import tokens

__all__ = ["BASE_EXAMPLES", "DELETE", "Breach", "apply_breach"]


@dataclass(frozen=True)
class Breach:
    """A minimal edit of a valid envelope that breaks one rule, and where it shows.

    ``base`` names the seed example it starts from: ``"activity"`` is the
    published "ActivityEvent - Slim" example (totalQuestions, correctQuestions,
    xpEarned, masteredUnits, in that order) and ``"time-spent"`` the
    "TimeSpentEvent - Slim" one (active, waste with subType eating, inactive).
    Each edit is ``(JSON Pointer, value)``; the value :data:`DELETE` removes the
    key.  A rule about JSON text has ``text`` instead: the payload as sent.
    """

    base: Literal["activity", "time-spent"]
    edits: tuple[tuple[str, Any], ...]
    path: str
    text: str | None = None


#: An edit value meaning "remove this key".
DELETE: Any = type("Delete", (), {"__repr__": lambda self: "DELETE"})()


#: The seed examples a :class:`Breach` starts from, by ``Breach.base``.
BASE_EXAMPLES = {"activity": "example4", "time-spent": "example8"}


def apply_breach(breach: Breach, envelope: Any) -> Any:
    """The payload that breaks the rule: ``breach``'s edits on a copy of ``envelope``."""
    if breach.text is not None:
        return breach.text
    payload = copy.deepcopy(envelope)
    for location, value in breach.edits:
        *parents, last = tokens(location)
        node = payload
        for token in parents:
            node = node[int(token)] if isinstance(node, list) else node[token]
        if isinstance(node, list):
            index = int(last)
            if value is DELETE:
                del node[index]
            elif index == len(node):
                node.append(copy.deepcopy(value))
            else:
                node[index] = copy.deepcopy(value)
        elif value is DELETE:
            del node[last]
        else:
            node[last] = copy.deepcopy(value)
    return payload
