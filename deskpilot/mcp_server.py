"""`deskpilot mcp`: the registered tools served over stdio with the official MCP SDK.

Every call, `screenshot` included, goes through the same actuator as an agent run (budget, policy
gate, approvals, audit) and is recorded in a trajectory: a policy that denies `screenshot` denies it
to an MCP client too, and the session's step, time and error budgets count every call. Coordinates
are screen pixels of the captured monitor. `screenshot` returns the screen as a PNG image. There is
no terminal to ask on, so `ask` decisions are denials.
"""

from __future__ import annotations

import base64
from typing import Any

from deskpilot.errors import ActionFailed, BudgetExhausted, PolicyDenied
from deskpilot.recipes.context import RecipeContext


def build_server(ctx: RecipeContext) -> Any:
    """An MCP `Server` whose tools are ``ctx.registry``'s, executed through ``ctx``."""
    import mcp.types as types
    from mcp.server.lowlevel import Server

    from deskpilot import __version__

    def describe(tool: Any) -> types.Tool:
        doc = " ".join((tool.__doc__ or "").split())
        if tool.category == "gui":
            doc += " Coordinates are screen pixels of the screenshot."
        return types.Tool(name=tool.name, description=doc, input_schema=tool.model_json_schema())

    async def list_tools(_: Any, __: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[describe(tool) for tool in ctx.registry])

    def text(message: str, *, error: bool) -> types.CallToolResult:
        content = [types.TextContent(type="text", text=message)]
        return types.CallToolResult(content=content, is_error=error)

    async def call_tool(_: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        arguments = params.arguments if params.arguments is not None else {}
        try:
            result = ctx.call(params.name, **arguments)
        except (PolicyDenied, ActionFailed, BudgetExhausted) as exc:
            return text(str(exc), error=True)
        except TypeError as exc:  # arguments that are not keyword names
            return text(f"invalid arguments: {exc}", error=True)
        if params.name == "screenshot" and ctx.last_frame is not None:
            png = ctx.last_frame.png_bytes()
            image = types.ImageContent(type="image", data=base64.b64encode(png).decode(),
                                       mime_type="image/png")  # fmt: skip
            return types.CallToolResult(content=[image], is_error=False)
        return text(result.output or "ok", error=False)

    return Server("deskpilot", version=__version__, on_list_tools=list_tools,
                  on_call_tool=call_tool)  # fmt: skip


async def serve_stdio(ctx: RecipeContext) -> None:
    """Serve until the client closes stdin."""
    from mcp.server.stdio import stdio_server

    server = build_server(ctx)
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())
