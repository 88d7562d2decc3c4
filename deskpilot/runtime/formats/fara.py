"""Fara-7B: Qwen2.5-VL's function-call template, one ``computer_use`` tool, coordinates in pixels of
the smart-resized screenshot (the family's space):

    <tool_call>
    {"name": "computer_use", "arguments": {"action": "left_click", "coordinate": [x, y]}}
    </tool_call>

Its actions, as deskpilot calls: ``left_click`` -> click, ``mouse_move`` -> move, ``type`` ->
(a click at ``coordinate``,) (``ctrl+a`` to replace what is there,) type_text (, enter),
``key`` -> key, ``scroll`` (pixels, > 0 up) -> scroll, ``wait`` -> wait, ``terminate`` ->
done / fail, and the browser's ``visit_url`` (ctrl+l, the URL, enter), ``history_back``
(alt+left) and ``refresh`` (F5). ``web_search`` and ``pause_and_memorize_fact`` have no desktop
counterpart: the model is told so and asked again.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from deskpilot.coords import CoordinateSpace
from deskpilot.errors import ToolCallError
from deskpilot.keys import canonical_key
from deskpilot.runtime.formats import RawCall, offered

_TOOL_CALL = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>?|$)", re.DOTALL)
WHEEL_PIXELS = 100  # pixels of Fara's scroll per wheel click
MAX_WAIT = 60.0

Action = Literal[
    "key",
    "type",
    "mouse_move",
    "left_click",
    "scroll",
    "visit_url",
    "web_search",
    "history_back",
    "pause_and_memorize_fact",
    "wait",
    "refresh",
    "terminate",
]


Short = Annotated[str, Field(max_length=20)]  # a key's name
Text = Annotated[str, Field(max_length=120)]  # bounded, so that decoding ends
Pixel = Annotated[int, Field(ge=0, le=10_000)]


class FaraArguments(BaseModel):
    """The ``computer_use`` tool's arguments (each action uses some of them)."""

    model_config = ConfigDict(extra="forbid")
    action: Action
    keys: Annotated[list[Short], Field(max_length=4)] | None = None
    text: Text | None = None
    press_enter: bool | None = None
    delete_existing_text: bool | None = None
    coordinate: tuple[Pixel, Pixel] | None = None
    pixels: Annotated[int, Field(ge=-10_000, le=10_000)] | None = None
    url: Text | None = None
    query: Text | None = None
    fact: Text | None = None
    time: Annotated[int, Field(ge=0, le=600)] | None = None
    status: Literal["success", "failure"] | None = None


class FaraCall(BaseModel):
    """One ``<tool_call>``'s JSON."""

    model_config = ConfigDict(extra="forbid")
    name: Literal["computer_use"]
    arguments: FaraArguments


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LeftClick(_Action):
    """Click the left mouse button at ``coordinate``."""

    action: Literal["left_click"]
    coordinate: tuple[Pixel, Pixel]


class MouseMove(_Action):
    """Move the cursor to ``coordinate``."""

    action: Literal["mouse_move"]
    coordinate: tuple[Pixel, Pixel]


class TypeText(_Action):
    """Type ``text`` (at ``coordinate`` first, when given; then Enter, when asked)."""

    action: Literal["type"]
    text: Text
    coordinate: tuple[Pixel, Pixel] | None = None
    press_enter: bool = False


class KeyPress(_Action):
    """Press ``keys`` together."""

    action: Literal["key"]
    keys: Annotated[list[Short], Field(min_length=1, max_length=4)]


class Scroll(_Action):
    """Scroll by ``pixels`` (> 0 up), at ``coordinate`` when given."""

    action: Literal["scroll"]
    pixels: Annotated[int, Field(ge=-10_000, le=10_000)]
    coordinate: tuple[Pixel, Pixel] | None = None


class WaitFor(_Action):
    """Wait ``time`` seconds."""

    action: Literal["wait"]
    time: Annotated[int, Field(ge=1, le=60)]


class Terminate(_Action):
    """End the task."""

    action: Literal["terminate"]
    status: Literal["success", "failure"]


class VisitUrl(_Action):
    """Open ``url`` in the browser."""

    action: Literal["visit_url"]
    url: Text


class HistoryBack(_Action):
    """Go back a page."""

    action: Literal["history_back"]


class Refresh(_Action):
    """Reload the page."""

    action: Literal["refresh"]


# what decoding may produce: each action's model and the deskpilot tools it becomes
# (web_search and pause_and_memorize_fact have no desktop counterpart: never decoded)
_DECODED: dict[str, tuple[type[_Action], frozenset[str]]] = {
    "left_click": (LeftClick, frozenset({"click"})),
    "mouse_move": (MouseMove, frozenset({"move"})),
    "type": (TypeText, frozenset({"type_text"})),
    "key": (KeyPress, frozenset({"key"})),
    "scroll": (Scroll, frozenset({"scroll"})),
    "wait": (WaitFor, frozenset({"wait"})),
    "terminate": (Terminate, frozenset({"done", "fail"})),
    "visit_url": (VisitUrl, frozenset({"key", "type_text"})),
    "history_back": (HistoryBack, frozenset({"key"})),
    "refresh": (Refresh, frozenset({"key"})),
}


INSTRUCTIONS = """You are a helpful assistant.

# Tools

You may call one or more functions to assist with the user query.

You are provided with function signatures within <tools></tools> XML tags:
<tools>
{tool}
</tools>

For each function call, return a json object with function name and arguments within \
<tool_call></tool_call> XML tags:
<tool_call>
{{"name": <function-name>, "arguments": <args-json-object>}}
</tool_call>"""

DESCRIPTION = (
    "Use a mouse and keyboard to interact with a computer, and take screenshots.\n"
    "* This is an interface to a desktop GUI.\n"
    "* The screen's resolution is {width}x{height}.\n"
    "* Make sure to click any buttons, links, icons, etc with the cursor tip in the center of "
    "the element."
)


class FaraFormat:
    """Fara-7B's ``<tool_call>`` answers with the ``computer_use`` tool."""

    name = "fara"

    def instructions(self, space: CoordinateSpace) -> str:
        """The system prompt Fara-7B was trained with: its one tool, with the screen's size."""
        tool = {
            "type": "function",
            "function": {
                "name": "computer_use",
                "description": DESCRIPTION.format(width=space.width, height=space.height),
                "parameters": FaraArguments.model_json_schema(),
            },
        }
        return INSTRUCTIONS.format(tool=json.dumps(tool, ensure_ascii=False))

    def grammar(self, space: CoordinateSpace, tools: frozenset[str]) -> tuple[str, str]:
        """A lark grammar: an optional thought, then one tool call whose arguments are one of the
        actions ``tools`` allow, each with the fields it needs (the schemas generated from the
        action models; never the two with no desktop counterpart)."""
        needs = {name: tools_of for name, (_, tools_of) in _DECODED.items()}
        actions = [
            _on_screen(_DECODED[name][0].model_json_schema(), space)
            for name in offered(needs, tools)
        ]
        call = {
            "x-guidance": {"whitespace_flexible": False},  # no room for endless blanks
            "type": "object",
            "properties": {"name": {"const": "computer_use"}, "arguments": {"anyOf": actions}},
            "required": ["name", "arguments"],
            "additionalProperties": False,
        }
        schema = json.dumps(call)
        grammar = (
            'start: THOUGHT? "<tool_call>\\n" call "\\n</tool_call>"\n'
            "THOUGHT: /[^<]{1,120}/\n"
            f"call: %json {schema}\n"
        )
        return "lark_grammar", grammar

    def calls(self, text: str, space: CoordinateSpace) -> list[RawCall]:
        """Each ``<tool_call>`` in the answer, as deskpilot calls."""
        bodies = _TOOL_CALL.findall(text)
        if not bodies:
            raise ToolCallError(
                'no <tool_call>: answer with <tool_call>{"name": "computer_use", "arguments": '
                "{...}}</tool_call>"
            )
        calls: list[RawCall] = []
        for body in bodies:
            try:
                call = FaraCall.model_validate_json(body)
            except ValidationError as exc:
                problem = "; ".join(
                    f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3]
                )
                raise ToolCallError(f"computer_use: {problem}") from None
            calls += _calls(call.arguments, space)
        return calls


def _on_screen(schema: Any, space: CoordinateSpace) -> Any:
    """An action's schema with its coordinate bounded to the screenshot (x, y in pixels of it)."""
    if isinstance(schema, dict):
        out = {key: _on_screen(value, space) for key, value in schema.items()}
        pair = out.get("prefixItems")
        if isinstance(pair, list) and len(pair) == 2:
            top = (space.width - 1, space.height - 1)
            out["prefixItems"] = [{**item, "maximum": t} for item, t in zip(pair, top, strict=True)]
        return out
    if isinstance(schema, list):
        return [_on_screen(value, space) for value in schema]
    return schema


def _point(arguments: FaraArguments, what: str) -> dict[str, int]:
    if arguments.coordinate is None:
        raise ToolCallError(f"{what}: coordinate [x, y] is required")
    x, y = arguments.coordinate
    return {"x": round(x), "y": round(y)}


def _key(keys: str) -> RawCall:
    return {"name": "key", "arguments": {"keys": keys}}


def _calls(arguments: FaraArguments, space: CoordinateSpace) -> list[RawCall]:
    action = arguments.action
    if action in ("left_click", "mouse_move"):
        name = "click" if action == "left_click" else "move"
        return [{"name": name, "arguments": _point(arguments, action)}]
    if action == "key":
        if not arguments.keys:
            raise ToolCallError("key: keys [...] is required")
        return [_key("+".join(canonical_key(k) for k in arguments.keys))]
    if action == "type":
        calls: list[RawCall] = []
        if arguments.coordinate is not None:
            calls.append({"name": "click", "arguments": _point(arguments, action)})
        if arguments.delete_existing_text:
            calls.append(_key("ctrl+a"))
        calls.append({"name": "type_text", "arguments": {"text": arguments.text or ""}})
        return calls + ([_key("enter")] if arguments.press_enter else [])
    if action == "scroll":
        pixels = arguments.pixels or 0.0
        clicks = max(1, min(50, round(abs(pixels) / WHEEL_PIXELS)))
        where = (
            _point(arguments, action)
            if arguments.coordinate is not None
            else {"x": space.width // 2, "y": space.height // 2}
        )
        return [{"name": "scroll", "arguments": {**where, "dy": -clicks if pixels > 0 else clicks}}]
    if action == "wait":
        seconds = min(MAX_WAIT, max(0.1, arguments.time or 1.0))
        return [{"name": "wait", "arguments": {"seconds": seconds}}]
    if action == "terminate":
        if arguments.status == "failure":
            return [{"name": "fail", "arguments": {"reason": "the model ended the task: failure"}}]
        return [{"name": "done", "arguments": {"answer": "the model ended the task: success"}}]
    if action == "visit_url":
        if not arguments.url:
            raise ToolCallError("visit_url: url is required")
        return [
            _key("ctrl+l"),
            {"name": "type_text", "arguments": {"text": arguments.url}},
            _key("enter"),
        ]
    if action == "history_back":
        return [_key("alt+left")]
    if action == "refresh":
        return [_key("f5")]
    raise ToolCallError(
        f"{action} has no desktop counterpart here; use left_click, type, key, scroll, "
        "mouse_move, wait or terminate"
    )
