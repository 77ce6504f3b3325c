"""Fixing: the violations that have exactly one right edit, mended and checked by validating again.

    >>> from caliper_contract import fix
    >>> envelope = {"sensor": "https://example.com", "sendTime": "2024-04-24T16:12:05.000+02:00"}
    >>> fix(envelope).value["sendTime"]
    '2024-04-24T14:12:05.000Z'

Each rule declares its fix in the catalogue (``Rule.fix``, a
:class:`~caliper_contract.rules.Fix`); here each kind of fix is a function from
a violation and the payload to an edit, or to nothing where the fix does not
apply.  An edit is kept only when validating the payload again shows its
violation gone and nothing new at the place it edited: the value it replaced,
or the object a property was removed from, so a property the contract requires
is never removed, whichever schema requires it.  Fixing repeats until nothing
more can be fixed, so fixing a fixed payload changes nothing.

:func:`fix_text` makes the same fixes in a JSON text, at the text of the fixed
values alone (see :mod:`caliper_contract._jsonedit`).
"""

from __future__ import annotations

import codecs
import copy
import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, NamedTuple

from caliper_contract._explain import documented
from caliper_contract._jsonedit import Action, Change, apply, replacements
from caliper_contract._jsontext import JSONTextError, Position, decode, line_index, load
from caliper_contract._jsonvalue import show
from caliper_contract._nearmiss import near_misses
from caliper_contract.contract import Contract
from caliper_contract.pointers import pointer, tokens
from caliper_contract.profile import TIMEBACK_PROFILE, is_event, load_profile_schema
from caliper_contract.report import Report, Violation
from caliper_contract.rules import RULES, Fix, FixKind, check_ignorable, check_rule_ids

__all__ = ["AppliedFix", "Fixed", "Fixer", "TextFix", "fix", "fix_event", "fix_text"]

PayloadKind = Literal["envelope", "event"]
#: More rounds than any payload needs: a round fixes what the last one revealed (a renamed key's null, say).
_MOST_ROUNDS = 8
#: Allowed values of rules checked in Python, which have no schema keyword to read them from.
_PYTHON_ALLOWED: dict[str, tuple[str, ...]] = {"timeback.profile": (TIMEBACK_PROFILE,)}
#: A UUID as RFC 9562 writes it, without the urn:uuid: prefix.
_BARE_UUID = re.compile(r"[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}")
#: An RFC 3339 date-time, in parts; the fraction is kept as written, so the precision stays.
_DATE_TIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})(?P<t>[Tt ])(?P<time>\d{2}:\d{2}:\d{2})(?P<fraction>\.\d+)?"
    r"(?P<sign>[+-])(?P<hours>\d{2}):(?P<minutes>\d{2})"
)


@dataclass(frozen=True)
class AppliedFix:
    """One fix made: the rule whose violation it mended, where, and what was there before and after.

    ``path`` is the JSON Pointer of the violation in the payload as it was
    given.  ``action`` says what changed there: "replace" (``before`` and
    ``after`` are the value), "rename" (they are the property's key) or
    "remove" (the property with the null ``before`` is gone; ``after`` is None).
    """

    rule: str
    path: str
    action: Action
    before: Any
    after: Any
    #: False for a fix made only with ``unsafe=True`` (``--unsafe-fixes``).
    safe: bool = True

    def __str__(self) -> str:
        if self.action == "rename":
            words = f"renamed to {show(self.after)}"
        elif self.action == "remove":
            words = "removed the property holding null"
        else:
            words = f"{show(self.before)} became {show(self.after)}"
        return f"{self.path or '(root)'}: {words} [{self.rule}]"


class Fixed(NamedTuple):
    """What :func:`fix` gives: the fixed payload, and the fixes made in the order they were made.

    ``value`` is a new value when something was fixed, and the payload itself
    otherwise; the payload passed in is never changed.
    """

    value: Any
    fixes: tuple[AppliedFix, ...]


@dataclass(frozen=True)
class TextFix:
    """One fix made in a JSON text: the fix, and where the text changed.

    ``pointer`` is the fix's path inside the text (a list's payloads start with
    ``/0``...); ``at`` is where the value the fix is about starts (where
    ``caliper-contract check`` reports the violation); ``text[start:end]`` (offsets
    ``span``, positions ``start`` and ``end``, the end one past the last
    character) was replaced by ``replacement``.
    """

    fix: AppliedFix
    pointer: str
    at: Position
    start: Position
    end: Position
    span: tuple[int, int]
    replacement: str


@dataclass(frozen=True)
class _Edit:
    """An edit a fix proposes, at ``path`` (tokens in the payload as it is now)."""

    violation: Violation
    path: tuple[str, ...]
    action: Action
    before: Any
    after: Any
    safe: bool

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.violation.rule, self.path, self.action, _hashable(self.after))

    def apply(self, payload: Any) -> Callable[[], None] | None:
        """Make the edit in ``payload``; return what undoes it, or None when the payload no longer fits it."""
        holder = _at(payload, self.path[:-1])
        last = self.path[-1]
        if isinstance(holder, list) and self.action == "replace" and _is_index(last, holder):
            index = int(last)
            if not _same(holder[index], self.before):
                return None
            holder[index] = self.after
            return lambda: holder.__setitem__(index, self.before)
        if not isinstance(holder, dict) or last not in holder:
            return None
        if self.action == "rename":
            if self.after in holder:
                return None
            items = list(holder.items())
            kept = [(self.after if key == last else key, value) for key, value in items]
        elif not _same(holder[last], self.before):
            return None
        elif self.action == "replace":
            holder[last] = self.after
            return lambda: holder.__setitem__(last, self.before)
        else:
            items = list(holder.items())
            kept = [(key, value) for key, value in items if key != last]
        # Rebuilt, not popped: a renamed key keeps its place among the others.
        holder.clear()
        holder.update(kept)

        def undo() -> None:
            holder.clear()
            holder.update(items)

        return undo

    def mends(self, before: Report, after: Report) -> bool:
        """Whether ``after`` (the payload edited) no longer has the violation, and nothing new where it edited."""
        fixed = self.violation
        if any(v.rule == fixed.rule and v.path == fixed.path for v in after.violations):
            return False
        known = set(before.violations)
        if self.action == "rename":
            # The value is checked under its documented name from now on: what is wrong with it is
            # reported, as it would be had it been named right.
            return True
        if self.action == "remove":
            # Nothing new at the object it was removed from: a missing required property is reported there.
            edited = {pointer(self.path), pointer(self.path[:-1])}
            return not any(v.path in edited and v not in known for v in after.violations)
        # No new error at the value.  A warning about it may show once an error is gone, since errors
        # outrank warnings at one value (the sender's own profile "GeneralProfile", once spelled right,
        # is stored but not counted).
        here = pointer(self.path)
        return not any(
            v.path == here and v not in known and (v.severity == "error" or fixed.severity == "warning")
            for v in after.violations
        )


class Fixer:
    """Makes the fixes of one contract's rules: safe ones, or unsafe ones too; all rules, or some.

    ``ignore`` are rules whose violations are neither fixed nor counted when
    validating again (as ``validate(..., ignore=...)``); ``select``, when
    given, the only rules whose violations are fixed.
    """

    def __init__(
        self,
        contract: Contract | None = None,
        *,
        unsafe: bool = False,
        ignore: Iterable[str] = (),
        select: Iterable[str] | None = None,
    ) -> None:
        self.contract = contract if contract is not None else Contract.default()
        self.unsafe = unsafe
        self.ignore = check_ignorable(ignore)
        self.select = check_rule_ids(select) if select is not None else None

    def fixable(self, rule_id: str) -> Fix | None:
        """The fix this fixer makes for a violation of ``rule_id``, if it makes one."""
        declared = RULES[rule_id].fix
        if declared is None or not (declared.safe or self.unsafe) or rule_id in self.ignore:
            return None
        return declared if self.select is None or rule_id in self.select else None

    def fix(self, payload: Any, kind: PayloadKind = "envelope") -> Fixed:
        """The payload (an envelope, or one event), fixed; see the module docstring."""
        if isinstance(payload, (str, bytes, bytearray)):
            return self._fix_json_text(payload, kind)
        validate = self.contract.validate_event if kind == "event" else self.contract.validate

        def check(value: Any) -> Report:
            return validate(value, ignore=self.ignore)

        report = check(payload)
        if not any(self.fixable(v.rule) for v in report.violations):
            return Fixed(payload, ())
        value = copy.deepcopy(payload)
        made: list[AppliedFix] = []
        renames: list[tuple[tuple[str, ...], str, str]] = []  # (object, old key, new key), in the order made
        refused: set[tuple[Any, ...]] = set()
        for _ in range(_MOST_ROUNDS):
            proposed = self._edits(report, value, refused)
            if not proposed:
                break
            kept, report = _try(proposed, value, report, check, refused)
            for edit in kept:
                original = _original(edit.path, renames)
                made.append(
                    AppliedFix(edit.violation.rule, pointer(original), edit.action, edit.before, edit.after, edit.safe)
                )
            renames += [(edit.path[:-1], edit.path[-1], edit.after) for edit in kept if edit.action == "rename"]
            if not kept:
                break
        return Fixed(value, tuple(made)) if made else Fixed(payload, ())

    def _edits(self, report: Report, value: Any, refused: set[tuple[Any, ...]]) -> list[_Edit]:
        """The edits the violations of ``report`` call for, one per place, none refused before."""
        edits: dict[tuple[str, ...], _Edit] = {}
        for violation in report.violations:
            declared = self.fixable(violation.rule)
            if declared is None:
                continue
            edit = _MAKERS[declared.kind](self, violation, value, declared.safe)
            if edit is not None and edit.key not in refused:
                edits.setdefault(edit.path, edit)
        return list(edits.values())

    def _fix_json_text(self, payload: str | bytes | bytearray, kind: PayloadKind) -> Fixed:
        data = payload if isinstance(payload, str) else bytes(payload)
        try:
            text = data if isinstance(data, str) else decode(data)
            value = load(text.removeprefix("\ufeff")).value
        except JSONTextError:
            return Fixed(payload, ())  # not JSON: nothing to fix, and nothing is touched
        bom = "\ufeff" if text.startswith("\ufeff") else ""
        fixed, made = fix_text(text[len(bom) :], [("", value, kind)], self)
        if not made:
            return Fixed(payload, ())
        if isinstance(data, str):
            return Fixed(bom + fixed, tuple(item.fix for item in made))
        prefix = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
        return Fixed(prefix + fixed.encode("utf-8"), tuple(item.fix for item in made))

    # -- where a fix reads what is allowed -------------------------------------------------

    def _schema_at(self, location: str | None) -> Any:
        """The schema keyword a violation's ``schema_location`` names, or None."""
        if location is None:
            return None
        name, _, where = location.partition("#")
        # The names caliper_contract._layers gives the two documents in schema locations.
        document = {"openapi": self.contract.document.contents, "timeback-profile": _profile_schema()}.get(name)
        return _at(document, tokens(where)) if document is not None else None

    def _allowed(self, violation: Violation) -> tuple[Any, ...]:
        location = violation.schema_location or ""
        keyword = self._schema_at(location)
        if location.endswith("/enum") and isinstance(keyword, list):
            return tuple(keyword)
        if location.endswith("/const"):
            return (keyword,)
        return _PYTHON_ALLOWED.get(violation.rule, ())


# -- the fixes, one function per kind -----------------------------------------------------------

_Maker = Callable[[Fixer, Violation, Any, bool], "_Edit | None"]


def _rename(fixer: Fixer, violation: Violation, value: Any, safe: bool) -> _Edit | None:
    """A misnamed property: renamed when the key is a near miss of one documented property, absent, and no
    other key of the object is a near miss of it alone."""
    path = tuple(tokens(violation.path))
    holder = _at(value, path[:-1]) if path else None
    location = violation.schema_location or ""
    if not isinstance(holder, dict) or path[-1] not in holder or "/additionalProperties" not in location:
        return None
    key = path[-1]
    names = documented(fixer._schema_at(location.rpartition("/additionalProperties")[0]), key)
    meant = near_misses(key, names)
    if len(meant) != 1 or meant[0] in holder:
        return None
    rivals = [other for other in holder if other != key and other not in names and near_misses(other, names) == meant]
    return None if rivals else _Edit(violation, path, "rename", key, meant[0], safe)


def _remove_null(fixer: Fixer, violation: Violation, value: Any, safe: bool) -> _Edit | None:
    """An explicit null on a property: the property removed (a null item of an array stays)."""
    path = tuple(tokens(violation.path))
    holder = _at(value, path[:-1]) if path else None
    if not isinstance(holder, dict) or path[-1] not in holder or holder[path[-1]] is not None:
        return None
    return _Edit(violation, path, "remove", None, None, safe)


def _utc(fixer: Fixer, violation: Violation, value: Any, safe: bool) -> _Edit | None:
    """A date-time at another offset: the same instant in UTC with Z, to the same precision."""
    path = tuple(tokens(violation.path))
    current = _at(value, path)
    written = in_utc(current) if path and isinstance(current, str) else None
    return None if written is None or written == current else _Edit(violation, path, "replace", current, written, safe)


def _urn_uuid(fixer: Fixer, violation: Violation, value: Any, safe: bool) -> _Edit | None:
    """An event id that is a bare UUID: urn:uuid: before it."""
    path = tuple(tokens(violation.path))
    current = _at(value, path)
    if not (path and path[-1] == "id" and is_event(_at(value, path[:-1]))):
        return None
    if not (isinstance(current, str) and _BARE_UUID.fullmatch(current)):
        return None
    return _Edit(violation, path, "replace", current, f"urn:uuid:{current}", safe)


def _allowed_value(fixer: Fixer, violation: Violation, value: Any, safe: bool) -> _Edit | None:
    """A string that differs from exactly one allowed value only by case or surrounding whitespace: that value."""
    path = tuple(tokens(violation.path))
    current = _at(value, path)
    if not (path and isinstance(current, str)):
        return None
    wanted = current.strip().casefold()
    meant = {allowed for allowed in fixer._allowed(violation) if isinstance(allowed, str)}
    meant = {allowed for allowed in meant if allowed.casefold() == wanted}
    if len(meant) != 1 or current in meant:
        return None
    return _Edit(violation, path, "replace", current, meant.pop(), safe)


_MAKERS: dict[FixKind, _Maker] = {
    "rename": _rename,
    "remove-null": _remove_null,
    "utc": _utc,
    "urn-uuid": _urn_uuid,
    "allowed-value": _allowed_value,
}


def in_utc(timestamp: str) -> str | None:
    """An RFC 3339 date-time with a numeric offset, as the same instant in UTC with Z; None for anything else.

    The fraction of a second is kept as written (its digits are not arithmetic:
    only whole seconds move), so the precision stays.  A leap second, or a time
    that leaves the years 1 to 9999 in UTC, has no such form here and is left alone.
    """
    match = _DATE_TIME.fullmatch(timestamp)
    if match is None:
        return None
    try:
        local = dt.datetime.fromisoformat(f"{match['date']}T{match['time']}")
        offset = dt.timedelta(hours=int(match["hours"]), minutes=int(match["minutes"]))
        moment = local - offset if match["sign"] == "+" else local + offset
    except (ValueError, OverflowError):
        return None
    date = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
    return f"{date}{match['t']}{moment:%H:%M:%S}{match['fraction'] or ''}Z"


def _try(
    proposed: Sequence[_Edit],
    value: Any,
    report: Report,
    check: Callable[[Any], Report],
    refused: set[tuple[Any, ...]],
) -> tuple[list[_Edit], Report]:
    """Make the proposed edits, keep those the contract says mend their violations; the new report.

    All together first: one validation in the common case, where each mends its
    violation.  Otherwise one at a time, in order, each judged on its own: an
    edit that does not mend its violation is undone and refused for good (two
    nulls of one object may each be removable, but not both).
    """
    made = [(edit, undo) for edit in proposed if (undo := edit.apply(value)) is not None]
    trial = check(value) if made else report
    if all(edit.mends(report, trial) for edit, _ in made):
        return [edit for edit, _ in made], trial
    for _, undo in reversed(made):
        undo()
    kept: list[_Edit] = []
    for edit in proposed:
        undo_one = edit.apply(value)
        if undo_one is None:  # an edit kept before it took the place it needs
            continue
        trial = check(value)
        if edit.mends(report, trial):
            kept.append(edit)
            report = trial
        else:
            undo_one()
            refused.add(edit.key)
    return kept, report


def _original(path: tuple[str, ...], renames: Sequence[tuple[tuple[str, ...], str, str]]) -> tuple[str, ...]:
    """A path in the payload as it is now, as a path in the payload as it was given (renamed keys undone)."""
    for holder, old, new in reversed(renames):
        depth = len(holder)
        if len(path) > depth and path[:depth] == holder and path[depth] == new:
            path = (*holder, old, *path[depth + 1 :])
    return path


def _at(value: Any, path: Sequence[str]) -> Any:
    """The value at these pointer tokens (in a payload, or a schema document), or None when there is none."""
    for token in path:
        if isinstance(value, dict):
            value = value.get(token)
        elif isinstance(value, list) and _is_index(token, value):
            value = value[int(token)]
        else:
            return None
    return value


def _is_index(token: str, array: list[Any]) -> bool:
    return token.isascii() and token.isdigit() and int(token) < len(array)


def _same(one: Any, other: Any) -> bool:
    # 1 == True in Python; a fix must find exactly the value it was made for.
    return type(one) is type(other) and one == other


def _hashable(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


@cache
def _profile_schema() -> Any:
    return load_profile_schema()


# -- JSON text ------------------------------------------------------------------------------------


def fix_text(
    text: str, payloads: Sequence[tuple[str, Any, PayloadKind]], fixer: Fixer
) -> tuple[str, tuple[TextFix, ...]]:
    """Fix the payloads of one JSON text, at the text of what the fixes change and nowhere else.

    ``payloads`` are the payloads the text holds, each with its JSON Pointer in
    the text ("" for the whole text, "/2" for the third of a list) and its kind,
    as :func:`caliper_contract._files.read` makes them.  Returns the new text and
    the fixes made, each located in the text as it was.
    """
    made: list[tuple[str, AppliedFix]] = []
    expected: dict[str, Any] = {}
    for at, value, kind in payloads:
        if not isinstance(value, (dict, list)):
            continue  # a string is not JSON text here, and nothing else has a fix
        fixed = fixer.fix(value, kind)
        made += [(at + applied.path, applied) for applied in fixed.fixes]
        expected[at] = fixed.value
    if not made:
        return text, ()
    changes = [Change(where, applied.action, applied.after) for where, applied in made]
    edits = replacements(text, changes)
    new = apply(text, edits)
    # The text must read as what the payloads were fixed into: a last check that nothing else changed.
    reread = load(new).value
    assert all(_at_pointer(reread, at) == value for at, value in expected.items()), "an edit changed more than its fix"
    position = line_index(text)
    located = tuple(
        TextFix(
            applied,
            where,
            position(edit.value),
            position(edit.start),
            position(edit.end),
            (edit.start, edit.end),
            edit.new,
        )
        for (where, applied), edit in zip(made, edits, strict=True)
    )
    return new, located


def _at_pointer(value: Any, at: str) -> Any:
    return value if not at else value[int(tokens(at)[0])]


# -- the public functions ----------------------------------------------------------------------------


def fix(
    payload: Any,
    *,
    unsafe: bool = False,
    ignore: Iterable[str] = (),
    contract: Contract | None = None,
) -> Fixed:
    """Fix an envelope: the safe fixes of its violations (and the unsafe ones with ``unsafe=True``).

    ``payload`` is a parsed value, or JSON text (str or bytes), which is fixed
    at the fixed values alone and returned as text, its formatting kept.
    ``ignore`` skips rules, as in ``validate``; ``contract`` is the bundled one
    unless given.  Returns ``Fixed(value, fixes)``.
    """
    return Fixer(contract, unsafe=unsafe, ignore=ignore).fix(payload)


def fix_event(
    event: Any,
    *,
    unsafe: bool = False,
    ignore: Iterable[str] = (),
    contract: Contract | None = None,
) -> Fixed:
    """Fix one event on its own, as :func:`fix` fixes an envelope; paths are relative to the event."""
    return Fixer(contract, unsafe=unsafe, ignore=ignore).fix(event, "event")
