"""How fast do the strategies generate? Ratios against hypothesis-jsonschema, measured in the same run.

    python benchmarks/strategies.py                 # everything
    python benchmarks/strategies.py --quick         # fewer examples
    python benchmarks/strategies.py --baseline-python /path/to/other/venv/bin/python

Both sides run the same way: a ``@given`` test in Hypothesis's generate phase
only (no shrinking, no database), counting the examples it draws per second.
The baseline is ``hypothesis_jsonschema.from_schema`` on the bundled Envelope
schema, with health checks suppressed for it (ours run with none suppressed).

hypothesis-jsonschema 0.23.1 (its latest release) cannot generate objects on
Hypothesis >= 6.170.10: it calls a private helper that changed.  This script
reports that crash as it happens, then measures what still works here: leaf
schemas (date-time, uri, the event id pattern) side by side.  For the
envelope-to-envelope ratio, point ``--baseline-python`` at an interpreter with
an older Hypothesis and hypothesis-jsonschema installed; the baseline then
runs there (it needs nothing from this project) and its envelopes are
validated here.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import warnings
from typing import Any

import hypothesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from caliper_contract import Contract, validate
from caliper_contract.strategies import (
    caliper_entities,
    emails,
    envelopes,
    event_ids,
    invalid_envelopes,
    timestamps,
    user_urls,
)


def rate(strategy: st.SearchStrategy[Any], examples: int, *, suppress: bool = False) -> tuple[float, list[Any]]:
    """Examples drawn per second in the generate phase, and the examples."""
    drawn: list[Any] = []

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck) if suppress else [],
    )
    @given(strategy)
    def draw(value: Any) -> None:
        drawn.append(value)

    start = time.perf_counter()
    draw()
    return len(drawn) / (time.perf_counter() - start), drawn


def valid_share(payloads: list[Any]) -> float:
    return sum(validate(payload).ok for payload in payloads) / len(payloads) if payloads else 0.0


def envelope_schema(contract: Contract) -> dict[str, Any]:
    """The bundled request body schema as one standalone JSON Schema ($refs resolve inside it)."""
    return {"$ref": "#/components/schemas/Envelope", "components": contract.document.contents["components"]}


def baseline_here(schema: dict[str, Any], examples: int) -> tuple[float, list[Any]] | str:
    """from_schema's envelopes per second, or what went wrong."""
    from hypothesis_jsonschema import from_schema

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return rate(from_schema(schema), examples, suppress=True)
    except Exception as error:
        return f"{type(error).__name__}: {error}"


# Runs in the --baseline-python interpreter: only Hypothesis and hypothesis-jsonschema there.
_CHILD = """
import json, sys, time, warnings
import hypothesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis_jsonschema import from_schema
from importlib.metadata import version
schema, examples = json.load(sys.stdin)
drawn = []
@settings(max_examples=examples, database=None, deadline=None, phases=[Phase.generate],
          suppress_health_check=list(HealthCheck))
@given(from_schema(schema))
def draw(value):
    drawn.append(value)
warnings.simplefilter("ignore")
start = time.perf_counter()
draw()
elapsed = time.perf_counter() - start
versions = f"Hypothesis {hypothesis.__version__}, hypothesis-jsonschema {version('hypothesis-jsonschema')}"
print(json.dumps({"rate": len(drawn) / elapsed, "drawn": drawn[:200], "versions": versions}))
"""


def baseline_elsewhere(python: str, schema: dict[str, Any], examples: int) -> tuple[float, list[Any], str] | str:
    process = subprocess.run(
        [python, "-c", _CHILD], input=json.dumps([schema, examples]), capture_output=True, text=True, check=False
    )
    if process.returncode != 0:
        return process.stderr.strip().splitlines()[-1] if process.stderr.strip() else f"exit {process.returncode}"
    result = json.loads(process.stdout)
    return result["rate"], result["drawn"], result["versions"]


def report(name: str, ours: float, baseline: float | None, note: str = "") -> None:
    ratio = f"{ours / baseline:>9.1f}x" if baseline else f"{'-':>10}"
    base = f"{baseline:>14,.1f}" if baseline else f"{'-':>14}"
    print(f"{name:<44}{ours:>14,.1f}{base}{ratio}  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer examples per measurement")
    parser.add_argument("--baseline-python", metavar="PYTHON", help="run from_schema on envelopes in this interpreter")
    arguments = parser.parse_args()
    examples = 150 if arguments.quick else 500
    contract = Contract.default()
    schema = envelope_schema(contract)
    from importlib.metadata import version

    print(f"Hypothesis {hypothesis.__version__}, hypothesis-jsonschema {version('hypothesis-jsonschema')}")
    print(f"{'per second':<44}{'ours':>14}{'from_schema':>14}{'ratio':>10}")

    ours_rate, ours_drawn = rate(envelopes(), examples)
    report("envelopes(): generated", ours_rate, None, f"valid under the contract: {valid_share(ours_drawn):.0%}")

    start = time.perf_counter()
    for envelope in ours_drawn:
        validate(envelope)
    validating = time.perf_counter() - start
    print(
        f"  {len(ours_drawn)} envelopes generated and validated in "
        f"{len(ours_drawn) / ours_rate + validating:.2f} s ({validating:.2f} s of it validating)"
    )

    here = baseline_here(schema, examples)
    if isinstance(here, str):
        print(f"  from_schema(bundled Envelope) on this Hypothesis: crashed with {here}")
        print("  -> no envelope ratio from this interpreter; see --baseline-python")
    else:
        base_rate, base_drawn = here
        report("from_schema(Envelope), here", ours_rate, base_rate, f"its valid share: {valid_share(base_drawn):.0%}")

    if arguments.baseline_python:
        elsewhere = baseline_elsewhere(arguments.baseline_python, schema, examples)
        if isinstance(elsewhere, str):
            print(f"  from_schema in {arguments.baseline_python}: failed: {elsewhere}")
        else:
            base_rate, base_drawn, versions = elsewhere
            report(
                "envelopes() vs from_schema(Envelope)",
                ours_rate,
                base_rate,
                f"baseline on {versions}; its valid share: {valid_share(base_drawn):.0%}",
            )

    entities_rate, _ = rate(caliper_entities(), examples)
    entity_schema = {"$ref": "#/components/schemas/Entity", "components": schema["components"]}
    entity_base = baseline_here(entity_schema, examples)
    if isinstance(entity_base, str):
        report("caliper_entities()", entities_rate, None, f"from_schema(Entity) crashed: {entity_base}")
    else:
        report("caliper_entities() vs from_schema(Entity)", entities_rate, entity_base[0])

    invalid_rate, _ = rate(invalid_envelopes(), examples)
    report("invalid_envelopes()", invalid_rate, None, "no baseline: from_schema has no invalid data")

    leaves: list[tuple[str, st.SearchStrategy[str], dict[str, Any]]] = [
        ("leaf: date-time, timestamps()", timestamps(), {"type": "string", "format": "date-time"}),
        ("leaf: uri, user_urls()", user_urls(), {"type": "string", "format": "uri"}),
        ("leaf: email, emails()", emails(), {"type": "string", "format": "email"}),
        ("leaf: ^urn:uuid:(.*)$, event_ids()", event_ids(), {"type": "string", "pattern": "^urn:uuid:(.*)$"}),
    ]
    for name, strategy, leaf in leaves:
        ours, _ = rate(strategy, examples)
        theirs = baseline_here(leaf, examples)
        if isinstance(theirs, str):
            report(name, ours, None, f"from_schema crashed: {theirs}")
        else:
            report(name, ours, theirs[0])
    print("Rates are examples per second of wall time, on this machine, under its current load.")


if __name__ == "__main__":
    sys.exit(main())
