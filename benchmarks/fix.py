"""What does fixing cost? `check --fix` and `check --diff` beside plain `check`, measured in the same run.

    python benchmarks/fix.py            # 7 rounds
    python benchmarks/fix.py --quick    # 3 rounds

Each row is the median wall time of fresh processes, the commands of a row
taking turns, and how many times plain `check` on the same files each takes:

- 1,000 valid files: `--fix` with nothing to fix (each file is read and
  validated twice: once to look for fixes, once to check it);
- 1,000 files, 100 with a fixable violation, and one .jsonl file of 1,000
  envelopes with 100 such lines: `--diff` (fixing is planned and shown, and
  nothing is written, so every round sees the same files).

Then, inside one process, `fix()` beside `validate()` on an envelope with one
fixable violation and on a valid one.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from cli import write_folder  # benchmarks/cli.py: run as a script, this folder is on sys.path

from caliper_contract import Contract, fix, validate
from caliper_contract.pointers import pointer, resolve_pointer, tokens

CHECK = [sys.executable, "-m", "caliper_contract", "check"]
ENVIRONMENT = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
#: One fixable breach of each safe kind, cycled through: (JSON Pointer, value).
BREACHES: list[tuple[str, Any]] = [
    ("/sendTime", "2024-04-24T16:12:05.000+02:00"),
    ("/data/0/object/activity/name", None),
    ("/data/0/id", "c51570e4-f8ed-4c18-bb3a-dfe51b2cc594"),
]


def wall(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=ENVIRONMENT)
    return time.perf_counter() - start


def compare(name: str, commands: list[list[str]], rounds: int) -> None:
    """One row: plain check's median time, then each other command's and its ratio to check."""
    wall(commands[0])  # warm the file cache and the bytecode
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(rounds):
        for column, argv in enumerate(commands):
            times[column].append(wall(argv))
    check, *others = (statistics.median(column) for column in times)
    cells = "".join(f"{other:>10.3f} s{other / check:>6.2f}x" for other in others)
    print(f"{name:<44}{check:>8.3f} s{cells}")


def envelopes(count: int, *, fixable_every: int = 0) -> list[Any]:
    activity = Contract.default().examples()[3].value
    result = []
    for index in range(count):
        envelope = copy.deepcopy(activity)
        envelope["data"][0]["id"] = f"urn:uuid:{uuid.UUID(int=index, version=4)}"
        if fixable_every and index % fixable_every == 0:
            where, value = BREACHES[(index // fixable_every) % len(BREACHES)]
            *parents, last = tokens(where)
            resolve_pointer(envelope, pointer(parents))[last] = value
        result.append(envelope)
    return result


def in_process(rounds: int) -> None:
    broken, clean = envelopes(1, fixable_every=1)[0], envelopes(1)[0]
    assert fix(broken).fixes
    assert not fix(clean).fixes
    for name, envelope in (("one fixable violation", broken), ("a valid envelope", clean)):
        times = {}
        for label, function in (("validate", validate), ("fix", fix)):
            runs = []
            for _ in range(rounds):
                start = time.perf_counter()
                for _ in range(200):
                    function(envelope)
                runs.append((time.perf_counter() - start) / 200)
            times[label] = statistics.median(runs)
        print(
            f"in one process, {name:<22} validate() {times['validate'] * 1e6:7.0f} µs   "
            f"fix() {times['fix'] * 1e6:7.0f} µs {times['fix'] / times['validate']:6.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="3 rounds instead of 7")
    rounds = 3 if parser.parse_args().quick else 7
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        valid = write_folder(root / "valid", envelopes(1000))
        mixed = write_folder(root / "mixed", envelopes(1000, fixable_every=10))
        lines = root / "payloads.jsonl"
        lines.write_text("".join(json.dumps(item) + "\n" for item in envelopes(1000, fixable_every=10)))
        print(f"{'':<44}{'check':>10}{'with the flag':>20}")
        compare("1,000 valid files, --fix", [[*CHECK, str(valid)], [*CHECK, "--fix", str(valid)]], rounds)
        compare("1,000 files, 100 fixable, --diff", [[*CHECK, str(mixed)], [*CHECK, "--diff", str(mixed)]], rounds)
        compare(
            "a .jsonl of 1,000, 100 fixable, --diff", [[*CHECK, str(lines)], [*CHECK, "--diff", str(lines)]], rounds
        )
    in_process(rounds)


if __name__ == "__main__":
    main()
