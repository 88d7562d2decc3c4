"""Schemas generated from the action models, and validation that names the field and the reason."""

from __future__ import annotations

import json

import jsonschema
import pytest

from deskpilot.coords import CoordinateSpace
from deskpilot.errors import ToolCallError, UsageError
from deskpilot.runtime.guidance import guided_schema, quoted_spans, word_runs
from deskpilot.tools import BUILTIN_ACTIONS, ToolRegistry
from deskpilot.tools.actions import Click, Key, Scroll, TypeText
from tests.unit.conftest import call

REQUIRED_TOOLS = {
    "click", "double_click", "right_click", "move", "drag", "scroll", "type_text", "key", "wait",
    "screenshot", "shell", "done",
}  # fmt: skip


def test_registry_has_every_required_tool() -> None:
    assert set(ToolRegistry().names()) >= REQUIRED_TOOLS


@pytest.mark.parametrize("action", BUILTIN_ACTIONS, ids=lambda a: a.name)
def test_tool_schema_is_generated_from_its_model_and_closed(action: type) -> None:
    registry = ToolRegistry()
    schema = registry.tool_schema(action.name)
    assert schema == action.model_json_schema()
    assert schema["additionalProperties"] is False
    assert schema["description"] == " ".join(action.__doc__.split()) or schema["description"]
    jsonschema.Draft202012Validator.check_schema(schema)


def test_call_schema_accepts_valid_calls_and_rejects_invalid_ones() -> None:
    schema = ToolRegistry().call_schema()
    validator = jsonschema.Draft202012Validator(schema)
    good = [
        {"name": "click", "arguments": {"x": 1, "y": 2, "button": "right", "clicks": 2}},
        {"name": "key", "arguments": {"keys": "ctrl+shift+t"}},
        {"name": "done", "arguments": {}},
        {"name": "drag", "arguments": {"start_x": 1, "start_y": 2, "end_x": 3, "end_y": 4}},
    ]
    bad = [
        {"name": "click", "arguments": {"x": 1}},
        {"name": "click", "arguments": {"x": 1, "y": 2, "z": 3}},
        {"name": "click", "arguments": {"x": 1, "y": 2}, "extra": 1},
        {"name": "nope", "arguments": {}},
        {"name": "key", "arguments": {"keys": "ctrl+nosuchkey"}},
        {"name": "click", "arguments": {"x": 1, "y": 2, "clicks": 4}},
    ]
    for value in good:
        assert validator.is_valid(value), value
    for value in bad:
        assert not validator.is_valid(value), value


def test_call_schema_for_a_subset_names_only_those_tools() -> None:
    schema = ToolRegistry().call_schema(["click", "done"])
    text = json.dumps(schema)
    assert '"click"' in text and '"done"' in text and '"shell"' not in text


def test_parse_returns_the_typed_action() -> None:
    parsed = ToolRegistry().parse(call("click", x=10, y=20, button="middle"))
    assert parsed.action == Click(x=10, y=20, button="middle")
    assert parsed.to_wire() == {
        "name": "click",
        "arguments": {"x": 10, "y": 20, "button": "middle"},
    }


def test_parse_takes_the_call_out_of_prose_and_code_fences() -> None:
    text = 'I will type now.\n```json\n{"name": "type_text", "arguments": {"text": "hi"}}\n```'
    assert ToolRegistry().parse(text).action == TypeText(text="hi")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "empty output"),
        ("not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"name": "clik", "arguments": {}}', "unknown tool 'clik'"),
        ('{"name": 3, "arguments": {}}', "name: expected the tool name"),
        ('{"name": "click"}', "arguments: missing"),
        ('{"name": "click", "arguments": [1]}', "arguments: expected an object"),
        ('{"name": "click", "arguments": {"x": 1}}', "missing required field 'y'"),
        (call("click", x=1, y=2, z=3), "unexpected field 'z'"),
        (call("click", x="1", y=2), "arguments.x: expected integer, got str"),
        (call("click", x=1.5, y=2), "arguments.x: expected integer"),
        (call("click", x=-1, y=2), "arguments.x"),
        (call("click", x=1, y=2, button="left-ish"), "arguments.button"),
        (call("scroll", x=1, y=2), "a scroll must move"),
        (call("key", keys="ctrl+a+b"), "only modifiers"),
        (call("key", keys="hyper+x"), "unknown key 'hyper'"),
        (call("type_text", text="a\x1b[2Jb"), "forbidden character U+001B at index 1"),
        (call("type_text", text="safe\u202etxt.exe"), "forbidden character U+202E"),
        (call("type_text", text="zero\u200bwidth"), "forbidden character U+200B"),
        (call("type_text", text=""), "arguments.text"),
        (call("wait", seconds=0), "arguments.seconds"),
        ('{"name": "click", "name": "done", "arguments": {}}', "duplicate key 'name'"),
        ('{"name": "click", "arguments": {"x": NaN, "y": 1}}', "NaN is not allowed"),
        ('{"name": "click", "arguments": {"x": Infinity, "y": 1}}', "Infinity is not allowed"),
        ('{"name": "click", "arguments": {"x": 1, "y": 2}, "why": 1}', "unexpected key"),
        ('{"a": ' * 50 + "1" + "}" * 50, "nested deeper"),
        ('{"name": "type_text", "arguments": {"text": "' + "a" * 20_000 + '"}}', "exceeds"),
    ],
)
def test_every_rejection_names_the_field_and_the_reason(text: str, expected: str) -> None:
    with pytest.raises(ToolCallError, match=None) as info:
        ToolRegistry().parse(text)
    assert expected in str(info.value)


def test_valid_key_combinations_parse_to_canonical_names() -> None:
    registry = ToolRegistry()
    for combo in ["ctrl+s", "Return", "alt+F4", "ctrl+shift+t", "Escape", "super+l", "A", "plus"]:
        action = registry.parse(call("key", keys=combo)).action
        assert isinstance(action, Key)


def test_registering_a_duplicate_name_is_an_error() -> None:
    registry = ToolRegistry()
    with pytest.raises(UsageError, match="already registered"):
        registry.register(Scroll)


def test_a_tool_without_a_docstring_is_refused() -> None:
    class Nameless(Click):
        name = "nameless"

    Nameless.__doc__ = None
    with pytest.raises(UsageError, match="no docstring"):
        ToolRegistry().register(Nameless)


@pytest.mark.parametrize(
    ("task", "spans"),
    [
        ('type "Ada Lovelace" into Name', ["Ada Lovelace"]),
        ('type \u201cAda\u201d, then "Bo" and "Ada" again', ["Ada", "Bo"]),
        ("click Save", []),
        ('an empty "" or blank "  " quote quotes nothing', []),
    ],
)
def test_quoted_spans_are_the_double_quoted_texts_in_order(task: str, spans: list[str]) -> None:
    assert quoted_spans(task) == spans


def test_word_runs_are_every_run_of_the_tasks_words_as_written() -> None:
    runs = word_runs("copy ada  lovelace, into Name.")  # no "type": every run
    assert runs[:5] == ["copy", "ada", "lovelace,", "lovelace", "into"]  # a comma dropped too
    assert "ada  lovelace" in runs and "ada lovelace" not in runs  # spacing as written
    assert "Name." in runs and "Name" in runs and "copy ada  lovelace, into Name." in runs
    assert len(runs) == len(set(runs))
    assert all(len(run.split()) <= 2 for run in word_runs("a b c d e", max_words=2))
    assert word_runs("") == [] and word_runs("   ") == []


def test_word_runs_where_the_task_says_what_to_type_are_only_that_text() -> None:
    # the text after "type", up to "into": a key name in it ("tab") is still part of it
    assert word_runs("type forcleatpion fouxsoux tab into Network reload") == [
        "forcleatpion fouxsoux tab"
    ]
    assert word_runs("type meet in the park into Notes") == ["meet", "meet in the park"]
    assert word_runs("Type ada  lovelace, into Name.") == ["ada  lovelace,", "ada  lovelace"]
    assert word_runs("enter hello then press enter") == ["hello"]
    assert word_runs("write it down") == ["it down"]
    assert "Save" in word_runs("click Save")  # no text to type said: every run, as before


def _text_schema(schema: dict[str, object]) -> dict[str, object]:
    defs = schema["$defs"]
    assert isinstance(defs, dict)
    return dict(defs["TypeText"]["properties"]["text"])


def test_quoted_text_is_the_only_text_guided_decoding_may_type() -> None:
    registry = ToolRegistry()
    space = CoordinateSpace.normalized()
    guided = guided_schema(registry.call_schema(), space, 120, ["Ada Lovelace", "Bo"])
    assert _text_schema(guided) == {"type": "string", "enum": ["Ada Lovelace", "Bo"]}
    assert "x-copies" not in json.dumps(guided)  # the marks never reach the decoder
    validator = jsonschema.Draft202012Validator(guided)
    assert validator.is_valid(json.loads(call("type_text", text="Bo")))
    assert not validator.is_valid(json.loads(call("type_text", text="Ada Loveley")))
    # other strings stay free: an answer is not bound to the quotes
    assert validator.is_valid(json.loads(call("done", answer="typed Ada Lovelace into Name")))


def test_without_quotes_or_with_only_unsafe_quotes_typed_text_stays_free() -> None:
    registry = ToolRegistry()
    space = CoordinateSpace.normalized()
    for quoted in ([], ["bell \x07 here"]):  # a control character can never be typed
        text = _text_schema(guided_schema(registry.call_schema(), space, 120, quoted))
        assert "enum" not in text and text["maxLength"] == 120 and text["type"] == "string"


def test_a_scroll_that_does_not_turn_the_wheel_is_outside_the_schema_decoding_reads() -> None:
    # the validator refuses dx = dy = 0; constrained decoding reads only the schema, so the
    # schema says it too (a half-trained default model ended scrolls after x and y: 10 of 10
    # invalid before, 0 after)
    registry = ToolRegistry()
    space = CoordinateSpace.normalized()
    for schema in (
        registry.call_schema(),
        guided_schema(registry.call_schema(), space, 120),
        guided_schema(registry.call_schema(), space, 120, points=[(500, 400), (120, 80)]),
    ):
        validator = jsonschema.Draft202012Validator(schema)
        for arguments in ({}, {"dy": 0}, {"dx": 0, "dy": 0}):
            call = {"name": "scroll", "arguments": {"x": 500, "y": 400, **arguments}}
            assert not validator.is_valid(call), (arguments, schema.get("x-guidance"))
            with pytest.raises(ToolCallError):
                registry.parse(json.dumps(call))
        for arguments in ({"dy": 5}, {"dy": -50}, {"dx": 3}, {"dx": -1, "dy": 0}):
            call = {"name": "scroll", "arguments": {"x": 500, "y": 400, **arguments}}
            assert validator.is_valid(call), arguments
            registry.parse(json.dumps(call))
