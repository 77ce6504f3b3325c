"""Paths: which files a pattern names, which payload files must break the contract, and opening only files.

- :class:`PathPatterns`: patterns written as in ruff's ``exclude`` and
  ``per-file-ignores`` (and much as in ``.gitignore``), matched against paths
  relative to a base folder (the folder of the ``pyproject.toml`` that set them).
- :class:`ExpectInvalid`: the one convention for payload files that must break
  the contract (``invalid/`` folders and ``*.invalid.*`` files by default),
  shared by ``caliper-contract check`` and the pytest plugin.
- :func:`open_regular`: open a file for reading only when it is a regular file,
  so that a named pipe or a device never blocks or floods a reader.

The pattern matching is hand-written on :mod:`fnmatch` rather than taken from
pathspec: pathspec adds about 8 ms to every start of the command (a tenth of
its import time), and the command needs the same component matching for its
own glob arguments anyway (see ``cli/_discover.py``).
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

#: Glob characters: an argument or a pattern component with one of these is matched, not taken as it is.
MAGIC = frozenset("*?[")
#: The expected-invalid convention when pyproject.toml sets none: a folder named ``invalid``, a ``*.invalid.*`` file.
DEFAULT_EXPECT_INVALID = ("invalid/", "*.invalid.*")
#: What a payload of an expected-invalid file that meets the contract is told.
VALID_BUT_EXPECTED_INVALID = "expected to break the contract, but it is valid"

NameMatch = Callable[[str, str], bool]


class PatternError(ValueError):
    """A pattern that cannot name a path (empty, or with an empty, ``.`` or ``..`` component)."""


def split_pattern(pattern: str) -> tuple[str, ...]:
    """A glob's components: ``**`` alone is any number of folders; both separators work on Windows."""
    parts = pattern.replace(os.sep, "/").split("/")
    return tuple(part for part in parts if part)


def glob_match(parts: Sequence[str], pattern: Sequence[str], name_match: NameMatch = fnmatch.fnmatchcase) -> bool:
    """Whether path components ``parts`` match glob components ``pattern``, ``**`` matching any number of them."""
    if not pattern:
        return not parts
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(glob_match(parts[start:], rest, name_match) for start in range(len(parts) + 1))
    return bool(parts) and name_match(parts[0], head) and glob_match(parts[1:], rest, name_match)


def _name_match(name: str, pattern: str) -> bool:
    return _compiled(pattern)(name) is not None


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> Callable[[str], re.Match[str] | None]:
    return re.compile(fnmatch.translate(pattern)).match


@dataclass(frozen=True)
class _Pattern:
    text: str
    parts: tuple[str, ...]
    anchored: bool  # has a "/" before its last character: matched from the base folder, not at any depth
    folders_only: bool  # ends in "/": matches folders (and so everything under them), never a file itself


def _parse(text: str) -> _Pattern:
    parts = split_pattern(text)
    if not parts or any(part in (".", "..") for part in parts):
        raise PatternError(f"{text!r} is not a path pattern")
    stripped = text.replace(os.sep, "/").rstrip("/")
    return _Pattern(text, parts, "/" in stripped, text.replace(os.sep, "/").endswith("/"))


class PathPatterns:
    """Path patterns relative to a base folder, as ruff and ``.gitignore`` write them.

    - ``node_modules``, ``*.invalid.*``: no ``/`` but at the end, so a file or
      folder name at any depth;
    - ``fixtures/legacy/*.json``, ``/draft.json``: a ``/`` inside (or at the
      start), so a path from the base folder;
    - ``*`` and ``?`` never cross a ``/``; ``**`` is any number of folders;
    - a pattern that ends in ``/`` names folders only;
    - a folder that matches takes in everything under it.

    Negation (``!pattern``) is not supported.  A path outside the base folder
    is matched by its absolute form, so only patterns without a ``/`` can match it.
    """

    def __init__(self, patterns: Iterable[str], base: Path) -> None:
        self.texts = tuple(patterns)
        self._patterns = tuple(_parse(text) for text in self.texts)
        self.base = base
        # Paths are compared as strings: os.path.relpath costs more than the matching.
        self._base = os.path.abspath(base)
        self._prefix = self._base.rstrip(os.sep) + os.sep

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def parts(self, path: str | os.PathLike[str]) -> tuple[str, ...]:
        """The components ``path`` is matched by: relative to the base folder, or absolute when outside it."""
        absolute = os.path.abspath(path)
        if absolute.startswith(self._prefix):
            return tuple(absolute[len(self._prefix) :].split(os.sep))
        if absolute == self._base:
            return ()
        return tuple(part for part in absolute.split(os.sep) if part)

    def match(self, path: str | os.PathLike[str], *, folder: bool = False) -> str | None:
        """The first pattern that takes in ``path`` (a folder when ``folder``), or None."""
        if not self._patterns:
            return None
        return self.match_parts(self.parts(path), folder=folder)

    def match_parts(self, parts: Sequence[str], *, folder: bool = False) -> str | None:
        for pattern in self._patterns:
            # A pattern matches the path itself or any folder above it.
            for end in range(len(parts), 0, -1):
                is_folder = folder or end < len(parts)
                if pattern.folders_only and not is_folder:
                    continue
                if pattern.anchored:
                    if glob_match(parts[:end], pattern.parts, _name_match):
                        return pattern.text
                elif _name_match(parts[end - 1], pattern.parts[0]):
                    return pattern.text
        return None


@dataclass(frozen=True)
class ExpectInvalid:
    """Which payload files must break the contract: each payload in them must have an error, or it fails.

    ``where`` says where the patterns were set, for messages (a pyproject.toml,
    an option, or the default).
    """

    patterns: PathPatterns
    where: str

    @classmethod
    def default(cls, base: Path) -> ExpectInvalid:
        return cls(PathPatterns(DEFAULT_EXPECT_INVALID, base), "by default")

    def pattern_for(self, path: str | os.PathLike[str]) -> str | None:
        """The pattern that says ``path`` must break the contract, or None."""
        return self.patterns.match(path)

    def unmet(self, pattern: str) -> str:
        """What a payload that meets the contract in a file matched by ``pattern`` is told."""
        return f"{VALID_BUT_EXPECTED_INVALID} (its path matches the expect-invalid pattern {pattern!r} {self.where})"


# -- reading regular files only -------------------------------------------------------

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotARegularFile(OSError):
    """A path that names something other than a regular file: reading it could block or never end."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"not a regular file ({kind})")
        self.strerror = str(self)


def _kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a file")


def open_regular(path: str | os.PathLike[str]) -> tuple[BinaryIO, int]:
    """Open a regular file to read bytes, and its size; :class:`NotARegularFile` (an OSError) for anything else.

    Opening a named pipe for reading waits for a writer, so the path is opened
    without waiting (O_NONBLOCK) and looked at before anything is read.  A
    regular file reads the same with or without O_NONBLOCK.
    """
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        status = os.fstat(descriptor)
        kind = _kind(status.st_mode)
        if kind is not None:
            raise NotARegularFile(kind)
        return os.fdopen(descriptor, "rb"), status.st_size
    except BaseException:
        os.close(descriptor)
        raise
