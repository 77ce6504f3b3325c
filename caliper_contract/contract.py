"""The contract: one OpenAPI document and the Timeback profile, compiled once, applied to payloads.

Two schema layers run on every payload: the OpenAPI document's request body
schema, and the Timeback profile schema on each Timeback event (which events
those are, :func:`caliper_contract.profile.judge_profile` decides); the Python
rules of :mod:`caliper_contract.profile` follow.  This module holds the final
policy: which rules are ignored, which of the rules about one value are
reported, strictness, and the order of a report.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Any

from caliper_contract import openapi, profile
from caliper_contract._engines import Engine
from caliper_contract._jsontext import JSONTextError, parse
from caliper_contract._jsonvalue import Scan, scan
from caliper_contract._layers import OPENAPI_URI, PROFILE_URI, Layer
from caliper_contract.errors import SpecError
from caliper_contract.openapi import Example, OpenAPIDocument
from caliper_contract.pointers import resolve_pointer, tokens
from caliper_contract.report import ContractError, Report, Subject, Violation
from caliper_contract.rules import RULES, check_ignorable


class Contract:
    """The Timeback Events API contract of one OpenAPI document, compiled once.

    ``Contract.default()`` is the bundled, published document; use
    ``Contract.from_openapi(path)`` for another version.  A contract is
    immutable and safe to share between threads, and it pickles: what travels
    is its document, and it is compiled again where it is unpickled, so it can
    be sent to multiprocessing, xdist or Spark/Dask workers.
    """

    def __init__(self, document: OpenAPIDocument, *, engine: Engine = "auto") -> None:
        self.document = document
        documents = openapi.Documents(document, {PROFILE_URI: profile.load_profile_schema()})
        self._envelope = Layer("openapi", documents, OPENAPI_URI, openapi.ENVELOPE_POINTER, engine)
        self._documents, self._engine = documents, engine
        self._profile = Layer("timeback-profile", documents, PROFILE_URI, "", engine)
        self._profiles = profile.caliper_profiles(document.contents, _event_pointer(document))

    def __reduce__(self) -> tuple[Any, ...]:
        # Compiled verdicts are code objects and Rust handles: they do not pickle, and rebuilding is cheap.
        return (_rebuild, (self.document, self._engine, self is _default))

    @cached_property
    def _event(self) -> Layer | None:
        # Only validate_event() needs it: compiled on first use.
        event_pointer = _event_pointer(self.document)
        if event_pointer is None:
            return None
        return Layer("openapi", self._documents, OPENAPI_URI, event_pointer, self._engine)

    @classmethod
    def from_openapi(cls, path: str | Path, *, engine: Engine = "auto") -> Contract:
        """Load another OpenAPI 3.1 document; raises :class:`~caliper_contract.SpecError`.

        ``engine`` picks the fast path (see :mod:`caliper_contract._engines`);
        reports are the same whichever is used.
        """
        return cls(openapi.load(path), engine=engine)

    @classmethod
    def default(cls) -> Contract:
        """The bundled contract, loaded on first use and shared afterwards."""
        global _default
        with _default_lock:
            if _default is None:
                _default = cls(openapi.load_bundled())
            return _default

    # -- checking ---------------------------------------------------------------

    def validate(self, payload: Any, *, strict: bool = False, ignore: Iterable[str] = ()) -> Report:
        """Check an envelope (a parsed value, or JSON text as str/bytes)."""
        return self._check(payload, self._envelope, envelope=True, strict=strict, ignore=ignore)

    def validate_event(self, event: Any, *, strict: bool = False, ignore: Iterable[str] = ()) -> Report:
        """Check one event on its own; paths are relative to the event."""
        if self._event is None:
            raise SpecError(self.document.source, "no Event schema to check a lone event against")
        return self._check(event, self._event, envelope=False, strict=strict, ignore=ignore)

    def assert_valid(self, payload: Any, *, strict: bool = False, ignore: Iterable[str] = ()) -> Report:
        """Return the report, or raise :class:`ContractError` listing every error."""
        __tracebackhide__ = True
        report = self.validate(payload, strict=strict, ignore=ignore)
        if not report.ok:
            raise ContractError(report)
        return report

    def _validate_json(
        self, value: Any, *, event: bool, has_null: bool, strict: bool = False, ignore: Iterable[str] = ()
    ) -> Report:
        """validate(), or validate_event() when ``event``, of a value a strict JSON reader has just produced.

        The reader vouches for what :func:`~caliper_contract._jsonvalue.scan` would find (JSON types only,
        nested no deeper than its limit) and says whether a null occurs, so the scan is skipped.
        """
        layer = self._envelope
        if event:
            if self._event is None:
                raise SpecError(self.document.source, "no Event schema to check a lone event against")
            layer = self._event
        return self._check(value, layer, envelope=not event, strict=strict, ignore=ignore, has_null=has_null)

    def examples(self, *, send_time: str = openapi.EXAMPLE_SEND_TIME) -> tuple[Example, ...]:
        """The document's request examples, placeholders filled (see :mod:`caliper_contract.openapi`)."""
        return self.document.examples(send_time=send_time)

    def _check(
        self,
        payload: Any,
        layer: Layer,
        *,
        envelope: bool,
        strict: bool,
        ignore: Iterable[str],
        has_null: bool | None = None,
    ) -> Report:
        ignored = check_ignorable(ignore)
        subject: Subject = "envelope" if envelope else "event"
        if isinstance(payload, (str, bytes, bytearray)):
            try:
                payload = parse(payload)
            except JSONTextError as error:
                # About the text, not a value: the path is the root, and the words and position are
                # those `caliper-contract check` prints for a file.
                where = f"line {error.position.line} column {error.position.column}: "
                return Report((Violation("", error.rule, "error", where + error.message),), subject)
        scanned = scan(payload) if has_null is None else Scan((), has_null)  # see _validate_json
        found: list[tuple[str, Violation]] = [(v.path, v) for v in scanned.violations]
        if not scanned.checkable:
            return _finish(found, strict, ignored, payload, subject)
        try:
            found.extend(layer.violations(payload, ()))
        except RecursionError:  # a document's recursive schema, followed down a deep payload
            found.append(("", Violation("", "json.too-deep", "error", _TOO_DEEP_FOR_SCHEMA)))
            return _finish(found, strict, ignored, payload, subject)
        if envelope:
            data = payload.get("data") if isinstance(payload, dict) else None
            events: list[tuple[tuple[object, ...], Any]] = (
                [(("data", index), item) for index, item in enumerate(data)] if isinstance(data, list) else []
            )
            if isinstance(payload, dict):
                found.extend((v.path, v) for v in profile.check_envelope(payload))
        else:
            events = [((), payload)]
        for path, item in events:
            verdict = profile.judge_profile(item, path, self._profiles)
            found.extend(verdict.findings)
            if verdict.timeback:
                found.extend(self._profile.violations(item, path))
                found.extend((v.path, v) for v in profile.check_event(item, path, has_null=scanned.has_null))
        return _finish(found, strict, ignored, payload, subject)


_TOO_DEEP_FOR_SCHEMA = (
    "nested too deeply for python-jsonschema to follow the document's schema down to the bottom; not checked further"
)


def _finish(
    found: list[tuple[str, Violation]], strict: bool, ignored: frozenset[str], payload: Any, subject: Subject
) -> Report:
    if not found:  # the common case, kept cheap: a Report is immutable, so one can be shared
        return _CLEAN[subject]
    kept = [(target, v) for target, v in found if v.rule not in ignored]
    # One value, one story: of the rules that speak of one value, only those of the
    # highest rank are reported, errors above warnings (see Rule.precedence).
    highest: dict[str, tuple[bool, int]] = {}
    for target, v in kept:
        rank = _rank(v)
        if rank > highest.get(target, (False, -1)):
            highest[target] = rank
    violations = {v for target, v in kept if _rank(v) == highest[target]}
    if strict:
        violations = {Violation(v.path, v.rule, "error", v.message, v.schema_location) for v in violations}
    return Report(tuple(sorted(violations, key=lambda v: _order(v, payload))), subject)


_CLEAN: dict[Subject, Report] = {"envelope": Report((), "envelope"), "event": Report((), "event")}


def _rank(violation: Violation) -> tuple[bool, int]:
    rule = RULES[violation.rule]
    return (rule.severity == "error", rule.precedence)


def _order(violation: Violation, payload: Any) -> tuple[Any, ...]:
    """Errors first, then document order: where the offending value stands in the payload as it was sent."""
    return (
        violation.severity != "error",
        _document_position(violation.path, payload),
        violation.rule,
        violation.message,
    )


def _document_position(path: str, payload: Any) -> tuple[tuple[int, str], ...]:
    # Each step: the key's place among its object's keys (a key the object lacks
    # comes after those it has, by name), or the array index.
    position: list[tuple[int, str]] = []
    node = payload
    for token in tokens(path):
        if isinstance(node, dict):
            keys = list(node)
            if token in node:
                position.append((keys.index(token), ""))
                node = node[token]
                continue
            position.append((len(keys), token))
        elif isinstance(node, list) and token.isascii() and token.isdigit() and int(token) < len(node):
            position.append((int(token), ""))
            node = node[int(token)]
            continue
        else:
            position.append((0, token))
        node = None
    return tuple(position)


def _event_pointer(document: OpenAPIDocument) -> str | None:
    """Where one event's schema is: the Event component, or the envelope's data items."""
    if document.component("Event") is not None:
        return "/components/schemas/Event"
    location = openapi.ENVELOPE_POINTER
    documents = openapi.Documents(document, {})
    node = resolve_pointer(document.contents, location)
    try:
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):  # loops were refused at load
            _, location, node = documents.follow(node["$ref"], document.uri, node)
    except Exception:  # a reference out of the document: no event schema to be found there
        return None
    properties = node.get("properties") if isinstance(node, dict) else None
    data = properties.get("data") if isinstance(properties, dict) else None
    if isinstance(data, dict) and isinstance(data.get("items"), dict):
        return f"{location}/properties/data/items"
    return None


def _rebuild(document: OpenAPIDocument, engine: Engine, default: bool) -> Contract:
    """A pickled contract, unpickled: the shared default one, or the same document compiled again."""
    return Contract.default() if default else Contract(document, engine=engine)


_default: Contract | None = None
_default_lock = threading.Lock()


def validate(payload: Any, *, strict: bool = False, ignore: Iterable[str] = ()) -> Report:
    """Check a Caliper envelope against the bundled Timeback Events API contract."""
    return Contract.default().validate(payload, strict=strict, ignore=ignore)


def validate_event(event: Any, *, strict: bool = False, ignore: Iterable[str] = ()) -> Report:
    """Check one Caliper event against the bundled contract; paths are relative to it."""
    return Contract.default().validate_event(event, strict=strict, ignore=ignore)


def assert_valid(payload: Any, *, strict: bool = False, ignore: Iterable[str] = ()) -> Report:
    """Raise :class:`ContractError` (an AssertionError) listing every error, else return the report."""
    __tracebackhide__ = True
    return Contract.default().assert_valid(payload, strict=strict, ignore=ignore)
