"""Check stage, explaining: a failing python-jsonschema error in the contract's words.

Each leaf error becomes :class:`~caliper_contract.report.Violation` objects with
a catalogue rule id, a JSON Pointer and a message a person can act on: "is not
valid under any of the given schemas" is replaced by the real errors of the
branch the value was meant for, missing and unknown properties point where a
person looks, and near misses get a suggestion.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from caliper_contract import profile
from caliper_contract._jsonvalue import show
from caliper_contract._nearmiss import closest
from caliper_contract._patterns import MATCH_TIMEOUT, search, timed_out
from caliper_contract.formats import FORMAT_HINTS
from caliper_contract.pointers import pointer
from caliper_contract.report import Violation
from caliper_contract.rules import RULES

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

_KEYWORD_RULES = {
    "required": "openapi.required",
    "type": "openapi.type",
    "format": "openapi.format",
    "const": "openapi.const",
    "enum": "openapi.enum",
    "pattern": "openapi.pattern",
    "additionalProperties": "openapi.additional-properties",
    "minItems": "openapi.min-items",
}
#: A number's bound keywords in words, for a check without an ``x-message`` of its own.
_BOUNDS = {
    "minimum": "{value} is less than {bound}, the smallest value allowed here",
    "maximum": "{value} is greater than {bound}, the largest value allowed here",
    "exclusiveMinimum": "{value} is not greater than {bound}, as a value here must be",
    "exclusiveMaximum": "{value} is not less than {bound}, as a value here must be",
}
_JSON_TYPES = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    type(None): "null",
    int: "number",
    float: "number",
}


def to_violations(
    error: ValidationError,
    layer: str,
    location: str,
    trail: Sequence[dict[str, Any]],
    rule_schema: dict[str, Any] | None,
    prefix: tuple[object, ...],
    instance: Any,
) -> Iterator[tuple[str, Violation]]:
    """One leaf error of python-jsonschema as violations, each with what it is about (see :func:`target`).

    ``layer`` is "openapi" (rules by keyword) or "timeback-profile" (rules by the
    nearest ``x-rule``, ``rule_schema``); ``trail`` is the schemas passed to reach
    the failing keyword at ``location``; ``instance`` is the value the schema
    was applied to (at ``prefix``).
    """
    if layer == "openapi":
        rule = _KEYWORD_RULES.get(str(error.validator), "openapi.schema")
    elif rule_schema is not None:
        rule = rule_schema["x-rule"]
    else:  # every check in the profile schema names its rule; a test keeps it so
        raise AssertionError(f"profile schema check without x-rule at {location}")
    severity = RULES[rule].severity
    path = (*prefix, *error.absolute_path)
    # (unevaluatedProperties is reported whole: which keys are unevaluated depends on
    # every schema applied to the object, not on this one's properties.)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        for key in unexpected_keys(error.instance, error.schema):
            yield (
                target(path, key),
                Violation(pointer((*path, key)), rule, severity, unknown_property(key, known), location),
            )
        return
    if rule == "timeback.unknown-property":  # additionalProperties: {not: true}: path ends at the key
        yield _unknown_or_misnamed(error, path, trail, location, instance)
        return
    if rule_schema is not None and "x-message" in rule_schema:
        words = rule_schema["x-message"].format(value=show(error.instance))
    else:
        words = message(error)
    if error.validator == "required":
        missing = missing_property(error)
        yield target(path, missing), Violation(pointer(path), rule, severity, words, location)
    else:
        yield pointer(path), Violation(pointer(path), rule, severity, words, location)


def _unknown_or_misnamed(
    error: ValidationError, path: tuple[object, ...], trail: Sequence[dict[str, Any]], location: str, instance: Any
) -> tuple[str, Violation]:
    """A property the Timeback profile does not document, or a documented one under another name.

    A key that is a near miss (see :mod:`caliper_contract._nearmiss`) of a
    property the profile documents for this object, while that property is
    absent, is the documented property misnamed: Timeback ignores it, so its
    value is lost.  That violation is about the documented property (its
    target), so it also stands for "missing required property" there.
    """
    key = str(path[-1])
    names = documented(trail[-2] if len(trail) >= 2 else {}, key)
    meant = closest(key, names)
    holder = _at(instance, list(error.absolute_path)[:-1])
    if meant is not None and isinstance(holder, dict) and meant not in holder:
        misnamed = "timeback.misnamed-property"
        words = f"{show(key)} is not read by Timeback; did you mean {show(meant)}?"
        return target(path[:-1], meant), Violation(pointer(path), misnamed, RULES[misnamed].severity, words, location)
    unknown = "timeback.unknown-property"
    words = unknown_property(key, names)
    return pointer(path), Violation(pointer(path), unknown, RULES[unknown].severity, words, location)


def documented(parent: Any, key: str) -> list[str]:
    """The properties the profile schema ``parent`` documents for an object, but ``key``: what ``key`` may stand for."""
    properties = parent.get("properties", {}) if isinstance(parent, dict) else {}
    return [name for name, schema in properties.items() if name != key and _readable(schema)]


def _readable(schema: Any) -> bool:
    """Whether a property schema documents the property, rather than refusing it as unknown here."""
    return not (isinstance(schema, dict) and schema.get("x-rule") == "timeback.unknown-property")


def _at(instance: Any, tokens: Iterable[Any]) -> Any:
    for token in tokens:
        instance = instance[token]
    return instance


def target(path: tuple[object, ...], key: object) -> str:
    # What a violation is about, for deduplication: a missing or unknown
    # property is about that property, even though its path is the object.
    return pointer((*path, key))


def explain(error: ValidationError) -> Iterator[ValidationError]:
    """Replace "not valid under any of the given schemas" by the real errors of one branch."""
    if error.validator not in ("anyOf", "oneOf") or not error.context:
        yield error
        return
    branch = _choose_branch(error)
    depth = len(error.absolute_schema_path)
    for sub in error.context:
        if _branch_of(sub, depth) == branch:
            yield from explain(sub)


def _branch_of(error: ValidationError, depth: int) -> int | None:
    """Which branch of an anyOf/oneOf (at ``depth``) an error of its context comes from.

    None for a `false` branch: python-jsonschema gives its error no index.
    """
    path = error.absolute_schema_path
    return int(path[depth]) if len(path) > depth else None


def _choose_branch(error: ValidationError) -> int | None:
    branches: list[Any] = list(error.validator_value)  # type: ignore[arg-type]  # set: this is an anyOf/oneOf error
    instance = error.instance
    names = [_ref_name(branch) for branch in branches]
    discriminator = error.schema.get("discriminator") if isinstance(error.schema, dict) else None
    if isinstance(discriminator, dict) and isinstance(instance, dict):
        value = instance.get(discriminator.get("propertyName"))
        target = (discriminator.get("mapping") or {}).get(value) if isinstance(value, str) else None
        for index, branch in enumerate(branches):
            ref = branch.get("$ref") if isinstance(branch, dict) else None
            if ref is not None and (ref == target or (target is None and names[index] == value)):
                return index
    static = profile.static_branch(names, instance)
    if static is not None:
        return static
    from jsonschema.exceptions import best_match

    depth = len(error.absolute_schema_path)
    # A `false` branch explains nothing ("False schema does not allow ..."): any other is a better story.
    errors = [sub for sub in error.context if _branch_of(sub, depth) is not None] or error.context
    return _branch_of(best_match(errors), depth)


def _ref_name(schema: Any) -> str | None:
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def unexpected_keys(instance: dict[str, Any], schema: Any) -> list[str]:
    schema = schema if isinstance(schema, dict) else {}
    known = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    return [key for key in instance if key not in known and not any(search(pattern, key) for pattern in patterns)]


def missing_property(error: ValidationError) -> str:
    # jsonschema reports one error per missing property, naming it in the message only.
    names: list[Any] = list(error.validator_value)  # type: ignore[arg-type]  # set: this is a `required` error
    for name in names:
        if isinstance(error.instance, dict) and name not in error.instance and error.message.startswith(repr(name)):
            return str(name)
    return str(names[0])


def _json_type(value: object) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _suggest(value: object, options: Iterable[object]) -> str:
    """`; did you mean "X"?` for a near miss, else nothing."""
    if not isinstance(value, str):
        return ""
    meant = closest(value, (option for option in options if isinstance(option, str)))
    return f"; did you mean {show(meant)}?" if meant is not None else ""


def unknown_property(key: str, known: Iterable[object]) -> str:
    return f"unknown property {show(key)}{_suggest(key, known)}"


def message(error: ValidationError) -> str:
    keyword = error.validator
    expected: Any = error.validator_value
    value: Any = error.instance
    if keyword == "required":
        return f"missing required property {show(missing_property(error))}"
    if keyword == "type":
        wanted = " or ".join(expected) if isinstance(expected, list) else str(expected)
        got = _json_type(value)
        return f"expected {wanted}, got {got}" + ("" if isinstance(value, (dict, list)) else f" {show(value)}")
    if keyword == "format":
        return f"{show(value)} is not a valid {expected}: expected {FORMAT_HINTS.get(str(expected), str(expected))}"
    if keyword == "const":
        return f"expected {show(expected)}, got {show(value)}{_suggest(value, [expected]) if value != expected else ''}"
    if keyword == "enum":
        options = ", ".join(show(option) for option in expected[:12]) + (", ..." if len(expected) > 12 else "")
        return f"{show(value)} is not one of {options}{_suggest(value, expected)}"
    if keyword == "pattern":
        if timed_out(expected, value):
            return (
                f"{show(value)} could not be matched against the pattern {expected} within {MATCH_TIMEOUT} s "
                "(the pattern backtracks too much), so it counts as not matching"
            )
        return f"{show(value)} does not match the pattern {expected}"
    if keyword == "minItems":
        return f"expected at least {expected} item(s), got {len(value)}"
    if keyword in _BOUNDS:
        return _BOUNDS[str(keyword)].format(value=show(value), bound=show(expected))
    if keyword is None:  # the schema `false`
        return f"no value is allowed here (the schema is false), got {show(value)}"
    return error.message
