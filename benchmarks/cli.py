"""How fast is `caliper-contract check`? Side by side with check-jsonschema, measured in the same run.

    python benchmarks/cli.py                      # check-jsonschema found on PATH or beside this Python
    python benchmarks/cli.py --check-jsonschema /tmp/venv/bin/check-jsonschema
    python benchmarks/cli.py --quick              # fewer rounds

check-jsonschema is a benchmark-only tool, not a dependency; install it anywhere
(`python -m venv /tmp/cj && /tmp/cj/bin/pip install check-jsonschema`).  It
checks the same files twice: against the OpenAPI envelope schema alone (the
"envelope" column: less work than the contract) and against the schema
`caliper-contract schema` prints (the "bundled" column: the envelope schema with
the Timeback profile, comparable schema work).  caliper-contract always checks
the full contract, cross-field rules included.

Scenarios, each a fresh process per run (the median wall time of several runs,
the two tools alternating): one valid file; 1,000 valid files in a folder;
1,000 files of which 100 have violations (so positions and messages are worked
out); one .jsonl file of 1,000 envelopes (caliper-contract only).  Then the
start-up costs inside one process: importing the command, loading the bundled
OpenAPI document (its pre-parsed JSON twin), building the contract with a first
validate() of a valid envelope, and whether Hypothesis was imported.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from caliper_contract import Contract
from caliper_contract._breaches import apply_breach
from caliper_contract.rules import RULES

OURS = [sys.executable, "-m", "caliper_contract", "check"]
# Measure what users run: bytecode cached, as pip leaves an install (the first run writes it here).
ENVIRONMENT = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def wall(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=ENVIRONMENT)
    return time.perf_counter() - start


def compare(name: str, ours: list[str], others: list[list[str]], rounds: int) -> None:
    """One row: our median time, then each other command's and how many times ours it takes."""
    wall(ours)  # warm the file cache and the bytecode
    times: list[list[float]] = [[] for _ in range(1 + len(others))]
    for _ in range(rounds):
        for column, argv in enumerate([ours, *others]):
            times[column].append(wall(argv))
    mine, *theirs = (statistics.median(column) for column in times)
    cells = "".join(f"{other:>11.3f} s{other / mine:>7.2f}x" for other in theirs) or f"{'-':>21}"
    print(f"{name:<38}{mine:>8.3f} s{cells}")


def envelopes(count: int, *, invalid_every: int = 0) -> list[Any]:
    """``count`` envelopes cycling through the seed examples, each event with its own id."""
    examples = [example.value for example in Contract.default().examples()]
    breaches = [
        rule.breach
        for rule in RULES.values()
        if rule.breach is not None and rule.breach.text is None and not rule.id.startswith("json.")
    ]
    bases = {"activity": examples[3], "time-spent": examples[7]}
    result = []
    for index in range(count):
        if invalid_every and index % invalid_every == 0:
            breach = breaches[(index // invalid_every) % len(breaches)]
            envelope = apply_breach(breach, bases[breach.base])
        else:
            envelope = copy.deepcopy(examples[index % len(examples)])
            for item in envelope["data"]:
                if isinstance(item, dict) and "eventTime" in item:
                    item["id"] = f"urn:uuid:{uuid.UUID(int=index, version=4)}"
        result.append(envelope)
    return result


def write_folder(folder: Path, items: list[Any]) -> Path:
    folder.mkdir()
    for index, item in enumerate(items):
        (folder / f"payload-{index:04d}.json").write_text(json.dumps(item, indent=2), encoding="utf-8")
    return folder


def startup_costs() -> None:
    code = """
import sys, time
t0 = time.perf_counter()
from caliper_contract import cli, _files, _jsontext
from caliper_contract.cli import _render, _check, _discover
t1 = time.perf_counter()
from caliper_contract import openapi
document = openapi.load_bundled()
t2 = time.perf_counter()
from caliper_contract.contract import Contract
contract = Contract(document)
assert contract.validate(contract.examples()[0].value).ok
t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2, int("hypothesis" in sys.modules))
"""
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=ENVIRONMENT
        ).stdout.split()
        for _ in range(7)
    ]
    imports, loading, contract = (statistics.median(float(run[i]) for run in runs) for i in range(3))
    hypothesis = any(run[3] == "1" for run in runs)
    print(
        f"\nstart-up inside one process (median of 7): importing the command {imports * 1000:.0f} ms, "
        f"loading the OpenAPI document {loading * 1000:.0f} ms, building the contract and a first validate() "
        f"{contract * 1000:.0f} ms; Hypothesis imported: {'yes' if hypothesis else 'no'}"
    )
    floor = statistics.median(wall([sys.executable, "-c", "pass"]) for _ in range(7))
    print(f"a bare `python -c pass` takes {floor * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check-jsonschema", metavar="PATH", help="the check-jsonschema executable")
    parser.add_argument("--quick", action="store_true", help="3 rounds instead of 7")
    args = parser.parse_args()
    rounds = 3 if args.quick else 7
    other = args.check_jsonschema or shutil.which("check-jsonschema")
    sibling = Path(sys.executable).with_name("check-jsonschema")
    if other is None and sibling.exists():
        other = str(sibling)
    if other is None:
        print("check-jsonschema not found: measuring caliper-contract alone (see --check-jsonschema)\n")

    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        bundled = json.loads(
            subprocess.run([sys.executable, "-m", "caliper_contract", "schema"], capture_output=True, check=True).stdout
        )
        schemas = [root / "envelope.json", root / "bundled.json"]
        schemas[0].write_text(json.dumps({**bundled, "allOf": bundled["allOf"][:1]}), encoding="utf-8")
        schemas[1].write_text(json.dumps(bundled), encoding="utf-8")
        valid = write_folder(root / "valid", envelopes(1000))
        mixed = write_folder(root / "mixed", envelopes(1000, invalid_every=10))
        lines = root / "payloads.jsonl"
        lines.write_text("".join(json.dumps(item) + "\n" for item in envelopes(1000)), encoding="utf-8")
        one = valid / "payload-0003.json"

        def theirs(*paths: Path) -> list[list[str]]:
            files = [str(path) for path in paths]
            return [] if other is None else [[other, "--schemafile", str(schema), *files] for schema in schemas]

        print(f"{'':<38}{'ours':>10}{'check-jsonschema: envelope':>28}{'bundled':>14}")
        compare("one valid file", [*OURS, str(one)], theirs(one), rounds)
        compare("1,000 valid files", [*OURS, str(valid)], theirs(*sorted(valid.iterdir())), rounds)
        compare("1,000 files, 100 with violations", [*OURS, str(mixed)], theirs(*sorted(mixed.iterdir())), rounds)
        compare("one .jsonl file of 1,000 envelopes", [*OURS, str(lines)], [], rounds)
    startup_costs()


if __name__ == "__main__":
    main()
