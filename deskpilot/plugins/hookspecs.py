"""The plugin hooks. Plugins implement them with ``@deskpilot.plugins.hookimpl``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("deskpilot")


@hookspec
def register_tools(register: Callable[[type[Any]], None]) -> None:
    """Register tools: call ``register(ToolClass)``, e.g. with classes made by ``@tool``."""


@hookspec
def register_policies(register: Callable[[str, str], None]) -> None:
    """Register policy presets: call ``register(name, toml_text)``."""


@hookspec
def register_model_families(register: Callable[[Any], None]) -> None:
    """Register model families: call ``register(Family(...))``."""


@hookspec(firstresult=True)
def veto_action(call: Any, context: Any) -> str | None:
    """Return a reason to refuse an action the policy allowed; None to let it pass."""
