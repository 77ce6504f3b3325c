"""Hypothesis strategies for Timeback and Caliper data.

Valid data, for fuzzing the code that builds envelopes (each value validates
with no error and no warning unless ``allow_warnings=True``):

- :func:`envelopes`, :func:`activity_events`, :func:`time_spent_events`,
  :func:`timeback_events`: Timeback events, written from the Timeback profile;
- :func:`caliper_events`, :func:`caliper_entities`: generic Caliper 1.2 items,
  generated from the contract's OpenAPI ``Event`` and ``Entity`` schemas.

Invalid data, for fuzzing a receiver: :func:`invalid_envelopes` draws an
:class:`InvalidEnvelope` that breaks one catalogue rule, labelled with the rule
and the JSON Pointer where ``validate()`` reports it.

This module imports Hypothesis; ``import caliper_contract`` does not import it.
"""

from caliper_contract.strategies._caliper import caliper_entities, caliper_events
from caliper_contract.strategies._invalid import BREAKABLE_RULES, InvalidEnvelope, invalid_envelopes
from caliper_contract.strategies._timeback import activity_events, envelopes, time_spent_events, timeback_events

__all__ = [
    "BREAKABLE_RULES",
    "InvalidEnvelope",
    "activity_events",
    "caliper_entities",
    "caliper_events",
    "envelopes",
    "invalid_envelopes",
    "time_spent_events",
    "timeback_events",
]
