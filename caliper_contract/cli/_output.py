"""Where a command's output goes, and what happens when it cannot go there.

Standard output may be closed (``>&-``), full (``>/dev/full``) or a reader
that went away (``| head``); ``--output-file`` may name a file that cannot be
written.  Each is one line on standard error and exit status 2, never a
traceback, except a reader gone away, which ends the output quietly.
"""

from __future__ import annotations

import contextlib
import os
import sys


class OutputError(Exception):
    """Output could not be written: one line on standard error, exit status 2."""


def write(text: str, output_file: str | None = None) -> None:
    """Write ``text`` to ``output_file``, or to standard output; :class:`OutputError` when that fails.

    A reader of standard output that went away (BrokenPipeError) is the caller's to handle.
    """
    if output_file is not None:
        try:
            with open(output_file, "w", encoding="utf-8", errors="backslashreplace") as file:
                file.write(text)
        except OSError as error:
            raise OutputError(f"cannot write {output_file}: {error.strerror or error}") from None
        return
    stdout = sys.stdout
    if stdout is None:
        raise OutputError(closed_stdout())
    try:
        stdout.write(text)
        stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as error:
        raise OutputError(cannot_write(error)) from None


def closed_stdout() -> str:
    return "standard output is closed: nothing can be printed"


def cannot_write(error: OSError) -> str:
    """The words for a failed write to standard output; from then on its output goes nowhere."""
    stop_writing()
    return f"cannot write to standard output: {error.strerror or error}"


def stop_writing() -> None:
    """Send what is left of standard output to the null device, quietly, as command-line tools do.

    Python flushes standard output as it exits; without this, that flush fails
    again (a reader gone away, a full disk) and prints a warning.
    """
    if sys.stdout is None:
        return
    # Not a real file (a test's StringIO): nothing will be flushed to it at exit.
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def error_line(prog: str, message: str) -> None:
    """``prog: error: message`` on standard error, if there is one to write to."""
    if sys.stderr is not None:
        print(f"{prog}: error: {message}", file=sys.stderr)
