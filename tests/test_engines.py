"""The fast paths change speed, never reports: every engine agrees with plain python-jsonschema.

The "none" engine is the reference: python-jsonschema over whole schemas, no
fast verdict and no narrowing down.  Each available engine ("python" is
fastjsonschema, "rust" is jsonschema-rs from the `fast` extra) must give the
very same report for every payload.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import io
import json
import os
import pickle
import re
import sys
from collections.abc import Iterator
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caliper_contract import RULES, Contract
from caliper_contract import _files as files
from caliper_contract._breaches import BASE_EXAMPLES, DELETE, Breach, apply_breach
from caliper_contract._files import Kind, PayloadText, Source
from caliper_contract.cli import _parallel as parallel
from caliper_contract.cli import main
from caliper_contract.cli._check import FileChecker, Options
from caliper_contract.openapi import bundled_path, load
from caliper_contract.strategies import envelopes, invalid_envelopes
from caliper_contract.strategies._values import texts

ENGINES = ["python"] + (["rust"] if importlib.util.find_spec("jsonschema_rs") else [])
DOCUMENT = load(bundled_path())
REFERENCE = Contract(DOCUMENT, engine="none")
CONTRACTS = {engine: Contract(DOCUMENT, engine=engine) for engine in ENGINES}
SEEDS = {example.name: example.value for example in REFERENCE.examples()}


def test_the_rust_engine_is_tested_wherever_the_fast_extra_is_installed():
    # CI installs the `test` extra, which brings jsonschema-rs: both engines run there.
    assert "python" in ENGINES
    if importlib.util.find_spec("jsonschema_rs"):
        assert "rust" in ENGINES


def _agree(payload: Any, *, event: bool = False) -> None:
    expected = (REFERENCE.validate_event if event else REFERENCE.validate)(payload)
    for engine, contract in CONTRACTS.items():
        report = (contract.validate_event if event else contract.validate)(payload)
        assert report == expected, f"engine {engine} disagrees on {json.dumps(payload)[:200]}"


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_engines_agree_on_the_published_examples(name):
    _agree(SEEDS[name])


@pytest.mark.parametrize("rule", [rule for rule in RULES.values() if rule.breach], ids=lambda rule: rule.id)
def test_engines_agree_on_every_rule_breach(rule):
    _agree(apply_breach(rule.breach, SEEDS[BASE_EXAMPLES[rule.breach.base]]))


def test_engines_agree_on_the_ims_corpus(corpus_dir):
    for path in sorted(corpus_dir.glob("caliper*.json")):
        payload = json.loads(path.read_text(encoding="utf-8"))
        _agree(payload, event=path.name.startswith("caliperEvent"))
        _agree(
            {
                "sensor": "https://example.edu/sensors/1",
                "sendTime": "2018-11-15T10:15:00.000Z",
                "dataVersion": "http://purl.imsglobal.org/ctx/caliper/v1p2",
                "data": [payload],
            }
        )


@pytest.mark.parametrize("version", ["caliper-api.yaml", "timeback-events-api.alt.yaml"])
def test_engines_agree_under_the_other_published_versions(reference_dir, corpus_dir, version):
    # Other documents, other schema shapes to take apart when explaining.
    path = reference_dir / "other-versions" / version
    reference = Contract.from_openapi(path, engine="none")
    contracts = [Contract.from_openapi(path, engine=engine) for engine in ENGINES]
    payloads = [example.value for example in reference.examples()]
    payloads += [
        apply_breach(rule.breach, SEEDS[BASE_EXAMPLES[rule.breach.base]]) for rule in RULES.values() if rule.breach
    ]
    for corpus_path in sorted(corpus_dir.glob("caliper*.json")):
        payloads.append({**SEEDS[BASE_EXAMPLES["activity"]], "data": [json.loads(corpus_path.read_text("utf-8"))]})
    for payload in payloads:
        expected = reference.validate(payload)
        assert all(contract.validate(payload) == expected for contract in contracts), json.dumps(payload)[:200]


def _pointers(value: Any, path: str = "") -> Iterator[str]:
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _pointers(child, f"{path}/{key.replace('~', '~0').replace('/', '~1')}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _pointers(child, f"{path}/{index}")


JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-100_000, 100_000),
    st.floats(allow_nan=False, allow_infinity=False),
    texts(max_size=12),
    st.sampled_from(["", "Other", "TimebackProfile", "https://example.com/x", "2024-04-24T14:12:00Z", "a@b.co"]),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts(max_size=8), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def mutated_envelopes(draw: st.DrawFn) -> Any:
    envelope = copy.deepcopy(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(1, 3))):
        pointer = draw(st.sampled_from(sorted(_pointers(envelope))[1:]))
        value = draw(st.one_of(st.just(DELETE), JSON_VALUES))
        envelope = apply_breach(Breach("activity", ((pointer, value),), pointer), envelope)
    return envelope


@settings(max_examples=300, deadline=None)
@given(mutated_envelopes())
def test_engines_agree_on_random_mutations_of_the_examples(envelope):
    _agree(envelope)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_schema_an_engine_cannot_compile_is_checked_by_python_jsonschema_alone(tmp_path, engine):
    # Requiring a property that additionalProperties forbids: fastjsonschema refuses to compile it.
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "openapi: 3.1.0\n"
        "paths:\n"
        "  /caliper/event:\n"
        "    post:\n"
        "      requestBody:\n"
        "        content:\n"
        "          application/json:\n"
        "            schema: {type: object, required: [title], properties: {}, additionalProperties: false}\n",
        encoding="utf-8",
    )
    contract = Contract.from_openapi(spec, engine=engine)
    reference = Contract.from_openapi(spec, engine="none")
    for payload in ({}, {"title": "x"}, {"other": 1}):
        assert contract.validate(payload) == reference.validate(payload)
    assert not contract.validate({"title": "x"}).ok


@pytest.mark.parametrize("engine", ENGINES)
def test_each_engine_compiles_whole_layer_checks_that_accept_the_examples(engine):
    # Not a speed test: it pins down that the fast path is really in use, since
    # reports alone cannot tell a fast path from a slow one.
    contract = CONTRACTS[engine]
    assert contract._envelope.fast is not None
    assert contract._profile.fast is not None
    for envelope in SEEDS.values():
        assert contract._envelope.fast(envelope)
        assert all(contract._profile.fast(event) for event in envelope["data"])


@settings(max_examples=150, deadline=None)
@given(st.one_of(envelopes(max_events=3, allow_warnings=True), invalid_envelopes().map(lambda case: case.envelope)))
def test_engines_agree_on_generated_valid_and_invalid_envelopes(envelope):
    _agree(envelope)


def _layers(layer: Any) -> Iterator[Any]:
    yield layer
    for child in (layer.shell, layer.items, *layer.parts.values(), *layer.together, *layer.branches):
        if child is not None:
            yield from _layers(child)
    for child in layer.condition or ():
        if child is not None:
            yield from _layers(child)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_failure_is_explained_by_python_jsonschema_on_the_failing_part_alone(engine):
    # Not a speed test either: it pins down that a bad metric value is not
    # explained by running python-jsonschema over the event, its metrics
    # collection or the metric; only over the schema of that value.
    contract = Contract(DOCUMENT, engine=engine)
    rule = RULES["timeback.activity-metric.value"]
    report = contract.validate(apply_breach(rule.breach, SEEDS[BASE_EXAMPLES[rule.breach.base]]))
    assert [(v.path, v.rule) for v in report.violations] == [(rule.breach.path, rule.id)]
    explained = [layer.pointer for layer in _layers(contract._profile) if "validator" in vars(layer)]
    assert explained == ["/$defs/ActivityMetricKind/properties/value"]
    assert not [layer.pointer for layer in _layers(contract._envelope) if "validator" in vars(layer)]


# -- the JSON Lines reader: orjson's reading is taken only where it is the strict reader's ------------------------

ORJSON = importlib.util.find_spec("orjson") is not None
LINES_SOURCE = Source("f.jsonl", None, True)


def _read_both(line: bytes, kind: Kind = "auto") -> tuple[list[PayloadText], list[PayloadText]]:
    """What reading ``line`` (as line 7 of a file) gives with orjson, and with the strict reader alone."""
    fast = list(files.read_lines("f.jsonl", [line], 7, kind))
    saved, files._ORJSON = files._ORJSON, None
    try:
        strict = list(files.read_lines("f.jsonl", [line], 7, kind))
    finally:
        files._ORJSON = saved
    return fast, strict


def _typed(value: Any) -> str:
    # repr tells 1 from 1.0 and True from 1, which == does not.
    return repr(value)


def _agree_on_line(line: bytes) -> None:
    fast, strict = _read_both(line)
    assert fast == strict
    assert [_typed([p.value for p in text.payloads]) for text in fast] == [
        _typed([p.value for p in text.payloads]) for text in strict
    ]
    for engine, contract in CONTRACTS.items():
        checker = FileChecker(contract, Options())
        saved, files._ORJSON = files._ORJSON, None
        try:
            expected = checker.check_lines(LINES_SOURCE, line, 7)
        finally:
            files._ORJSON = saved
        assert checker.check_lines(LINES_SOURCE, line, 7) == expected, f"engine {engine}: {line[:200]!r}"


LINE = json.dumps(SEEDS["example4"]).encode()
SPECIAL_LINES = [
    LINE + b"\n",
    LINE + b"\r\n",
    json.dumps(SEEDS["example8"], separators=(",", ":")).encode(),
    b" " + LINE + b"\n",  # the value starts in column 2
    b"\xef\xbb\xbf" + LINE + b"\n",  # a byte order mark
    LINE.replace(b'"sensor"', b'"sensor": "x", "sensor"', 1),  # a duplicate key
    LINE.replace(b'"actor": {', b'"actor": {"email": "a@b.co", ', 1),  # a duplicate key, nested
    b'{"k": 1, "k": "\\u003a"}',  # a duplicate hidden from the colon count by an escaped colon
    b'{"k": "\\u003A"}',
    b'{"a": NaN}',
    b'{"a": -Infinity}',
    b'{"a": 1e400}',
    b'{"a": -1e400}',
    b'{"a": 18446744073709551615}',  # the largest integer orjson reads as an integer
    b'{"a": 18446744073709551616}',  # orjson reads it as a float
    b'{"a": -9223372036854775809}',
    b'{"a": 1000000000000000000}',
    b'{"a": ' + b"9" * 5000 + b"}",  # more digits than Python converts
    b'{"a": [1.0, 1e2, -0, -0.0, 0.1, 5e-324, 1.7976931348623157e308, 2.5E-3]}',
    b'{"a": "\\ud800"}',  # a lone surrogate
    b'{"a": "\\ud83d\\ude00", "b": "\xc3\xa9"}',
    b'{"a": "\xed\xa0\x80"}',  # a surrogate encoded in UTF-8
    b'{"a": "\xff"}',  # not UTF-8
    b'{"a": null, "b": "null"}',
    b'{"a": "nullable"}',
    b'{"a": 1}\r{"b": 2}\n',  # a lone CR: two values on one line
    b'{"a": 1} x',
    b'{"a": 1,}',
    b'{"a"\t:\t1}',
    b'{"a": "tab\tinside"}',
    b"{" + b'"a":' * 0 + b"[" * 253 + b"]" * 253 + b"}",  # 254 levels: as deep as orjson writes
    b'{"a":' + b"[" * 254 + b"]" * 254 + b"}",  # 255 levels
    b'{"a":' + b"[" * 256 + b"]" * 256 + b"}",  # 257 levels: too deep to check
    b"[" + LINE + b", " + LINE + b"]",
    b"[]",
    b'"a string"',
    b"",
    b"   \n",
]


@pytest.mark.skipif(not ORJSON, reason="orjson is the `fast` extra (the `test` extra brings it)")
@pytest.mark.parametrize("line", SPECIAL_LINES, ids=range(len(SPECIAL_LINES)))
def test_reading_a_line_with_orjson_gives_what_the_strict_reader_gives(line):
    _agree_on_line(line)


def test_orjson_is_tested_wherever_the_fast_extra_is_installed():
    # CI installs the `test` extra, which brings orjson: the line reader's fast path runs there.
    if importlib.util.find_spec("jsonschema_rs"):
        assert ORJSON


@pytest.mark.skipif(not ORJSON, reason="orjson is the `fast` extra (the `test` extra brings it)")
def test_orjson_reads_only_what_it_can_vouch_for():
    # Not a speed test: it pins down that the fast path is in use for an ordinary line, and
    # that it hands the contract what it knows (no scan needed, whether a null occurs).
    (text,) = files.read_lines("f.jsonl", [LINE + b"\n"], 1)
    assert text.payloads[0].has_null is False
    (text,) = files.read_lines("f.jsonl", [b'{"a": null}'], 1)
    assert text.payloads[0].has_null is True
    for line in (b'{"a": 1, "a": 2}', b'{"a": 18446744073709551616}', b" {}", b'{"a": "\\u003a"}'):
        (text,) = files.read_lines("f.jsonl", [line], 1)
        assert all(payload.has_null is None for payload in text.payloads), line


NUMBERS = st.one_of(
    st.integers(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["1e400", "-1e999", "NaN", "-0", "1E+2", "0.000001", "123456789012345678901234567890"]),
)


@st.composite
def json_lines(draw: st.DrawFn) -> bytes:
    """A line as an app might write it: one of the examples with a few values swapped, keys doubled, text broken."""
    envelope = copy.deepcopy(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(0, 3))):
        where = draw(st.sampled_from(sorted(_pointers(envelope))[1:]))
        value = draw(st.one_of(st.just(DELETE), JSON_VALUES, NUMBERS.map(lambda n: f"@@{n}@@")))
        envelope = apply_breach(Breach("activity", ((where, value),), where), envelope)
    separators = draw(st.sampled_from([(", ", ": "), (",", ":"), (" , ", " : ")]))
    text = json.dumps(envelope, separators=separators, ensure_ascii=draw(st.booleans()))
    text = re.sub(r'"@@(.*?)@@"', r"\1", text)  # numbers written as they came, not as Python writes them
    if draw(st.booleans()):  # a key written twice
        text = text.replace('"type"', '"type": "X", "type"', 1)
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):  # one byte changed
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
    return data + draw(st.sampled_from([b"", b"\n", b"\r\n", b" \n"]))


@pytest.mark.skipif(not ORJSON, reason="orjson is the `fast` extra (the `test` extra brings it)")
@settings(max_examples=300, deadline=None)
@given(json_lines())
def test_orjson_and_the_strict_reader_agree_on_mutated_lines(line):
    _agree_on_line(line)


# -- check --jobs: the findings of one job, in the same order ---------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(
        st.sampled_from(['{"a": 1}', "", "  ", "not json", '{"a": null}', "[1, 2]", '"x"', "{}"]), max_size=40
    ),
    ends=st.lists(st.sampled_from(["\n", "\r\n", "\r", "\n\n"]), min_size=1),
    size=st.integers(1, 64),
)
def test_blocks_cut_a_file_at_line_ends_and_count_its_lines_as_reading_it_whole(tmp_path_factory, lines, ends, size):
    data = "".join(line + ends[index % len(ends)] for index, line in enumerate(lines)).encode()
    path = tmp_path_factory.mktemp("blocks") / "f.jsonl"
    path.write_bytes(data)
    whole = list(files.read_lines("f.jsonl", io.BytesIO(data), 1))
    pieces, texts, line = [], [], 1
    for start, length in files.regions(path, size):
        piece = files.read_region(path, start, length)
        assert piece.endswith(b"\n") or length is None
        pieces.append(piece)
        texts += files.read_lines("f.jsonl", io.BytesIO(piece), line)
        line += files.line_count(piece)
    assert b"".join(pieces) == data
    assert texts == whole


def test_a_contract_pickles_as_its_document_and_engine(reference_dir):
    for engine in ENGINES:
        contract = pickle.loads(pickle.dumps(CONTRACTS[engine]))
        assert contract._engine == engine
        for name, envelope in SEEDS.items():
            assert contract.validate(envelope) == REFERENCE.validate(envelope), name
    other = Contract.from_openapi(reference_dir / "other-versions" / "caliper-api.yaml")
    copied = pickle.loads(pickle.dumps(other))
    assert copied.document == other.document
    bad = {"sensor": 5}
    assert copied.validate(bad) == other.validate(bad)


def _traffic(folder: Path) -> list[str]:
    """Files of every kind, as arguments: JSON Lines of many blocks, whole files, and arguments that name none."""
    rows = [json.dumps(envelope) for envelope in SEEDS.values()]
    for rule in RULES.values():
        if rule.breach is not None:
            breach = apply_breach(rule.breach, SEEDS[BASE_EXAMPLES[rule.breach.base]])
            rows.append(breach if isinstance(breach, str) else json.dumps(breach))
    rows += ["", "not json", '{"a": 1, "a": 2}', "\ufeff" + rows[0], "[]", "   "]
    text = "\n".join(rows * 8) + "\r\n" + rows[3] + "\r" + rows[-7]  # CRLF, a lone CR, no final newline
    (folder / "traffic.jsonl").write_text(text, encoding="utf-8", newline="")
    (folder / "blank.ndjson").write_text("\n\n \n", encoding="utf-8")
    (folder / "bad.json").write_text(rows[-9], encoding="utf-8")
    (folder / "ok.json").write_text(rows[1], encoding="utf-8")
    (folder / "events").mkdir()
    for index in range(70):  # more than one unit of whole files
        (folder / "events" / f"{index:02d}.json").write_text(rows[index % len(rows)], encoding="utf-8")
    # Files that must break the contract (the default expect-invalid patterns): one does throughout, many blocks
    # long; the other has a valid line among invalid ones.
    invalid = [
        row
        for rule in RULES.values()
        if rule.breach is not None and rule.severity == "error"
        for row in [_as_text(apply_breach(rule.breach, SEEDS[BASE_EXAMPLES[rule.breach.base]]))]
    ]
    (folder / "invalid").mkdir()
    (folder / "invalid" / "all.jsonl").write_text("\n".join(invalid * 8), encoding="utf-8")
    (folder / "some.invalid.jsonl").write_text("\n".join([*invalid[:5], rows[2], *invalid[5:9]]), encoding="utf-8")
    return [
        "traffic.jsonl", "gone.json", "bad.json", "nothing*.json", "events", "blank.ndjson", "ok.json", "invalid",
        "some.invalid.jsonl",
    ]  # fmt: skip


def _as_text(payload: Any) -> str:
    return payload if isinstance(payload, str) else json.dumps(payload)


def _check(folder: Path, *args: str, stdin: Path | None = None) -> tuple[int, str]:
    """Exit status and output of `check` run in ``folder``, standard input read from ``stdin``.

    The output is that of `--format json` (every finding), then the summary line of `--format text`.
    """
    outputs, statuses = [], set()
    here, saved_stdin = Path.cwd(), sys.stdin
    for form in ("json", "text"):
        output = io.StringIO()
        try:
            os.chdir(folder)
            if stdin is not None:
                sys.stdin = io.TextIOWrapper(stdin.open("rb"))
            with contextlib.redirect_stdout(output):
                statuses.add(main(["check", "--format", form, *args]))
        finally:
            if stdin is not None:
                sys.stdin.close()
            os.chdir(here)
            sys.stdin = saved_stdin
        outputs.append(output.getvalue() if form == "json" else output.getvalue().splitlines()[-1])
    (status,) = statuses
    return status, "\n".join(outputs)


def test_jobs_give_the_findings_of_one_job_in_the_same_order(tmp_path, monkeypatch):
    arguments = _traffic(tmp_path)
    monkeypatch.setattr(parallel, "BLOCK", 2048)  # many blocks from a small file
    expected = _check(tmp_path, *arguments, "--jobs", "1")
    assert expected[0] == 2
    findings, summary = expected[1].rsplit("\n", 1)
    assert len(json.loads(findings)) > 300
    assert "1 invalid as expected" in summary
    assert "expected to break the contract, but it is valid" in findings

    def here(*args: object) -> object:
        raise AssertionError("with --jobs 2 every unit is checked by a worker")

    monkeypatch.setattr(parallel, "_check_here", here)
    assert _check(tmp_path, *arguments, "--jobs", "2") == expected
    piped = ("-", "--stdin-name", "traffic.jsonl")
    one_job = _check(tmp_path, *piped, "--jobs", "1", stdin=tmp_path / "traffic.jsonl")
    assert _check(tmp_path, *piped, "--jobs", "2", stdin=tmp_path / "traffic.jsonl") == one_job


def test_jobs_auto_starts_no_worker_for_a_few_files_and_workers_for_much(tmp_path, monkeypatch):
    arguments = _traffic(tmp_path)
    expected = _check(tmp_path, *arguments, "--jobs", "1")

    def no_workers(*args: object) -> None:
        raise AssertionError("a few small files start no process")

    with monkeypatch.context() as patched:
        patched.setattr(parallel, "start_workers", no_workers)
        assert _check(tmp_path, *arguments) == expected  # --jobs auto is the default
    monkeypatch.setattr(parallel, "WORTH_WORKERS", 0)
    monkeypatch.setattr(parallel, "BLOCK", 2048)
    assert _check(tmp_path, *arguments, "--jobs", "auto") == expected


def test_a_worker_that_dies_leaves_its_work_to_the_main_process(tmp_path, monkeypatch):
    arguments = _traffic(tmp_path)
    expected = _check(tmp_path, *arguments, "--jobs", "1")

    class DyingWorkers:
        def submit(self, *args: object) -> Future[object]:
            future: Future[object] = Future()
            future.set_exception(BrokenProcessPool("a worker was killed"))
            return future

        def shutdown(self, **kwargs: object) -> None:
            pass

    monkeypatch.setattr(parallel, "start_workers", lambda *args: DyingWorkers())
    monkeypatch.setattr(parallel, "BLOCK", 2048)
    assert _check(tmp_path, *arguments, "--jobs", "2") == expected


def test_a_usage_error_found_by_a_worker_is_a_usage_error(tmp_path, monkeypatch, capsys):
    # --kind event against a document without an Event schema: found on the first payload, by a worker.
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "openapi: 3.1.0\npaths:\n  /caliper/event:\n    post:\n      requestBody:\n        content:\n"
        "          application/json:\n            schema: {type: object}\n",
        encoding="utf-8",
    )
    (tmp_path / "events.jsonl").write_text(LINE.decode() + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    statuses = []
    for jobs in ("1", "2"):
        statuses.append(main(["check", "events.jsonl", "--kind", "event", "--spec", "spec.yaml", "--jobs", jobs]))
        assert "no Event schema to check a lone event against" in capsys.readouterr().err
    assert statuses == [2, 2]


def test_the_profiles_own_patterns_have_no_group_so_no_quantifier_nests():
    # fastjsonschema matches the profile's patterns with `re`, unbounded (see compile_verdict's
    # own_patterns): that is safe only while no quantifier can nest, and a pattern without a group
    # has none.  A user's document gets the bounded matcher whatever its patterns.
    import re

    from caliper_contract.profile import load_profile_schema

    patterns = re.findall(r'"pattern": (".*?(?<!\\)")', json.dumps(load_profile_schema()))
    assert patterns
    for pattern in (json.loads(text) for text in patterns):
        assert "(" not in pattern.replace(r"\(", ""), pattern
