"""How fast is a full contract check? Ratios against bare python-jsonschema, measured in the same run.

    python benchmarks/run.py            # everything
    python benchmarks/run.py --quick    # shorter runs

Scenarios: the seed's valid single-event envelopes; envelopes of 1, 10, 100 and
1,000 events; invalid envelopes (a report with every violation); import and
first-validate cost. "bare" is Draft202012Validator on the OpenAPI Envelope
schema with jsonschema's format checker, consuming iter_errors, as a user of
python-jsonschema would write it; "ours" is Contract.validate() with the
OpenAPI schema and every Timeback rule, on a default install (the "python"
engine, fastjsonschema); "ours[fast]" the same with the `fast` extra
(jsonschema-rs); "rs" is jsonschema-rs's bare is_valid on the Envelope
schema; "json.loads" is the parsing floor.  Figures are calls per second.
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
from caliper_contract.openapi import bundled_path, load
from caliper_contract.rules import RULES, apply_breach


def rate(function: Callable[[], object], seconds: float) -> float:
    """Calls per second: best of five rounds of about ``seconds`` / 5 each."""
    function()
    calls = 1
    while True:  # find a batch size that takes about 20 ms
        start = time.perf_counter()
        for _ in range(calls):
            function()
        elapsed = time.perf_counter() - start
        if elapsed > 0.02:
            break
        calls *= 2
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        done = 0
        while time.perf_counter() - start < seconds / 5:
            for _ in range(calls):
                function()
            done += calls
        rounds.append(done / (time.perf_counter() - start))
    return max(rounds)


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


def row(
    name: str, ours: float, fast: float | None, bare: float, rust: float | None, floor: float | None = None
) -> None:
    def cell(value: float | None) -> str:
        return f"{value:>12,.0f}" if value else f"{'-':>12}"

    ratio_fast = f"{fast / bare:>10.1f}x" if fast else f"{'-':>11}"
    print(f"{name:<32}{cell(ours)}{cell(fast)}{cell(bare)}{cell(rust)}{cell(floor)}{ours / bare:>10.2f}x{ratio_fast}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    seconds = 0.5 if parser.parse_args().quick else 2.0

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

    pick = cycle(examples)
    pick_text = cycle(texts)
    row(
        "valid 1-event envelopes",
        rate(lambda: validate(pick()), seconds),
        rate(lambda: fast_validate(pick()), seconds) if fast_validate else None,
        rate(lambda: list(bare.iter_errors(pick())), seconds),
        rate(lambda: rust(pick()), seconds) if rust else None,
        rate(lambda: json.loads(pick_text()), seconds),
    )
    for count in (1, 10, 100, 1000):
        envelope = with_events(examples[3], count)
        row(
            f"valid {count:,}-event envelope",
            rate(lambda envelope=envelope: validate(envelope), seconds),
            rate(lambda envelope=envelope: fast_validate(envelope), seconds) if fast_validate else None,
            rate(lambda envelope=envelope: list(bare.iter_errors(envelope)), seconds),
            rate(lambda envelope=envelope: rust(envelope), seconds) if rust else None,
        )

    bases = {"activity": examples[3], "time-spent": examples[7]}
    invalid = [
        apply_breach(rule.breach, bases[rule.breach.base])
        for rule in RULES.values()
        if rule.breach is not None and rule.breach.text is None and rule.id != "json.too-deep"
    ]
    pick_invalid = cycle(invalid)
    invalid_rate = rate(lambda: validate(pick_invalid()), seconds)
    valid_rate = rate(lambda: validate(pick()), seconds)
    row(
        "invalid envelopes (every rule)",
        invalid_rate,
        rate(lambda: fast_validate(pick_invalid()), seconds) if fast_validate else None,
        rate(lambda: list(bare.iter_errors(pick_invalid())), seconds),
        rate(lambda: rust(pick_invalid()), seconds) if rust else None,
    )
    print(f"\ninvalid costs {valid_rate / invalid_rate:.2f}x a valid envelope (target: at most 3x)")
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
