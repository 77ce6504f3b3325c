"""Formats: a fixed, pinned set is asserted, the same on every install and every engine; the rest are annotations."""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rfc3339_validator import validate_rfc3339
from rfc3986_validator import validate_rfc3986

from caliper_contract import Contract, formats
from caliper_contract.formats import ENGINE_PATTERNS, FORMAT_FUNCTIONS, format_checker

ENGINES = ["none", "python"] + (["rust"] if importlib.util.find_spec("jsonschema_rs") else [])
ASSERTED = {"date-time", "uri", "uri-reference", "email"}

URI_PIECES = [
    "http", "https", "urn", "a", "Z", "9", "0", ":", "//", "/", "?", "#", "@", "%", "%2F", "%zz", "%4", "[", "]",
    "[::1]", "[v1.x]", "[v1.]", "[fe80::1]", "[1:2:3:4:5:6:7:8]", "[::ffff:127.0.0.1]", "[1::2:3:4:5:6:7]",
    "127.0.0.1", "256.1.1.1", ":80", ".", "-", "+", "_", "~", "!", "$", "&", "'", "(", ")", "*", ",", ";", "=",
    " ", "\n", "é", "x", "example.com", "users", "\\", "^", "`", "{", "|", "\t", "v", "F",
]  # fmt: skip
URI_STARTS = ["http://", "https://", "urn:", "a:", "//", "/", "", "mailto:", "user@host"]
uri_like = st.builds(
    str.__add__, st.sampled_from(URI_STARTS), st.lists(st.sampled_from(URI_PIECES), max_size=12).map("".join)
) | st.text(max_size=20)

two_digits = st.integers(0, 99).map("{:02d}".format)
date_times = st.builds(
    "{}-{}-{}{}{}:{}:{}{}{}".format,
    st.sampled_from(["0000", "0001", "1900", "2000", "2023", "2024", "2100", "2400", "9999"])
    | st.integers(0, 9999).map("{:04d}".format),
    st.sampled_from(["00", "01", "02", "04", "12", "13"]) | two_digits,
    st.sampled_from(["00", "01", "28", "29", "30", "31", "32"]) | two_digits,
    st.sampled_from(["T", "t", " ", "x"]),
    st.sampled_from(["00", "23", "24"]) | two_digits,
    st.sampled_from(["00", "59", "60"]) | two_digits,
    st.sampled_from(["00", "59", "60"]) | two_digits,
    st.sampled_from(["", ".5", ".123456", ".", ".x"]),
    st.sampled_from(["Z", "z", "+05:30", "-24:00", "+00:60", "", "Z\n", "ZZ", "\n", "৪"]),
) | st.text(alphabet="0123456789-:.TZtz+ \n৪", max_size=30)
emails = st.lists(
    st.sampled_from(["a", "b.c", "@", ".", " ", "\t", "\x1c", "\x85", "\u3000", "\u200b", "x", "com", "\n", "é"]),
    max_size=8,
).map("".join)


def test_the_email_pattern_spells_out_the_space_python_knows():
    space = "".join(f"\\u{code:04x}" for code in range(0x110000) if chr(code).isspace())
    assert space == formats._SPACE


def test_the_asserted_formats_are_a_fixed_set_whatever_is_installed():
    assert set(FORMAT_FUNCTIONS) == ASSERTED
    assert set(ENGINE_PATTERNS) == ASSERTED
    # python-jsonschema's own checker would add ipv4, date, uuid... when their helper packages are present.
    assert set(format_checker().checkers) == ASSERTED


@pytest.mark.parametrize("engine", ENGINES)
def test_other_formats_are_annotations_on_every_engine(tmp_path, engine):
    names = ["date", "time", "ipv4", "ipv6", "uuid", "hostname", "duration", "regex", "iri", "json-pointer", "x-own"]
    properties = ", ".join(f"{name}: {{type: string, format: {name}}}" for name in [*names, "date-time"])
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "openapi: 3.1.0\n"
        "paths:\n"
        "  /caliper/event:\n"
        "    post:\n"
        "      requestBody:\n"
        "        content:\n"
        "          application/json:\n"
        f"            schema: {{type: object, properties: {{{properties}}}}}\n",
        encoding="utf-8",
    )
    contract = Contract.from_openapi(spec, engine=engine)
    assert contract.validate(dict.fromkeys(names, "(not what the format says")).ok
    (violation,) = contract.validate({"date-time": "yesterday"}).violations
    assert (violation.path, violation.rule) == ("/date-time", "openapi.format")


# -- pinned implementations: the same verdicts as the packages they replace ----------------------------------


@settings(max_examples=600, deadline=None)
@given(date_times)
def test_date_time_is_rfc3339_validator_on_the_upper_cased_string(text):
    assert FORMAT_FUNCTIONS["date-time"](text) == bool(validate_rfc3339(text.upper()))


@settings(max_examples=600, deadline=None)
@given(uri_like)
def test_uri_and_uri_reference_are_rfc3986_validator(text):
    assert FORMAT_FUNCTIONS["uri"](text) == bool(validate_rfc3986(text, rule="URI"))
    assert FORMAT_FUNCTIONS["uri-reference"](text) == bool(validate_rfc3986(text, rule="URI_reference"))


@pytest.mark.parametrize(
    ("name", "text", "valid"),
    [
        ("date-time", "2024-02-29T00:00:00Z", True),
        ("date-time", "2023-02-29T00:00:00Z", False),
        ("date-time", "1900-02-29T00:00:00Z", False),
        ("date-time", "2000-02-29T00:00:00Z", True),
        ("date-time", "0000-01-01T00:00:00Z", False),
        ("date-time", "2024-04-31T00:00:00Z", False),
        ("date-time", "1963-06-19t08:30:06.283185z", True),
        ("date-time", "1998-12-31T23:59:60Z", False),  # leap seconds are refused: see README "Guarantees"
        ("date-time", "2024-04-24T14:12:00.000Z\n", True),  # "$" matches before a final newline, as in the packages
        ("uri", "https://example.com/users/1", True),
        ("uri", "/users/1", False),
        ("uri-reference", "/users/1", True),
        ("email", "student@example.com", True),
        ("email", "student@", False),
        ("email", "d@dd", False),
        ("date-time", 42, True),  # formats ignore what is not a string
    ],
)
def test_format_verdicts_on_the_cases_the_readme_names(name, text, valid):
    assert FORMAT_FUNCTIONS[name](text) is valid


# -- the fast paths' forms of the same functions ---------------------------------------------------------------


@pytest.mark.skipif(not importlib.util.find_spec("jsonschema_rs"), reason="jsonschema-rs is the `fast` extra")
@settings(max_examples=600, deadline=None)
@given(st.sampled_from(sorted(ASSERTED)), uri_like | date_times | emails)
def test_each_engine_pattern_accepts_what_its_function_accepts_bar_a_final_newline(name, text):
    function = FORMAT_FUNCTIONS[name]
    try:
        matched = _pattern_validator(name)(text)
    except ValueError:  # text jsonschema-rs cannot take (a lone surrogate): the engine's verdict is "not clean"
        matched = False
    if matched:
        assert function(text)  # the property every fast verdict needs: never accept what the function refuses
    elif function(text):
        assert text.endswith("\n") or any("\ud800" <= char <= "\udfff" for char in text)


@pytest.mark.skipif(not importlib.util.find_spec("jsonschema_rs"), reason="jsonschema-rs is the `fast` extra")
def test_the_date_time_pattern_knows_the_calendar():
    years = [0, 1, 4, 100, 400, 1600, 1900, 1996, 2000, 2023, 2024, 2100, 2400, 9996, 9999]
    for year in years:
        for month in range(14):
            for day in range(33):
                text = f"{year:04d}-{month:02d}-{day:02d}T12:00:00Z"
                assert _pattern_validator("date-time")(text) == FORMAT_FUNCTIONS["date-time"](text), text


@functools.cache
def _pattern_validator(name: str) -> Callable[[str], bool]:
    import jsonschema_rs

    is_valid: Callable[[str], bool] = jsonschema_rs.validator_for({"pattern": ENGINE_PATTERNS[name]}).is_valid
    return is_valid


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(ASSERTED)), uri_like | date_times | emails)
def test_the_checks_on_strings_give_the_functions_verdicts(name, text):
    assert formats.string_checks()[name](text) == FORMAT_FUNCTIONS[name](text)
