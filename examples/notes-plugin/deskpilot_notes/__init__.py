"""An example deskpilot plugin: one tool, one policy preset, one veto."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deskpilot.plugins import hookimpl, tool

POLICY = """
default = "deny"
[[rule]]
tools = ["click", "double_click", "right_click", "move", "drag", "scroll", "type_text", "key",
         "wait", "screenshot", "done", "fail", "write_note"]
decision = "allow"
reason = "the notes preset: GUI actions and notes"
"""


@tool
def write_note(text: str, file_name: str = "notes.txt") -> str:
    """Append one line of text to a notes file.

    Args:
        text: The line to write.
        file_name: The notes file, a bare name inside the notes folder.
    """
    if "/" in file_name or file_name.startswith("."):
        raise ValueError("file_name must be a bare file name")
    folder = Path(os.environ.get("DESKPILOT_NOTES_DIR", "notes"))
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / file_name).open("a", encoding="utf-8") as notes:
        notes.write(text + "\n")
    return f"wrote {len(text)} characters to {file_name}"


@hookimpl
def register_tools(register: Callable[[type[Any]], None]) -> None:
    """The plugin's tools."""
    register(write_note)


@hookimpl
def register_policies(register: Callable[[str, str], None]) -> None:
    """The plugin's policy preset."""
    register("notes", POLICY)


@hookimpl
def veto_action(call: Any, context: Any) -> str | None:
    """Refuse any action carrying the words TOP SECRET."""
    if any("TOP SECRET" in str(v) for v in call.arguments.values()):
        return "the notes plugin refuses TOP SECRET text"
    return None
