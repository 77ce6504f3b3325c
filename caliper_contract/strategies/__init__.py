"""Hypothesis strategies for Timeback and Caliper data.

Valid data, for fuzzing the code that builds envelopes (each value validates
with no error and no warning unless ``allow_warnings=True``):

- :func:`envelopes`, :func:`activity_events`, :func:`time_spent_events`,
  :func:`timeback_events`: Timeback events, written from the Timeback profile;
- the fields they are built from, for fuzzing a sender's inputs:
  :func:`actors`, :func:`emails`, :func:`user_urls`, :func:`course_urls`,
  :func:`activity_urls`, :func:`subjects`, :func:`activity_metrics`,
  :func:`time_metrics`, :func:`event_ids`, :func:`timestamps`;
- :func:`caliper_events`, :func:`caliper_entities`: generic Caliper 1.2 items,
  generated from the contract's OpenAPI ``Event`` and ``Entity`` schemas.

Invalid data, for fuzzing a receiver: :func:`invalid_envelopes` draws an
:class:`InvalidEnvelope` that breaks one catalogue rule, labelled with the rule
and the JSON Pointer where ``validate()`` reports it.

This module imports Hypothesis; ``import caliper_contract`` does not import it.
"""

from caliper_contract.strategies._caliper import caliper_entities, caliper_events
from caliper_contract.strategies._fields import (
    activity_metrics,
    activity_urls,
    actors,
    course_urls,
    emails,
    event_ids,
    subjects,
    time_metrics,
    timestamps,
    user_urls,
)
from caliper_contract.strategies._invalid import BREAKABLE_RULES, InvalidEnvelope, invalid_envelopes
from caliper_contract.strategies._timeback import activity_events, envelopes, time_spent_events, timeback_events

__all__ = [
    "BREAKABLE_RULES",
    "InvalidEnvelope",
    "activity_events",
    "activity_metrics",
    "activity_urls",
    "actors",
    "caliper_entities",
    "caliper_events",
    "course_urls",
    "emails",
    "envelopes",
    "event_ids",
    "invalid_envelopes",
    "subjects",
    "time_metrics",
    "time_spent_events",
    "timeback_events",
    "timestamps",
    "user_urls",
]
