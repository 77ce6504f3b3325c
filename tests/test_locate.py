"""The position-tracking JSON reader: same values as json.loads, exact positions, strict errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caliper_contract._jsontext import JSONTextError, Position, decode, find, load, locate
from caliper_contract.pointers import pointer

ROOT = Path(__file__).resolve().parent.parent

# Hand-made: CRLF and a lone CR end lines, a tab and an "é" count one column each.
HAND_MADE = (
    "{\r\n"  # line 1
    '  "a": [1, {"b~/c": "x"}],\r'  # line 2: a lone CR ends it
    '\t"café": "ü", "n": null,\n'  # line 3
    '  "empty": {}, "list": []\n'  # line 4
    "}"  # line 5
)


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("", (1, 1)),
        ("/a", (2, 8)),
        ("/a/0", (2, 9)),
        ("/a/1", (2, 12)),
        ("/a/1/b~0~1c", (2, 21)),
        ("/café", (3, 10)),
        ("/n", (3, 20)),
        ("/empty", (4, 12)),
        ("/list", (4, 24)),
    ],
)
def test_positions_are_one_based_lines_and_character_columns(where, expected):
    located = locate(HAND_MADE)
    assert located.position(where) == Position(*expected)
    assert located.value == json.loads(HAND_MADE)


@pytest.mark.parametrize(
    ("where", "nearest"),
    [
        ("/a/1/missing", (2, 12)),
        ("/a/7", (2, 8)),
        ("/a/x", (2, 8)),
        # Not RFC 6901 array indexes, though str.isdigit() says they are digits: "²" once raised from int().
        ("/a/01", (2, 8)),
        ("/a/\u00b2", (2, 8)),
        ("/a/\u0661", (2, 8)),
        ("/empty/key/deeper", (4, 12)),
        ("/nope", (1, 1)),
    ],
)
def test_a_pointer_to_nothing_gets_its_nearest_enclosing_value(where, nearest):
    assert locate(HAND_MADE).position(where) == Position(*nearest)


@pytest.mark.parametrize(
    ("text", "rule", "line", "column", "where", "words"),
    [
        (
            '{"a": 1,\n "a": 2}',
            "json.duplicate-key",
            2,
            2,
            "/a",
            'key "a" appears twice in one object (first at line 1',
        ),
        ('{"x": [1, {"k": 1, "k": 1}]}', "json.duplicate-key", 1, 20, "/x/1/k", 'key "k" appears twice'),
        ("[1, NaN]", "json.value", 1, 5, "/1", "NaN is not a JSON number"),
        ('{"v": Infinity}', "json.value", 1, 7, "/v", "Infinity is not a JSON number"),
        ('{"v": -Infinity}', "json.value", 1, 7, "/v", "-Infinity is not a JSON number"),
        ("{}\n\n  garbage", "json.syntax", 3, 3, "", "extra text after the JSON value, found 'g'"),
        ("[1, 2,]", "json.syntax", 1, 7, "/2", "expected a JSON value, found ']'"),
        ('{"a": 1,}', "json.syntax", 1, 9, "", "expected a property name in double quotes, found '}'"),
        ('{"a" 1}', "json.syntax", 1, 6, "", "expected ':' after the property name, found '1'"),
        ('{"a": {"b": 1 "c": 2}}', "json.syntax", 1, 15, "/a", "expected ',' or '}' after a property value"),
        ("[1, 2", "json.syntax", 1, 6, "", "expected ',' or ']' after an array item, found the end of the text"),
        ("", "json.syntax", 1, 1, "", "expected a JSON value, found the end of the text"),
        ("{'a': 1}", "json.syntax", 1, 2, "", 'expected a property name in double quotes, found "\'"'),
        ('["abc', "json.syntax", 1, 2, "/0", "unterminated string"),
        ('["a\tb"]', "json.syntax", 1, 4, "/0", "control character '\\t' must be escaped in a string"),
        ('["\\q"]', "json.syntax", 1, 3, "/0", "invalid escape sequence in a string"),
        ("[tru]", "json.syntax", 1, 2, "/0", "expected a JSON value, found 't'"),
        ("// comment\n{}", "json.syntax", 1, 1, "", "expected a JSON value, found '/'"),
        # A top-level array is read an item at a time by load(): as strict as the rest.
        ("[1 2]", "json.syntax", 1, 4, "", "expected ',' or ']' after an array item, found '2'"),
        ("[1,, 2]", "json.syntax", 1, 4, "/1", "expected a JSON value, found ','"),
        ("[1]\n]", "json.syntax", 2, 1, "", "extra text after the JSON value, found ']'"),
        ('[{"a": 1},\n {"b": 1, "b": 2}]', "json.duplicate-key", 2, 11, "/1/b", 'key "b" appears twice'),
        ("[\ufeff1]", "json.syntax", 1, 2, "/0", "expected a JSON value, found '\\ufeff'"),
    ],
)
def test_text_that_is_not_one_strict_json_value_is_an_error_with_a_position(text, rule, line, column, where, words):
    for parse in (locate, load):
        with pytest.raises(JSONTextError) as caught:
            parse(text)
        error = caught.value
        assert (error.rule, error.position, error.pointer) == (rule, Position(line, column), where)
        assert words in error.message


@pytest.mark.skipif(not hasattr(sys, "get_int_max_str_digits"), reason="this Python converts integers of any length")
def test_an_integer_longer_than_python_converts_is_an_error_with_a_position():
    text = "[\n " + "1" * (sys.get_int_max_str_digits() + 1) + "]"
    for parse in (locate, load):
        with pytest.raises(JSONTextError) as caught:
            parse(text)
        error = caught.value
        assert (error.rule, error.position, error.pointer) == ("json.value", Position(2, 2), "/0")
        assert error.message == "a number with more than 4,300 digits is too long to check"


def test_nesting_of_any_depth_is_read_without_recursion():
    depth = 20_000  # far past the interpreter's recursion limit and the C parser's
    text = "[" * depth + "]" * depth
    located = locate(text)
    assert located.position("/0/0/0") == Position(1, 4)
    assert located.position(pointer([0] * (depth - 1))) == Position(1, depth)
    loaded = load(text)  # deeper than the C parser takes: the reader is the fallback, positions included
    assert isinstance(loaded.value, list)
    assert (loaded.start, loaded.items) == (Position(1, 1), (Position(1, 2),))
    with pytest.raises(JSONTextError) as caught:
        locate("[" * depth)
    assert caught.value.position == Position(1, depth + 1)


def test_decode_drops_a_byte_order_mark_and_places_bytes_that_are_not_utf8():
    assert decode(b'\xef\xbb\xbf{"a": 1}') == '{"a": 1}'
    with pytest.raises(JSONTextError) as caught:
        decode('{"a":\n  "caf\u00e9 '.encode() + b'\xff"}')
    assert caught.value.rule == "json.syntax"
    assert caught.value.position == Position(2, 9)
    assert "not UTF-8 text" in caught.value.message
    assert caught.value.pointer is None


@pytest.mark.parametrize(
    ("data", "position", "byte"),
    [(b"\xef\xbb\xbf\xff", (1, 1), "0xff"), (b"\xef\xbb\xbfab\xc3(", (1, 3), "0xc3"), (b"\xef\xbb", (1, 1), "0xef")],
)
def test_bytes_that_are_not_utf8_after_a_byte_order_mark_are_placed_after_it(data, position, byte):
    # Columns count from after the mark, as in the text once decoded; the byte named is the one at fault.
    with pytest.raises(JSONTextError) as caught:
        decode(data)
    assert caught.value.position == Position(*position)
    assert f"(byte {byte})" in caught.value.message


def test_load_says_where_the_value_and_each_item_of_a_top_level_array_start():
    # Hand-made: line 1 is empty (CRLF), a tab counts one column.
    text = '\r\n  [1,\n {"a": [2]},\t"x" ]'
    loaded = load(text)
    assert loaded.value == json.loads(text)
    assert loaded.start == Position(2, 3)
    assert loaded.items == (Position(2, 4), Position(3, 2), Position(3, 14))
    assert load('\n\n {"a": [1]}') == (json.loads('{"a": [1]}'), Position(3, 2), ())
    assert load(" [ ] ") == ([], Position(1, 2), ())


def _files() -> list[Path]:
    return sorted((ROOT / "examples").rglob("*.json"))


@pytest.mark.parametrize("path", _files(), ids=lambda path: path.name)
def test_values_equal_json_loads_on_the_example_files(path):
    text = path.read_text(encoding="utf-8")
    assert locate(text).value == json.loads(text) == load(text).value


def test_values_equal_json_loads_on_the_caliper_corpus(corpus_dir):
    files = sorted(corpus_dir.glob("*.json"))
    assert files
    for path in files:
        text = decode(path.read_bytes())
        assert locate(text).value == json.loads(text), path.name


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20,
)


def _leaves(value: Any, path: tuple[object, ...] = ()) -> list[tuple[tuple[object, ...], Any]]:
    found = [(path, value)]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _leaves(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _leaves(child, (*path, index))
    return found


@settings(max_examples=150, deadline=None)
@given(value=JSON_VALUES, indent=st.sampled_from([None, 0, 2, "\t"]), newline=st.sampled_from(["\n", "\r\n"]))
def test_every_value_is_found_where_its_text_starts(value, indent, newline):
    text = json.dumps(value, indent=indent, ensure_ascii=False).replace("\n", newline)
    located = locate(text)
    assert located.value == value
    loaded = load(text)
    assert loaded.value == value
    assert loaded.start == located.position("")
    items = range(len(value)) if isinstance(value, list) else range(0)
    assert loaded.items == tuple(located.position(f"/{index}") for index in items)
    lines = text.split("\n")  # json.dumps writes no other line break (it escapes "\r" in strings)
    for path, expected in _leaves(value):
        line, column = located.position(pointer(path))
        offset = sum(len(earlier) + 1 for earlier in lines[: line - 1]) + column - 1
        assert json.JSONDecoder().raw_decode(text, offset)[0] == expected


@settings(max_examples=150, deadline=None)
@given(
    value=JSON_VALUES,
    indent=st.sampled_from([None, 0, 2, "\t"]),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    missing=st.lists(st.text(max_size=3) | st.integers(-1, 5).map(str), min_size=1, max_size=3),
)
def test_find_places_a_value_where_locate_does(value, indent, newline, missing):
    # find() walks to one value; locate() places every value: they must agree, on absent values too.
    text = " " + json.dumps(value, indent=indent, ensure_ascii=False).replace("\n", newline)
    located = locate(text)
    for path, _ in _leaves(value):
        for where in (pointer(path), pointer((*path, *missing))):
            assert find(text, where) == located.position(where), where


def test_find_steps_over_nesting_deeper_than_the_json_module_reads():
    text = '{"a": ' + "[" * 100_000 + "]" * 100_000 + ', "b": 1}'
    assert find(text, "/b") == Position(1, 200_014) == locate(text).position("/b")
