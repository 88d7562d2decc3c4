"""Native action formats: answers as the real models write them (from their public prompts and
examples) become deskpilot calls that the registry accepts; what is not an action is an error the
model can read; the native model wrapper queues multi-call answers and drops them when a step fails."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from deskpilot.coords import CoordinateSpace
from deskpilot.errors import ToolCallError, UsageError
from deskpilot.runtime.base import HistoryEntry, ModelReply, ModelRequest
from deskpilot.runtime.formats import action_format, tool_names
from deskpilot.runtime.formats.fara import FaraFormat
from deskpilot.runtime.formats.ui_tars import UiTarsFormat
from deskpilot.runtime.native import NativeModel
from deskpilot.screen import Frame
from deskpilot.tools.registry import ToolRegistry

SPACE = CoordinateSpace.image(1288, 812)
REGISTRY = ToolRegistry()


def wire(calls: list[dict[str, object]]) -> list[dict[str, object]]:
    """The calls as the registry validates them (so a mapping the tools refuse fails here)."""
    return [REGISTRY.validate(call).to_wire() for call in calls]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            "Thought: The Save button is at the bottom right.\n"
            "Action: click(point='<point>1021 745</point>')",
            [{"name": "click", "arguments": {"x": 1021, "y": 745}}],
        ),
        (  # UI-TARS before 1.5: start_box with box tokens
            "Action: left_double(start_box='<|box_start|>(310,92)<|box_end|>')",
            [{"name": "double_click", "arguments": {"x": 310, "y": 92}}],
        ),
        (  # a box: its centre
            "Action: right_single(start_box='[100, 200, 140, 220]')",
            [{"name": "right_click", "arguments": {"x": 120, "y": 210}}],
        ),
        (
            "Action: drag(start_point='<point>10 20</point>', end_point='<point>300 400</point>')",
            [
                {
                    "name": "drag",
                    "arguments": {"start_x": 10, "start_y": 20, "end_x": 300, "end_y": 400},
                }
            ],
        ),
        ("Action: hotkey(key='ctrl s')", [{"name": "key", "arguments": {"keys": "ctrl+s"}}]),
        (
            "Action: type(content='Ada Lovelace\\n')",
            [
                {"name": "type_text", "arguments": {"text": "Ada Lovelace"}},
                {"name": "key", "arguments": {"keys": "enter"}},
            ],
        ),
        (
            "Action: scroll(point='<point>640 400</point>', direction='up')",
            [{"name": "scroll", "arguments": {"x": 640, "y": 400, "dx": 0, "dy": -5}}],
        ),
        (  # no point: the middle of the screenshot
            "Action: scroll(direction='right')",
            [{"name": "scroll", "arguments": {"x": 644, "y": 406, "dx": 5, "dy": 0}}],
        ),
        ("Action: wait()", [{"name": "wait", "arguments": {"seconds": 5.0}}]),
        (
            "Thought: saved.\nAction: finished(content='The file is saved.')",
            [{"name": "done", "arguments": {"answer": "The file is saved."}}],
        ),
    ],
)
def test_ui_tars_answers_become_deskpilot_calls(
    answer: str, expected: list[dict[str, object]]
) -> None:
    calls = UiTarsFormat().calls(answer, SPACE)
    assert wire(calls) == wire(expected)


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ("Thought: I am not sure.", "cannot read the action"),
        ("Action: ", "no action"),
        ("Action: open_app(name='Files')", "unknown action 'open_app'"),
        ("Action: click(point='<point>12</point>')", "click.point: expected"),
        ("Action: click('<point>1 2</point>')", "name(key='value'"),
        ("Action: __import__('os').system('rm -rf ~')", "name(key='value'"),
        ("Action: scroll(direction='sideways')", "down, up, right or left"),
    ],
)
def test_ui_tars_answers_that_are_not_actions_are_errors(answer: str, error: str) -> None:
    with pytest.raises(ToolCallError, match=error.replace("(", r"\(")):
        UiTarsFormat().calls(answer, SPACE)


def tool_call(arguments: dict[str, object], thought: str = "") -> str:
    call = {"name": "computer_use", "arguments": arguments}
    return f"{thought}<tool_call>\n{json.dumps(call)}\n</tool_call>"


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (
            {"action": "left_click", "coordinate": [412, 318]},
            [{"name": "click", "arguments": {"x": 412, "y": 318}}],
        ),
        (
            {"action": "type", "text": "Ada", "coordinate": [500, 120], "press_enter": True},
            [
                {"name": "click", "arguments": {"x": 500, "y": 120}},
                {"name": "type_text", "arguments": {"text": "Ada"}},
                {"name": "key", "arguments": {"keys": "enter"}},
            ],
        ),
        (
            {"action": "type", "text": "new", "delete_existing_text": True},
            [
                {"name": "key", "arguments": {"keys": "ctrl+a"}},
                {"name": "type_text", "arguments": {"text": "new"}},
            ],
        ),
        (
            {"action": "key", "keys": ["Control", "Shift", "T"]},
            [{"name": "key", "arguments": {"keys": "ctrl+shift+T"}}],
        ),
        (
            {"action": "key", "keys": ["ArrowDown"]},
            [{"name": "key", "arguments": {"keys": "down"}}],
        ),
        (  # positive pixels scroll up
            {"action": "scroll", "pixels": 300, "coordinate": [600, 400]},
            [{"name": "scroll", "arguments": {"x": 600, "y": 400, "dy": -3}}],
        ),
        (
            {"action": "scroll", "pixels": -20},
            [{"name": "scroll", "arguments": {"x": 644, "y": 406, "dy": 1}}],
        ),
        (
            {"action": "mouse_move", "coordinate": [5, 6]},
            [{"name": "move", "arguments": {"x": 5, "y": 6}}],
        ),
        ({"action": "wait", "time": 2}, [{"name": "wait", "arguments": {"seconds": 2}}]),
        ({"action": "history_back"}, [{"name": "key", "arguments": {"keys": "alt+left"}}]),
        (
            {"action": "terminate", "status": "success"},
            [{"name": "done", "arguments": {"answer": "the model ended the task: success"}}],
        ),
        (
            {"action": "terminate", "status": "failure"},
            [{"name": "fail", "arguments": {"reason": "the model ended the task: failure"}}],
        ),
    ],
)
def test_fara_tool_calls_become_deskpilot_calls(
    arguments: dict[str, object], expected: list[dict[str, object]]
) -> None:
    answer = tool_call(arguments, "The field is empty; I will type the name.\n")
    assert wire(FaraFormat().calls(answer, SPACE)) == wire(expected)


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ("I will click Save.", "no <tool_call>"),
        (tool_call({"action": "left_click"}), "coordinate \\[x, y\\] is required"),
        (tool_call({"action": "web_search", "query": "x"}), "no desktop counterpart"),
        (tool_call({"action": "fly"}), "computer_use: arguments.action: Input should be"),
        (tool_call({"action": "left_click", "coordinate": [1, 2], "extra": 1}), "extra"),
        ("<tool_call>\n{not json}\n</tool_call>", "computer_use"),
    ],
)
def test_fara_answers_that_are_not_actions_are_errors(answer: str, error: str) -> None:
    with pytest.raises(ToolCallError, match=error):
        FaraFormat().calls(answer, SPACE)


def test_formats_by_name_and_their_grammars() -> None:
    assert action_format("deskpilot") is None and action_format("JSON") is None
    assert isinstance(action_format("UI-TARS"), UiTarsFormat)
    assert isinstance(action_format("fara"), FaraFormat)
    with pytest.raises(UsageError, match="formats: deskpilot, fara, ui_tars"):
        action_format("anthropic")
    every = tool_names(REGISTRY.call_schema())
    assert {"click", "type_text", "done", "fail", "shell"} <= every
    kind, grammar = UiTarsFormat().grammar(SPACE, every)
    assert kind == "lark_grammar" and "X: /[0-9]{1,4}/" in grammar and "call_user()" in grammar
    pointer = frozenset({"click", "right_click"})
    kind, grammar = UiTarsFormat().grammar(SPACE, pointer)
    assert "right_single(" in grammar and "call_user" not in grammar and "hotkey" not in grammar
    kind, grammar = FaraFormat().grammar(SPACE, every)
    assert kind == "lark_grammar" and "%json" in grammar and '"computer_use"' in grammar
    assert "web_search" not in grammar.split("%json")[1]  # no desktop counterpart: never offered
    _, pointer_only = FaraFormat().grammar(SPACE, pointer)
    assert '"const": "left_click"' in pointer_only and '"const": "type"' not in pointer_only
    assert "1288x812" in FaraFormat().instructions(SPACE)
    assert "1288x812" in UiTarsFormat().instructions(SPACE)


class Answers:
    """A backend that answers from a list and records what it was asked."""

    name = "answers"

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked: list[ModelRequest] = []

    def coordinate_space(self, frame: Frame) -> CoordinateSpace:
        return SPACE

    def next_action(self, request: ModelRequest) -> ModelReply:
        self.asked.append(request)
        return ModelReply(text=self.answers.pop(0))

    def close(self) -> None:
        pass


def ask(
    model: NativeModel, history: list[HistoryEntry], task: str = "type Ada into Name"
) -> ModelReply:
    frame = Frame.from_image(Image.new("RGB", (64, 40)))
    request = ModelRequest(task=task, frame=frame, history=tuple(history), tool_schema={})
    return model.next_action(request)


def test_the_native_model_asks_in_the_format_and_queues_the_rest() -> None:
    typing = tool_call({"action": "type", "text": "Ada", "coordinate": [5, 6], "press_enter": True})
    inner = Answers(typing, tool_call({"action": "terminate", "status": "success"}))
    model = NativeModel(inner, FaraFormat())
    history: list[HistoryEntry] = []
    names = []
    for step in range(1, 5):
        reply = ask(model, history)
        names.append(json.loads(reply.text)["name"])
        history.append(HistoryEntry(step=step, call=reply.text, observation="ok"))
    assert names == ["click", "type_text", "key", "done"]
    assert len(inner.asked) == 2  # asked twice: the queue answered the steps between
    assert inner.asked[0].system.startswith("You are a helpful assistant.")
    assert inner.asked[0].grammar is not None and inner.asked[0].grammar[0] == "lark_grammar"
    assert reply.native.startswith("<tool_call>")


def test_a_failed_step_or_a_new_task_drops_the_queue() -> None:
    typing = tool_call({"action": "type", "text": "Ada", "coordinate": [5, 6]})
    inner = Answers(typing, tool_call({"action": "left_click", "coordinate": [7, 8]}), typing)
    model = NativeModel(inner, FaraFormat())
    first = ask(model, [])
    assert json.loads(first.text)["name"] == "click"
    failed = [HistoryEntry(step=1, call=first.text, observation="Error: denied by rule 2")]
    again = ask(model, failed)  # the click failed: the typing that followed it is dropped
    assert json.loads(again.text)["arguments"] == {"x": 7, "y": 8} and len(inner.asked) == 2
    ask(model, [], task="another task")
    assert len(inner.asked) == 3


def test_an_unreadable_answer_is_an_error_the_loop_can_count() -> None:
    model = NativeModel(Answers("Action: teleport()"), UiTarsFormat())
    reply = ask(model, [])
    assert reply.text == "" and "unknown action 'teleport'" in reply.error
    assert reply.native == "Action: teleport()"
