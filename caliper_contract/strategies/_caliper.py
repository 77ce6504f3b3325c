"""Generic Caliper events and entities, generated from the contract's OpenAPI schemas.

The ``Event`` and ``Entity`` component schemas are walked with public Hypothesis
strategies (hypothesis-jsonschema cannot generate objects on current
Hypothesis), so a changed document changes the data: a new required property
appears, a narrowed enum narrows it.  Where the schema leaves a string free,
the Caliper 1.2 vocabulary fills it: an event's ``type``, ``action`` and
``profile`` come together from :data:`~caliper_contract.strategies.vocabulary.EVENTS`,
an entity's ``type`` from ``ENTITY_TYPES``, and a property that may be "an
entity or its IRI" (``type: [string, object]``) holds an IRI or an entity of a
type that fits it.  A vocabulary term is used only where the schema accepts it.

Keywords walked: ``$ref``, ``allOf`` (merged), ``anyOf``, ``type`` (one or
several), ``properties``, ``required``, ``additionalProperties``, ``items``,
``minItems``, ``maxItems``, ``uniqueItems``, ``const``, ``enum``, ``default``
(a leaf with a default generates it: Caliper's defaults are its canonical
values); ``format`` and ``pattern`` on strings.  Free strings (at most a
``minLength`` or ``maxLength``) are mostly short names, sometimes any text,
drawn without Hypothesis's Unicode tables (see ``_values``); the other leaves the walker has no realistic values
for (numbers, other formats and patterns) come from
``hypothesis_jsonschema.from_schema`` on that leaf schema.  An object or
array schema using another keyword (``oneOf``, ``not``, ``if``...) is refused
with ``InvalidArgument`` when the strategy is built, never silently ignored.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from caliper_contract.contract import Contract
from caliper_contract.pointers import escape, resolve_pointer
from caliper_contract.strategies import _values as values
from caliper_contract.strategies import vocabulary

_URI = "urn:caliper-contract:strategies"
_TIMEBACK_PROFILE = "TimebackProfile"
_ANNOTATIONS = frozenset(
    {"description", "example", "examples", "title", "$comment", "deprecated", "readOnly", "writeOnly", "externalDocs"}
    | {"xml", "discriminator", "$schema", "$id", "$anchor", "$defs", "definitions"}
)
_WALKED = frozenset(
    {"type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems", "uniqueItems"}
    | {"const", "enum", "default", "anyOf", "format", "pattern"}
)
_LEAF_TYPES = ("string", "number", "integer", "boolean", "null")
#: Entities nest in events (depth 1); deeper "entity or IRI" properties hold IRIs.
_MAX_ENTITY_DEPTH = 1
#: Optional properties deeper than this are left out (a recursive schema ends
#: there); required ones deeper than _DEPTH_LIMIT cannot end, and are refused.
_MAX_DEPTH = 8
_DEPTH_LIMIT = 32
_IRI_HOSTS = st.sampled_from(("example.edu", "example.com", "lms.example.org"))
_IRI_NUMBERS = st.integers(1, 999_999)
_FREE_TEXT = ("Chapter 1", "Answered quiz", "Reading G3", "Practice set 12", "Week 3 discussion")
_PROBE_URN = f"urn:uuid:{uuid.UUID(int=0, version=4)}"
_JSON_KEYS = st.one_of(st.sampled_from(("customField", "source", "version")), values.texts(min_size=1, max_size=12))
_JSON_VALUES = st.one_of(
    values.texts(max_size=20),
    st.integers(-1000, 1000),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False),
)
_JSON_OBJECTS = st.dictionaries(_JSON_KEYS, _JSON_VALUES, max_size=3)


def caliper_events(*, contract: Contract | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """Generic (non-Timeback) Caliper events from the contract's ``Event`` schema.

    ``contract`` is a :class:`~caliper_contract.Contract` (default: the bundled
    one).  The events validate with no error under that contract; each carries
    the ``caliper.non-timeback-profile`` warning, which is what such an event is.
    """
    return _walker(_contract(contract)).events


def caliper_entities(*, contract: Contract | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """Caliper entities (as envelope data items) from the contract's ``Entity`` schema; no error, no warning."""
    return _walker(_contract(contract)).entities


def _contract(contract: object) -> Contract:
    if contract is None:
        return Contract.default()
    if not isinstance(contract, Contract):
        raise InvalidArgument(f"contract= must be a caliper_contract.Contract, got {contract!r}")
    return contract


@lru_cache(maxsize=8)
def _walker(contract: Contract) -> _Walker:
    return _Walker(contract.document.contents, str(contract.document.source))


class _Walker:
    """Strategies for the component schemas of one OpenAPI document, built once and cached."""

    def __init__(self, contents: Mapping[str, Any], source: str) -> None:
        self.contents = contents
        self.source = source
        self._validators: dict[str, Callable[[Any], bool]] = {}
        self._cache: dict[tuple[str, int, str | None], st.SearchStrategy[Any]] = {}

    # -- the two public kinds of item ------------------------------------------------

    @cached_property
    def events(self) -> st.SearchStrategy[dict[str, Any]]:
        where = self._component("Event")
        triples = [
            {"profile": term.profile, "type": term.type, "action": action}
            for term in vocabulary.EVENTS
            for action in term.actions
        ]
        terms = [triple for triple in triples if self._fits(where, triple)]
        if terms:
            return self._pinned_object(where, 0, st.sampled_from(terms), ("profile", "type", "action"))
        # The document rules out every vocabulary term: its own values, less Timeback's.
        return self._strategy(where, 0).filter(lambda event: event.get("profile") != _TIMEBACK_PROFILE)

    @cached_property
    def entities(self) -> st.SearchStrategy[dict[str, Any]]:
        return self._entity(None, 0)

    # -- schema walking --------------------------------------------------------------

    def _component(self, name: str) -> str:
        where = f"/components/schemas/{name}"
        schemas = self.contents.get("components", {}).get("schemas", {})
        if not isinstance(schemas, dict) or not isinstance(schemas.get(name), dict):
            raise InvalidArgument(f"{self.source}: no {name} schema at #{where} to generate Caliper items from")
        return where

    def _node(self, where: str) -> _Node:
        """The schema at ``where`` with ``$ref`` and ``allOf`` merged in, and where each subschema really is."""
        schema = resolve_pointer(self.contents, where)
        if isinstance(schema, bool):
            return _Node({} if schema else {"not": {}}, where, {})
        merged = {key: value for key, value in schema.items() if key not in _ANNOTATIONS and not key.startswith("x-")}
        merged.pop("$ref", None)
        merged.pop("allOf", None)
        node = _Node(merged, where, _locations(merged, where))
        parts = [f"{where}/allOf/{index}" for index in range(len(schema.get("allOf", [])))]
        if isinstance(schema.get("$ref"), str):
            parts.insert(0, schema["$ref"][1:])
        for part in parts:
            node = node.merge(self._node(part), self.source)
        return node

    def _strategy(self, where: str, depth: int, slot: str | None = None) -> st.SearchStrategy[Any]:
        key = (where, depth, slot)
        if key not in self._cache:
            if depth > _DEPTH_LIMIT:
                raise InvalidArgument(
                    f"{self.source}#{where}: required properties nest deeper than {_DEPTH_LIMIT} levels; "
                    "a schema that requires itself has no finite instance"
                )
            self._cache[key] = self._build(self._node(where), depth, slot)
        return self._cache[key]

    def _build(self, node: _Node, depth: int, slot: str | None) -> st.SearchStrategy[Any]:
        schema = node.schema
        if "const" in schema:
            return st.just(schema["const"])
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        if "anyOf" in schema:
            return st.one_of(
                [self._strategy(node.locations[("anyOf", index)], depth, slot) for index in range(len(schema["anyOf"]))]
            )
        types = schema.get("type")
        if types is None:
            types = "object" if "properties" in schema else "array" if "items" in schema else list(_LEAF_TYPES)
        if isinstance(types, list):
            if len(types) > 1:
                return self._union(node, types, depth, slot)
            types = types[0]
        if types in ("object", "array"):
            self._check_walkable(node)
            if types == "object":
                return self._object(node, depth)
            return self._array(node, depth, slot)
        return self._leaf(node)

    def _check_walkable(self, node: _Node) -> None:
        unknown = sorted(set(node.schema) - _WALKED)
        if unknown:
            raise InvalidArgument(
                f"{self.source}#{node.where}: cannot generate from keyword {unknown[0]!r}; "
                "caliper_events() and caliper_entities() walk " + ", ".join(sorted(_WALKED))
            )

    def _union(self, node: _Node, types: list[str], depth: int, slot: str | None) -> st.SearchStrategy[Any]:
        if set(types) == {"string", "object"} and not node.schema.get("properties"):
            # Caliper's "an entity or its IRI": the IRI first, so examples shrink to it.
            if depth >= _MAX_ENTITY_DEPTH or self._entity_schema() is None:
                return self._iris(slot)
            return st.one_of(self._iris(slot), self._entity(slot, depth + 1))
        return st.one_of(
            [self._build(replace(node, schema={**node.schema, "type": kind}), depth, slot) for kind in types]
        )

    def _object(self, node: _Node, depth: int) -> st.SearchStrategy[dict[str, Any]]:
        properties = node.schema.get("properties") or {}
        additional = node.schema.get("additionalProperties", True)
        if not properties and not node.schema.get("required"):
            if isinstance(additional, dict) and additional:
                values_strategy = self._strategy(node.locations[("additionalProperties",)], depth + 1)
                return st.dictionaries(_JSON_KEYS, values_strategy, max_size=3)
            return _JSON_OBJECTS if additional is not False else st.just({})
        return self._fixed(node, depth, pinned=())

    def _fixed(self, node: _Node, depth: int, pinned: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
        """The object's properties but the ``pinned`` ones, in the schema's order."""
        properties: dict[str, Any] = node.schema.get("properties") or {}
        required = list(node.schema.get("required") or [])
        additional = node.schema.get("additionalProperties", True)
        strategies: dict[str, st.SearchStrategy[Any]] = {}
        for name in required:
            if name not in properties and additional is False:
                raise InvalidArgument(f"{self.source}#{node.where}: {name!r} is required but not allowed")
        for name in [*properties, *(name for name in required if name not in properties)]:
            if name in pinned or (name not in required and depth >= _MAX_DEPTH):
                continue
            if name in properties:
                strategies[name] = self._strategy(node.locations[("properties", name)], depth + 1, name)
            elif isinstance(additional, dict):
                strategies[name] = self._strategy(node.locations[("additionalProperties",)], depth + 1, name)
            else:
                strategies[name] = _JSON_VALUES
        order = list(strategies)
        return st.fixed_dictionaries(
            {name: strategy for name, strategy in strategies.items() if name in required},
            optional={name: strategy for name, strategy in strategies.items() if name not in required},
        ).map(lambda found: {name: found[name] for name in order if name in found})

    def _array(self, node: _Node, depth: int, slot: str | None) -> st.SearchStrategy[list[Any]]:
        schema = node.schema
        items = self._strategy(node.locations[("items",)], depth + 1, slot) if "items" in schema else _JSON_VALUES
        low = int(schema.get("minItems", 0))
        high = int(schema.get("maxItems", low + 2))
        if schema.get("uniqueItems"):
            return st.lists(items, min_size=low, max_size=high, unique_by=lambda item: json.dumps(item, sort_keys=True))
        return st.lists(items, min_size=low, max_size=high)

    def _leaf(self, node: _Node) -> st.SearchStrategy[Any]:
        schema = node.schema
        if "default" in schema and self._accepts(node.where, schema["default"]):
            return st.just(schema["default"])
        constraints = {key: value for key, value in schema.items() if key != "default"}
        if constraints.get("type") == "string" and set(constraints) <= {"type", "format"}:
            realistic = _REALISTIC_FORMATS.get(constraints.get("format", ""))
            if realistic is not None:
                return realistic()
        if set(constraints) == {"type", "pattern"} and re.search(constraints["pattern"], _PROBE_URN):
            return values.as_strategy(values.draw_urn)
        if constraints.get("type") == "string" and set(constraints) <= {"type", "minLength", "maxLength"}:
            return _free_text(constraints.get("minLength", 0), constraints.get("maxLength"))
        # hypothesis-jsonschema handles leaf schemas well on any Hypothesis
        # version (only its object generation breaks), so it covers the rest.
        from hypothesis_jsonschema import from_schema

        strategy: st.SearchStrategy[Any] = from_schema(constraints)
        return strategy

    # -- vocabulary ------------------------------------------------------------------

    def _entity_schema(self) -> str | None:
        schemas = self.contents.get("components", {}).get("schemas", {})
        return "/components/schemas/Entity" if isinstance(schemas, dict) and "Entity" in schemas else None

    def _entity(self, slot: str | None, depth: int) -> st.SearchStrategy[dict[str, Any]]:
        where = self._component("Entity")
        types = vocabulary.SLOT_ENTITY_TYPES.get(slot or "", vocabulary.ENTITY_TYPES)
        fitting = tuple(name for name in types if self._fits(where, {"type": name, "id": _iri(name, 1)}))
        if not fitting:
            return self._strategy(where, depth)
        return self._pinned_object(where, depth, _entity_terms(fitting), ("type", "id"))

    def _iris(self, slot: str | None) -> st.SearchStrategy[str]:
        types = vocabulary.SLOT_ENTITY_TYPES.get(slot or "", vocabulary.ENTITY_TYPES)
        return _entity_terms(types).map(lambda term: term["id"])

    def _pinned_object(
        self, where: str, depth: int, terms: st.SearchStrategy[dict[str, Any]], keys: tuple[str, ...]
    ) -> st.SearchStrategy[dict[str, Any]]:
        """The object at ``where``, the properties named in ``keys`` taken from a vocabulary term."""
        node = self._node(where)
        self._check_walkable(node)
        properties: dict[str, Any] = node.schema.get("properties") or {}
        pinned = tuple(name for name in keys if name in properties)
        rest = self._fixed(node, depth, pinned)
        order = [*properties]

        def combine(term: dict[str, Any], found: dict[str, Any]) -> dict[str, Any]:
            merged = {**found, **{name: value for name, value in term.items() if name in pinned}}
            return {name: merged[name] for name in order if name in merged} | {
                name: value for name, value in merged.items() if name not in properties
            }

        return st.builds(combine, terms, rest)

    def _fits(self, where: str, term: Mapping[str, Any]) -> bool:
        """Whether every value of ``term`` is accepted by the property schema of that name (if any)."""
        locations = self._node(where).locations
        return all(
            self._accepts(locations[("properties", name)], value)
            for name, value in term.items()
            if ("properties", name) in locations
        )

    def _accepts(self, where: str, value: Any) -> bool:
        if where not in self._validators:
            from jsonschema import Draft202012Validator
            from referencing import Registry, Resource
            from referencing.jsonschema import DRAFT202012

            from caliper_contract.formats import format_checker

            registry: Registry[Any] = Registry().with_resource(
                _URI, Resource.from_contents(dict(self.contents), default_specification=DRAFT202012)
            )
            validator = Draft202012Validator(
                {"$ref": f"{_URI}#{where}"}, registry=registry, format_checker=format_checker()
            )
            self._validators[where] = validator.is_valid
        return self._validators[where](value)


@dataclass(frozen=True)
class _Node:
    """A schema with ``$ref`` and ``allOf`` merged into it.

    ``locations`` says where each subschema (a property, ``items``, an
    ``anyOf`` branch...) is in the document: after a merge they come from
    different places, and the walker addresses them by pointer.
    """

    schema: dict[str, Any]
    where: str
    locations: dict[tuple[str | int, ...], str]

    def merge(self, other: _Node, source: str) -> _Node:
        schema = dict(self.schema)
        for key, value in other.schema.items():
            if key not in schema or schema[key] == value:
                schema[key] = value
            elif key == "properties" and not set(schema[key]) & set(value):
                schema[key] = {**schema[key], **value}
            elif key == "required":
                schema[key] = [*schema[key], *(name for name in value if name not in schema[key])]
            else:
                raise InvalidArgument(f"{source}#{self.where}: cannot merge two different {key!r} values in allOf")
        return _Node(schema, self.where, {**other.locations, **self.locations})


def _locations(schema: dict[str, Any], where: str) -> dict[tuple[str | int, ...], str]:
    found: dict[tuple[str | int, ...], str] = {
        ("properties", name): f"{where}/properties/{escape(name)}" for name in schema.get("properties") or {}
    }
    found.update({("anyOf", index): f"{where}/anyOf/{index}" for index in range(len(schema.get("anyOf", [])))})
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            found[(key,)] = f"{where}/{key}"
    return found


def _iri(entity_type: str, number: int, host: str = "example.edu") -> str:
    return f"https://{host}/{vocabulary.collection_of(entity_type)}/{number}"


def _entity_terms(types: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    """An entity type and an IRI for it: ``Person`` and ``https://example.edu/users/1``."""
    return st.builds(
        lambda name, host, number: {"type": name, "id": _iri(name, number, host)},
        st.sampled_from(types),
        _IRI_HOSTS,
        _IRI_NUMBERS,
    )


def _free_text(low: int, high: int | None) -> st.SearchStrategy[str]:
    """Mostly a short name that fits the length limits, sometimes any text that does."""
    names = tuple(name for name in _FREE_TEXT if low <= len(name) and (high is None or len(name) <= high))
    any_text = values.texts(min_size=low, max_size=high)
    if not names:
        return any_text
    return st.composite(lambda draw: values.draw_text(draw, st.sampled_from(names), any_text))()


_REALISTIC_FORMATS: dict[str, Callable[[], st.SearchStrategy[str]]] = {
    "uri": lambda: st.builds(lambda host, number: f"https://{host}/resources/{number}", _IRI_HOSTS, _IRI_NUMBERS),
    "uri-reference": lambda: st.builds(
        lambda host, number: f"https://{host}/resources/{number}", _IRI_HOSTS, _IRI_NUMBERS
    ),
    "date-time": lambda: values.as_strategy(values.draw_time),
    "email": lambda: values.as_strategy(values.draw_email),
}
