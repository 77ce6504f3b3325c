"""How fast is a full contract check? Ratios against bare python-jsonschema, measured in the same run.

    python benchmarks/run.py            # everything
    python benchmarks/run.py --quick    # shorter runs, noisier ratios: quote full runs

Scenarios: the seed's valid single-event envelopes; envelopes of 1, 10, 100 and
1,000 events; invalid envelopes (a report with every violation); import and
first-validate cost. "bare" is Draft202012Validator on the OpenAPI Envelope
schema with jsonschema's format checker, consuming iter_errors, as a user of
python-jsonschema would write it; "ours" is Contract.validate() with the
OpenAPI schema and every Timeback rule, on a default install (the "python"
engine, fastjsonschema); "ours[fast]" the same with the `fast` extra
(jsonschema-rs); "rs" is jsonschema-rs's bare is_valid on the Envelope
schema; "json.loads" is the parsing floor.  Figures are calls per second,
the best of ten rounds in which a scenario's columns take turns, so a
machine whose speed drifts skews them all alike.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from caliper_contract import Contract
from caliper_contract._breaches import apply_breach
from caliper_contract.openapi import bundled_path, load
from caliper_contract.rules import RULES

Timed = dict[str, Callable[[], object] | None]


def rates(functions: Timed, seconds: float) -> dict[str, float]:
    """Calls per second of each function given (not None): the best of ten interleaved rounds.

    Interleaving matters on a shared machine: its speed drifts over seconds,
    and measuring one function after another would put that drift into the
    ratios between them.
    """
    batches: dict[str, int] = {}
    for name, function in functions.items():
        if function is None:
            continue
        function()
        calls = 1
        while True:  # a batch size that takes about 10 ms
            start = time.perf_counter()
            for _ in range(calls):
                function()
            if time.perf_counter() - start > 0.01:
                break
            calls *= 2
        batches[name] = calls
    best = dict.fromkeys(batches, 0.0)
    share = seconds / 10 / max(len(batches), 1)
    for _ in range(10):
        for name, calls in batches.items():
            function = functions[name]
            assert function is not None
            start = time.perf_counter()
            done = 0
            while time.perf_counter() - start < share:
                for _ in range(calls):
                    function()
                done += calls
            speed = done / (time.perf_counter() - start)
            best[name] = max(best[name], speed)
    return best


def bare_validator(contract: Contract) -> Draft202012Validator:
    registry: Registry[Any] = Registry().with_resource(
        "urn:bench", Resource.from_contents(dict(contract.document.contents), default_specification=DRAFT202012)
    )
    return Draft202012Validator(
        {"$ref": "urn:bench#/components/schemas/Envelope"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def rust_validator(contract: Contract) -> Callable[[Any], bool] | None:
    try:
        import jsonschema_rs
    except ImportError:
        return None
    schema = dict(contract.document.contents["components"]["schemas"]["Envelope"])
    schema["components"] = contract.document.contents["components"]
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True).is_valid


def with_events(envelope: Any, count: int) -> Any:
    result = copy.deepcopy(envelope)
    event = result["data"][0]
    result["data"] = []
    for index in range(count):
        item = copy.deepcopy(event)
        item["id"] = f"urn:uuid:{uuid.UUID(int=index, version=4)}"
        result["data"].append(item)
    return result


def row(name: str, figures: dict[str, float]) -> None:
    def cell(value: float | None) -> str:
        return f"{value:>12,.0f}" if value else f"{'-':>12}"

    ours, fast, bare = figures["ours"], figures.get("fast"), figures["bare"]
    ratio_fast = f"{fast / bare:>10.1f}x" if fast else f"{'-':>11}"
    print(
        f"{name:<32}{cell(ours)}{cell(fast)}{cell(bare)}{cell(figures.get('rs'))}{cell(figures.get('floor'))}"
        f"{ours / bare:>10.2f}x{ratio_fast}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    seconds = 1.0 if parser.parse_args().quick else 5.0  # per scenario, shared by its columns

    document = load(bundled_path())
    contract = Contract(document, engine="python")
    validate = contract.validate
    fast_contract = Contract(document, engine="rust") if rust_validator(contract) else None
    fast_validate = fast_contract.validate if fast_contract else None
    bare = bare_validator(contract)
    rust = rust_validator(contract)
    examples = [example.value for example in contract.examples()]
    texts = [json.dumps(example) for example in examples]

    print(
        f"{'scenario (per second)':<32}{'ours':>12}{'ours[fast]':>12}{'bare':>12}{'rs':>12}{'json.loads':>12}"
        f"{'ours/bare':>11}{'[fast]/bare':>12}"
    )
    index = iter(range(10**12))

    def cycle(items: list[Any]) -> Callable[[], Any]:
        return lambda: items[next(index) % len(items)]

    def always(payload: Any) -> Callable[[], Any]:
        return lambda: payload

    def columns(payload: Callable[[], Any]) -> Timed:
        """Each checker of the table on the payloads ``payload`` hands out."""
        return {
            "ours": lambda: validate(payload()),
            "fast": (lambda: fast_validate(payload())) if fast_validate else None,
            "bare": lambda: list(bare.iter_errors(payload())),
            "rs": (lambda: rust(payload())) if rust else None,
        }

    pick = cycle(examples)
    pick_text = cycle(texts)
    row("valid 1-event envelopes", rates({**columns(pick), "floor": lambda: json.loads(pick_text())}, seconds))
    for count in (1, 10, 100, 1000):
        envelope = with_events(examples[3], count)
        row(f"valid {count:,}-event envelope", rates(columns(always(envelope)), seconds))

    bases = {"activity": examples[3], "time-spent": examples[7]}
    invalid = [
        apply_breach(rule.breach, bases[rule.breach.base])
        for rule in RULES.values()
        if rule.breach is not None and rule.breach.text is None and rule.id != "json.too-deep"
    ]
    pick_invalid = cycle(invalid)
    valid = columns(pick)
    # the valid figures again, interleaved with these, for the invalid/valid ratio
    figures = rates({**columns(pick_invalid), "valid": valid["ours"], "fast valid": valid["fast"]}, seconds)
    row("invalid envelopes (every rule)", figures)
    invalid_rate, valid_rate = figures["ours"], figures["valid"]
    print(f"\ninvalid costs {valid_rate / invalid_rate:.2f}x a valid envelope (target: at most 3x)", end="")
    fast_invalid, fast_valid = figures.get("fast"), figures.get("fast valid")
    print(f"; with [fast] {fast_valid / fast_invalid:.2f}x" if fast_invalid and fast_valid else "")
    print("events per second by envelope size (linear when flat): see the 1 / 10 / 100 / 1,000 rows times their size")

    code = (
        "import json, sys, time; envelope = json.loads(sys.argv[1]); t=time.perf_counter(); "
        "import caliper_contract as c; t1=time.perf_counter(); assert c.validate(envelope).ok; "
        "t2=time.perf_counter(); print(t1-t, t2-t1)"
    )
    environment = {**os.environ, "CALIPER_CONTRACT_ENGINE": "python"}
    runs = [
        subprocess.run(
            [sys.executable, "-c", code, texts[0]], capture_output=True, text=True, check=True, env=environment
        )
        for _ in range(9)
    ]
    imports, firsts = zip(*(map(float, r.stdout.split()) for r in runs), strict=True)
    print(
        f"import caliper_contract: {statistics.median(imports) * 1000:.0f} ms (target < 150 ms); "
        f"first validate(): {statistics.median(firsts) * 1000:.0f} ms (target < 100 ms)"
    )


if __name__ == "__main__":
    main()
