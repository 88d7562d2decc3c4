"""UI-TARS (and the Doubao/Seed GUI agents that share it): ``Thought: ...`` then ``Action:`` and one
Python-like call per line, points as ``point='<point>x y</point>'`` (1.5) or
``start_box='(x,y)'`` / ``'<|box_start|>(x,y)<|box_end|>'`` / ``'[x1, y1, x2, y2]'`` (earlier
versions; a box means its centre), in the coordinate space of the model's family.

    click(point='<point>x y</point>')         -> click
    left_double(...) / right_single(...)      -> double_click / right_click
    drag(start_point=..., end_point=...)      -> drag
    hotkey(key='ctrl c')                      -> key ctrl+c
    type(content='text\\n')                   -> type_text (a final newline: then key enter)
    scroll(point=..., direction='down')       -> scroll (5 wheel clicks that way)
    wait()                                    -> wait 5 s
    finished(content='...')                   -> done
    call_user()                               -> fail (the model asks for the user's help)
"""

from __future__ import annotations

import ast
import json
import re

from deskpilot.coords import CoordinateSpace
from deskpilot.errors import ToolCallError
from deskpilot.keys import canonical_key
from deskpilot.runtime.formats import RawCall, offered

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_SCROLL = {"down": (0, 5), "up": (0, -5), "right": (5, 0), "left": (-5, 0)}
_POINT_KEYS = ("point", "start_box", "start_point")
_END_KEYS = ("end_point", "end_box")
WAIT_SECONDS = 5.0

INSTRUCTIONS = """You are a GUI agent. You are given a task and your action history, with screenshots. \
You need to perform the next action to complete the task.

## Output Format
```
Thought: ...
Action: ...
```

## Action Space
click(point='<point>x1 y1</point>')
left_double(point='<point>x1 y1</point>')
right_single(point='<point>x1 y1</point>')
drag(start_point='<point>x1 y1</point>', end_point='<point>x2 y2</point>')
hotkey(key='ctrl c') # Split keys with a space and use lowercase.
type(content='xxx') # If you want to submit your input, use \\n at the end of content.
scroll(point='<point>x1 y1</point>', direction='down or up or right or left')
wait() # Sleep for 5s and take a screenshot to check for any changes.
finished(content='xxx')
call_user() # When the task is unsolvable, or when you need the user's help.

Points are in pixels of the screenshot as you see it ({width}x{height})."""

_SYMBOLS = ("point", "KEYS", "TEXT", "DIRECTION")  # the grammar's own; other parts are literals


def _rule(*parts: str) -> str:
    """A lark rule's body: literals quoted, symbols as they are."""
    return " ".join(part if part in _SYMBOLS else json.dumps(part) for part in parts)


# each native action: its grammar rule, and the deskpilot tools it becomes
_ACTIONS = {
    "click": (_rule("click(point='", "point", "')"), frozenset({"click"})),
    "left_double": (_rule("left_double(point='", "point", "')"), frozenset({"double_click"})),
    "right_single": (_rule("right_single(point='", "point", "')"), frozenset({"right_click"})),
    "drag": (
        _rule("drag(start_point='", "point", "', end_point='", "point", "')"),
        frozenset({"drag"}),
    ),
    "hotkey": (_rule("hotkey(key='", "KEYS", "')"), frozenset({"key"})),
    "type": (_rule("type(content='", "TEXT", "')"), frozenset({"type_text"})),
    "scroll": (
        _rule("scroll(point='", "point", "', direction='", "DIRECTION", "')"),
        frozenset({"scroll"}),
    ),
    "wait": (_rule("wait()"), frozenset({"wait"})),
    "finished": (_rule("finished(content='", "TEXT", "')"), frozenset({"done"})),
    "call_user": (_rule("call_user()"), frozenset({"fail"})),
}

_GRAMMAR = r"""
start: ("Thought: " THOUGHT "\n")? "Action: " action
THOUGHT: /[^\n]{0,120}/
point: "<point>" X " " Y "</point>"
KEYS: /[a-z0-9]+( [a-z0-9]+){0,2}/
TEXT: /([^'\\\n]|\\[n'\\]){0,120}/
DIRECTION: "down" | "up" | "right" | "left"
"""


class UiTarsFormat:
    """UI-TARS' ``Action: click(point='<point>x y</point>')`` answers."""

    name = "ui_tars"

    def instructions(self, space: CoordinateSpace) -> str:
        """The action space as UI-TARS-1.5 was trained on it, with the screenshot's size."""
        return INSTRUCTIONS.format(width=space.width, height=space.height)

    def grammar(self, space: CoordinateSpace, tools: frozenset[str]) -> tuple[str, str]:
        """A lark grammar of one answer with the actions ``tools`` allow, coordinates bounded by
        digits to the space's size."""
        x, y = (f"/[0-9]{{1,{len(str(side))}}}/" for side in (space.width, space.height))
        native = {name: needs for name, (_, needs) in _ACTIONS.items()}
        rules = " | ".join(_ACTIONS[name][0] for name in offered(native, tools))
        return "lark_grammar", _GRAMMAR + f"action: {rules}\nX: {x}\nY: {y}\n"

    def calls(self, text: str, space: CoordinateSpace) -> list[RawCall]:
        """Each action line after the last ``Action:``, as deskpilot calls."""
        body = text.rsplit("Action:", 1)[-1].strip()
        lines = [line.strip() for line in body.splitlines() if line.strip()]
        if not lines:
            raise ToolCallError("no action: answer with 'Action: ' and one of the actions")
        calls: list[RawCall] = []
        for line in lines:
            calls += _calls(line, space)
        return calls


def _arguments(line: str) -> tuple[str, dict[str, str]]:
    """``name(key='value', ...)`` -> the name and its string arguments (never evaluated)."""
    try:
        node = ast.parse(line, mode="eval").body
    except SyntaxError:
        raise ToolCallError(f"cannot read the action {line[:120]!r}") from None
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name) or node.args:
        raise ToolCallError(f"an action is name(key='value', ...), not {line[:120]!r}")
    arguments = {}
    for keyword in node.keywords:
        value = keyword.value
        if keyword.arg is None or not (
            isinstance(value, ast.Constant) and isinstance(value.value, str | int | float)
        ):
            raise ToolCallError(f"{node.func.id}: arguments are key='text', not {line[:120]!r}")
        arguments[keyword.arg] = str(value.value)
    return node.func.id, arguments


def _point(value: str, what: str) -> tuple[int, int]:
    """A point (two numbers) or a box's centre (four) in any of UI-TARS' spellings."""
    numbers = [float(n) for n in _NUMBER.findall(value)]
    if len(numbers) == 2:
        return round(numbers[0]), round(numbers[1])
    if len(numbers) == 4:
        return round((numbers[0] + numbers[2]) / 2), round((numbers[1] + numbers[3]) / 2)
    raise ToolCallError(f"{what}: expected '<point>x y</point>', got {value[:60]!r}")


def _first(arguments: dict[str, str], keys: tuple[str, ...], name: str) -> tuple[int, int]:
    for key in keys:
        if key in arguments:
            return _point(arguments[key], f"{name}.{key}")
    raise ToolCallError(f"{name}: missing {keys[0]}='<point>x y</point>'")


def _calls(line: str, space: CoordinateSpace) -> list[RawCall]:
    name, arguments = _arguments(line)
    if name in ("click", "left_single", "left_double", "right_single"):
        x, y = _first(arguments, _POINT_KEYS, name)
        tool = {"click": "click", "left_single": "click", "left_double": "double_click"}
        return [{"name": tool.get(name, "right_click"), "arguments": {"x": x, "y": y}}]
    if name == "drag":
        (x1, y1), (x2, y2) = (
            _first(arguments, _POINT_KEYS, name),
            _first(arguments, _END_KEYS, name),
        )
        ends = {"start_x": x1, "start_y": y1, "end_x": x2, "end_y": y2}
        return [{"name": "drag", "arguments": ends}]
    if name == "hotkey":
        parts = arguments.get("key", "").replace("+", " ").split()
        if not parts:
            raise ToolCallError("hotkey: key='' names no key")
        return [{"name": "key", "arguments": {"keys": "+".join(map(canonical_key, parts))}}]
    if name == "type":
        content = arguments.get("content", "")
        typed, submit = content.rstrip("\n"), content.endswith("\n")
        calls = [{"name": "type_text", "arguments": {"text": typed}}] if typed or not submit else []
        return calls + ([{"name": "key", "arguments": {"keys": "enter"}}] if submit else [])
    if name == "scroll":
        direction = arguments.get("direction", "down").strip().lower()
        if direction not in _SCROLL:
            raise ToolCallError(f"scroll: direction is down, up, right or left, not {direction!r}")
        if any(key in arguments for key in _POINT_KEYS):
            x, y = _first(arguments, _POINT_KEYS, name)
        else:
            x, y = space.width // 2, space.height // 2
        dx, dy = _SCROLL[direction]
        return [{"name": "scroll", "arguments": {"x": x, "y": y, "dx": dx, "dy": dy}}]
    if name == "wait":
        return [{"name": "wait", "arguments": {"seconds": WAIT_SECONDS}}]
    if name == "finished":
        return [{"name": "done", "arguments": {"answer": arguments.get("content", "")}}]
    if name == "call_user":
        return [{"name": "fail", "arguments": {"reason": "the model asks for the user's help"}}]
    raise ToolCallError(
        f"unknown action {name!r}; actions: click, left_double, right_single, drag, hotkey, "
        "type, scroll, wait, finished, call_user"
    )
