"""Check stage, compiling: a schema as layers with fast verdicts, narrowed down when a value fails.

Most values are valid, so each layer has a compiled yes/no verdict
(:mod:`caliper_contract._engines`); python-jsonschema runs only on a layer that
fails, and a failing layer is first split into narrower ones so that it runs on
the failing part alone.  What python-jsonschema finds is put into words by
:mod:`caliper_contract._explain`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from caliper_contract import _dialect as dialect
from caliper_contract import openapi, profile
from caliper_contract._engines import Engine, compile_verdict
from caliper_contract._explain import explain, to_violations
from caliper_contract.pointers import escape, resolve_pointer
from caliper_contract.report import Violation

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

#: The resource URIs of the two documents a contract checks against.
OPENAPI_URI = "urn:caliper-contract:openapi"
PROFILE_URI = "urn:caliper-contract:timeback-profile"


class Layer:
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
            self.fast = compile_verdict(
                documents[uri], pointer, engine=engine, uri=uri, own_patterns=uri == PROFILE_URI
            )
        else:
            # The shell's verdict sees it as a subschema of a copy of its document.
            self.fast = compile_verdict(
                {**documents[uri], _SHELL: shell}, f"/{_SHELL}", engine=engine, uri=uri, own_patterns=uri == PROFILE_URI
            )
        self.shell: Layer | None = None
        self.parts: dict[str, Layer] = {}  # by property
        self.items: Layer | None = None  # each item of an array
        self.together: list[Layer] = []  # the allOf entries
        self.condition: tuple[Layer, Layer | None, Layer | None] | None = None  # if, then, else
        self.branches: list[Layer] = []
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
                self.branches.append(Layer(self.name, self.documents, branch_uri, branch_pointer, engine))
            return
        if _UNSPLITTABLE.intersection(schema):
            return
        inherited = _nearest_rule(passed, self.inherited)

        def layer(at: str) -> Layer:
            return Layer(self.name, self.documents, uri, at, engine, inherited=inherited)

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
            self.shell = Layer(self.name, self.documents, uri, pointer, engine, shell=shell, inherited=inherited)

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
        from caliper_contract._patterns import bounded_validator_class
        from caliper_contract.formats import format_checker

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
            branch = profile.static_branch([layer.pointer.rsplit("/", 1)[-1] for layer in self.branches], instance)
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
            for leaf in explain(error):
                location, trail = self._walk(leaf.absolute_schema_path)
                # x-rule and x-message are the profile schema's own: in an OpenAPI document they are annotations.
                rule_schema = _nearest_rule(trail, self.inherited) if self.name != "openapi" else None
                yield from to_violations(leaf, self.name, location, trail, rule_schema, prefix, instance)

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
        name = {OPENAPI_URI: "openapi", PROFILE_URI: "timeback-profile"}.get(document_uri, document_uri)
        return f"{name}#/{'/'.join(tokens)}", trail


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
