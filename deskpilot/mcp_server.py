"""`deskpilot mcp`: the registered tools served over stdio with the official MCP SDK.

Every call, `screenshot` included, goes through the same actuator as an agent run (budget, policy
gate, approvals, audit) and is recorded in a trajectory: a policy that denies `screenshot` denies it
to an MCP client too, and the session's step, time and error budgets count every call. Coordinates
are screen pixels of the captured monitor. `screenshot` returns the screen as a PNG image. There is
no terminal to ask on, so `ask` decisions are denials. `find_text` tells where the screen says a
text (the screen's text read by OCR); it sees the screen, so it passes the gate as a `screenshot`.

A client's arguments are held to the rules of model output before the SDK parses them: a
`tools/call` request with a duplicate key, NaN or Infinity, or arguments too long or too deeply
nested is answered with an error naming the problem (the SDK's own parser would keep the last of two
duplicate keys without a word).
"""

from __future__ import annotations

import base64
import io
import json
import sys
from collections.abc import AsyncIterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from deskpilot.agent.actuator import Actuator
from deskpilot.agent.trajectory import Trajectory
from deskpilot.errors import ActionFailed, BudgetExhausted, PolicyDenied, ToolCallError
from deskpilot.recipes.context import RecipeContext
from deskpilot.tools.parsing import load_strict_json, load_tool_call_json

REFUSED = "\x00deskpilot: refused arguments"  # the key that carries a refusal to the handler


def strict_request(line: str) -> str:
    """One JSON-RPC line as the SDK will read it: a `tools/call` whose JSON breaks the rules of
    tool calls gets, instead of its arguments, the reason it is refused."""
    try:
        message = json.loads(line)
    except ValueError:
        return line  # the SDK answers malformed JSON itself
    params = message.get("params") if isinstance(message, dict) else None
    if message.get("method") != "tools/call" or not isinstance(params, dict):
        return line
    try:
        strict = load_strict_json(line)
        arguments = strict["params"].get("arguments") or {}
        load_tool_call_json(json.dumps({"name": params.get("name"), "arguments": arguments}))
    except ToolCallError as exc:
        params["arguments"] = {REFUSED: str(exc)}
        return json.dumps(message) + "\n"
    return line


class FindText(BaseModel):
    """Find where the screen says a text: every place, with its centre and box in screen pixels.
    Case and surrounding punctuation are ignored; whole lines are preferred to words in lines."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=200, description="the text to find")


def find_text(ctx: RecipeContext, arguments: dict[str, Any]) -> str:
    """Where the screen says ``arguments["text"]``, as JSON; raise `ActionFailed` if nowhere."""
    try:
        wanted = FindText.model_validate(arguments).text
    except ValidationError as exc:
        raise ActionFailed(f"find_text: {exc.errors()[0]['msg']}") from None
    ctx.call("screenshot")  # the gate, the budget and the audit, as for a screenshot
    assert ctx.last_frame is not None
    said = ctx.screen_text(ctx.last_frame)
    found = said.matches(wanted)
    if not found:
        raise ActionFailed(f"{wanted!r} is not on the screen; it says: {said.summary()}")
    return json.dumps(
        [
            {
                "text": m.text,
                "x": m.box.center[0],
                "y": m.box.center[1],
                "box": [m.box.x, m.box.y, m.box.w, m.box.h],
            }
            for m in found
        ]
    )


class StrictLines:
    """The lines of a text stream, each passed through `strict_request`."""

    def __init__(self, lines: Any) -> None:
        self.lines = lines

    async def __aiter__(self) -> AsyncIterator[str]:
        async for line in self.lines:
            yield strict_request(line)


def build_server(actuator: Actuator, trajectory: Trajectory | None = None) -> Any:
    """An MCP `Server` whose tools are the session's (``actuator``), each call one step of it,
    recorded in ``trajectory``."""
    import mcp.types as types
    from mcp.server.lowlevel import Server

    from deskpilot import __version__

    ctx = RecipeContext(actuator=actuator, trajectory=trajectory)

    def describe(tool: Any) -> types.Tool:
        doc = " ".join((tool.__doc__ or "").split())
        if tool.category == "gui":
            doc += " Coordinates are screen pixels of the screenshot."
        return types.Tool(name=tool.name, description=doc, input_schema=tool.model_json_schema())

    finder = types.Tool(
        name="find_text",
        description=" ".join((FindText.__doc__ or "").split()),
        input_schema=FindText.model_json_schema(),
    )

    async def list_tools(_: Any, __: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[*(describe(tool) for tool in ctx.registry), finder])

    def text(message: str, *, error: bool) -> types.CallToolResult:
        content = [types.TextContent(type="text", text=message)]
        return types.CallToolResult(content=content, is_error=error)

    async def call_tool(_: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        arguments = params.arguments if params.arguments is not None else {}
        if REFUSED in arguments:
            return text(f"invalid arguments: {arguments[REFUSED]}", error=True)
        try:
            if params.name == "find_text":
                return text(find_text(ctx, arguments), error=False)
            result = ctx.call(params.name, **arguments)
        except (PolicyDenied, ActionFailed, BudgetExhausted) as exc:
            return text(str(exc), error=True)
        except TypeError as exc:  # arguments that are not keyword names
            return text(f"invalid arguments: {exc}", error=True)
        if params.name == "screenshot" and ctx.last_frame is not None:
            png = ctx.last_frame.png_bytes()
            image = types.ImageContent(
                type="image", data=base64.b64encode(png).decode(), mime_type="image/png"
            )
            return types.CallToolResult(content=[image], is_error=False)
        return text(result.output or "ok", error=False)

    return Server(
        "deskpilot", version=__version__, on_list_tools=list_tools, on_call_tool=call_tool
    )


async def serve_stdio(actuator: Actuator, trajectory: Trajectory | None = None) -> None:
    """Serve the session ``actuator`` until the client closes stdin."""
    import anyio
    from mcp.server.stdio import stdio_server

    server = build_server(actuator, trajectory)
    stdin = anyio.wrap_file(io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace"))
    async with stdio_server(stdin=StrictLines(stdin)) as (read, write):  # type: ignore[arg-type]
        await server.run(read, write, server.create_initialization_options())
