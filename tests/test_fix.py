"""The library's fixes: fix() on parsed values and JSON text, what is never a fix, and the text edits.

What each fix does is compared with values written down in tests/fixable.py;
the command line's side (files, --diff, the hook) is in tests/test_cli_fix.py.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caliper_contract import RULES, AppliedFix, Fix, Fixed, fix, fix_event, validate
from caliper_contract._fixes import Fixer, fix_text, in_utc
from caliper_contract._jsonedit import Change, apply, replacements
from caliper_contract._jsontext import spans
from caliper_contract.rules import FixKind
from caliper_contract.strategies import invalid_envelopes
from tests import fixable, seeds

FIXABLE, SAFE, UNSAFE = fixable.FIXABLE, fixable.SAFE, fixable.UNSAFE


def rules_at(payload: Any, path: str) -> set[str]:
    return {v.rule for v in validate(payload) if v.path == path}


# -- the catalogue declares the fixes ---------------------------------------------------------------


def test_the_catalogue_declares_each_kind_of_fix_and_every_fix_has_an_expected_outcome():
    kinds = {RULES[rule_id].fix.kind for rule_id in FIXABLE}  # type: ignore[union-attr]
    assert kinds == set(FixKind.__args__)  # type: ignore[attr-defined]
    assert set(fixable.AFTER) == set(FIXABLE)
    assert set(SAFE) == {
        "openapi.pattern",
        "envelope.send-time-utc",
        "timeback.event.id",
        "timeback.null",
        "timeback.misnamed-property",
    }
    assert all(RULES[rule_id].fix.kind == "allowed-value" for rule_id in UNSAFE)  # type: ignore[union-attr]
    # No JSON-text rule and no rule about numbers has a fix.
    for rule in RULES.values():
        if rule.family == "json" or "metric.value" in rule.id or "count" in rule.id or "attempt" in rule.id:
            assert rule.fix is None, rule.id
    assert isinstance(RULES["timeback.null"].fix, Fix)


@pytest.mark.parametrize("rule_id", FIXABLE)
def test_each_example_breaks_its_rule_alone_and_its_fix_gives_the_expected_envelope(rule_id):
    envelope = fixable.broken(rule_id)
    path = fixable.example(rule_id).path
    assert rule_id in rules_at(envelope, path)
    untouched = copy.deepcopy(envelope)
    result = fix(envelope, unsafe=True)
    assert envelope == untouched  # the payload given is never changed
    assert result.value == fixable.fixed(rule_id)
    assert json.dumps(result.value) == json.dumps(fixable.fixed(rule_id))  # key order kept too
    (applied,) = result.fixes
    assert (applied.rule, applied.path, applied.safe) == (rule_id, path, rule_id in SAFE)
    assert rule_id not in {v.rule for v in validate(result.value)}
    assert fix(result.value, unsafe=True).fixes == ()  # a second fix changes nothing


@pytest.mark.parametrize("rule_id", UNSAFE)
def test_unsafe_fixes_are_made_only_when_asked(rule_id):
    envelope = fixable.broken(rule_id)
    result = fix(envelope)
    assert result == Fixed(envelope, ())
    assert result.value is envelope


def test_what_a_fix_reports_before_and_after():
    result = fix(fixable.broken("timeback.misnamed-property"))
    assert result.fixes == (
        AppliedFix("timeback.misnamed-property", "/data/0/generated/items/0/sub_type", "rename", "sub_type", "subType"),
    )
    assert (
        str(result.fixes[0]) == '/data/0/generated/items/0/sub_type: renamed to "subType" [timeback.misnamed-property]'
    )
    (removal,) = fix(fixable.broken("timeback.null")).fixes
    assert (removal.action, removal.before, removal.after) == ("remove", None, None)
    (utc,) = fix(fixable.broken("envelope.send-time-utc")).fixes
    assert str(utc) == (
        '/sendTime: "2024-04-24T16:12:05.000+02:00" became "2024-04-24T14:12:05.000Z" [envelope.send-time-utc]'
    )
    value, fixes = fix(seeds.activity())  # a named tuple
    assert (value, fixes) == (seeds.activity(), ())


# -- what is never a fix -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "rule"),
    [
        (("actor", "email"), "timeback.actor.email"),  # required by the profile
        (("object", "app"), "timeback.object.app"),  # required, as the live API behaves
        (("object", "course"), "timeback.object.course"),  # asked for (a warning) on an ActivityEvent
        (("generated",), "timeback.generated"),
        (("object",), "openapi.required"),  # required by the OpenAPI Event schema
        (("profile",), "timeback.profile"),
    ],
)
def test_a_null_on_a_required_property_is_never_removed(where, rule):
    envelope = seeds.activity()
    holder = envelope["data"][0]
    for key in where[:-1]:
        holder = holder[key]
    holder[where[-1]] = None
    path = "/data/0/" + "/".join(where)
    assert "timeback.null" in rules_at(envelope, path)
    result = fix(envelope, unsafe=True)
    assert result.fixes == ()
    # Removed by hand, the key's absence breaks the rule that requires it.
    del holder[where[-1]]
    assert rule in {v.rule for v in validate(envelope)}


def test_nulls_on_properties_that_are_not_required_are_removed_and_null_items_of_arrays_stay():
    envelope = seeds.activity()
    event = envelope["data"][0]
    event["extensions"] = {"note": None, "keep": 1}
    event["object"]["activity"] = {"name": None, "id": None}
    event["generated"]["items"].append(None)
    result = fix(envelope)
    assert sorted(applied.path for applied in result.fixes) == [
        "/data/0/extensions/note",
        "/data/0/object/activity/id",
        "/data/0/object/activity/name",
    ]
    fixed_event = result.value["data"][0]
    assert fixed_event["extensions"] == {"keep": 1}
    assert fixed_event["object"]["activity"] == {}
    assert fixed_event["generated"]["items"][-1] is None  # an array item is not a property
    assert [v.path for v in validate(result.value) if v.rule == "timeback.null"] == ["/data/0/generated/items/4"]


def test_of_two_nulls_in_one_object_the_one_that_may_go_goes_and_the_required_one_stays():
    envelope = seeds.activity()
    envelope["data"][0]["object"]["course"] = {"id": None, "name": None}  # a course must have an id
    result = fix(envelope)
    assert [applied.path for applied in result.fixes] == ["/data/0/object/course/name"]
    assert result.value["data"][0]["object"]["course"] == {"id": None}
    assert fix(result.value).fixes == ()


def test_numbers_are_never_changed():
    envelope = seeds.activity()
    items = envelope["data"][0]["generated"]["items"]
    items[0]["value"] = "10"  # a numeric string
    items[1]["value"] = -3  # a negative count
    items[2]["value"] = True
    assert fix(envelope, unsafe=True).fixes == ()


def test_values_off_by_more_than_case_and_surrounding_spaces_are_not_fixed():
    for subject in ("Maths", "Social-Studies", "read ing", "", "Readin"):
        envelope = seeds.activity()
        envelope["data"][0]["object"]["subject"] = subject
        assert fix(envelope, unsafe=True).fixes == (), subject
    envelope = seeds.activity()
    envelope["data"][0]["object"]["subject"] = "  social studies\t"
    assert fix(envelope, unsafe=True).value["data"][0]["object"]["subject"] == "Social Studies"


def test_a_profile_other_than_timeback_under_timeback_types_is_not_fixed():
    envelope = seeds.activity()
    envelope["data"][0]["profile"] = "GeneralProfile"
    assert fix(envelope, unsafe=True).fixes == ()


def test_a_prefix_that_would_repeat_another_events_id_is_not_made():
    envelope = fixable.broken("openapi.pattern")
    bare = envelope["data"][1]["id"]
    envelope["data"][0]["id"] = f"urn:uuid:{bare}"
    result = fix(envelope)
    assert result.fixes == ()
    assert "envelope.duplicate-event-id" not in {v.rule for v in validate(result.value)}


def test_a_bare_uuid_that_is_not_an_rfc_4122_one_is_not_prefixed_on_a_timeback_event():
    envelope = seeds.activity()
    envelope["data"][0]["id"] = "c51570e4-f8ed-4c18-7b3a-dfe51b2cc594"  # variant 0
    assert fix(envelope).fixes == ()
    envelope["data"][0]["id"] = "not-a-uuid"
    assert fix(envelope).fixes == ()


def test_only_event_ids_get_the_urn_uuid_prefix():
    envelope = seeds.activity()
    envelope["data"][0]["generated"]["id"] = "c51570e4-f8ed-4c18-bb3a-dfe51b2cc594"  # any string will do there
    envelope["data"][0]["id"] = "c51570e4-f8ed-4c18-bb3a-dfe51b2cc594"
    result = fix(envelope)
    assert [applied.path for applied in result.fixes] == ["/data/0/id"]
    assert result.value["data"][0]["generated"]["id"] == "c51570e4-f8ed-4c18-bb3a-dfe51b2cc594"


# -- renaming ----------------------------------------------------------------------------------------------


def test_a_rename_keeps_the_keys_place_and_the_value_is_then_checked_under_its_documented_name():
    envelope = seeds.activity()
    actor = envelope["data"][0]["actor"]
    actor["Email"] = "student.example.com"
    del actor["email"]
    actor["name"] = "Ada"
    result = fix(envelope)
    assert list(result.value["data"][0]["actor"]) == ["id", "type", "email", "name"]
    assert [(v.path, v.rule) for v in validate(result.value)] == [("/data/0/actor/email", "timeback.actor.email")]


def test_two_keys_that_both_stand_for_one_documented_property_are_not_renamed():
    envelope = seeds.time_spent()
    metric = envelope["data"][0]["generated"]["items"][0]
    metric["sub_type"] = "eating"
    metric["SubType"] = "sleeping"
    assert fix(envelope).fixes == ()


def test_a_null_inside_a_renamed_property_is_removed_and_reported_where_it_was():
    envelope = seeds.activity()
    context = envelope["data"][0]["object"]
    context["App"] = {"name": "Reader", "id": None}
    del context["app"]
    result = fix(envelope)
    assert [(a.rule, a.path) for a in result.fixes] == [
        ("timeback.misnamed-property", "/data/0/object/App"),
        ("timeback.null", "/data/0/object/App/id"),  # the path in the payload as given
    ]
    assert result.value["data"][0]["object"]["app"] == {"name": "Reader"}
    assert validate(result.value).violations == ()


# -- UTC --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "utc"),
    [
        ("2024-04-24T16:12:05.000+02:00", "2024-04-24T14:12:05.000Z"),
        ("2024-04-24T16:12:05+02:00", "2024-04-24T14:12:05Z"),  # no fraction: none added
        ("2024-04-24T16:12:05.123456789+02:00", "2024-04-24T14:12:05.123456789Z"),  # nanoseconds kept
        ("2024-01-01T01:30:00.5+05:30", "2023-12-31T20:00:00.5Z"),  # across a year
        ("2024-02-28T22:00:00-05:00", "2024-02-29T03:00:00Z"),  # a leap day
        ("2024-04-24t16:12:05-00:30", "2024-04-24t16:42:05Z"),  # the separator as written
        ("0001-01-01T00:30:00+01:00", None),  # before year 1 in UTC
        ("2024-04-24T16:12:05Z", None),  # UTC already
        ("2016-12-31T23:59:60+00:00", None),  # a leap second has no Python form
        ("yesterday", None),
    ],
)
def test_a_time_in_utc_is_the_same_instant_to_the_same_precision(written, utc):
    assert in_utc(written) == utc


def test_send_time_at_another_offset_is_fixed_and_event_time_is_left_as_it_is():
    envelope = seeds.activity()
    envelope["sendTime"] = "2024-04-24T09:12:05.000-05:00"
    envelope["data"][0]["eventTime"] = "2024-04-24T09:12:00.000-05:00"  # any offset is fine there
    result = fix(envelope)
    assert result.value["sendTime"] == "2024-04-24T14:12:05.000Z"
    assert result.value["data"][0]["eventTime"] == "2024-04-24T09:12:00.000-05:00"


# -- what fix() takes ------------------------------------------------------------------------------------------


def test_ignored_rules_are_not_fixed():
    envelope = fixable.broken("envelope.send-time-utc")
    assert fix(envelope, ignore=["envelope.send-time-utc"]).fixes == ()
    assert Fixer(select=["timeback.null"]).fix(envelope).fixes == ()


def test_fix_event_fixes_one_event_with_paths_relative_to_it():
    event = fixable.broken("timeback.null")["data"][0]
    result = fix_event(event)
    assert [applied.path for applied in result.fixes] == ["/object/activity/name"]
    assert "name" not in result.value["object"]["activity"]


def test_json_text_is_fixed_as_text_its_formatting_kept():
    envelope = fixable.broken("envelope.send-time-utc")
    text = json.dumps(envelope, indent="\t").replace("\n", "\r\n")
    result = fix(text)
    assert result.value == text.replace("16:12:05.000+02:00", "14:12:05.000Z")
    data = b"\xef\xbb\xbf" + text.encode()
    assert fix(data).value == data.replace(b"16:12:05.000+02:00", b"14:12:05.000Z")  # the byte order mark stays
    for broken in ('{"sendTime": "2024-04-24T16:12:05+02:00",}', b"\xff", ""):
        assert fix(broken) == Fixed(broken, ())


def test_values_that_are_not_json_give_no_fix_and_no_error():
    for value in (None, 3, [], {"sendTime": float("nan")}, {1: None}):
        assert fix(value).fixes == ()


# -- the text edits ---------------------------------------------------------------------------------------------

STYLES = {
    "two": {"indent": 2},
    "tabs": {"indent": "\t"},
    "minified": {"separators": (",", ":")},
    "spaced": {"separators": (" ,  ", " : ")},
}


@pytest.mark.parametrize("style", STYLES)
def test_removing_any_set_of_properties_leaves_the_object_as_written_without_them(style):
    holder = {"a": None, "b": [1, {"c": None}], "c": None, "d": "x"}
    options = STYLES[style]
    text = json.dumps({"before": 0, "holder": holder, "after": 0}, **options)
    for size in range(len(holder) + 1):
        for gone in itertools.combinations(holder, size):
            edits = replacements(text, [Change(f"/holder/{key}", "remove") for key in gone])
            left = {key: value for key, value in holder.items() if key not in gone}
            expected = json.dumps({"before": 0, "holder": left, "after": 0}, **options)
            assert apply(text, edits) == expected, gone


def test_renames_and_replacements_change_only_the_key_or_the_value():
    text = '{ "a" :\t"x" ,\r\n  "b":[ 1 ,"y" ] }'
    edits = replacements(
        text, [Change("/a", "rename", "A"), Change("/b/1", "replace", "é"), Change("/a", "replace", 2)]
    )
    assert apply(text, edits) == '{ "A" :\t2 ,\r\n  "b":[ 1 ,"é" ] }'
    with pytest.raises(ValueError, match="overlap"):
        apply(text, [*edits, edits[0]])
    with pytest.raises(ValueError, match="nothing at"):
        replacements(text, [Change("/c", "replace", 1)])


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES, st.sampled_from(list(STYLES.values())), st.booleans())
def test_spans_hold_exactly_the_text_of_each_value_and_key(value, options, ascii_only):
    text = json.dumps(value, ensure_ascii=ascii_only, **options)
    stack = [(spans(text), value)]
    while stack:
        node, expected = stack.pop()
        assert json.loads(text[node.start : node.end]) == expected
        if isinstance(expected, dict):
            assert isinstance(node.children, dict)
            assert list(node.children) == list(expected)
            for key, child in node.children.items():
                assert child.key is not None
                assert json.loads(text[child.key[0] : child.key[1]]) == key
                stack.append((child, expected[key]))
        elif isinstance(expected, list):
            assert isinstance(node.children, list)
            stack.extend(zip(node.children, expected, strict=True))
        else:
            assert node.children is None


# -- fixing generated invalid envelopes, written every which way -------------------------------------------------

FORMATTINGS = st.sampled_from(
    [
        {"indent": 2},
        {"indent": 4},
        {"indent": "\t"},
        {"separators": (",", ":")},
        {"indent": 1, "separators": (" ,", ":  ")},
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(invalid_envelopes(rules=FIXABLE), FORMATTINGS, st.booleans(), st.booleans())
def test_fixing_written_envelopes_mends_what_it_fixes_and_touches_nothing_else(case, options, crlf, ascii_only):
    text = json.dumps(case.envelope, ensure_ascii=ascii_only, **options)
    if crlf:
        text = text.replace("\n", "\r\n")
    fixer = Fixer(unsafe=True)
    new, made = fix_text(text, [("", case.envelope, "envelope")], fixer)
    after = validate(new)
    for item in made:
        applied = item.fix
        assert (applied.rule, applied.path) not in {(v.rule, v.path) for v in after}
        assert isinstance(applied.before, str) or applied.action == "remove"  # never a number
        start, end = item.span
        old = text[start:end]
        if applied.action == "remove":
            key = re.escape(json.dumps(applied.path.rsplit("/", 1)[1], ensure_ascii=ascii_only))
            assert re.fullmatch(rf"\s*,?\s*{key}\s*:\s*null\s*,?\s*", old), old
        else:
            assert json.loads(old) == applied.before
            assert json.loads(item.replacement) == applied.after
    # Outside the replaced spans, every character is where it was.
    rebuilt, at = [], 0
    for item in sorted(made, key=lambda item: item.span):
        rebuilt += [text[at : item.span[0]], item.replacement]
        at = item.span[1]
    assert "".join([*rebuilt, text[at:]]) == new
    if any(applied.fix.rule == case.rule for applied in made):
        assert (case.rule, case.path) not in {(v.rule, v.path) for v in after}
    assert fix_text(new, [("", json.loads(new), "envelope")], fixer)[1] == ()  # a second run changes nothing
