"""How fast does `caliper-contract check` read a day of recorded traffic? Ratios to the floor, in one run.

    python benchmarks/bulk.py             # 10k, 100k and 1M lines (about 20 minutes)
    python benchmarks/bulk.py --quick     # 10k lines only, fewer rounds (about a minute)
    python benchmarks/bulk.py --sizes 100000 --rounds 5

Writes JSON Lines files of one-event envelopes (valid, and with 10% invalid
lines) drawn from realistic pools: a few sensors, thousands of students (each
with an id and an email), hundreds of courses and activities; every event has
its own id and time.  Then, in interleaved rounds (each column in turn, a
fresh process each time, on the same file):

- floor: orjson + jsonschema-rs ``is_valid`` on the schema `caliper-contract
  schema` prints, its built-in formats: parse and validate, nothing else;
- floor, our formats: the same with the contract's format functions
  (``caliper_contract.formats.FORMAT_FUNCTIONS``) called back from Rust;
- check, [fast]: ``caliper-contract check --jobs 1`` with jsonschema-rs and orjson;
- check, default: the same with both imports blocked, as on a default install
  (fastjsonschema and the json module);
- --jobs auto: both again with workers on every core;
- python-jsonschema: ``Draft202012Validator.iter_errors`` on the same schema,
  json.loads per line, on the first 10,000 lines (2,000 with --quick): it is
  slow enough that its rate does not change with the file.

Each column is measured twice: events per second of wall time (start-up
included), and events per second of processor time ("per CPU s": the time
its processes ran on a core, workers included), which is the rate per core
and holds on a busy machine, where wall time depends on what else runs.
"x floor" is how many times the floor's time the column takes; "x --jobs 1"
is the wall-time speed-up of the workers.  A machine shared with other work
may not have its cores free: each table says how much faster two processes
burning the processor finish their work than one doing both ("cores free"),
measured before and after its rounds.  Each figure is the best of the
rounds.  Peak memory (RSS of one process) shows reading stays flat as files
grow.
Run ``--distinct`` for files whose every string is new (no repeated student,
course or sensor): the format-verdict cache then never hits.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from caliper_contract._breaches import apply_breach
from caliper_contract.cli._parallel import usable_cores
from caliper_contract.rules import RULES

HOST = "https://api.alpha-1edtech.ai/ims/oneroster"
SUBJECTS = ("Reading", "Language", "Vocabulary", "Social Studies", "Writing", "Science", "FastMath", "Math")
APPS = ("PowerPath UI", "AlphaRead", "FastMath", "Math Academy", "Membean", "IXL")
FIRST = ("ava", "liam", "mia", "noah", "zoe", "eli", "ivy", "leo", "ada", "max", "ruby", "omar", "lena", "kai")
LAST = ("smith", "garcia", "chen", "patel", "okafor", "nguyen", "kowalski", "silva", "haddad", "jones")


@dataclass(frozen=True)
class Pools:
    """What repeats in real traffic: sensors, students, courses, activities."""

    sensors: tuple[str, ...]
    students: tuple[tuple[str, str], ...]  # (OneRoster user URL, email)
    courses: tuple[tuple[str, str, str], ...]  # (course URL, name, subject)
    resources: tuple[str, ...]  # component resource URLs (the event object ids)

    @classmethod
    def realistic(cls, rng: random.Random) -> Pools:
        def uid() -> str:
            return str(uuid.UUID(int=rng.getrandbits(128), version=4))

        students = []
        for index in range(5000):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            students.append((f"{HOST}/rostering/v1p2/users/{uid()}", f"{first}.{last}{index}@students.alpha.school"))
        courses = []
        for _ in range(300):
            subject = rng.choice(SUBJECTS)
            courses.append((f"{HOST}/rostering/v1p2/courses/{uid()}", f"{subject} G{rng.randint(1, 12)}", subject))
        resources = tuple(f"{HOST}/rostering/v1p2/courses/component-resources/{uid()}" for _ in range(3000))
        sensors = tuple(f"https://{app.lower().replace(' ', '')}.alpha.school" for app in APPS)
        return cls(sensors, tuple(students), tuple(courses), resources)


class Traffic:
    """One-event envelopes as an app sends them, one a line, from pools or with every string new."""

    def __init__(self, seed: int, *, distinct: bool) -> None:
        self.rng = random.Random(seed)
        self.pools = Pools.realistic(self.rng)
        self.distinct = distinct
        self.clock = datetime(2024, 4, 24, 8, 0, tzinfo=timezone.utc)
        self.count = 0

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _pick(self) -> tuple[str, tuple[str, str], tuple[str, str, str], str]:
        pools, rng = self.pools, self.rng
        if not self.distinct:
            return (
                rng.choice(pools.sensors),
                rng.choice(pools.students),
                rng.choice(pools.courses),
                rng.choice(pools.resources),
            )
        n = self.count
        subject = rng.choice(SUBJECTS)
        return (
            f"https://app{n}.alpha.school",
            (f"{HOST}/rostering/v1p2/users/{self._uuid()}", f"student{n}@school{n}.example.com"),
            (f"{HOST}/rostering/v1p2/courses/{self._uuid()}", f"{subject} G3", subject),
            f"{HOST}/rostering/v1p2/courses/component-resources/{self._uuid()}",
        )

    def envelope(self, kind: str | None = None) -> dict[str, Any]:
        """A valid envelope; ``kind`` "activity" or "time-spent" gives the shape a rule's breach edits."""
        rng = self.rng
        self.count += 1
        self.clock += timedelta(milliseconds=rng.randint(1, 4000))
        sensor, (student, email), (course, course_name, subject), resource = self._pick()
        event_time = self.clock.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        send_time = (self.clock + timedelta(milliseconds=rng.randint(50, 3000))).isoformat(timespec="milliseconds")
        activity = kind == "activity" or (kind is None and rng.random() < 0.7)
        if kind == "activity":
            items = [
                {"type": "totalQuestions", "value": 10},
                {"type": "correctQuestions", "value": 8},
                {"type": "xpEarned", "value": 100},
                {"type": "masteredUnits", "value": 2},
            ]
        elif kind == "time-spent":
            items = [
                {"type": "active", "value": 10},
                {"type": "waste", "value": 2, "subType": "eating"},
                {"type": "inactive", "value": 2},
            ]
        elif activity:
            total = rng.randint(1, 20)
            items = [
                {"type": "totalQuestions", "value": total},
                {"type": "correctQuestions", "value": rng.randint(0, total)},
                {"type": "xpEarned", "value": rng.randint(0, 200)},
            ]
        else:
            items = [{"type": "active", "value": rng.randint(1, 3600)}]
            if rng.random() < 0.3:
                items.append({"type": "inactive", "value": rng.randint(1, 600)})
        event = {
            "id": f"urn:uuid:{self._uuid()}",
            "eventTime": event_time,
            "profile": "TimebackProfile",
            "type": "ActivityEvent" if activity else "TimeSpentEvent",
            "actor": {"id": student, "type": "TimebackUser", "email": email},
            "action": "Completed" if activity else "SpentTime",
            "object": {
                "id": resource,
                "type": "TimebackActivityContext",
                "subject": subject,
                "app": {"name": rng.choice(APPS)},
                "activity": {"name": f"Lesson {rng.randint(1, 40)}"},
                "course": {"id": course, "name": course_name},
            },
            "generated": {
                "id": f"{sensor}/ims/metrics/collections/{'activity' if activity else 'time-spent'}/{self.count}",
                "type": "TimebackActivityMetricsCollection" if activity else "TimebackTimeSpentMetricsCollection",
                "items": items,
            },
        }
        return {
            "sensor": sensor,
            "sendTime": send_time.replace("+00:00", "Z"),
            "dataVersion": "http://purl.imsglobal.org/ctx/caliper/v1p2",
            "data": [event],
        }


def lines(count: int, *, invalid_share: float, distinct: bool, seed: int = 1) -> Iterator[str]:
    """``count`` JSON texts; one in 1/``invalid_share`` breaks a rule, the rules taken in turn."""
    traffic = Traffic(seed, distinct=distinct)
    breaches = [
        rule.breach
        for rule in RULES.values()
        if rule.breach is not None and rule.breach.text is None and rule.family != "json"
    ]
    every = round(1 / invalid_share) if invalid_share else 0
    for index in range(count):
        if every and index % every == every - 1:
            breach = breaches[(index // every) % len(breaches)]
            payload = apply_breach(breach, traffic.envelope(breach.base))
        else:
            payload = traffic.envelope()
        yield json.dumps(payload, ensure_ascii=False)


def write_lines(path: Path, count: int, *, invalid_share: float = 0.0, distinct: bool = False) -> None:
    with path.open("w", encoding="utf-8") as stream:
        for text in lines(count, invalid_share=invalid_share, distinct=distinct):
            stream.write(text + "\n")


# -- measuring ----------------------------------------------------------------------------------------------------

FLOOR = """
import sys, json, orjson, jsonschema_rs
schema = json.loads(open(sys.argv[1], encoding="utf-8").read())
options = {"validate_formats": True}
if sys.argv[3] == "ours":
    from caliper_contract.formats import FORMAT_FUNCTIONS
    options["formats"] = dict(FORMAT_FUNCTIONS)
is_valid = jsonschema_rs.validator_for(schema, **options).is_valid
with open(sys.argv[2], "rb") as lines:
    for line in lines:
        is_valid(orjson.loads(line))
"""
PYTHON_JSONSCHEMA = """
import sys, json
from jsonschema import Draft202012Validator
schema = json.loads(open(sys.argv[1], encoding="utf-8").read())
validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
with open(sys.argv[2], "rb") as lines:
    for line in lines:
        for error in validator.iter_errors(json.loads(line)):
            pass
"""
# A default install has neither package: these stand-ins make importing them fail, here and in worker processes.
BLOCKED = "raise ImportError('not installed: measuring a default install')\n"


@dataclass(frozen=True)
class Column:
    name: str
    argv: list[str]
    environment: dict[str, str]
    workers: int = 1
    #: Lines it checks: all of the file, or a prefix (python-jsonschema is too slow for a whole large file).
    prefix: bool = False


@dataclass
class Timing:
    seconds: float = float("inf")  # wall time
    cpu: float = float("inf")  # processor time, the workers' included
    peak_mb: float = 0.0


def run(column: Column, path: Path) -> Timing:
    """Wall time, processor time and peak memory (of one process) of a column on a file."""
    argv = [part.replace("{file}", str(path)) for part in column.argv]
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=column.environment)
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):  # 1: violations found
        raise SystemExit(f"{column.name} failed on {path}: {errors.decode()[-2000:]}")
    return Timing(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def columns(folder: Path, default_python: str | None) -> list[Column]:
    schema = folder / "bundled.schema.json"
    schema.write_text(
        subprocess.run(
            [sys.executable, "-m", "caliper_contract", "schema"], capture_output=True, text=True, check=True
        ).stdout,
        encoding="utf-8",
    )
    blocked = folder / "default-install"
    blocked.mkdir(exist_ok=True)
    for name in ("orjson", "jsonschema_rs"):
        (blocked / f"{name}.py").write_text(BLOCKED, encoding="utf-8")
    environment = {key: value for key, value in os.environ.items() if key not in ("CALIPER_CONTRACT_ENGINE",)}
    default_environment = dict(environment)
    if default_python is None:
        path = os.pathsep.join(filter(None, [str(blocked), environment.get("PYTHONPATH")]))
        default_environment["PYTHONPATH"] = path
    default = [default_python or sys.executable, "-m", "caliper_contract", "check", "{file}"]
    fast = [sys.executable, "-m", "caliper_contract", "check", "{file}"]
    cores = usable_cores()
    floor = [sys.executable, "-c", FLOOR, str(schema), "{file}"]
    return [
        Column("floor: orjson + jsonschema-rs", [*floor, "rs"], environment),
        Column("floor, our format functions", [*floor, "ours"], environment),
        Column("check, [fast]", [*fast, "--jobs", "1"], environment),
        Column("check, default install", [*default, "--jobs", "1"], default_environment),
        Column(f"check --jobs auto ({cores}), [fast]", [*fast, "--jobs", "auto"], environment, cores),
        Column(f"check --jobs auto ({cores}), default", [*default, "--jobs", "auto"], default_environment, cores),
        Column(
            "python-jsonschema",
            [sys.executable, "-c", PYTHON_JSONSCHEMA, str(schema), "{file}"],
            environment,
            prefix=True,
        ),
    ]


BURN = """
import sys, time
from concurrent.futures import ProcessPoolExecutor
def burn(n):
    return sum(range(n))
if __name__ == "__main__":
    n = 10_000_000
    start = time.perf_counter(); burn(n); burn(n); one = time.perf_counter() - start
    with ProcessPoolExecutor(int(sys.argv[1])) as pool:
        list(pool.map(burn, [10] * int(sys.argv[1])))
        start = time.perf_counter(); list(pool.map(burn, [n * 2 // int(sys.argv[1])] * int(sys.argv[1])))
        print(one / (time.perf_counter() - start))
"""


def cores_free(folder: Path) -> float:
    """How many times as fast work split between every core finishes as on one: what the machine has free now."""
    script = folder / "burn.py"
    script.write_text(BURN, encoding="utf-8")
    return float(
        subprocess.run(
            [sys.executable, str(script), str(usable_cores())], capture_output=True, text=True, check=True
        ).stdout
    )


def measure(columns: list[Column], path: Path, prefix: Path, lines: int, prefix_lines: int, rounds: int) -> None:
    best = {column.name: Timing() for column in columns}
    free = [cores_free(path.parent)]
    for _ in range(rounds):
        for column in columns:  # interleaved: a machine whose speed drifts skews every column alike
            timing = run(column, prefix if column.prefix else path)
            kept = best[column.name]
            best[column.name] = Timing(
                min(kept.seconds, timing.seconds), min(kept.cpu, timing.cpu), max(kept.peak_mb, timing.peak_mb)
            )
    floor = best[columns[0].name]
    one_job = {False: best["check, [fast]"].seconds, True: best["check, default install"].seconds}
    free.append(cores_free(path.parent))
    print(
        f"\n{path.name}: {lines:,} lines, {path.stat().st_size / 1e6:,.0f} MB, best of {rounds}; "
        f"cores free before and after: {free[0]:.1f}, {free[1]:.1f}"
    )
    print(f"{'':<36}{'events/s':>10}{'x floor':>9}{'per CPU s':>11}{'x floor':>9}{'x --jobs 1':>12}{'peak MB':>9}")
    for column in columns:
        timing = best[column.name]
        checked = prefix_lines if column.prefix else lines
        rate, per_cpu = checked / timing.seconds, checked / timing.cpu
        speedup = f"{one_job['default' in column.name] / timing.seconds:.2f}x" if column.workers > 1 else ""
        note = f"  (first {prefix_lines:,} lines)" if column.prefix else ""
        print(
            f"{column.name:<36}{rate:>10,.0f}{lines / floor.seconds / rate:>8.1f}x"
            f"{per_cpu:>11,.0f}{lines / floor.cpu / per_cpu:>8.1f}x{speedup:>12}{timing.peak_mb:>9.0f}{note}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10,000 lines, 3 rounds")
    parser.add_argument("--sizes", type=int, nargs="+", metavar="LINES", help="file sizes in lines")
    parser.add_argument("--rounds", type=int, help="rounds per file (default: 5, 3 for 100k lines, 1 beyond)")
    parser.add_argument("--distinct", action="store_true", help="every string new: no repeated student, course...")
    parser.add_argument("--default-python", metavar="PATH", help="an interpreter with a default install, to use")
    args = parser.parse_args()
    sizes = args.sizes or ([10_000] if args.quick else [10_000, 100_000, 1_000_000])
    prefix_lines = 2_000 if args.quick else 10_000
    print(
        f"{usable_cores()} cores; Python {sys.version.split()[0]}; "
        f"{'every string distinct' if args.distinct else 'realistic pools'}"
    )
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        table = columns(folder, args.default_python)
        for size in sizes:
            for invalid_share in (0.0, 0.1):
                kind = "invalid10" if invalid_share else "valid"
                path = folder / f"{kind}-{size}.jsonl"
                write_lines(path, size, invalid_share=invalid_share, distinct=args.distinct)
                prefix = folder / f"{kind}-{size}-prefix.jsonl"
                with path.open("rb") as whole, prefix.open("wb") as part:
                    for _, line in zip(range(prefix_lines), whole, strict=False):
                        part.write(line)
                rounds = args.rounds or (3 if args.quick else 5 if size <= 10_000 else 3 if size <= 100_000 else 1)
                measure(table, path, prefix, size, min(size, prefix_lines), rounds)
                path.unlink()


if __name__ == "__main__":
    main()
