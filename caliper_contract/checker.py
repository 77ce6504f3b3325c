"""Check stage: the contract, compiled once, applied to payloads.

Two schema layers run on every payload: the OpenAPI document's request body
schema, and the Timeback profile schema on each TimebackProfile event; the
Python rules of :mod:`caliper_contract.profile` follow.  Each jsonschema error
becomes a :class:`~caliper_contract.report.Violation` with a catalogue rule id,
a JSON Pointer and a message a person can act on.
"""

from __future__ import annotations

import difflib
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from caliper_contract import dialect, openapi, profile
from caliper_contract.errors import ContractError, SpecError, UnknownRuleError
from caliper_contract.fastpath import Engine, compile_verdict
from caliper_contract.formats import FORMAT_HINTS
from caliper_contract.openapi import Example, OpenAPIDocument, resolve_pointer
from caliper_contract.patterns import MATCH_TIMEOUT, search, timed_out
from caliper_contract.payload import parse_text, scan, show
from caliper_contract.pointers import escape, pointer
from caliper_contract.report import Report, Violation
from caliper_contract.rules import RULES, check_rule_ids

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

_PROFILE_URI = "urn:caliper-contract:timeback-profile"
_KEYWORD_RULES = {
    "required": "openapi.required",
    "type": "openapi.type",
    "format": "openapi.format",
    "const": "openapi.const",
    "enum": "openapi.enum",
    "pattern": "openapi.pattern",
    "additionalProperties": "openapi.additional-properties",
    "minItems": "openapi.min-items",
}
_JSON_TYPES = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    type(None): "null",
    int: "number",
    float: "number",
}
_TOO_DEEP_FOR_SCHEMA = (
    "nested too deeply for python-jsonschema to follow the document's schema down to the bottom; not checked further"
)
#: Rules about payloads that cannot be read at all: ignoring them would leave nothing checked.
_UNREADABLE = frozenset(rule for rule in RULES if rule.startswith("json."))


class _Layer:
    """One schema: a fast verdict for clean values, python-jsonschema to explain the rest.

    Explaining is the slow part, so a failing value is first narrowed down.  A
    schema is split into a *shell* (its own keywords) and layers of its
    subschemas, each with its own verdict: *parts* (a property that refers to
    another schema, or the items of an array property), the entries of its
    ``allOf``, and the ``then`` or ``else`` its ``if`` picks.  python-jsonschema
    runs on the shell and on the layers whose verdict fails.  Every keyword of
    the schema is still evaluated exactly once, so the violations are the ones a
    whole-schema run finds; a test compares the two.  An ``anyOf`` whose branch
    can be told without validating (see :func:`_static_branch`) is explained
    through that branch alone, as :func:`_explain` would.
    """

    def __init__(
        self,
        name: str,
        documents: openapi.Documents,
        uri: str,
        pointer: str,
        engine: Engine,
        *,
        shell: dict[str, Any] | None = None,
        inherited: dict[str, Any] | None = None,
    ) -> None:
        self.name = name  # "openapi" or "timeback-profile": the prefix of schema locations
        self.documents = documents  # resource URI -> contents, to resolve $ref while reporting
        self.uri, self.pointer, self.engine = uri, pointer, engine
        # The nearest schema above this one that names a rule: a check without
        # an x-rule of its own belongs to it, as in a whole-schema run.
        self.inherited = inherited
        self._shell = shell
        if not documents.plain(uri):
            # Its references need referencing ($id, anchors, dynamic scopes): python-jsonschema alone.
            self.fast = None
        elif shell is None:
            self.fast = compile_verdict(documents[uri], pointer, engine=engine, uri=uri)
        else:
            # The shell's verdict sees it as a subschema of a copy of its document.
            self.fast = compile_verdict({**documents[uri], _SHELL: shell}, f"/{_SHELL}", engine=engine, uri=uri)
        self.shell: _Layer | None = None
        self.parts: dict[str, _Layer] = {}  # by property
        self.items: _Layer | None = None  # each item of an array
        self.together: list[_Layer] = []  # the allOf entries
        self.condition: tuple[_Layer, _Layer | None, _Layer | None] | None = None  # if, then, else
        self.branches: list[_Layer] = []
        self._narrowed = shell is not None or self.fast is None  # nothing to narrow down without verdicts
        self._lock = threading.Lock()

    def _narrow(self) -> None:
        """Build the shell, parts or branches, once, on the first value that needs explaining."""
        with self._lock:
            if not self._narrowed:
                self._split()
                self._narrowed = True

    def _split(self) -> None:
        engine = self.engine
        uri, pointer, schema, passed = _follow_refs(self.documents, self.uri, self.pointer)
        if not isinstance(schema, dict):
            return
        if _only(schema, "anyOf") and all(_plain_ref(branch) for branch in schema["anyOf"]):
            for branch in schema["anyOf"]:
                branch_uri, branch_pointer = _ref_target(branch["$ref"], uri)
                self.branches.append(_Layer(self.name, self.documents, branch_uri, branch_pointer, engine))
            return
        if _UNSPLITTABLE.intersection(schema):
            return
        inherited = _nearest_rule(passed, self.inherited)

        def layer(at: str) -> _Layer:
            return _Layer(self.name, self.documents, uri, at, engine, inherited=inherited)

        shell = dict(schema)
        properties = schema.get("properties")
        if isinstance(properties, dict):
            shell["properties"] = dict(properties)
            for key, subschema in properties.items():
                if isinstance(subschema, dict) and set(subschema) - _NOT_VALIDATION:
                    self.parts[key] = layer(f"{pointer}/properties/{escape(key)}")
                    shell["properties"][key] = True
        if isinstance(schema.get("items"), dict) and not _ITEMS_SIBLINGS.intersection(schema):
            self.items = layer(f"{pointer}/items")
            del shell["items"]
        if isinstance(schema.get("allOf"), list):
            self.together = [layer(f"{pointer}/allOf/{index}") for index in range(len(schema["allOf"]))]
            del shell["allOf"]
        if "if" in schema:
            self.condition = (
                layer(f"{pointer}/if"),
                layer(f"{pointer}/then") if "then" in schema else None,
                layer(f"{pointer}/else") if "else" in schema else None,
            )
            for keyword in ("if", "then", "else"):
                shell.pop(keyword, None)
        if self.parts or self.items or self.together or self.condition:
            self.shell = _Layer(self.name, self.documents, uri, pointer, engine, shell=shell, inherited=inherited)

    @cached_property
    def schema(self) -> Any:
        """What python-jsonschema checks: a copy whose "#/..." references name their document.

        Entering through a {"$ref": "uri#pointer"} instead would resolve that
        pointer again on every check; a document whose references need more
        than a pointer (``$id``, anchors) is entered so all the same.  Built,
        like the validator, only when a value needs explaining.
        """
        if not self.documents.plain(self.uri):
            return {"$ref": f"{self.uri}#{quote(self.pointer, safe=_POINTER_SAFE)}"}
        source = self._shell if self._shell is not None else resolve_pointer(self.documents[self.uri], self.pointer)
        return _absolute_refs(source, self.uri)

    @cached_property
    def validator(self) -> Draft202012Validator:
        # Built on the first value that needs explaining: valid payloads never
        # pay for importing and compiling python-jsonschema.  (Two threads may
        # both build it; either result is the same.)
        from caliper_contract.formats import format_checker
        from caliper_contract.patterns import bounded_validator_class

        validator: Draft202012Validator = bounded_validator_class()(
            self.schema, registry=self.documents.registry, format_checker=format_checker()
        )
        return validator

    def holds(self, instance: Any) -> bool:
        """Whether ``instance`` is valid here, as python-jsonschema decides (an ``if`` picking a branch).

        A verdict of "clean" is trusted; any other is confirmed, since an
        engine may be stricter than python-jsonschema.
        """
        return (self.fast is not None and self.fast(instance)) or self.validator.is_valid(instance)

    def violations(self, instance: Any, prefix: tuple[object, ...]) -> Iterator[tuple[str, Violation]]:
        if self.fast is not None and self.fast(instance):
            return
        if not self._narrowed:
            self._narrow()
        if self.branches:
            branch = _static_branch([layer.pointer.rsplit("/", 1)[-1] for layer in self.branches], instance)
            if branch is not None:
                yield from self.branches[branch].violations(instance, prefix)
                return
        elif self.shell is not None:
            yield from self.shell.violations(instance, prefix)
            if isinstance(instance, dict):
                for key, part in self.parts.items():
                    if key in instance:
                        yield from part.violations(instance[key], (*prefix, key))
            if self.items is not None and isinstance(instance, list):
                for index, item in enumerate(instance):
                    yield from self.items.violations(item, (*prefix, index))
            for entry in self.together:
                yield from entry.violations(instance, prefix)
            if self.condition is not None:
                condition, then, otherwise = self.condition
                chosen = then if condition.holds(instance) else otherwise
                if chosen is not None:
                    yield from chosen.violations(instance, prefix)
            return
        for error in self.validator.iter_errors(instance):
            for leaf in _explain(error):
                yield from self._to_violations(leaf, prefix)

    def _to_violations(self, error: ValidationError, prefix: tuple[object, ...]) -> Iterator[tuple[str, Violation]]:
        location, trail = self._walk(error.absolute_schema_path)
        # x-rule and x-message are the profile schema's own: in an OpenAPI document they are annotations.
        rule_schema = _nearest_rule(trail, self.inherited) if self.name != "openapi" else None
        if self.name == "openapi":
            rule = _KEYWORD_RULES.get(str(error.validator), "openapi.schema")
        elif rule_schema is not None:
            rule = rule_schema["x-rule"]
        else:  # every check in the profile schema names its rule; a test keeps it so
            raise AssertionError(f"profile schema check without x-rule at {location}")
        severity = RULES[rule].severity
        path = (*prefix, *error.absolute_path)
        # (unevaluatedProperties is reported whole: which keys are unevaluated depends on
        # every schema applied to the object, not on this one's properties.)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
            for key in _unexpected_keys(error.instance, error.schema):
                yield (
                    _target(path, key),
                    Violation(pointer((*path, key)), rule, severity, _unknown_property(key, known), location),
                )
            return
        if rule == "timeback.unknown-property":  # additionalProperties: {not: true}: path ends at the key
            parent = trail[-2] if len(trail) >= 2 else {}
            message = _unknown_property(str(path[-1]), parent.get("properties", {}))
        elif rule_schema is not None and "x-message" in rule_schema:
            message = rule_schema["x-message"].format(value=show(error.instance))
        else:
            message = _message(error)
        if error.validator == "required":
            missing = _missing_property(error)
            yield _target(path, missing), Violation(pointer(path), rule, severity, message, location)
        else:
            yield pointer(path), Violation(pointer(path), rule, severity, message, location)

    def _walk(self, schema_path: Sequence[Any]) -> tuple[str, list[dict[str, Any]]]:
        """The keyword's absolute location, and the schemas passed on the way.

        jsonschema's schema paths step through ``$ref`` silently (the keyword
        does not appear in them), so a reference is followed whenever the next
        token is not in the schema at hand.
        """
        node: Any = self.schema
        document_uri = self.uri
        tokens = [token for token in self.pointer.split("/") if token]
        trail: list[dict[str, Any]] = []
        follow = self.documents.follow
        rest = list(schema_path)
        try:
            while rest:
                token = rest[0]
                while isinstance(node, dict) and token not in node and isinstance(node.get("$ref"), str):
                    trail.append(node)
                    document_uri, fragment, node = follow(node["$ref"], document_uri, node)
                    tokens = [t for t in fragment.split("/") if t]
                if isinstance(node, dict):
                    trail.append(node)
                holder, node = node, node[token]
                tokens.append(escape(rest.pop(0)))
                if token == "$dynamicRef" and isinstance(node, str):
                    # python-jsonschema names $dynamicRef in schema paths (not $ref): go on at its
                    # target, the schema with its dynamic anchor that has the next keyword.
                    document_uri, fragment, node = follow(node, document_uri, holder)
                    if rest and isinstance(node, dict) and rest[0] not in node:
                        anchored = self.documents.schemas.dynamic_anchors.get(str(node.get("$dynamicAnchor")), [])
                        node = next((schema for schema in anchored if rest[0] in schema), node)
                        fragment = self.documents.schemas.location_of(node) or fragment
                    tokens = [t for t in fragment.split("/") if t]
        except Exception:  # a schema python-jsonschema reached some other way: name what is known
            tokens.extend(escape(token) for token in rest)
        name = {_OPENAPI_URI: "openapi", _PROFILE_URI: "timeback-profile"}.get(document_uri, document_uri)
        return f"{name}#/{'/'.join(tokens)}", trail


_OPENAPI_URI = "urn:caliper-contract:openapi"
#: What a JSON Pointer keeps unencoded in a URI fragment.
_POINTER_SAFE = "/~!$&'()*+,;=:@"


#: Keywords whose meaning depends on what ``properties`` evaluated: a schema
#: with one of them is explained whole.
_SHELL = "x-caliper-contract-shell"
_UNSPLITTABLE = frozenset({"unevaluatedProperties", "unevaluatedItems", "$dynamicRef", "$recursiveRef"})
#: Keywords that change what ``items`` applies to: an array schema with one keeps its items whole.
_ITEMS_SIBLINGS = frozenset({"prefixItems", "additionalItems"})
_NOT_VALIDATION = frozenset({"description", "title", "example", "examples", "default", "x-rule", "x-message"})


def _only(schema: dict[str, Any], keyword: str) -> bool:
    """Whether ``keyword`` is the only validation keyword of ``schema``."""
    return keyword in schema and not (set(schema) - _NOT_VALIDATION - {keyword})


def _plain_ref(schema: Any) -> bool:
    return isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and _only(schema, "$ref")


def _ref_target(ref: str, base_uri: str) -> tuple[str, str]:
    uri, _, fragment = ref.partition("#")
    return uri or base_uri, fragment


def _follow_refs(documents: Mapping[str, Any], uri: str, pointer: str) -> tuple[str, str, Any, list[Any]]:
    """The schema at ``uri#pointer``, through any chain of plain ``$ref`` schemas, and the schemas passed."""
    schema = resolve_pointer(documents[uri], pointer)
    passed = [schema]
    for _ in range(32):  # a chain this long is a loop
        if not _plain_ref(schema):
            break
        uri, pointer = _ref_target(schema["$ref"], uri)
        schema = resolve_pointer(documents[uri], pointer)
        passed.append(schema)
    return uri, pointer, schema, passed


def _nearest_rule(schemas: Sequence[Any], default: dict[str, Any] | None) -> dict[str, Any] | None:
    """The last of ``schemas`` that names a rule (``x-rule``), else ``default``."""
    return next((node for node in reversed(schemas) if isinstance(node, dict) and "x-rule" in node), default)


def _absolute_refs(schema: Any, uri: str) -> Any:
    """A copy of ``schema`` whose "#..." references name ``uri``: it is validated outside its document.

    Only schemas are rewritten: a ``$ref`` inside ``enum``, ``const`` or any
    other keyword's data is data, and a property may be named ``$ref``.
    """
    if not isinstance(schema, dict):
        return schema
    copied: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "$ref" and isinstance(value, str) and value.startswith("#"):
            copied[key] = f"{uri}{value}"
        elif key in dialect.IN_VALUE:
            copied[key] = _absolute_refs(value, uri)
        elif key in dialect.IN_SUBARRAY and isinstance(value, list):
            copied[key] = [_absolute_refs(item, uri) for item in value]
        elif key in dialect.IN_SUBVALUES and isinstance(value, dict):
            copied[key] = {name: _absolute_refs(item, uri) for name, item in value.items()}
        else:
            copied[key] = value
    return copied


def _target(path: tuple[object, ...], key: object) -> str:
    # What a violation is about, for deduplication: a missing or unknown
    # property is about that property, even though its path is the object.
    return pointer((*path, key))


def _explain(error: ValidationError) -> Iterator[ValidationError]:
    """Replace "not valid under any of the given schemas" by the real errors of one branch."""
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        yield error
        return
    branch = _choose_branch(error)
    depth = len(error.absolute_schema_path)
    for sub in error.context:
        if _branch_of(sub, depth) == branch:
            yield from _explain(sub)


def _branch_of(error: ValidationError, depth: int) -> int | None:
    """Which branch of an anyOf/oneOf (at ``depth``) an error of its context comes from.

    None for a `false` branch: python-jsonschema gives its error no index.
    """
    path = error.absolute_schema_path
    return int(path[depth]) if len(path) > depth else None


def _choose_branch(error: ValidationError) -> int | None:
    branches: list[Any] = list(error.validator_value)  # type: ignore[arg-type]  # set: this is an anyOf/oneOf error
    instance = error.instance
    names = [_ref_name(branch) for branch in branches]
    discriminator = error.schema.get("discriminator") if isinstance(error.schema, dict) else None
    if isinstance(discriminator, dict) and isinstance(instance, dict):
        value = instance.get(discriminator.get("propertyName"))
        target = (discriminator.get("mapping") or {}).get(value) if isinstance(value, str) else None
        for index, branch in enumerate(branches):
            ref = branch.get("$ref") if isinstance(branch, dict) else None
            if ref is not None and (ref == target or (target is None and names[index] == value)):
                return index
    static = _static_branch(names, instance)
    if static is not None:
        return static
    from jsonschema.exceptions import best_match

    depth = len(error.absolute_schema_path)
    # A `false` branch explains nothing ("False schema does not allow ..."): any other is a better story.
    errors = [sub for sub in error.context if _branch_of(sub, depth) is not None] or error.context
    return _branch_of(best_match(errors), depth)


def _static_branch(names: Sequence[str | None], instance: Any) -> int | None:
    """The Caliper decision between Event and Entity branches, made without validating.

    An item with action, eventTime or profile is an Event (the Entity schema
    forbids those keys), any other item an Entity.  ``names`` are the branches'
    schema names (the last token of each ``$ref``).
    """
    if "Event" in names and "Entity" in names:
        return names.index("Event" if profile.is_event(instance) else "Entity")
    return None


def _ref_name(schema: Any) -> str | None:
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def _unexpected_keys(instance: dict[str, Any], schema: Any) -> list[str]:
    schema = schema if isinstance(schema, dict) else {}
    known = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    return [key for key in instance if key not in known and not any(search(pattern, key) for pattern in patterns)]


def _missing_property(error: ValidationError) -> str:
    # jsonschema reports one error per missing property, naming it in the message only.
    names: list[Any] = list(error.validator_value)  # type: ignore[arg-type]  # set: this is a `required` error
    for name in names:
        if isinstance(error.instance, dict) and name not in error.instance and error.message.startswith(repr(name)):
            return str(name)
    return str(names[0])


def _json_type(value: object) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _suggest(value: object, options: Iterable[object]) -> str:
    """`; did you mean "X"?` for a near miss, else nothing."""
    if not isinstance(value, str):
        return ""
    return _closest(value, tuple(option for option in options if isinstance(option, str)))


@lru_cache(maxsize=1024)
def _closest(value: str, options: tuple[str, ...]) -> str:
    # Cached: a fixture suite or a fuzzing run repeats the same near misses, and
    # difflib is the slowest part of explaining them.
    candidates = {_normalise(option): option for option in options}
    if _normalise(value) in candidates:
        return f"; did you mean {show(candidates[_normalise(value)])}?"
    close = difflib.get_close_matches(_normalise(value), list(candidates), n=1, cutoff=0.7)
    return f"; did you mean {show(candidates[close[0]])}?" if close else ""


def _normalise(text: str) -> str:
    return re.sub(r"[\s_\-]", "", text).lower()


def _unknown_property(key: str, known: Iterable[object]) -> str:
    return f"unknown property {show(key)}{_suggest(key, known)}"


def _message(error: ValidationError) -> str:
    keyword = error.validator
    expected: Any = error.validator_value
    value: Any = error.instance
    if keyword == "required":
        return f"missing required property {show(_missing_property(error))}"
    if keyword == "type":
        wanted = " or ".join(expected) if isinstance(expected, list) else str(expected)
        got = _json_type(value)
        return f"expected {wanted}, got {got}" + ("" if isinstance(value, (dict, list)) else f" {show(value)}")
    if keyword == "format":
        return f"{show(value)} is not a valid {expected}: expected {FORMAT_HINTS.get(str(expected), str(expected))}"
    if keyword == "const":
        return f"expected {show(expected)}, got {show(value)}{_suggest(value, [expected]) if value != expected else ''}"
    if keyword == "enum":
        options = ", ".join(show(option) for option in expected[:12]) + (", ..." if len(expected) > 12 else "")
        return f"{show(value)} is not one of {options}{_suggest(value, expected)}"
    if keyword == "pattern":
        if timed_out(expected, value):
            return (
                f"{show(value)} could not be matched against the pattern {expected} within {MATCH_TIMEOUT} s "
                "(the pattern backtracks too much), so it counts as not matching"
            )
        return f"{show(value)} does not match the pattern {expected}"
    if keyword == "minItems":
        return f"expected at least {expected} item(s), got {len(value)}"
    if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"{show(value)} breaks {keyword} {expected}"
    if keyword is None:  # the schema `false`
        return f"no value is allowed here (the schema is false), got {show(value)}"
    return error.message


class Contract:
    """The Timeback Events API contract of one OpenAPI document, compiled once.

    ``Contract.default()`` is the bundled, published document; use
    ``Contract.from_openapi(path)`` for another version.  A contract is
    immutable and safe to share between threads.
    """

    def __init__(self, document: OpenAPIDocument, *, engine: Engine = "auto") -> None:
        self.document = document
        documents = openapi.Documents(document, {_PROFILE_URI: profile.load_profile_schema()})
        self._envelope = _Layer("openapi", documents, _OPENAPI_URI, openapi.ENVELOPE_POINTER, engine)
        self._documents, self._engine = documents, engine
        self._profile = _Layer("timeback-profile", documents, _PROFILE_URI, "", engine)

    @cached_property
    def _event(self) -> _Layer | None:
        # Only validate_event() needs it: compiled on first use.
        event_pointer = _event_pointer(self.document)
        if event_pointer is None:
            return None
        return _Layer("openapi", self._documents, _OPENAPI_URI, event_pointer, self._engine)

    @classmethod
    def from_openapi(cls, path: str | Path, *, engine: Engine = "auto") -> Contract:
        """Load another OpenAPI 3.1 document; raises :class:`~caliper_contract.SpecError`.

        ``engine`` picks the fast path (see :mod:`caliper_contract.fastpath`);
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

    def examples(self, *, send_time: str = openapi.EXAMPLE_SEND_TIME) -> tuple[Example, ...]:
        """The document's request examples, placeholders filled (see :mod:`caliper_contract.openapi`)."""
        return self.document.examples(send_time=send_time)

    def _check(self, payload: Any, layer: _Layer, *, envelope: bool, strict: bool, ignore: Iterable[str]) -> Report:
        ignored = check_rule_ids(ignore)
        unignorable = ignored.intersection(_UNREADABLE)
        if unignorable:
            raise UnknownRuleError(
                f"{sorted(unignorable)[0]} cannot be ignored: a payload that cannot be read cannot be checked"
            )
        if isinstance(payload, (str, bytes, bytearray)):
            parsed = parse_text(payload)
            if parsed.violations:
                return Report(parsed.violations)
            payload = parsed.value
        scanned = scan(payload)
        found: list[tuple[str, Violation]] = [(v.path, v) for v in scanned.violations]
        if not scanned.checkable:
            return _finish(found, strict, ignored)
        try:
            found.extend(layer.violations(payload, ()))
        except RecursionError:  # a document's recursive schema, followed down a deep payload
            found.append(("", Violation("", "json.too-deep", "error", _TOO_DEEP_FOR_SCHEMA)))
            return _finish(found, strict, ignored)
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
            if profile.is_timeback_event(item):
                found.extend(self._profile.violations(item, path))
                found.extend((v.path, v) for v in profile.check_event(item, path, has_null=scanned.has_null))
            elif profile.is_event(item) and isinstance(item.get("profile"), str):
                profile_path = pointer((*path, "profile"))
                if not any(v.path == profile_path for _, v in found):
                    found.append(
                        (
                            profile_path,
                            Violation(
                                profile_path,
                                "caliper.non-timeback-profile",
                                "warning",
                                f"profile {show(item['profile'])} is stored but not counted towards XP or time; "
                                'Timeback analytics read only "TimebackProfile" events',
                            ),
                        )
                    )
        return _finish(found, strict, ignored)


def _finish(found: list[tuple[str, Violation]], strict: bool, ignored: frozenset[str]) -> Report:
    if not found:  # the common case, kept cheap: a Report is immutable, so one can be shared
        return _CLEAN
    kept = [(target, v) for target, v in found if v.rule not in ignored]
    # One value, one story: an explicit null explains every other complaint about
    # the same value, and a profile rule is more specific than the OpenAPI one.
    nulls = {target for target, v in kept if v.rule == "timeback.null"}
    profiled = {target for target, v in kept if v.rule.startswith("timeback.")}
    violations = {
        v
        for target, v in kept
        if not (target in nulls and v.rule != "timeback.null")
        and not (target in profiled and v.rule.startswith("openapi."))
    }
    if strict:
        violations = {Violation(v.path, v.rule, "error", v.message, v.schema_location) for v in violations}
    return Report(tuple(sorted(violations, key=_order)))


_CLEAN = Report(())


def _order(violation: Violation) -> tuple[Any, ...]:
    tokens = tuple((0, int(t), "") if t.isascii() and t.isdigit() else (1, 0, t) for t in violation.path.split("/")[1:])
    return (violation.severity != "error", tokens, violation.rule, violation.message)


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
