"""Which files a ``caliper-contract check`` run reads: PATH arguments to sources, each once."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from caliper_contract._files import LINE_SUFFIXES, STDIN, SUFFIXES, Finding, Source, whole_file


def sources(arguments: Sequence[str], *, stdin_name: str = "<stdin>") -> Iterator[Source | Finding]:
    """The files that PATH arguments name, in order, each once; a Finding for an argument that names none.

    A folder is searched recursively for :data:`SUFFIXES`, skipping hidden
    files and folders; an argument that is not an existing path but contains
    ``*``, ``?`` or ``[`` is a glob (``**`` crosses folders).  ``-`` is
    standard input, read once however often it is named.
    """
    seen: set[str] = set()

    def once(path: Path) -> Iterator[Source]:
        # abspath, not resolve(): no system call per path component, and a file named twice is still seen once.
        key = os.path.normcase(os.path.abspath(path))
        if key not in seen:
            seen.add(key)
            yield Source.file(path)

    for argument in arguments:
        if argument == STDIN:
            if STDIN not in seen:  # no path's absolute form is "-"
                seen.add(STDIN)
                yield Source(stdin_name, None, Path(stdin_name).suffix.lower() in LINE_SUFFIXES)
            continue
        path = Path(argument)
        if not os.path.lexists(path) and any(char in argument for char in "*?["):
            matches = sorted(glob.glob(argument, recursive=True))
            if not matches:
                yield whole_file(argument, "no file matches this pattern")
            for match in matches:
                found = list(_folder(Path(match))) if os.path.isdir(match) else [Path(match)]
                for file in found:
                    yield from once(file)
        elif path.is_dir():
            files = list(_folder(path))
            if not files:
                yield whole_file(argument, f"no {', '.join(SUFFIXES)} files in this folder")
            for file in files:
                yield from once(file)
        else:
            yield from once(path)


def _folder(folder: Path) -> Iterator[Path]:
    for root, folders, names in os.walk(folder):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in sorted(names):
            if not name.startswith(".") and name.lower().endswith(SUFFIXES):
                yield Path(root, name)
