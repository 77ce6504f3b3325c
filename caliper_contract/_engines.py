"""A fast yes/no for the common case: is this value clean under this schema?

python-jsonschema explains failures well but walks schemas slowly.  Most
payloads are valid, so each schema layer is also compiled into a verdict
function by a compiling engine, and jsonschema runs only when the verdict is
"not clean", to say why.  The report is therefore always jsonschema's (or
empty), and correctness needs one property only: a verdict of "clean" must
never be given where jsonschema would find something.  A stricter engine costs
time, never correctness.  To keep that property:

- formats agree: fastjsonschema calls the contract's own format functions back
  (:func:`caliper_contract.formats.string_checks`), and jsonschema-rs checks
  each asserted format with a pattern that accepts exactly what the function
  accepts, bar a final newline (:data:`caliper_contract.formats.ENGINE_PATTERNS`:
  stricter is safe, and no call back into Python is needed).  jsonschema-rs's
  built-in checks accept strings ours reject, such as the date-time
  0000-01-01T00:00:00Z and the email d@dd, so they are never used.  A format
  the contract does not assert is an annotation, so it is removed from the
  engine's copy of the schema;
- a schema is compiled only when every keyword reachable in it is one whose
  semantics the engine shares with Draft 2020-12 (see ``_SUPPORTED``);
  anything else (``prefixItems``, ``unevaluatedProperties``, ``$dynamicRef``,
  a ``format`` that is not a string...) means no fast path for that layer;
- fastjsonschema matches patterns with Python's ``re``, which can backtrack
  for hours, so it gets each ``pattern`` as a format checked by
  :func:`caliper_contract._patterns.search`, and no fast path for a schema
  with ``patternProperties``; jsonschema-rs's regex engine runs in linear time;
- any exception from an engine counts as "not clean".

Engines: jsonschema-rs (``pip install caliper-contract[fast]``) when it is
installed, else fastjsonschema (pure Python, generates Python code).  Set
``CALIPER_CONTRACT_ENGINE`` to ``rust``, ``python`` or ``none`` to choose.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any, Literal

from caliper_contract._patterns import search
from caliper_contract.formats import ENGINE_PATTERNS, FORMAT_FUNCTIONS, string_checks
from caliper_contract.pointers import resolve_pointer

Engine = Literal["auto", "rust", "python", "none"]
Verdict = Callable[[Any], bool]

_ANNOTATIONS = frozenset(
    {
        "$schema", "$id", "$comment", "$anchor", "title", "description", "default", "examples", "example",
        "deprecated", "readOnly", "writeOnly", "discriminator", "xml", "externalDocs", "contentMediaType",
        "contentEncoding",
    }
)  # fmt: skip
_SUBSCHEMA = frozenset({"not", "if", "then", "else", "additionalProperties", "items", "contains", "propertyNames"})
_SUBSCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf"})
_SUBSCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions"})
_PLAIN = frozenset(
    {
        "type", "enum", "const", "required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "minLength", "maxLength", "pattern", "minItems", "maxItems", "uniqueItems",
        "minProperties", "maxProperties", "format", "$ref",
    }
)  # fmt: skip
_SUPPORTED = _ANNOTATIONS | _SUBSCHEMA | _SUBSCHEMA_LISTS | _SUBSCHEMA_MAPS | _PLAIN


class _Unsupported(Exception):
    pass


def compile_verdict(
    document: Mapping[str, Any],
    pointer: str,
    *,
    engine: Engine = "auto",
    uri: str = "urn:caliper-contract:schema",
    own_patterns: bool = False,
) -> Verdict | None:
    """A verdict function for the schema at ``uri#pointer`` (``document``), or None when no engine can be trusted.

    ``own_patterns`` says the document is caliper-contract's own (the Timeback
    profile), whose patterns have no group and so no nested quantifier that
    could backtrack (a test keeps them so): fastjsonschema may match them with
    ``re`` itself, ten times faster than the bounded matcher a user's document needs.
    """
    chosen = os.environ.get("CALIPER_CONTRACT_ENGINE", "auto") if engine == "auto" else engine
    if chosen == "none":
        return None
    rust = _rust() if chosen in ("auto", "rust") else None
    if chosen == "rust" and rust is None:
        raise ImportError("CALIPER_CONTRACT_ENGINE=rust needs jsonschema-rs: pip install 'caliper-contract[fast]'")
    if rust is not None:
        try:
            # Raises for what the engine may misread.
            schemas = _reachable_schemas(document, pointer, dialect_2020=True)
            if any("format" in schema for schema in schemas):
                document = copy.deepcopy(dict(document))
                _formats_as_patterns(_reachable_schemas(document, pointer, dialect_2020=True))
        except (_Unsupported, LookupError, TypeError, ValueError):
            return None
        try:
            # The document is a resource of its own, as for python-jsonschema, so a
            # $ref's siblings and the document's top-level keywords mean what they should.
            registry = rust.Registry([(uri, dict(document))])
            validator = rust.validator_for(
                {"$ref": f"{uri}#{pointer}"},
                registry=registry,
                offline=True,
                validate_formats=False,  # see _formats_as_patterns
            )
        except Exception:  # a schema this engine will not compile: python-jsonschema alone checks it
            return None
        return _guarded(validator.is_valid)
    import fastjsonschema

    # The document itself, entered through a $ref, so every "#/..." reference
    # resolves in place (a Draft 7 engine ignores the $ref's siblings, which are
    # the document's own top-level keywords).  fastjsonschema fetches remote
    # references with urllib unless told otherwise: every reference here is
    # local (checked below), and these handlers make sure.
    root = copy.deepcopy({**document, "$ref": f"#{pointer}"} if pointer else dict(document))
    try:
        # One walk of the copy both refuses what the engine may misread and
        # finds the schemas to reword for it.
        reachable = _reachable_schemas(root, pointer, dialect_2020=False)
    except (_Unsupported, LookupError, TypeError, ValueError):
        return None
    _const_as_enum(reachable)
    _drop_annotation_formats(reachable)  # before patterns become formats of their own
    formats: dict[str, Callable[[Any], bool]] = {
        **string_checks(),
        **({} if own_patterns else _patterns_as_formats(reachable)),
    }
    refuse = dict.fromkeys(("http", "https", "file", "ftp"), _refuse_remote)
    try:
        # Without detailed exceptions a failing check raises a bare message
        # instead of building a literal copy of the schema: the verdict is all
        # that is used, and compiling is twice as fast.
        check = fastjsonschema.compile(
            root, handlers=refuse, formats=formats, use_default=False, detailed_exceptions=False
        )
    except Exception:  # e.g. a schema it judges contradictory: python-jsonschema alone checks it
        return None

    def is_valid(instance: Any) -> bool:
        try:
            check(instance)
        except fastjsonschema.JsonSchemaValueException:
            return False
        return True

    return _guarded(is_valid)


def _rust() -> Any:
    try:
        import jsonschema_rs
    except ImportError:
        return None
    return jsonschema_rs


def _refuse_remote(uri: str) -> Any:
    raise _Unsupported(f"remote reference {uri}")


def _guarded(is_valid: Verdict) -> Verdict:
    def verdict(instance: Any) -> bool:
        try:
            return bool(is_valid(instance))
        except Exception:  # a value the engine cannot handle: let jsonschema explain it
            return False

    return verdict


def _const_as_enum(schemas: list[dict[str, Any]]) -> None:
    """Say ``const: x`` as ``enum: [x]``, which means the same.

    fastjsonschema 2.x fails to compile ``const`` when detailed exceptions are
    off (its message wants the schema it was told not to keep).
    """
    for schema in schemas:
        if "const" in schema:
            same = {"enum": [schema.pop("const")]}
            if "enum" in schema:
                schema["allOf"] = [*schema.get("allOf", []), same]
            else:
                schema.update(same)


def _patterns_as_formats(schemas: list[dict[str, Any]]) -> dict[str, Callable[[object], bool]]:
    """Say each ``pattern: P`` as a format checked by :func:`caliper_contract._patterns.search`.

    A format applies to strings only, as a pattern does; the formats returned
    are the ones to give the engine.
    """
    formats: dict[str, Callable[[object], bool]] = {}
    for schema in schemas:
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            name = f"x-caliper-contract-pattern:{pattern}"
            formats[name] = partial(_matches, pattern)
            del schema["pattern"]
            same = {"format": name}
            if "format" in schema:
                schema["allOf"] = [*schema.get("allOf", []), same]
            else:
                schema.update(same)
    return formats


def _matches(pattern: str, value: object) -> bool:
    return not isinstance(value, str) or search(pattern, value)


def _reachable_schemas(document: Mapping[str, Any], pointer: str, *, dialect_2020: bool) -> list[dict[str, Any]]:
    """Every schema object the schema at ``pointer`` can reach, through ``$ref`` too.

    Raises :class:`_Unsupported` for anything the engine may read differently
    from Draft 2020-12.
    """
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    pending = [pointer]
    while pending:
        location = pending.pop()
        if location in seen:
            continue
        seen.add(location)
        for schema in _schemas(resolve_pointer(document, location)):
            found.append(schema)
            for keyword, value in schema.items():
                if keyword not in _SUPPORTED and not keyword.startswith("x-"):
                    raise _Unsupported(keyword)
                if keyword == "$ref":
                    if not isinstance(value, str) or not value.startswith("#"):
                        raise _Unsupported(keyword)
                    if not dialect_2020 and set(schema) - _ANNOTATIONS - {"$ref"}:
                        # Draft 7 engines ignore a $ref's siblings; 2020-12 applies them.
                        raise _Unsupported("$ref with siblings")
                    pending.append(value[1:])
                elif keyword == "patternProperties" and not dialect_2020:
                    raise _Unsupported("patternProperties matched by Python's re")
                elif keyword == "format" and not isinstance(value, str):
                    raise _Unsupported("format that is not a string")
                elif keyword == "items" and not isinstance(value, (dict, bool)):
                    raise _Unsupported("items as a list")
                elif keyword in ("enum", "const") and not _only_strings_and_nulls(value):
                    # Python's == says True == 1; JSON Schema does not.
                    raise _Unsupported(f"{keyword} with numbers or booleans")
    return found


def _annotation_format(schema: dict[str, Any]) -> bool:
    """Whether ``schema`` has a ``format`` the contract does not assert: an annotation, as Draft 2020-12 says."""
    return "format" in schema and schema["format"] not in FORMAT_FUNCTIONS


def _drop_annotation_formats(schemas: list[dict[str, Any]]) -> None:
    """Remove the formats the contract does not assert, which an engine would check with its own functions."""
    for schema in schemas:
        if _annotation_format(schema):
            del schema["format"]


def _formats_as_patterns(schemas: list[dict[str, Any]]) -> None:
    """Say each asserted ``format`` as its pattern (see the module docstring); drop the others, annotations."""
    for schema in schemas:
        name = schema.pop("format", None)
        if name in ENGINE_PATTERNS:
            pattern = ENGINE_PATTERNS[name]
            if "pattern" in schema:
                schema["allOf"] = [*schema.get("allOf", []), {"pattern": pattern}]
            else:
                schema["pattern"] = pattern


def _only_strings_and_nulls(value: Any) -> bool:
    if isinstance(value, list):
        return all(_only_strings_and_nulls(item) for item in value)
    if isinstance(value, dict):
        return all(_only_strings_and_nulls(item) for item in value.values())
    return value is None or isinstance(value, str)


def _schemas(schema: Any) -> Iterator[dict[str, Any]]:
    """Every schema object nested in ``schema`` without crossing a $ref."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, bool):
            continue
        if not isinstance(node, dict):
            raise _Unsupported("a schema that is not an object")
        yield node
        for keyword, value in node.items():
            if keyword in _SUBSCHEMA:
                stack.append(value)
            elif keyword in _SUBSCHEMA_LISTS and isinstance(value, list):
                stack.extend(value)
            elif keyword in _SUBSCHEMA_MAPS and isinstance(value, dict):
                stack.extend(value.values())
