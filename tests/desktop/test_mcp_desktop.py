"""The MCP server driven by the official SDK's client, against the demo form on Xvfb."""

from __future__ import annotations

import asyncio
import base64
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from deskpilot.policies.audit import verify_audit
from tests.desktop.conftest import center, wait_until


async def session_calls(
    run_dir: Path, calls: list[tuple[str, dict[str, Any]]]
) -> tuple[list[str], list[Any]]:
    params = StdioServerParameters(command=sys.executable, env=dict(os.environ),
                                   args=["-m", "deskpilot", "mcp", "--run-dir", str(run_dir)])  # fmt: skip
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        tools = [t.name for t in (await session.list_tools()).tools]
        results = [await session.call_tool(name, arguments) for name, arguments in calls]
    return tools, results


def test_mcp_client_drives_the_form_through_the_policy(
    demo_app: Callable[[], dict[str, Any]], tmp_path: Path
) -> None:
    widgets = demo_app()["widgets"]
    name_x, name_y = center(widgets["name"])
    save_x, save_y = center(widgets["save"])
    calls = [
        ("screenshot", {}),
        ("click", {"x": name_x, "y": name_y}),
        ("type_text", {"text": "Katherine Johnson"}),
        ("shell", {"command": "ls"}),
        ("click", {"x": "not a number", "y": 1}),
        ("teleport", {}),
        ("click", {"x": save_x, "y": save_y}),
    ]
    tools, results = asyncio.run(session_calls(tmp_path / "run", calls))
    assert {"click", "type_text", "key", "screenshot", "shell"} <= set(tools)
    shot, click, typed, shell, malformed, unknown, save = results
    assert shot.content[0].type == "image" and not shot.is_error
    assert base64.b64decode(shot.content[0].data)[:4] == b"\x89PNG"
    assert not click.is_error and not typed.is_error and not save.is_error
    assert shell.is_error and "shell is disabled" in shell.content[0].text
    assert malformed.is_error and "arguments.x: expected integer" in malformed.content[0].text
    assert unknown.is_error and "unknown tool 'teleport'" in unknown.content[0].text
    wait_until(lambda: demo_app()["saved"] == "Katherine Johnson", message="saved through MCP")
    audit = tmp_path / "run" / "audit.jsonl"
    assert verify_audit(audit) == []
    assert '"verdict": "deny"' in audit.read_text()


MCP_POLICY = """
[budget]
max_steps = 2
[[rule]]
tools = ["click"]
decision = "allow"
reason = "clicks are fine"
[[rule]]
tools = ["screenshot"]
decision = "deny"
reason = "no screen for clients"
"""


def test_mcp_calls_pass_the_same_gate_and_budget_as_a_run(display: object, tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(MCP_POLICY)

    async def calls() -> list[Any]:
        params = StdioServerParameters(
            command=sys.executable, env=dict(os.environ),
            args=["-m", "deskpilot", "mcp", "--run-dir", str(tmp_path / "run"), "--policy", str(policy)],
        )  # fmt: skip
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            return [
                await session.call_tool(name, arguments)
                for name, arguments in [
                    ("screenshot", {}),
                    ("click", {"x": 5, "y": 5}),
                    ("click", {"x": 6, "y": 6}),
                ]  # fmt: skip
            ]

    shot, click, over = asyncio.run(calls())
    assert shot.is_error and "no screen for clients" in shot.content[0].text
    assert all(c.type == "text" for c in shot.content)  # no image leaves a denied screenshot
    assert not click.is_error
    assert over.is_error and "step budget of 2 is used up" in over.content[0].text
    audit = (tmp_path / "run" / "audit.jsonl").read_text()
    assert '"reason": "no screen for clients"' in audit
