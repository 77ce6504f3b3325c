"""Fixing payload files: what fixing a file would change, writing it, and showing it as a unified diff.

A file is read as :func:`caliper_contract._files.read` reads it (a ``.json``
file is one JSON text, a ``.jsonl`` or ``.ndjson`` file one a line) and each
JSON text is fixed on its own (:func:`caliper_contract._fixes.fix_text`), at the
text of the fixed values alone.  So every byte outside them stays: a byte order
mark, line endings, tabs, indentation, key order, a missing last newline, and
each line of a JSON Lines file no fix touches.  A text that cannot be read, or
a ``.json`` file that holds no Caliper payload, is left as it is.

Planning keeps only the texts that change, so a JSON Lines file is read a line
at a time however large it is; writing and the diff read the file again and
refuse to go on (:class:`FileChanged`) if a text to change is no longer what
it was.
"""

from __future__ import annotations

import codecs
import contextlib
import difflib
import errno
import os
import re
import shutil
import tempfile
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from caliper_contract._files import (
    MAX_JSON_BYTES,
    Finding,
    Kind,
    Source,
    _lines,
    _read_text,
    _too_large,
    is_not_a_payload,
    whole_file,
)
from caliper_contract._fixes import AppliedFix, Fixer, fix_text
from caliper_contract._jsontext import Position, decode
from caliper_contract._paths import open_regular

#: Lines of context around each change in a diff, as ``diff -u`` and ruff show.
CONTEXT = 3
_NO_NEWLINE = "\\ No newline at end of file\n"
# A line as diff and patch see one: up to and with "\n" (a lone "\r" stays inside it).
_DIFF_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")


class FileChanged(Exception):
    """A file changed between reading it and writing or showing its fixes."""


@dataclass(frozen=True)
class LocatedFix:
    """One fix a file gets: the fix, where ``check`` reports its violation, and the text it replaces.

    ``pointer`` is the violation's JSON Pointer inside its JSON text (as in a
    finding); ``line`` and ``column`` are where ``check`` reports it; the file's
    text from ``start`` to ``end`` (one past the last character) becomes ``replacement``.
    """

    file: str
    fix: AppliedFix
    pointer: str
    line: int
    column: int
    start: Position
    end: Position
    replacement: str


@dataclass(frozen=True)
class FilePlan:
    """What fixing one file changes: the JSON texts that change, and the fixes in file order.

    ``changes`` maps a text's number (its line in a ``.jsonl`` or ``.ndjson``
    file; 1 for a ``.json`` file) to its bytes as they are and as they become.
    ``problems`` are the texts that could not be read (left as they are).
    """

    source: Source
    changes: Mapping[int, tuple[bytes, bytes]]
    fixes: tuple[LocatedFix, ...] = ()
    problems: tuple[Finding, ...] = ()


def plan(source: Source, fixer: Fixer, kind: Kind = "auto") -> FilePlan:
    """What fixing ``source`` (a file, not standard input) would change; never raises for what the file holds."""
    assert source.path is not None, "standard input cannot be fixed in place"
    changes: dict[int, tuple[bytes, bytes]] = {}
    fixes: list[LocatedFix] = []
    problems: list[Finding] = []
    try:
        for number, data in _texts(source.path, source.lines):
            read = _read_text(source.name, data, number, number if source.lines else None, kind)
            if read is None:
                continue  # a blank line
            if read.problem is not None:
                problems.append(read.problem)
                continue
            if not source.lines and kind == "auto" and is_not_a_payload(read):
                break  # package.json: not a Caliper payload, never touched
            text = decode(data)
            fixed, made = fix_text(text, [(p.pointer, p.value, p.kind) for p in read.payloads], fixer)
            if not made:
                continue
            bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
            changes[number] = (data, bom + fixed.encode("utf-8"))
            fixes += [
                LocatedFix(
                    source.name,
                    item.fix,
                    item.pointer,
                    number + item.at.line - 1,
                    item.at.column,
                    Position(number + item.start.line - 1, item.start.column),
                    Position(number + item.end.line - 1, item.end.column),
                    item.replacement,
                )
                for item in made
            ]
    except _TooLarge as error:
        problems.append(whole_file(source.name, _too_large(error.size)))
    except OSError as error:
        problems.append(whole_file(source.name, f"cannot read: {error.strerror or error}"))
    return FilePlan(source, changes, tuple(sorted(fixes, key=lambda item: item.start)), tuple(problems))


class _TooLarge(Exception):
    def __init__(self, size: int) -> None:
        self.size = size


def _texts(path: Path, lines: bool) -> Iterator[tuple[int, bytes]]:
    """The JSON texts of a file, numbered as :class:`FilePlan` numbers them, with their bytes as they are."""
    stream, size = open_regular(path)
    with stream:
        if lines:
            yield from enumerate(_lines(stream), 1)
            return
        if size > MAX_JSON_BYTES:
            raise _TooLarge(size)
        data = stream.read(MAX_JSON_BYTES + 1)
        if len(data) > MAX_JSON_BYTES:
            raise _TooLarge(len(data))
        yield 1, data


def _current(plan: FilePlan, path: Path) -> Iterator[tuple[int, bytes, bytes | None]]:
    """The file's texts as they are now, each with what it becomes (None: unchanged); FileChanged if one moved."""
    for number, data in _texts(path, plan.source.lines):
        change = plan.changes.get(number)
        if change is not None and change[0] != data:
            raise FileChanged(f"{plan.source.name} changed while it was being fixed; run again")
        yield number, data, None if change is None else change[1]


def write(plan: FilePlan) -> None:
    """Write the plan's changes into the file: a new file beside it, then renamed over it, so no reader or
    crash ever sees half of one; the file's permission bits (and owner, where allowed) are kept, a symbolic
    link still points at it, and a file that is not writable is not replaced.

    OSError when it cannot be written, :class:`FileChanged` when it changed since it was planned.
    """
    if not plan.changes:
        return
    assert plan.source.path is not None
    target = Path(os.path.realpath(plan.source.path))
    if not os.access(target, os.W_OK):  # a read-only file is not replaced, though its folder would allow it
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(target))
    status = target.stat()
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".fixing", dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as out:
            for _, data, new in _current(plan, target):
                out.write(data if new is None else new)
        shutil.copymode(target, temporary)
        with contextlib.suppress(OSError):  # the owner stays where the user may say so (the same user, or root)
            os.chown(temporary, status.st_uid, status.st_gid)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def unified_diff(plan: FilePlan) -> str:
    """The plan's changes as a unified diff of the file (``--- name`` / ``+++ name``, as ``ruff --diff``).

    :class:`FileChanged` when the file changed since it was planned; OSError when it cannot be read again.
    """
    if not plan.changes:
        return ""
    name = plan.source.name
    if not plan.source.lines:
        ((old, new),) = plan.changes.values()
        lines = list(difflib.unified_diff(_diff_lines(old), _diff_lines(new), name, name, n=CONTEXT))
    else:
        assert plan.source.path is not None
        lines = [f"--- {name}\n", f"+++ {name}\n", *_line_hunks(_current(plan, plan.source.path))]
    return "".join(_ended(line) for line in lines)


def _diff_lines(data: bytes) -> list[str]:
    return _DIFF_LINE.findall(data.decode("utf-8", errors="surrogateescape"))


def _ended(line: str) -> str:
    """A diff line; the file's last line without a newline is marked as ``diff -u`` marks it."""
    return line if line.endswith("\n") else f"{line}\n{_NO_NEWLINE}"


def _line_hunks(texts: Iterable[tuple[int, bytes, bytes | None]]) -> Iterator[str]:
    """Unified-diff hunks of a JSON Lines file whose changed lines are each replaced by one line.

    Hand-written rather than difflib's: difflib wants both files whole in
    memory, and a JSON Lines file can be any size; here each line maps to one
    line, so hunks come straight from the changed lines and their context.
    """
    before: deque[str] = deque(maxlen=CONTEXT)  # unchanged lines just read, outside any hunk
    hunk: list[str] = []  # the open hunk's diff lines
    start = size = 0  # the open hunk's first line, and how many lines of the file it covers
    tail: list[str] = []  # unchanged lines after the open hunk's last change
    removed: list[str] = []
    added: list[str] = []

    def close() -> Iterator[str]:
        lines = [*hunk, *removed, *added, *(f" {line}" for line in tail[:CONTEXT])]
        covered = size + min(len(tail), CONTEXT)
        span = f"{start}" if covered == 1 else f"{start},{covered}"
        yield f"@@ -{span} +{span} @@\n"
        yield from lines

    for number, data, new in texts:
        line = data.decode("utf-8", errors="surrogateescape")
        if new is not None:
            if not hunk and not removed:
                hunk = [f" {context}" for context in before]
                start, size = number - len(before), len(before)
            elif tail:
                hunk += [*removed, *added, *(f" {context}" for context in tail)]
                size += len(tail)
                removed, added, tail = [], [], []
            removed.append(f"-{line}")
            added.append(f"+{new.decode('utf-8', errors='surrogateescape')}")
            size += 1
        elif hunk or removed:
            tail.append(line)
            if len(tail) > 2 * CONTEXT:  # the next change, if any, is too far for this hunk
                yield from close()
                before.clear()
                before.extend(tail[-CONTEXT:])
                hunk, removed, added, tail = [], [], [], []
        else:
            before.append(line)
    if hunk or removed:
        yield from close()
