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
    params = StdioServerParameters(
        command=sys.executable,
        env=dict(os.environ),
        args=["-m", "deskpilot", "mcp", "--run-dir", str(run_dir)],
    )
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
        # --dry-run: a real click at (5, 5) would open the window manager's menu, which then
        # takes the keys of every later test on this display
        params = StdioServerParameters(
            command=sys.executable,
            env=dict(os.environ),
            args=[
                "-m",
                "deskpilot",
                "mcp",
                "--dry-run",
                "--run-dir",
                str(tmp_path / "run"),
                "--policy",
                str(policy),
            ],
        )
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            return [
                await session.call_tool(name, arguments)
                for name, arguments in [
                    ("screenshot", {}),
                    ("click", {"x": 5, "y": 5}),
                    ("click", {"x": 6, "y": 6}),
                ]
            ]

    shot, click, over = asyncio.run(calls())
    assert shot.is_error and "no screen for clients" in shot.content[0].text
    assert all(c.type == "text" for c in shot.content)  # no image leaves a denied screenshot
    assert not click.is_error
    assert over.is_error and "step budget of 2 is used up" in over.content[0].text
    audit = (tmp_path / "run" / "audit.jsonl").read_text()
    assert '"reason": "no screen for clients"' in audit


def test_mcp_arguments_get_the_strict_parsing_of_model_output(
    display: object, tmp_path: Path
) -> None:
    """Raw JSON-RPC lines (an SDK client cannot send a duplicate key): the server refuses them."""
    import json
    import subprocess

    from mcp.types import LATEST_PROTOCOL_VERSION

    policy = tmp_path / "policy.toml"
    policy.write_text('[[rule]]\ntools = ["*"]\ndecision = "allow"\nreason = "all"\n')
    lines = [
        json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": LATEST_PROTOCOL_VERSION,
                    "capabilities": {},
                    "clientInfo": {"name": "raw", "version": "1"},
                },
            }
        ),
        json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        '{"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "type_text",'
        ' "arguments": {"text": "hello", "text": "rm -rf ~\\n"}}}',
        '{"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "wait",'
        ' "arguments": {"seconds": NaN}}}',
        '{"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "type_text",'
        ' "arguments": {"text": "ok"}}}',
    ]
    audit = tmp_path / "run" / "audit.jsonl"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "deskpilot",
            "mcp",
            "--dry-run",
            "--policy",
            str(policy),
            "--run-dir",
            str(tmp_path / "run"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert server.stdin is not None and server.stdout is not None
    server.stdin.write("\n".join(lines) + "\n")
    server.stdin.flush()
    replies: dict[int, Any] = {}
    while not {2, 3, 4} <= set(replies):  # a client keeps stdin open until it has its answers
        reply = json.loads(server.stdout.readline())
        replies[reply.get("id", 0)] = reply
    server.stdin.close()
    server.wait(timeout=30)
    duplicate, nan, fine = replies[2]["result"], replies[3]["result"], replies[4]["result"]
    assert duplicate["isError"] and "duplicate key 'text'" in duplicate["content"][0]["text"]
    assert nan["isError"] and "NaN is not allowed" in nan["content"][0]["text"]
    assert not fine["isError"]
    typed = [json.loads(line) for line in audit.open()]
    assert [r["call"]["arguments"] for r in typed if r["event"] == "decision"] == [{"text": "ok"}]


def test_find_text_tells_a_client_where_the_screen_says_it(
    demo_app: Callable[[], dict[str, Any]], tmp_path: Path
) -> None:
    import json

    calls = [("find_text", {"text": "save"}), ("find_text", {"text": "Delete"})]
    tools, (found, missing) = asyncio.run(session_calls(tmp_path / "run", calls))
    assert "find_text" in tools
    assert not found.is_error, found.content[0].text
    (match,) = json.loads(found.content[0].text)
    x, y, w, h = demo_app()["widgets"]["save"]
    assert match["text"] == "Save" and x <= match["x"] < x + w and y <= match["y"] < y + h
    assert missing.is_error and "'Delete' is not on the screen" in missing.content[0].text
    assert "'Save'" in missing.content[0].text
