"""`deskpilot mcp`: serve the tools to MCP clients over stdio."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from deskpilot.cli.common import fail_usage


def mcp(
    policy: Annotated[str | None, typer.Option(help="Policy file or preset.")] = None,
    run_dir: Annotated[Path | None, typer.Option(help="Trajectory and audit log.")] = None,
    driver: Annotated[str, typer.Option(help="pyautogui or pynput.")] = "pyautogui",
    monitor: Annotated[int, typer.Option(help="Monitor (1 = primary).")] = 1,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Execute nothing.")] = False,
) -> None:
    """Serve deskpilot's tools over stdio (Model Context Protocol), each call through the policy."""
    try:
        import anyio
    except ImportError:  # pragma: no cover
        fail_usage("the MCP server needs the mcp extra: pip install 'deskpilot[mcp]'")
    try:
        from deskpilot.mcp_server import serve_stdio
    except ImportError as exc:
        fail_usage(f"the MCP server needs the mcp extra (pip install 'deskpilot[mcp]'): {exc}")
    from deskpilot.agent.trajectory import default_run_dir
    from deskpilot.cli.session import SessionOptions, open_session
    from deskpilot.policies.approval import refuse_all

    directory = run_dir or default_run_dir("mcp")
    options = SessionOptions(
        policy=policy,
        run_dir=directory,
        driver=driver,
        monitor=monitor,
        dry_run=dry_run,
        approver=refuse_all,
    )
    session = open_session(options)
    session.trajectory.start(task="mcp server", policy=policy or "default", dry_run=dry_run)
    try:
        anyio.run(serve_stdio, session.actuator, session.trajectory)
    finally:
        from deskpilot.agent.records import Outcome, RunResult

        steps = session.actuator.tracker.steps  # each call is one step of the session
        session.trajectory.finish(
            RunResult(outcome=Outcome.DONE, reason="client closed", steps=steps)
        )
        session.close()
