"""Settings for the command from ``[tool.caliper-contract]`` in pyproject.toml.

The nearest pyproject.toml, from the current folder upwards, that has the
table is used; options given on the command line win over it.

.. code-block:: toml

    [tool.caliper-contract]
    strict = true
    ignore = ["timeback.object.subject-other"]
    select = ["timeback.actor.email"]
    spec = "openapi/timeback-events-api.yaml"   # relative to this pyproject.toml
    exclude = ["node_modules", "fixtures/drafts/"]
    expect-invalid = ["invalid/", "*.invalid.*"]  # the default

    [tool.caliper-contract.per-file-ignores]
    "fixtures/legacy/*.json" = ["timeback.actor.email"]

Path patterns are those of :class:`caliper_contract._paths.PathPatterns`,
relative to the folder of the pyproject.toml.  A pyproject.toml that is not a
regular file (a named pipe, say) is passed over as an unreadable one is.
"""

from __future__ import annotations

import difflib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from caliper_contract._paths import PathPatterns, PatternError, open_regular
from caliper_contract.errors import ConfigError

TABLE = "tool.caliper-contract"
_KEYS = ("strict", "ignore", "select", "spec", "exclude", "expect-invalid", "per-file-ignores")


@dataclass(frozen=True)
class Settings:
    """What a pyproject.toml sets; None where it says nothing."""

    source: Path | None = None
    strict: bool | None = None
    ignore: tuple[str, ...] | None = None
    select: tuple[str, ...] | None = None
    spec: Path | None = None
    exclude: tuple[str, ...] | None = None
    expect_invalid: tuple[str, ...] | None = None
    #: (pattern, rule ids) pairs, in the order written.
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] | None = None

    @property
    def base(self) -> Path | None:
        """The folder path patterns are relative to: the pyproject.toml's (None when there is none)."""
        return None if self.source is None else self.source.parent


def discover(start: Path) -> Settings:
    """The settings of the nearest pyproject.toml above ``start`` with a ``[tool.caliper-contract]`` table."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        try:
            stream, _ = open_regular(candidate)
            with stream:
                text = stream.read().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        # Most pyproject.toml files do not mention us: skip parsing those.
        if "caliper-contract" in text:
            table = _table(candidate, text)
            if table is not None:
                return _settings(candidate, table)
    return Settings()


def _table(path: Path, text: str) -> dict[str, Any] | None:
    # Imported here: most runs find no table to parse, and the import costs a few milliseconds.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.10
        import tomli as tomllib
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    tool = document.get("tool")
    table = tool.get("caliper-contract") if isinstance(tool, dict) else None
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{TABLE}] must be a table")
    return table


def _settings(path: Path, table: dict[str, Any]) -> Settings:
    for key in table:
        if key not in _KEYS:
            close = difflib.get_close_matches(key, _KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(_KEYS)}"
            raise ConfigError(f"{path}: [{TABLE}] has an unknown key {key!r}{hint}")
    strict = table.get("strict")
    if strict is not None and not isinstance(strict, bool):
        raise ConfigError(f"{path}: [{TABLE}] strict must be true or false, not {strict!r}")
    spec = table.get("spec")
    if spec is not None and not isinstance(spec, str):
        raise ConfigError(f"{path}: [{TABLE}] spec must be a path (a string), not {spec!r}")
    return Settings(
        source=path,
        strict=strict,
        ignore=_rule_ids(path, table, "ignore"),
        select=_rule_ids(path, table, "select"),
        spec=None if spec is None else path.parent / spec,
        exclude=_patterns(path, table.get("exclude"), "exclude"),
        expect_invalid=_patterns(path, table.get("expect-invalid"), "expect-invalid"),
        per_file_ignores=_per_file_ignores(path, table.get("per-file-ignores")),
    )


def _patterns(path: Path, value: object, key: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{path}: [{TABLE}] {key} must be a list of path patterns, not {value!r}")
    try:
        PathPatterns(value, path.parent)
    except PatternError as error:
        raise ConfigError(f"{path}: [{TABLE}] {key}: {error}") from None
    return tuple(value)


def _per_file_ignores(path: Path, value: object) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    if value is None:
        return None
    where = f"{path}: [{TABLE}.per-file-ignores]"
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table of path patterns to lists of rule ids, not {value!r}")
    pairs = []
    for pattern, ids in value.items():
        if not isinstance(ids, list) or not all(isinstance(item, str) for item in ids):
            raise ConfigError(f"{where} {pattern!r} must be a list of rule ids, not {ids!r}")
        try:
            PathPatterns((pattern,), path.parent)
        except PatternError as error:
            raise ConfigError(f"{where}: {error}") from None
        pairs.append((pattern, tuple(ids)))
    return tuple(pairs)


def _rule_ids(path: Path, table: dict[str, Any], key: str) -> tuple[str, ...] | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{path}: [{TABLE}] {key} must be a list of rule ids, not {value!r}")
    if key == "select" and not value:
        raise ConfigError(
            f"{path}: [{TABLE}] select is empty, which would report nothing; omit it to report every rule"
        )
    return tuple(value)
