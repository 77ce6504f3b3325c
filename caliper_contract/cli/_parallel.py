"""``check --jobs``: what ``--jobs 1`` finds, in the same order, from worker processes.

The work is cut into units: a block of about :data:`BLOCK` bytes of a JSON
Lines file, cut after a line's end, or a few whole files.  Here only the ends
of blocks are looked for; a worker reads its block itself (standard input,
which only this process can read, is read here and sent).  Units go to a pool
of worker processes, each holding the file checker (the contract pickles as
its document and is compiled again where it arrives); results come back and
are handed on in the order of the units, so the output is the output of
``--jobs 1``: a block's findings count lines from the block's start, and are
moved down by the lines of the blocks before it.  At most two units per worker
are on their way at once, so memory stays flat however large the files are.

With ``--jobs auto`` workers start only once the files met add up to
:data:`WORTH_WORKERS` bytes, about half a second of checking on one core with
the ``fast`` extra and two without: starting them (a fresh interpreter each,
importing and compiling the contract) takes a few tenths of a second, which a
pre-commit run on three files would only lose.  Until then files are checked
here, as with ``--jobs 1``.
"""

from __future__ import annotations

import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, cast

from caliper_contract._files import Finding, Source, blocks, cannot_read, line_count, open_lines, read_region, regions
from caliper_contract.cli._check import Checked, FileChecker

if TYPE_CHECKING:
    from concurrent.futures import Executor, Future

#: Bytes of JSON Lines per unit of work: big enough that sending it costs little, small enough to share out.
BLOCK = 1 << 20
#: Whole files per unit at most (fewer when they add up to BLOCK bytes).
FILES_PER_UNIT = 64
#: With --jobs auto, the bytes of files met after which starting workers pays.
WORTH_WORKERS = 32 << 20

Result = Checked | Finding


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def check_in_order(
    checker: FileChecker, items: Iterable[Source | Finding], jobs: int, *, auto: bool
) -> Iterator[Result]:
    """What checking each source gives (and the findings of arguments that name none), in the order of ``items``.

    ``jobs`` workers at most; with ``auto``, only once enough work has been met (see the module docstring).
    """
    run = _Run(checker, jobs, auto)
    try:
        for item in items:
            if isinstance(item, Finding):
                run.add(_just([item]))
            else:
                run.source(item)
            yield from run.ready()
        yield from run.finish()
    finally:
        run.close()


@dataclass(frozen=True)
class _Block:
    """A block of JSON Lines: sent (standard input), or where it lies in the file."""

    source: Source
    data: bytes | None
    start: int = 0
    length: int | None = None


@dataclass(frozen=True)
class _Files:
    sources: tuple[Source, ...]


_Unit = _Block | _Files
#: What checking a block gives: its findings (lines counted from the block's start), whether it held any text,
#: how many lines it has, and why it could not be read.
_BlockOutcome = tuple[list[Finding], bool, int, Finding | None]
#: What a worker sends back: a block's outcome, or what each whole file gave.
_Outcome = _BlockOutcome | list[Checked]


@dataclass
class _Lines:
    """A JSON Lines file checked in blocks: its findings so far, whether any block held a text, and more."""

    findings: list[Finding] = field(default_factory=list)
    seen: bool = False
    #: The line the next block starts on.
    line: int = 1
    #: Why reading stopped, if it did: what later blocks found is not reported, as reading a line at a time.
    failure: Finding | None = None

    def add(self, outcome: _BlockOutcome) -> None:
        findings, seen, lines, failure = outcome
        if self.failure is not None:
            return
        offset = self.line - 1
        self.findings.extend(
            finding if finding.line is None or not offset else replace(finding, line=finding.line + offset)
            for finding in findings
        )
        self.seen = self.seen or seen
        self.line += lines
        self.failure = failure


@dataclass
class _Batch:
    sources: list[Source] = field(default_factory=list)
    size: int = 0


class _Run:
    def __init__(self, checker: FileChecker, jobs: int, auto: bool) -> None:
        self.checker, self.jobs, self.auto = checker, jobs, auto
        self.pool: Executor | None = None
        self.broken = False  # a worker died: the rest is checked here
        self.met = 0  # bytes of the files met so far
        self.entries: deque[Callable[[], list[Result]]] = deque()  # results to come, in order
        self.waiting = 0  # entries that wait for a worker
        self.done: list[Result] = []
        self.batch = _Batch()

    # -- the order of results

    def add(self, entry: Callable[[], list[Result]], *, waits: bool = False) -> None:
        """Queue an entry's results after those queued before; resolve the oldest while too many wait."""
        self._flush_batch()
        self.entries.append(entry)
        self.waiting += waits
        while self.waiting > 2 * self.jobs:
            self._resolve_one()
        while self.entries and self.waiting == 0:  # nothing to wait for: hand results on now
            self._resolve_one()

    def _resolve_one(self) -> None:
        entry = self.entries.popleft()
        self.done.extend(entry())
        self.waiting -= isinstance(entry, _Waiting)

    def ready(self) -> list[Result]:
        done, self.done = self.done, []
        return done

    def finish(self) -> list[Result]:
        self._flush_batch()
        while self.entries:
            self._resolve_one()
        return self.ready()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    # -- units of work

    def source(self, source: Source) -> None:
        size = _size(source)
        self.met += size
        workers = self._workers()
        if source.lines and (source.path is None or (workers is not None and size > BLOCK)):
            # Standard input is read in blocks even here: how much it holds is known only as it is read.
            self._in_blocks(source)
        elif workers is None:
            self.add(lambda: [self.checker.check(source)])  # as --jobs 1 does
        else:
            self.batch.sources.append(source)
            self.batch.size += size
            if len(self.batch.sources) >= FILES_PER_UNIT or self.batch.size >= BLOCK:
                self._flush_batch()

    def _flush_batch(self) -> None:
        if self.batch.sources:
            unit = _Files(tuple(self.batch.sources))
            self.batch = _Batch()
            self._submit(unit, _whole_files)

    def _in_blocks(self, source: Source) -> None:
        lines = _Lines()
        failure: Finding | None = None
        try:
            if source.path is None:
                with open_lines(source) as stream:
                    for data in blocks(stream, BLOCK):
                        self.met += len(data)
                        self._submit(_Block(source, data), lambda outcome: _block_done(lines, outcome))
            else:
                for start, length in regions(source.path, BLOCK):
                    self._submit(_Block(source, None, start, length), lambda outcome: _block_done(lines, outcome))
        except OSError as error:  # what was read before is kept, as reading a line at a time does
            failure = cannot_read(source.name, error)

        def checked() -> list[Result]:
            stopped = lines.failure or failure
            return [self.checker.lines_checked(source, lines.findings, seen=lines.seen, failure=stopped)]

        self.add(checked)

    def _submit(self, unit: _Unit, then: Callable[[_Outcome], list[Result]]) -> None:
        pool = self._workers()
        if pool is None:
            outcome = _check_here(self.checker, unit)
            self.add(lambda: then(outcome))
            return
        self.add(_Waiting(pool.submit(_check, unit), lambda: self._redo(unit), then), waits=True)

    def _redo(self, unit: _Unit) -> _Outcome:
        self.broken = True
        return _check_here(self.checker, unit)

    def _workers(self) -> Executor | None:
        """The pool, started when it pays; None to check here."""
        if self.pool is None and not self.broken and self.jobs > 1 and (not self.auto or self.met >= WORTH_WORKERS):
            self.pool = start_workers(self.jobs, self.checker)
        return None if self.broken else self.pool


class _Waiting:
    """An entry whose results a worker is working out."""

    def __init__(
        self, future: Future[_Outcome], redo: Callable[[], _Outcome], then: Callable[[_Outcome], list[Result]]
    ) -> None:
        self.future, self.redo, self.then = future, redo, then

    def __call__(self) -> list[Result]:
        from concurrent.futures.process import BrokenProcessPool

        try:
            outcome = self.future.result()
        except BrokenProcessPool:  # a worker died (killed, out of memory): check the unit here instead
            outcome = self.redo()
        return self.then(outcome)


def _just(results: list[Result]) -> Callable[[], list[Result]]:
    return lambda: results


def _block_done(lines: _Lines, outcome: _Outcome) -> list[Result]:
    lines.add(cast("_BlockOutcome", outcome))  # what checking a _Block gives
    return []  # the file's result comes once its last block is in


def _whole_files(outcome: _Outcome) -> list[Result]:
    return list(cast("list[Checked]", outcome))  # what checking a _Files gives


def _size(source: Source) -> int:
    if source.path is None:
        return 0
    try:
        return source.path.stat().st_size
    except OSError:  # reading it will say why
        return 0


def start_workers(jobs: int, checker: FileChecker) -> Executor:
    """A pool of ``jobs`` fresh processes, each with ``checker`` (imported here: most runs start none)."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    # Fresh interpreters on every platform (not forks of this one): what a worker holds is what it was sent.
    context = get_context("spawn")
    return ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker, initargs=(checker,))


# -- in a worker ------------------------------------------------------------------------------------------------

_checker: FileChecker | None = None


def _start_worker(checker: FileChecker) -> None:
    global _checker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    _checker = checker


def _check(unit: _Unit) -> _Outcome:
    assert _checker is not None, "started by _start_worker"
    return _check_here(_checker, unit)


def _check_here(checker: FileChecker, unit: _Unit) -> _Outcome:
    if isinstance(unit, _Files):
        return [checker.check(source) for source in unit.sources]
    data = unit.data
    if data is None:
        assert unit.source.path is not None, "only a file is read by region"
        try:
            data = read_region(unit.source.path, unit.start, unit.length)
        except OSError as error:
            return [], False, 0, cannot_read(unit.source.name, error)
    findings, seen = checker.check_lines(unit.source, data, 1)
    return findings, seen, line_count(data), None
