"""Argument checks for the strategies, raising Hypothesis's ``InvalidArgument`` up front.

A pinned value (``actor=``, ``subject=``, ``sensor=``, ``send_time=``, an
email domain) is checked by the contract itself: it is put into a valid
envelope and validated, so the error a user sees names the same rule and
message ``validate()`` would.  A pinned *strategy* is checked the same way on
every value it draws; the contract is loaded when the strategy is made, so the
first draws (which Hypothesis's ``too_slow`` health check times) do not pay for it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, TypeVar

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from caliper_contract.pointers import pointer
from caliper_contract.report import Violation

T = TypeVar("T")

#: Where each pinnable part sits in an envelope whose first event is an ActivityEvent.
LOCATIONS: dict[str, tuple[object, ...]] = {
    "actor": ("data", 0, "actor"),
    "subject": ("data", 0, "object", "subject"),
    "sensor": ("sensor",),
    "send_time": ("sendTime",),
    "email": ("data", 0, "actor", "email"),
}


def check_bool(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidArgument(f"{name}={value!r} must be True or False")


def check_event_counts(min_events: object, max_events: object) -> None:
    if not isinstance(min_events, int) or isinstance(min_events, bool) or min_events < 1:
        raise InvalidArgument(f"min_events={min_events!r} must be an integer >= 1: an envelope's data needs an item")
    if max_events is None:
        return
    if not isinstance(max_events, int) or isinstance(max_events, bool):
        raise InvalidArgument(f"max_events={max_events!r} must be an integer or None")
    if max_events < min_events:
        raise InvalidArgument(f"max_events={max_events} is less than min_events={min_events}")


def check_strategy(name: str, value: object) -> None:
    if not isinstance(value, st.SearchStrategy):
        raise InvalidArgument(f"{name}= must be a Hypothesis strategy, got {value!r}")


def pinned(
    name: str, value: T | st.SearchStrategy[T] | None, kind: type, *, allow_warnings: bool
) -> st.SearchStrategy[T] | None:
    """``value`` as a strategy, checked against the contract; None when nothing is pinned."""
    if value is None:
        return None
    if isinstance(value, st.SearchStrategy):
        _load_contract()
        return value.map(_checker(name, allow_warnings))
    if not isinstance(value, kind):
        raise InvalidArgument(f"{name}= must be a {kind.__name__} or a strategy, got {type(value).__name__} {value!r}")
    _check_value(name, value, allow_warnings)
    # A fresh copy per draw: a test that changes its input must not change the next one.
    return st.just(value).map(copy.deepcopy)


def checked_domains(domains: object) -> tuple[str, ...]:
    """``domains=`` of ``emails()``: a non-empty sequence of names that make valid addresses."""
    if isinstance(domains, str) or not isinstance(domains, Sequence):
        raise InvalidArgument(f"domains= must be a list of domain names, e.g. ['school.example.edu'], got {domains!r}")
    if not domains:
        raise InvalidArgument("domains= is empty: give at least one domain name")
    for domain in domains:
        if not isinstance(domain, str):
            raise InvalidArgument(f"domains= must hold domain names (strings), got {type(domain).__name__} {domain!r}")
        _check_value("email", f"student@{domain}", False, source=f"domains= entry {domain!r} (as student@{domain})")
    return tuple(domains)


def _checker(name: str, allow_warnings: bool) -> Callable[[T], T]:
    def check(value: T) -> T:
        _check_value(name, value, allow_warnings, drawn=True)
        return value

    return check


def _check_value(
    name: str, value: object, allow_warnings: bool, *, drawn: bool = False, source: str | None = None
) -> None:
    problems = _problems(LOCATIONS[name], value, allow_warnings)
    if problems:
        where = pointer(LOCATIONS[name])
        if source is None:
            source = f"the {name}= strategy drew {value!r}, which" if drawn else f"{name}={value!r}"
        lines = [f"{source} breaks the Timeback Events API contract:"]
        for violation in problems:
            relative = violation.path[len(where) :] or "(the value itself)"
            hint = "; a warning: pass allow_warnings=True to allow it" if violation.severity == "warning" else ""
            lines.append(f"  {relative}: {violation.message} [{violation.rule}{hint}]")
        raise InvalidArgument("\n".join(lines))


def _problems(location: Sequence[object], value: object, allow_warnings: bool) -> list[Violation]:
    from caliper_contract import validate

    envelope = _probe()
    node: Any = envelope
    for token in location[:-1]:
        node = node[token]
    node[location[-1]] = value
    where = pointer(location)
    return [
        violation
        for violation in validate(envelope)
        if (violation.path == where or violation.path.startswith(where + "/"))
        and (violation.severity == "error" or not allow_warnings)
    ]


@lru_cache(maxsize=1)
def _load_contract() -> None:
    """Load the contract and compile its validators now, not in the first draws."""
    from caliper_contract import validate

    validate(_probe())


def _probe() -> Any:
    return copy.deepcopy(_seed())


@lru_cache(maxsize=1)
def _seed() -> Any:
    from caliper_contract import Contract
    from caliper_contract._breaches import BASE_EXAMPLES

    examples = {example.name: example.value for example in Contract.default().examples()}
    return examples[BASE_EXAMPLES["activity"]]
