"""Which files a ``caliper-contract check`` run reads: PATH arguments to sources, each file once.

Folders and globs are walked by real path: a folder reached twice (through a
symbolic link, or a loop of them) is read once, and a file reached by two paths
(a link, a hard link, or named twice) is checked once, under the first path
that reached it.  A folder that cannot be read is a finding, never skipped: a
run that could not look everywhere it was asked to must not pass.

The walk is hand-written rather than :func:`glob.glob` or :func:`os.walk`:
both pass over a folder they cannot read without a word, and ``glob``'s
``**`` follows a loop of symbolic links as deep as the system lets it.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from caliper_contract._files import LINE_SUFFIXES, STDIN, SUFFIXES, Finding, Source, whole_file
from caliper_contract._paths import MAGIC, PathPatterns, split_pattern

_Identity = tuple[object, ...]


def sources(
    arguments: Sequence[str], *, stdin_name: str = "<stdin>", exclude: PathPatterns | None = None
) -> Iterator[Source | Finding]:
    """The files that PATH arguments name, in order, each once; a Finding for what names none or cannot be read.

    A folder is searched recursively for :data:`SUFFIXES`, skipping hidden
    files and folders; an argument that is not an existing path but contains
    ``*``, ``?`` or ``[`` is a glob (``**`` crosses folders).  ``-`` is
    standard input, read once however often it is named.  Paths that
    ``exclude`` matches are passed over, wherever they come from.
    """
    walk = _Walk(exclude)
    for argument in arguments:
        if argument == STDIN:
            if STDIN not in walk.seen:
                walk.seen.add(STDIN)
                yield Source(stdin_name, None, Path(stdin_name).suffix.lower() in LINE_SUFFIXES)
        elif not os.path.lexists(argument) and MAGIC.intersection(argument):
            yield from walk.glob(argument)
        elif os.path.isdir(argument):
            if not walk.excluded(argument, folder=True):
                yield from walk.folder(argument, report_empty=True)
        elif not walk.excluded(argument, folder=False):
            yield from walk.file(argument)


def _identity(path: str) -> _Identity:
    """What a path leads to: its device and inode, or its absolute form when it cannot be looked at."""
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        return ("path", os.path.normcase(os.path.abspath(path)))
    return (status.st_dev, status.st_ino)


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()  # follows a symbolic link
    except OSError:  # a loop of links, say: not a folder to walk, so a file to report
        return False


class _Walk:
    """One run's walk: the files and standard input already given, and the exclusions."""

    def __init__(self, exclude: PathPatterns | None) -> None:
        self.exclude = exclude
        self.seen: set[_Identity | str] = set()
        self._unreadable: set[_Identity] = set()  # folders already reported

    def excluded(self, path: str, *, folder: bool) -> bool:
        return self.exclude is not None and self.exclude.match(path, folder=folder) is not None

    def file(self, path: str, identity: _Identity | None = None) -> Iterator[Source]:
        key = identity if identity is not None else _identity(path)
        if key not in self.seen:
            self.seen.add(key)
            yield Source.file(Path(path))

    def _listing(self, folder: str) -> list[os.DirEntry[str]]:
        with os.scandir(folder or os.curdir) as listing:
            return sorted(listing, key=lambda entry: entry.name)

    def _unreadable_folder(self, folder: str, error: OSError) -> Iterator[Finding]:
        """A finding for a folder that cannot be read, once however many arguments reach it."""
        key = _identity(folder or os.curdir)
        if key not in self._unreadable:
            self._unreadable.add(key)
            yield whole_file(str(Path(folder)), f"cannot read this folder: {error.strerror or error}")

    def folder(self, top: str, *, report_empty: bool) -> Iterator[Source | Finding]:
        """The payload files under ``top``, each folder's files before its subfolders, in name order."""
        walked: set[_Identity] = set()
        candidates = 0
        readable = True
        stack = [top]
        while stack:
            folder = stack.pop()
            key = _identity(folder)
            if key in walked:
                continue
            walked.add(key)
            device = key[0]
            try:
                entries = self._listing(folder)
            except OSError as error:
                readable = False
                yield from self._unreadable_folder(folder, error)
                continue
            subfolders = []
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                path = os.path.join(folder, entry.name)
                if _is_folder(entry):
                    if not self.excluded(path, folder=True):
                        subfolders.append(path)
                elif entry.name.lower().endswith(SUFFIXES):
                    candidates += 1
                    if not self.excluded(path, folder=False):
                        # A file that is not a link is on its folder's device: no system call to know what it is.
                        same = None if entry.is_symlink() or key[0] == "path" else (device, entry.inode())
                        yield from self.file(path, same)
            stack.extend(reversed(subfolders))
        if report_empty and readable and not candidates:
            yield whole_file(top, f"no {', '.join(SUFFIXES)} files in this folder")  # as the user named it

    def glob(self, pattern: str) -> Iterator[Source | Finding]:
        """The files a glob names, as :func:`glob.glob` with ``recursive=True`` finds them, each once.

        ``*``, ``?`` and ``[...]`` never match a hidden name unless the pattern's
        component starts with ``.``; ``**`` never enters a hidden folder.  A
        folder that matches is searched as a folder argument is.
        """
        parts = split_pattern(pattern)
        literal = 0
        while literal < len(parts) - 1 and not MAGIC.intersection(parts[literal]):
            literal += 1
        start = os.path.join(*parts[:literal]) if literal else ""
        if os.path.isabs(pattern):
            start = os.path.join(os.sep, start)
        matches: set[str] = set()
        problems = 0
        stack = [(start, literal)]
        states: set[tuple[_Identity, int]] = set()
        while stack:
            folder, index = stack.pop()
            state = (_identity(folder or os.curdir), index)
            if state in states:  # the same folder at the same point of the pattern: a link loop, or a repeat
                continue
            states.add(state)
            if index == len(parts):
                matches.add(folder)
                continue
            head = parts[index]
            if head != "**" and not MAGIC.intersection(head):
                path = os.path.join(folder, head)
                if index + 1 < len(parts):
                    stack.append((path, index + 1))
                elif os.path.lexists(path):
                    matches.add(path)
                continue
            try:
                entries = self._listing(folder)
            except (FileNotFoundError, NotADirectoryError):
                continue  # a literal part that names nothing: no match, as for glob
            except OSError as error:
                problems += 1
                yield from self._unreadable_folder(folder, error)
                continue
            if head == "**":
                stack.append((folder, index + 1))  # no folder at all
                stack.extend(
                    (os.path.join(folder, entry.name), index)
                    for entry in reversed(entries)
                    if not entry.name.startswith(".") and _is_folder(entry)
                )
                continue
            for entry in entries:
                if entry.name.startswith(".") and not head.startswith("."):
                    continue
                if not fnmatch.fnmatch(entry.name, head):
                    continue
                path = os.path.join(folder, entry.name)
                if index + 1 == len(parts):
                    matches.add(path)
                elif _is_folder(entry):
                    stack.append((path, index + 1))
        if not matches and not problems:
            yield whole_file(pattern, "no file matches this pattern")
        for match in sorted(matches):
            if os.path.isdir(match):
                if not self.excluded(match, folder=True):
                    yield from self.folder(match, report_empty=False)
            elif not self.excluded(match, folder=False):
                yield from self.file(match)
