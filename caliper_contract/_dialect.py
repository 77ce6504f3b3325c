"""The schemas of an OpenAPI 3.1 document: where they are, what their references name, whether they are schemas.

An OpenAPI 3.1 document is not a JSON Schema, but it holds Draft 2020-12
schemas (the OpenAPI 3.1 dialect) at known places: ``components/schemas`` and
every ``schema`` field.  :func:`find_schemas` walks the document once and
records every schema object in it, with its JSON Pointer and its base URI (an
``$id`` starts a new one), every ``$ref`` and ``$dynamicRef``, and every
OpenAPI Reference Object.  :meth:`Schemas.check` then refuses, with the
location, what cannot serve as a contract:

- a schema the OpenAPI 3.1 dialect's metaschema rejects (``type: objekt``,
  ``required: 5``, ``pattern: "("``, a list where a schema belongs...);
- a ``$schema`` or ``jsonSchemaDialect`` naming another dialect or vocabulary;
- a reference that resolves to nothing, to something that is not a schema, or
  outside the document (nothing is ever fetched; JSON Schema's own
  metaschemas, which python-jsonschema ships, are the only outside documents);
- a cycle of references and in-place keywords (``allOf``, ``anyOf``, ``not``,
  ``if``...) that consumes no input: validating anything would never end.

References are resolved by ``referencing``, with the OpenAPI document as a
resource whose subresources are its schemas (see :meth:`Schemas.resource`), so
``$id``-relative references, URNs, ``$anchor``, ``$dynamicRef`` and
percent-encoded pointers mean what Draft 2020-12 says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urldefrag, urljoin

from caliper_contract._patterns import is_regex
from caliper_contract.errors import SpecError
from caliper_contract.pointers import escape, resolve_pointer

if TYPE_CHECKING:
    from referencing import Registry, Resource

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
OPENAPI_DIALECT = "https://spec.openapis.org/oas/3.1/dialect/base"
_OPENAPI_VOCABULARY = "https://spec.openapis.org/oas/3.1/meta/base"
#: The dialects whose schemas caliper-contract evaluates: ``$schema`` may name only these.
KNOWN_DIALECTS = frozenset({DRAFT_2020_12, OPENAPI_DIALECT})

#: Where Draft 2020-12 keeps subschemas (the same lists as referencing's DRAFT202012):
#: in a keyword's value, in a list, or in an object's values.
IN_VALUE = frozenset(
    {
        "additionalProperties", "contains", "contentSchema", "else", "if", "items", "not", "propertyNames",
        "then", "unevaluatedItems", "unevaluatedProperties",
    }
)  # fmt: skip
IN_SUBARRAY = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
IN_SUBVALUES = frozenset({"$defs", "definitions", "dependentSchemas", "patternProperties", "properties"})
#: Keywords that apply a subschema to the same instance: a cycle through only these never ends.
_IN_PLACE_VALUE = frozenset({"not", "if", "then", "else"})
_IN_PLACE_SUBARRAY = frozenset({"allOf", "anyOf", "oneOf"})
_IN_PLACE_SUBVALUES = frozenset({"dependentSchemas"})
#: Keys of an OpenAPI object whose values are data, never schemas or references.
_OPENAPI_DATA = frozenset({"example", "examples", "value", "default", "enum", "const"})

#: The OpenAPI 3.1 base vocabulary (discriminator, xml, externalDocs, example), as the
#: OpenAPI 3.1 specification's Schema Object section describes its fields.
_VOCABULARY_SCHEMA = {
    "$schema": DRAFT_2020_12,
    "$id": _OPENAPI_VOCABULARY,
    "$dynamicAnchor": "meta",
    "properties": {
        "example": True,
        "discriminator": {
            "type": "object",
            "required": ["propertyName"],
            "properties": {
                "propertyName": {"type": "string"},
                "mapping": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
        "externalDocs": {
            "type": "object",
            "required": ["url"],
            "properties": {"url": {"type": "string"}, "description": {"type": "string"}},
        },
        "xml": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "namespace": {"type": "string"},
                "prefix": {"type": "string"},
                "attribute": {"type": "boolean"},
                "wrapped": {"type": "boolean"},
            },
        },
    },
}
_DIALECT_SCHEMA = {
    "$schema": DRAFT_2020_12,
    "$id": OPENAPI_DIALECT,
    "$dynamicAnchor": "meta",
    "allOf": [{"$ref": DRAFT_2020_12}, {"$ref": _OPENAPI_VOCABULARY}],
}


@dataclass(frozen=True)
class Reference:
    """One ``$ref`` or ``$dynamicRef`` of a schema."""

    keyword: str
    value: Any
    location: str  # JSON Pointer to the keyword
    base: str  # the base URI it resolves against
    holder: Any = field(repr=False)  # the schema object that has it


@dataclass
class Schemas:
    """Every schema of one OpenAPI document, found by :func:`find_schemas`."""

    uri: str
    contents: Any = field(repr=False)
    #: JSON Pointer of each schema object, by ``id()`` (the first, should YAML aliases share one).
    locations: dict[int, str] = field(default_factory=dict, repr=False)
    bases: dict[int, str] = field(default_factory=dict, repr=False)
    #: Where the document keeps schemas: ``(pointer, schema)``.
    roots: list[tuple[str, Any]] = field(default_factory=list, repr=False)
    #: Every schema object: ``(pointer, schema)``.
    nodes: list[tuple[str, Any]] = field(default_factory=list, repr=False)
    references: list[Reference] = field(default_factory=list, repr=False)
    #: OpenAPI Reference Objects (``$ref`` outside schemas): ``(pointer to the $ref, value)``.
    openapi_references: list[tuple[str, Any]] = field(default_factory=list, repr=False)
    #: ``$schema`` keywords and ``jsonSchemaDialect``: ``(pointer, value)``.
    dialects: list[tuple[str, Any]] = field(default_factory=list, repr=False)
    #: Each OpenAPI object (not a schema) by ``id()``, with what referencing must crawl below it.
    openapi_nodes: dict[int, list[Any]] = field(default_factory=dict, repr=False)
    #: The schemas with each ``$dynamicAnchor`` name.
    dynamic_anchors: dict[str, list[Any]] = field(default_factory=dict, repr=False)
    #: Whether every reference is a plain ``#/...`` pointer into the document and no schema
    #: has ``$id``, ``$anchor`` or dynamic references: then a pointer is all a reference needs.
    plain: bool = True

    def location_of(self, schema: Any) -> str | None:
        """The JSON Pointer of a schema object of this document (None for one from elsewhere)."""
        return self.locations.get(id(schema))

    # -- resolution -------------------------------------------------------------

    @cached_property
    def resource(self) -> Resource[Any]:
        """The document as a ``referencing`` resource whose subresources are its schemas.

        referencing knows JSON Schema documents; an OpenAPI document is one
        only below its schema fields.  This specification treats the
        document's own objects as containers with no ``$id`` or anchors whose
        subresources are the schemas found by :func:`find_schemas`, and every
        schema as Draft 2020-12, so ``$id``, anchors and pointers into schemas
        resolve as they would in a JSON Schema document.
        """
        from referencing import Specification
        from referencing.jsonschema import DRAFT202012

        nodes, schema_ids = self.openapi_nodes, self.locations

        def id_of(contents: Any) -> str | None:
            return None if id(contents) in nodes else DRAFT202012.id_of(contents)

        def subresources_of(contents: Any) -> Any:
            children = nodes.get(id(contents))
            return children if children is not None else DRAFT202012.subresources_of(contents)

        def anchors_in(specification: Any, contents: Any) -> Any:
            return () if id(contents) in nodes else DRAFT202012._anchors_in(specification, contents)

        def maybe_in_subresource(segments: Any, resolver: Any, subresource: Any) -> Any:
            # A pointer passing through a schema with $id moves the base URI there, as
            # the lexical scope of Draft 2020-12 says; the locations name every schema.
            return resolver.in_subresource(subresource) if id(subresource.contents) in schema_ids else resolver

        # Built through Any: mypy's attrs support does not see referencing's field aliases.
        make: Any = Specification
        specification: Specification[Any] = make(
            name="openapi-3.1",
            id_of=id_of,
            subresources_of=subresources_of,
            anchors_in=anchors_in,
            maybe_in_subresource=maybe_in_subresource,
        )
        return specification.create_resource(self.contents)

    def registry(self, others: Mapping[str, Any] = {}, *, with_metaschemas: bool = False) -> Registry[Any]:
        """A crawled registry with this document and ``others`` (URI -> Draft 2020-12 contents).

        python-jsonschema adds JSON Schema's metaschemas to a registry itself;
        ``with_metaschemas`` adds them here, for resolving without it.
        """
        from jsonschema_specifications import REGISTRY as METASCHEMAS
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        registry: Registry[Any] = Registry().with_resource(self.uri, self.resource)
        if with_metaschemas:
            registry = METASCHEMAS.combine(registry)
        registry = registry.with_resources(
            (uri, Resource.from_contents(contents, default_specification=DRAFT202012))
            for uri, contents in others.items()
        )
        return registry.crawl()

    def resolve(self, reference: Reference, registry: Registry[Any]) -> Any:
        """The schema ``reference`` names (statically, for ``$dynamicRef``); raises SpecError."""
        from referencing.exceptions import NoSuchAnchor, PointerToNowhere, Unresolvable

        ref, base, named = reference.value, reference.base, f"{reference.keyword} {reference.value!r}"
        target = join_reference(base, ref)
        try:
            return registry.resolver(base_uri=base).lookup(ref).contents
        except PointerToNowhere:
            where = self._resource_words(urldefrag(target)[0])
            reason = f"{named} points at nothing: {where} has no {urldefrag(target)[1]!r}"
        except NoSuchAnchor as error:
            where = self._resource_words(urldefrag(target)[0])
            reason = f"{named} names the anchor {error.anchor!r}, which {where} does not have"
        except Unresolvable:
            reason = (
                f"{named} leaves the document: no schema in it has the $id {urldefrag(target)[0]}; "
                "caliper-contract never fetches anything"
            )
        raise SpecError("", reason, reference.location)

    def _resource_words(self, uri: str) -> str:
        return "the document" if uri == self.uri else f"the schema with $id {uri}"

    # -- checks -----------------------------------------------------------------

    def check(self, source: str) -> None:
        """Raise :class:`SpecError` for the first thing that keeps the document from serving."""
        try:
            self._check()
        except SpecError as error:
            raise SpecError(
                source, error.reason, f"#{error.location}" if error.location is not None else None
            ) from None

    def _check(self) -> None:
        for location, dialect in self.dialects:
            if not (isinstance(dialect, str) and dialect.rstrip("#") in KNOWN_DIALECTS):
                raise SpecError(
                    "",
                    f"{location.rsplit('/', 1)[-1]} {dialect!r} is not a dialect caliper-contract knows: its schemas "
                    "are read as Draft 2020-12 with the OpenAPI 3.1 vocabulary "
                    f"({DRAFT_2020_12} or {OPENAPI_DIALECT})",
                    location,
                )
        for location, schema in self.roots:
            if not isinstance(schema, dict):
                _check_against_metaschema(schema, location)
        for location, schema in self.nodes:
            _check_against_metaschema(schema, location)
        for location, value in self.openapi_references:
            if not isinstance(value, str) or not value.startswith("#"):
                raise SpecError(
                    "",
                    f"$ref {value!r} leaves the document; caliper-contract never fetches anything",
                    location,
                )

            try:
                resolve_pointer(self.contents, unquote(value[1:]))
            except (KeyError, IndexError, TypeError, ValueError):
                raise SpecError("", f"$ref {value!r} points at nothing in the document", location) from None
        registry = self.registry(with_metaschemas=True)
        targets: dict[int, list[Any]] = {}
        for reference in self.references:
            target = self.resolve(reference, registry)
            if isinstance(reference.value, str) and _is_metaschema(join_reference(reference.base, reference.value)):
                continue  # JSON Schema's own metaschemas: shipped with python-jsonschema, never fetched
            if not isinstance(target, (dict, bool)) or (isinstance(target, dict) and id(target) not in self.locations):
                raise SpecError(
                    "",
                    f"{reference.keyword} {reference.value!r} resolves to a {_kind(target)}, not a schema",
                    reference.location,
                )
            targets.setdefault(id(reference.holder), []).append(target)
            if reference.keyword == "$dynamicRef" and isinstance(target, dict) and "$dynamicAnchor" in target:
                # Resolved dynamically, it may land on any schema with that dynamic anchor.
                targets[id(reference.holder)].extend(self.dynamic_anchors.get(target["$dynamicAnchor"], ()))
        self._check_cycles(targets)

    def _check_cycles(self, targets: dict[int, list[Any]]) -> None:
        """Refuse a loop of in-place applications: validating anything against it never ends."""
        loop = _find_loop([schema for _, schema in self.nodes], targets)
        if loop is not None:
            steps = " -> ".join(f"#{self.location_of(node)}" for node in loop)
            raise SpecError(
                "",
                f"references loop without consuming any input ({steps}): validating a value would never end",
                self.location_of(loop[0]),
            )


def _find_loop(schemas: list[Any], targets: dict[int, list[Any]]) -> list[Any] | None:
    """A chain of schemas, each applied in place by the one before, that comes back to its start."""
    done: set[int] = set()
    for start in schemas:
        if id(start) in done:
            continue
        # Iterative depth-first search; `path` is the chain being followed.
        path: list[Any] = [start]
        stack: list[Iterator[Any]] = [iter(_in_place(start, targets))]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                done.add(id(path.pop()))
            elif any(node is child for node in path):
                return [*path[next(i for i, node in enumerate(path) if node is child) :], child]
            elif id(child) not in done:
                path.append(child)
                stack.append(iter(_in_place(child, targets)))
    return None


def _in_place(schema: Any, targets: dict[int, list[Any]]) -> Iterator[Any]:
    """The schemas applied to the same instance as ``schema``: in-place keywords and references."""
    if not isinstance(schema, dict):
        return
    yield from targets.get(id(schema), ())
    for keyword in _IN_PLACE_VALUE:
        if isinstance(schema.get(keyword), dict):
            yield schema[keyword]
    for keyword in _IN_PLACE_SUBARRAY:
        if isinstance(schema.get(keyword), list):
            yield from (item for item in schema[keyword] if isinstance(item, dict))
    for keyword in _IN_PLACE_SUBVALUES:
        if isinstance(schema.get(keyword), dict):
            yield from (item for item in schema[keyword].values() if isinstance(item, dict))


def join_reference(base: str, ref: str) -> str:
    """The URI ``ref`` names from ``base``, as referencing resolves it (a URN base keeps its fragments)."""
    return urldefrag(base)[0] + ref if ref.startswith("#") else urljoin(base, ref)


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "part of the document that is not a schema"
    return {list: "list", str: "string", int: "number", float: "number", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def _is_metaschema(uri: str) -> bool:
    from jsonschema_specifications import REGISTRY

    return urldefrag(uri)[0] in REGISTRY


def find_schemas(contents: Any, uri: str) -> Schemas:
    """Walk an OpenAPI document once and record its schemas (see :class:`Schemas`)."""
    found = Schemas(uri=uri, contents=contents)
    if isinstance(contents, dict) and "jsonSchemaDialect" in contents:
        found.dialects.append(("/jsonSchemaDialect", contents["jsonSchemaDialect"]))
    # The OpenAPI part: objects whose "schema" fields and components/schemas hold schemas.
    stack: list[tuple[Any, str]] = [(contents, "")]
    seen: set[int] = set()
    while stack:
        node, location = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, list):
            stack.extend((value, f"{location}/{index}") for index, value in enumerate(node))
            continue
        if not isinstance(node, dict):
            continue
        # What referencing crawls below this object: its objects (lists are not crawled,
        # so the objects in them count as this one's) and the schemas it holds.
        children = found.openapi_nodes[id(node)] = []
        if "$ref" in node:
            found.openapi_references.append((f"{location}/$ref", node["$ref"]))
        for key, value in node.items():
            if not isinstance(key, str) or key.startswith("x-") or key in _OPENAPI_DATA:
                continue
            at = f"{location}/{escape(key)}"
            if key == "schema":
                children.append(value)
                found.roots.append((at, value))
            elif key == "schemas" and location == "/components" and isinstance(value, dict):
                found.openapi_nodes[id(value)] = list(value.values())
                children.append(value)
                found.roots.extend((f"{at}/{escape(name)}", schema) for name, schema in value.items())
            elif isinstance(value, dict):
                stack.append((value, at))
                children.append(value)
            elif isinstance(value, list):
                stack.append((value, at))
                children.extend(_objects_in(value))
    for location, schema in found.roots:
        _walk_schema(found, schema, location, uri)
    return found


def _objects_in(items: list[Any]) -> Iterator[Any]:
    for item in items:
        if isinstance(item, dict):
            yield item
        elif isinstance(item, list):
            yield from _objects_in(item)


def _walk_schema(found: Schemas, root: Any, location: str, base: str) -> None:
    stack: list[tuple[Any, str, str]] = [(root, location, base)]
    while stack:
        schema, location, base = stack.pop()
        if not isinstance(schema, dict) or id(schema) in found.locations:
            continue
        if id(schema) in found.openapi_nodes:
            continue  # an OpenAPI object that is also a schema: aliased YAML; the metaschema check says why
        identifier = schema.get("$id")
        if isinstance(identifier, str):
            base = urljoin(base, identifier).rstrip("#") if base else identifier.rstrip("#")
            found.plain = False
        found.locations[id(schema)] = location
        found.bases[id(schema)] = base
        found.nodes.append((location, schema))
        if "$schema" in schema:
            found.dialects.append((f"{location}/$schema", schema["$schema"]))
        if "$anchor" in schema or "$dynamicAnchor" in schema:
            found.plain = False
            if isinstance(schema.get("$dynamicAnchor"), str):
                found.dynamic_anchors.setdefault(schema["$dynamicAnchor"], []).append(schema)
        for keyword in ("$ref", "$dynamicRef"):
            ref = schema.get(keyword)
            if keyword in schema:
                found.references.append(Reference(keyword, ref, f"{location}/{escape(keyword)}", base, schema))
                if (
                    keyword == "$dynamicRef"
                    or not (isinstance(ref, str) and (ref == "#" or ref.startswith("#/")))
                    or "%" in ref
                ):
                    found.plain = False
        for keyword, value in schema.items():
            at = f"{location}/{escape(keyword)}"
            if keyword in IN_VALUE:
                stack.append((value, at, base))
            elif keyword in IN_SUBARRAY and isinstance(value, list):
                stack.extend((item, f"{at}/{index}", base) for index, item in enumerate(value))
            elif keyword in IN_SUBVALUES and isinstance(value, dict):
                stack.extend((item, f"{at}/{escape(name)}", base) for name, item in value.items())


def _check_against_metaschema(schema: Any, location: str) -> None:
    """Refuse ``schema`` (one schema object, not its subschemas) if the dialect's metaschema does."""
    if _metaschema_checks().fast(schema):
        return
    errors = list(_metaschema_checks().explain.iter_errors(schema))
    if errors:
        from jsonschema.exceptions import best_match

        error = best_match(errors)
        where = location + "".join(f"/{escape(token)}" for token in error.absolute_path)
        raise SpecError("", f"not a valid schema: {_one_line(error.message)}", where)


@dataclass(frozen=True)
class _MetaschemaChecks:
    fast: Callable[[Any], bool]
    explain: Any  # a python-jsonschema validator


@lru_cache(maxsize=1)
def _metaschema_checks() -> _MetaschemaChecks:
    """The dialect's metaschema for one schema object at a time: a fast verdict, and python-jsonschema to say why.

    The metaschema checks subschemas by recursing (``$dynamicRef: "#meta"``),
    which python-jsonschema evaluates slowly (half a second for a 150 kB
    document).  Every subschema is a schema object :func:`find_schemas` has
    found anyway, so each is checked on its own against the metaschema with
    its references inlined and each recursion replaced by "an object or a
    boolean": the same checks, once per schema object.  That flat schema
    needs only Draft 6 keywords, so fastjsonschema compiles it; a verdict
    other than "valid" is confirmed and worded by python-jsonschema.  Of the
    formats the metaschema names, only ``regex`` is asserted, as
    python-jsonschema does with a format checker for it.
    """
    import fastjsonschema
    from jsonschema import Draft202012Validator, FormatChecker

    flat = _shallow(_DIALECT_SCHEMA, OPENAPI_DIALECT)
    checker = FormatChecker(formats=())
    checker.checks("regex")(is_regex)
    annotation = {name: _always for name in ("uri", "uri-reference")}
    compiled = fastjsonschema.compile(flat, formats={**annotation, "regex": is_regex}, detailed_exceptions=False)

    def fast(schema: Any) -> bool:
        try:
            compiled(schema)
        except Exception:  # not valid, or not something the engine can read: python-jsonschema decides
            return False
        return True

    return _MetaschemaChecks(fast, Draft202012Validator(flat, format_checker=checker))


def _always(value: object) -> bool:
    return True


#: What a recursion of the metaschema into a subschema checks of it here (the rest is that subschema's own check).
_ANY_SCHEMA = {"type": ["object", "boolean"]}
#: Metaschema keywords that say nothing about the schema being checked.
_METASCHEMA_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$vocabulary", "$dynamicAnchor", "$defs", "$comment", "title", "description", "default",
     "deprecated"}
)  # fmt: skip


def _shallow(node: Any, base: str) -> Any:
    """A metaschema with every ``$ref`` inlined and every ``$dynamicRef: "#meta"`` checking the type only."""
    if not isinstance(node, dict):
        return node
    if node.get("$dynamicRef") == "#meta":
        return _ANY_SCHEMA
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key in _METASCHEMA_ANNOTATIONS:
            continue
        if key in IN_SUBVALUES and isinstance(value, dict):
            result[key] = {name: _shallow(schema, base) for name, schema in value.items()}
        elif key in IN_SUBARRAY and isinstance(value, list):
            result[key] = [_shallow(schema, base) for schema in value]
        elif key in IN_VALUE:
            result[key] = _shallow(value, base)
        else:
            result[key] = value
    if isinstance(result.get("$ref"), str):
        uri, fragment = urldefrag(urljoin(base, result.pop("$ref")))
        from caliper_contract.pointers import resolve_pointer

        target = _shallow(resolve_pointer(_metaschema_document(uri), fragment), uri)
        if not result:
            return target
        if isinstance(target, dict) and not set(target) & set(result):
            return {**target, **result}
        result = {"allOf": [target, result]}
    if list(result) == ["allOf"] and all(isinstance(part, dict) for part in result["allOf"]):
        merged: dict[str, Any] = {}
        for part in result["allOf"]:
            if set(part) & set(merged):
                return result
            merged.update(part)
        return merged
    return result


def _metaschema_document(uri: str) -> Any:
    from jsonschema_specifications import REGISTRY

    own = {schema["$id"]: schema for schema in (_VOCABULARY_SCHEMA, _DIALECT_SCHEMA)}
    return own[uri] if uri in own else REGISTRY.contents(uri)


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
