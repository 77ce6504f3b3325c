"""Load stage: an OpenAPI 3.1 document, read safely and offline.

The document's YAML is parsed with PyYAML's safe loader (the C one when it is
built), checked to be an OpenAPI 3.1 document with ``POST /caliper/event``,
and every ``$ref`` in it is checked to stay inside the document: nothing is
ever fetched.  OpenAPI 3.1 schemas are JSON Schema Draft 2020-12, so the
document becomes one Draft 2020-12 resource in a ``referencing`` registry.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from caliper_contract.errors import SpecError
from caliper_contract.pointers import escape, tokens

#: The request body the contract is about.
EVENT_PATH = "/caliper/event"
#: JSON Pointer, inside the document, to the schema of that request body.
ENVELOPE_POINTER = "/paths/~1caliper~1event/post/requestBody/content/application~1json/schema"
#: YAML aliases let a small file describe a huge object graph ("billion laughs");
#: a document whose fully expanded size passes this many nodes is refused.
MAX_EXPANDED_NODES = 2_000_000
#: ``Contract.examples()`` fills the seed's ``<dynamic-timestamp>`` with this fixed
#: UTC time (after the examples' eventTime), so examples are reproducible.
EXAMPLE_SEND_TIME = "2024-04-24T14:12:05.000Z"

_BUNDLED_NAME = "timeback-events-api.yaml"
_PLACEHOLDER = re.compile(r"<([^<>]+)>")


@dataclass(frozen=True)
class Example:
    """One request example of ``POST /caliper/event``, placeholders filled."""

    name: str
    summary: str
    value: Any


@dataclass(frozen=True)
class OpenAPIDocument:
    """A loaded, checked OpenAPI document."""

    source: str
    contents: Mapping[str, Any] = field(repr=False)

    @property
    def uri(self) -> str:
        # One fixed, non-network URI per document: references resolve inside it.
        return "urn:caliper-contract:openapi"

    @property
    def envelope_schema(self) -> Any:
        return resolve_pointer(self.contents, ENVELOPE_POINTER)

    def component(self, name: str) -> Any | None:
        schemas = self.contents.get("components", {}).get("schemas", {})
        return schemas.get(name) if isinstance(schemas, dict) else None

    def examples(self, *, send_time: str = EXAMPLE_SEND_TIME) -> tuple[Example, ...]:
        """The request examples of ``POST /caliper/event``, ready to validate.

        Placeholders are filled with concrete values: ``<dynamic-timestamp>``
        becomes ``send_time``; any other ``<name>`` inside a string becomes
        ``uuid5(NAMESPACE_URL, "caliper-contract:<name>")``, so
        ``.../users/<userId>`` is a real, stable URL.
        """
        media = resolve_pointer(self.contents, ENVELOPE_POINTER.rsplit("/", 1)[0])
        examples = media.get("examples") or {}
        if not examples and "example" in media:
            examples = {"example": {"value": media["example"]}}
        return tuple(
            Example(
                name=str(name),
                summary=str(example.get("summary", "")),
                value=_fill_placeholders(example.get("value"), send_time),
            )
            for name, example in examples.items()
            if isinstance(example, dict)
        )


def bundled_path() -> Path:
    """Where the bundled seed document is, installed or in a checkout."""
    # The wheel maps openapi/ into the package (see pyproject.toml); a source
    # checkout has it at the top level beside caliper_contract/.
    here = Path(__file__).resolve().parent
    for candidate in (here / "openapi" / _BUNDLED_NAME, here.parent / "openapi" / _BUNDLED_NAME):
        if candidate.is_file():
            return candidate
    raise SpecError(_BUNDLED_NAME, f"missing from {here}; reinstall caliper-contract")


def load_bundled() -> OpenAPIDocument:
    """The bundled document, from its pre-parsed JSON twin when that matches the YAML.

    Parsing YAML (and importing PyYAML) is most of the cost of a first
    validate(); ``openapi/timeback-events-api.json`` holds the same document
    parsed, with the SHA-256 of the YAML it came from.  Should the two ever
    disagree, the YAML wins.  ``python -m caliper_contract.openapi`` rewrites
    the twin; a test keeps it current.
    """
    path = bundled_path()
    twin = path.with_suffix(".json")
    try:
        cached = json.loads(twin.read_text(encoding="utf-8"))
        fresh = cached.get("source_sha256") == hashlib.sha256(path.read_bytes()).hexdigest()
    except (OSError, ValueError, AttributeError):
        fresh = False
    if not fresh:
        return load(path)
    contents = cached["document"]
    _check_openapi(contents, str(path))
    _check_references(contents, str(path))
    return OpenAPIDocument(source=str(path), contents=contents)


def write_bundled_twin() -> Path:
    """Rewrite the JSON twin of the bundled document (see :func:`load_bundled`)."""
    path = bundled_path()
    twin = path.with_suffix(".json")
    document = load(path).contents
    payload = {"source_sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "document": document}
    twin.write_text(json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    return twin


def load(path: str | Path) -> OpenAPIDocument:
    """Read and check an OpenAPI document; raise :class:`SpecError` if it cannot serve."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SpecError(str(path), f"cannot read the OpenAPI document: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise SpecError(
            str(path), f"the OpenAPI document is not UTF-8 text ({error.reason} at byte {error.start})"
        ) from None
    return parse(text, source=str(path))


def parse(text: str, *, source: str = "<string>") -> OpenAPIDocument:
    """Parse OpenAPI YAML (or JSON) text; see :func:`load`."""
    import yaml  # here, not at the top: the bundled document rarely needs it (see load_bundled)

    safe_loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader parses ~7x faster
    try:
        contents = yaml.load(text, Loader=safe_loader)  # a safe loader: no Python objects
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1} column {mark.column + 1}" if mark is not None else None
        problem = getattr(error, "problem", None) or str(error)
        raise SpecError(source, f"not valid YAML: {problem}", where) from None
    except RecursionError:
        raise SpecError(source, "the YAML nests too deeply to be an OpenAPI document") from None
    _check_expanded_size(contents, source)
    _check_openapi(contents, source)
    _check_references(contents, source)
    return OpenAPIDocument(source=source, contents=contents)


def resolve_pointer(document: Any, pointer: str) -> Any:
    """Resolve an RFC 6901 pointer (without the leading ``#``) in ``document``."""
    node = document
    for token in tokens(pointer):
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def _check_expanded_size(contents: Any, source: str) -> None:
    # Shared (aliased) nodes are counted once per use, as a consumer walking the
    # document would see them; memoising by id keeps this linear in the file.
    sizes: dict[int, int] = {}

    def size(node: Any, depth: int) -> int:
        if not isinstance(node, (dict, list)):
            return 1
        known = sizes.get(id(node))
        if known is not None:
            return known
        if depth > 200:
            raise SpecError(source, "the document nests deeper than 200 levels")
        sizes[id(node)] = MAX_EXPANDED_NODES + 1  # a cycle (recursive alias) counts as too big
        children = node.values() if isinstance(node, dict) else node
        total = 1
        for child in children:
            total += size(child, depth + 1)
            if total > MAX_EXPANDED_NODES:
                break
        sizes[id(node)] = total
        return total

    if size(contents, 0) > MAX_EXPANDED_NODES:
        raise SpecError(
            source,
            f"YAML aliases expand to more than {MAX_EXPANDED_NODES:,} nodes; "
            "refusing a document built to exhaust memory",
        )


def _check_openapi(contents: Any, source: str) -> None:
    if not isinstance(contents, dict) or "openapi" not in contents:
        raise SpecError(source, "not an OpenAPI document (no top-level `openapi` field)")
    version = str(contents["openapi"])
    if not version.startswith("3.1"):
        raise SpecError(
            source,
            f"OpenAPI {version} is not supported; caliper-contract reads OpenAPI 3.1, "
            "whose schemas are JSON Schema Draft 2020-12",
        )
    try:
        schema = resolve_pointer(contents, ENVELOPE_POINTER)
    except (KeyError, IndexError, TypeError, ValueError):
        schema = None
    if not isinstance(schema, dict):
        raise SpecError(
            source,
            f"no application/json request body schema for POST {EVENT_PATH}",
            f"#{ENVELOPE_POINTER}",
        )


def _check_references(contents: Any, source: str) -> None:
    for location, ref in _references(contents, ""):
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise SpecError(
                source,
                f"$ref {ref!r} leaves the document; caliper-contract never fetches anything, "
                "so every $ref must start with '#'",
                f"#{location}",
            )
        try:
            resolve_pointer(contents, ref[1:])
        except (KeyError, IndexError, TypeError, ValueError):
            raise SpecError(source, f"$ref {ref!r} points at nothing in the document", f"#{location}") from None


def _references(node: Any, location: str) -> Iterator[tuple[str, Any]]:
    # Iterative walk: documents are checked before anything trusts their shape.
    stack = [(node, location)]
    seen: set[int] = set()
    while stack:
        node, location = stack.pop()
        if isinstance(node, dict):
            if id(node) in seen:
                continue
            seen.add(id(node))
            ref = node.get("$ref")
            if ref is not None and not _is_example_value(location):
                yield f"{location}/$ref", ref
            stack.extend((value, f"{location}/{escape(key)}") for key, value in node.items())
        elif isinstance(node, list):
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.extend((value, f"{location}/{index}") for index, value in enumerate(node))


def _is_example_value(location: str) -> bool:
    # Example payloads are data, not schemas: a `$ref` key inside one is not a reference.
    return "/examples/" in location or location.endswith("/example") or "/example/" in location


def _fill_placeholders(value: Any, send_time: str) -> Any:
    if isinstance(value, dict):
        return {key: _fill_placeholders(item, send_time) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill_placeholders(item, send_time) for item in value]
    if isinstance(value, str) and "<" in value:
        if value == "<dynamic-timestamp>":
            return send_time
        return _PLACEHOLDER.sub(
            lambda match: str(uuid.uuid5(uuid.NAMESPACE_URL, f"caliper-contract:{match[1]}")), value
        )
    return value


if __name__ == "__main__":
    sys.stdout.write(f"wrote {write_bundled_twin()}\n")
