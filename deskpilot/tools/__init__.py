"""Typed actions, their registry and schemas, and their execution."""

from deskpilot.tools.actions import BUILTIN_ACTIONS, Action
from deskpilot.tools.registry import ToolCall, ToolRegistry
from deskpilot.tools.result import ToolResult

__all__ = ["BUILTIN_ACTIONS", "Action", "ToolCall", "ToolRegistry", "ToolResult"]
