"""The ``caliper_contract`` fixture's object, its matchers, and the warnings it issues.

One :class:`ContractFixture` serves the whole session (so ``@given`` tests may
use it: Hypothesis refuses function-scoped fixtures there); each call checks
with the contract and settings of the test that makes it, markers included.
Warning-level violations found through it are issued as
:class:`~caliper_contract.ContractWarning`, so pytest's warnings summary shows
them against the test, and ``-W error::caliper_contract.ContractWarning``
makes them fail it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from caliper_contract._jsonvalue import show
from caliper_contract.errors import ContractWarning
from caliper_contract.report import ContractError, Report, Violation, render

if TYPE_CHECKING:
    from caliper_contract._files import PayloadKind
    from caliper_contract.contract import Contract
    from caliper_contract.pytest_plugin._settings import RunState, Settings


def warn_each(report: Report, where: Callable[[Violation], str], *, stacklevel: int = 1) -> None:
    """Issue each warning of ``report`` as a :class:`ContractWarning`: ``where`` + ``path: message [rule]``."""
    for violation in report.warnings:
        # +1: this function's own frame.
        warnings.warn(ContractWarning(f"{where(violation)}{violation}"), stacklevel=stacklevel + 1)


class ContractFixture:
    """The ``caliper_contract`` fixture: checks with the contract and settings of the test that calls it."""

    def __init__(self, state: RunState) -> None:
        self._state = state

    @property
    def contract(self) -> Contract:
        """The contract of the current test: its ``spec=`` marker, ``--caliper-spec``, pyproject.toml, or bundled."""
        return self._state.checking(self._state.current)[0]

    @property
    def settings(self) -> Settings:
        """The current test's settings: ``spec``, ``strict``, ``ignore``."""
        return self._state.checking(self._state.current)[1]

    @property
    def strict(self) -> bool:
        return self.settings.strict

    @property
    def ignore(self) -> tuple[str, ...]:
        return self.settings.ignore

    def validate(self, payload: Any) -> Report:
        """Check an envelope (a parsed value, or JSON text as str/bytes); warnings are issued."""
        return self._check(payload, envelope=True)

    def validate_event(self, event: Any) -> Report:
        """Check one event on its own; paths are relative to it; warnings are issued."""
        return self._check(event, envelope=False)

    def assert_valid(self, payload: Any) -> Report:
        """Return the report of an envelope, or raise :class:`ContractError` listing every violation."""
        __tracebackhide__ = True
        report = self._check(payload, envelope=True)
        if not report.ok:
            raise ContractError(report)
        return report

    def _check(self, payload: Any, *, envelope: bool, stacklevel: int = 3) -> Report:
        # stacklevel 3: this frame, the public method, then the test's own line.
        contract, settings = self._state.checking(self._state.current)
        check = contract.validate if envelope else contract.validate_event
        report = check(payload, strict=settings.strict, ignore=settings.ignore)
        warn_each(report, lambda violation: "", stacklevel=stacklevel)
        return report

    @property
    def envelope(self) -> PayloadMatcher:
        """Equal to any envelope the contract accepts: ``assert payload == caliper_contract.envelope``."""
        return PayloadMatcher(self, "envelope")

    @property
    def event(self) -> PayloadMatcher:
        """Equal to any single event the contract accepts: ``assert event == caliper_contract.event``."""
        return PayloadMatcher(self, "event")

    def __repr__(self) -> str:
        contract, settings = self._state.checking(self._state.current)
        return f"<caliper_contract {contract.document.source} strict={settings.strict} ignore={list(settings.ignore)}>"


class PayloadMatcher:
    """Compares equal to every payload the contract accepts, and to nothing else."""

    def __init__(self, fixture: ContractFixture, kind: PayloadKind) -> None:
        self.fixture = fixture
        self.kind: PayloadKind = kind

    def report(self, payload: Any) -> Report:
        # stacklevel 4: _check, report, __eq__, then the test's `assert ... ==` line.
        return self.fixture._check(payload, envelope=self.kind == "envelope", stacklevel=4)

    def __eq__(self, other: object) -> bool:
        return self.report(other).ok

    __hash__ = None  # type: ignore[assignment]  # equal to many unequal values: must not be hashed

    def __repr__(self) -> str:
        return f"caliper_contract.{self.kind}"


def explain_comparison(op: str, left: object, right: object) -> list[str] | None:
    """The ``pytest_assertrepr_compare`` text for ``payload == caliper_contract.envelope``."""
    if op != "==":
        return None
    if isinstance(right, PayloadMatcher):
        matcher, payload = right, left
    elif isinstance(left, PayloadMatcher):
        matcher, payload = left, right
    else:
        return None
    with warnings.catch_warnings():  # issued already, when the comparison ran
        warnings.simplefilter("ignore", ContractWarning)
        report = matcher.report(payload)
    if report.ok:  # an unrelated `and` in the same assert failed; nothing to explain here
        return None
    sides = [show(side, limit=60) if side is payload else repr(side) for side in (left, right)]
    return [f"{sides[0]} == {sides[1]}", *render(report)]
