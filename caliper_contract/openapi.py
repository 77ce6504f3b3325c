"""Load stage: an OpenAPI 3.1 document, read safely and offline.

Only a regular file of at most :data:`MAX_DOCUMENT_BYTES` is read.  A JSON
document is read as JSON; YAML is read with PyYAML's safe loader (the C one
when it is built) under the YAML 1.2 core schema, the one that agrees with
JSON (``1e2`` is a number, ``on`` and ``2024-01-01`` are strings), and a value
with no JSON form (``!!binary``, ``!!set``, ``!!timestamp``, non-string keys,
``.inf``) is refused.  The document must be OpenAPI 3.1 with ``POST
/caliper/event``; then :mod:`caliper_contract._dialect` checks every schema in
it, resolves every reference inside it (nothing is ever fetched) and refuses
reference loops.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import os
import re
import stat
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag

from caliper_contract._dialect import Schemas, find_schemas, join_reference
from caliper_contract.errors import SpecError
from caliper_contract.pointers import escape, resolve_pointer

#: The request body the contract is about.
EVENT_PATH = "/caliper/event"
#: JSON Pointer, inside the document, to the schema of that request body.
ENVELOPE_POINTER = "/paths/~1caliper~1event/post/requestBody/content/application~1json/schema"
#: A larger file is refused before it is read: the published documents are 60 kB, and
#: parsing YAML costs about a second per megabyte.
MAX_DOCUMENT_BYTES = 8 * 1024 * 1024
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


#: One fixed, non-network URI per document: references resolve inside it.
DOCUMENT_URI = "urn:caliper-contract:openapi"


@dataclass(frozen=True)
class OpenAPIDocument:
    """A loaded, checked OpenAPI document."""

    source: str
    contents: Mapping[str, Any] = field(repr=False)
    #: Its schemas, their locations and references (see :mod:`caliper_contract._dialect`).
    schemas: Schemas = field(repr=False, compare=False, default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.schemas is None:
            object.__setattr__(self, "schemas", find_schemas(self.contents, DOCUMENT_URI))

    def __reduce__(self) -> tuple[Any, ...]:
        # What travels is the document itself; its schema index is found again where it arrives.
        return (type(self), (self.source, self.contents))

    @property
    def uri(self) -> str:
        return DOCUMENT_URI

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


class Documents(dict[str, Any]):
    """The contract's JSON documents by URI (an OpenAPI document and others), and how to follow references.

    A document whose schemas are :attr:`~caliper_contract._dialect.Schemas.plain`
    is followed by JSON Pointer alone; any other is followed by ``referencing``
    (``$id``, anchors, dynamic references), through :attr:`registry`.
    """

    def __init__(self, document: OpenAPIDocument, others: Mapping[str, Any]) -> None:
        super().__init__({document.uri: document.contents, **others})
        self.schemas = document.schemas

    @cached_property
    def registry(self) -> Any:
        """A ``referencing`` registry of every document and JSON Schema's metaschemas (built on first use)."""
        others = {uri: contents for uri, contents in self.items() if uri != self.schemas.uri}
        return self.schemas.registry(others, with_metaschemas=True)

    def plain(self, uri: str) -> bool:
        """Whether every reference in the document at ``uri`` is a JSON Pointer into it."""
        return uri in self and (uri != self.schemas.uri or self.schemas.plain)

    def follow(self, ref: str, uri: str, holder: Any = None) -> tuple[str, str, Any]:
        """Where ``ref``, in the schema ``holder`` of the document at ``uri``, leads: (document, pointer, schema).

        The document is one of these, or a metaschema python-jsonschema ships.
        Raises LookupError (or a ``referencing`` error) when ``ref`` leads nowhere.
        """
        if self.plain(uri):
            target_uri, _, fragment = ref.partition("#")
            target_uri = target_uri or uri
            return target_uri, fragment, resolve_pointer(self[target_uri], fragment)
        base = self.schemas.bases.get(id(holder), uri)
        target = self.registry.resolver(base_uri=base).lookup(ref).contents
        location = self.schemas.location_of(target)
        if location is not None:
            return self.schemas.uri, location, target
        target_uri, fragment = urldefrag(join_reference(base, ref))
        return target_uri, unquote(fragment) if fragment.startswith("/") else "", target


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
    # The twin was written by load(), which checked the schemas and references of this very
    # YAML (its SHA-256 says so); checking them again would import referencing for nothing.
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
    data = _read_regular_file(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SpecError(
            str(path), f"the OpenAPI document is not UTF-8 text ({error.reason} at byte {error.start})"
        ) from None
    return parse(text, source=str(path))


def _read_regular_file(path: Path) -> bytes:
    """The bytes of ``path``, which must be a regular file of at most MAX_DOCUMENT_BYTES.

    Opened without blocking and checked on the open descriptor, so a FIFO, a
    device such as /dev/zero or a directory is refused at once, and a file
    that grows while it is read is still read no further than the limit.
    """
    source = str(path)
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as error:
        raise SpecError(source, f"cannot read the OpenAPI document: {error.strerror or error}") from None
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise SpecError(source, f"cannot read the OpenAPI document: it is {_file_kind(mode)}, not a regular file")
        with os.fdopen(descriptor, "rb", closefd=False) as file:
            data = file.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as error:
        raise SpecError(source, f"cannot read the OpenAPI document: {error.strerror or error}") from None
    finally:
        os.close(descriptor)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise SpecError(
            source,
            f"the OpenAPI document is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB, "
            "the most caliper-contract reads",
        )
    return data


def _file_kind(mode: int) -> str:
    kinds = [
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ]
    return next((words for test, words in kinds if test(mode)), "not a regular file")


def parse(text: str, *, source: str = "<string>") -> OpenAPIDocument:
    """Parse OpenAPI JSON or YAML text; see :func:`load`.

    Text read from a ``.json`` file, or that begins with ``{`` and parses as
    JSON, is JSON; anything else is YAML.
    """
    text = text.removeprefix("\ufeff")
    contents: Any = None
    is_json = source.lower().endswith(".json")
    if is_json or text.lstrip().startswith("{"):
        try:
            contents = _parse_json(text, source)
            is_json = True
        except SpecError:
            if is_json:
                raise
    if not is_json:
        contents = _parse_yaml(text, source)
        _check_expanded_size(contents, source)
        _check_json_form(contents, source)
    _check_openapi(contents, source)
    document = OpenAPIDocument(source=source, contents=contents)
    document.schemas.check(source)
    return document


class _DuplicateKey(Exception):
    pass


def _parse_json(text: str, source: str) -> Any:
    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) != len(pairs):
            seen: set[str] = set()
            duplicate = next(key for key, _ in pairs if key in seen or seen.add(key))  # type: ignore[func-returns-value]
            raise _DuplicateKey(duplicate)
        return result

    def no_constant(name: str) -> Any:
        raise SpecError(source, f"not valid JSON: {name} is not a JSON number")

    try:
        contents = json.loads(text, object_pairs_hook=unique, parse_constant=no_constant)
    except json.JSONDecodeError as error:
        raise SpecError(source, f"not valid JSON: {error.msg}", f"line {error.lineno} column {error.colno}") from None
    except _DuplicateKey as error:
        raise SpecError(
            source, f"not valid JSON: the key {json.dumps(error.args[0])} appears twice in one object"
        ) from None
    except RecursionError:
        raise SpecError(source, "the JSON nests too deeply to be an OpenAPI document") from None
    except ValueError as error:  # an integer beyond Python's int-to-str limit
        raise SpecError(source, f"not valid JSON for caliper-contract: {error}") from None
    _check_expanded_size(contents, source)  # depth
    _check_json_form(contents, source)  # 1e400 reads as infinity
    return contents


def _parse_yaml(text: str, source: str) -> Any:
    import yaml  # here, not at the top: the bundled document rarely needs it (see load_bundled)

    try:
        return yaml.load(text, Loader=_yaml_loader())  # a safe loader: no Python objects
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1} column {mark.column + 1}" if mark is not None else None
        problem = getattr(error, "problem", None) or str(error)
        raise SpecError(source, f"not valid YAML: {problem}", where) from None
    except RecursionError:
        raise SpecError(source, "the YAML nests too deeply to be an OpenAPI document") from None
    except ValueError as error:  # e.g. an integer beyond Python's int-to-str limit
        raise SpecError(source, f"not valid YAML for caliper-contract: {error}") from None


_loader: Any = None


def _yaml_loader() -> Any:
    """PyYAML's safe loader under the YAML 1.2 core schema (PyYAML knows only YAML 1.1's).

    Where the two differ, YAML 1.2 agrees with JSON: ``1e2`` and ``1e-08`` are
    numbers, ``yes``/``on`` and dates are strings, ``012`` is twelve.  Merge
    keys (``<<``) are kept: documents use them, and dropping them would change
    what a schema says without a word.
    """
    global _loader
    if _loader is None:
        import yaml

        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader parses ~7x faster

        class Loader(base):  # type: ignore[valid-type,misc]
            pass

        Loader.yaml_implicit_resolvers = {}
        resolvers = [
            ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
            ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
            ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
            (
                "float",
                r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
                list("-+0123456789."),
            ),
            ("merge", r"^(?:<<)$", ["<"]),
        ]
        for tag, pattern, first in resolvers:
            Loader.add_implicit_resolver(f"tag:yaml.org,2002:{tag}", re.compile(pattern), first)
        Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
        _loader = Loader
    return _loader


def _construct_int(loader: Any, node: Any) -> int:
    text = str(loader.construct_scalar(node))
    if text[:2] in ("0o", "0x"):
        return int(text[2:], 8 if text[1] == "o" else 16)
    return int(text)


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


def _check_json_form(contents: Any, source: str) -> None:
    """Refuse a value JSON cannot say: the document is read as the JSON it would be."""
    stack: list[tuple[Any, str]] = [(contents, "")]
    seen: set[int] = set()
    while stack:
        node, location = stack.pop()
        if isinstance(node, (dict, list)):
            if id(node) in seen:
                continue
            seen.add(id(node))
        if isinstance(node, dict):
            for key, value in node.items():
                if not isinstance(key, str):
                    raise SpecError(
                        source,
                        f"the key {key!r} is a {_yaml_type(key)}; JSON keys are strings (quote it: '{key}')",
                        f"#{location}",
                    )
                stack.append((value, f"{location}/{escape(key)}"))
        elif isinstance(node, list):
            stack.extend((value, f"{location}/{index}") for index, value in enumerate(node))
        elif isinstance(node, float) and not math.isfinite(node):
            raise SpecError(source, f"{node} is not a JSON number", f"#{location}")
        elif not (node is None or isinstance(node, (str, int, float, bool))):
            raise SpecError(source, f"a YAML {_yaml_type(node)} has no JSON form; write it as a string", f"#{location}")


def _yaml_type(value: Any) -> str:
    names = {datetime.date: "date", datetime.datetime: "timestamp", bytes: "binary value", set: "set"}
    names.update({tuple: "pair (from !!omap or !!pairs)", bool: "boolean", int: "number", float: "number"})
    return names.get(type(value), type(value).__name__)


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
        resolve_pointer(contents, ENVELOPE_POINTER)  # whether it is a schema, the metaschema check says
    except (KeyError, IndexError, TypeError, ValueError):
        raise SpecError(
            source,
            f"no application/json request body schema for POST {EVENT_PATH}",
            f"#{ENVELOPE_POINTER}",
        ) from None


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
