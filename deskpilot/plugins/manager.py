"""Finding and loading plugins: entry points in the ``deskpilot`` group, or registered in code.

``DESKPILOT_PLUGINS`` (a comma-separated list of entry-point names) limits which plugins load;
set it to an empty string to load none. A plugin that fails (on import, a duplicate tool name, a bad
schema) is reported by name and skipped; the rest still load.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

import pluggy

from deskpilot.errors import UsageError
from deskpilot.plugins import hookspecs
from deskpilot.runtime.families import register_family
from deskpilot.tools.actions import Action
from deskpilot.tools.registry import ToolRegistry

GROUP = "deskpilot"
ALLOWLIST_ENV = "DESKPILOT_PLUGINS"


@dataclass
class PluginReport:
    """What loading found: plugin names, the tools each registered, and the errors by plugin."""

    plugins: list[str] = field(default_factory=list)
    tools: dict[str, list[str]] = field(default_factory=dict)
    policies: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def plugin_manager() -> pluggy.PluginManager:
    """A manager that knows deskpilot's hooks."""
    manager = pluggy.PluginManager(GROUP)
    manager.add_hookspecs(hookspecs)
    return manager


def load_entry_points(manager: pluggy.PluginManager, report: PluginReport) -> None:
    """Register every allowed entry point of the ``deskpilot`` group; failures go to the report."""
    allowed_env = os.environ.get(ALLOWLIST_ENV)
    allowed = (
        None if allowed_env is None else {n.strip() for n in allowed_env.split(",") if n.strip()}
    )
    for entry in entry_points(group=GROUP):
        if allowed is not None and entry.name not in allowed:
            continue
        try:
            manager.register(entry.load(), name=entry.name)
        except Exception as exc:
            report.errors[entry.name] = f"failed to load: {exc!r}"


def collect(manager: pluggy.PluginManager, registry: ToolRegistry, report: PluginReport) -> None:
    """Ask every registered plugin for its tools and policies, one plugin at a time."""
    manager.check_pending()
    for plugin in manager.get_plugins():
        name = manager.get_name(plugin) or repr(plugin)
        report.plugins.append(name)
        tools: list[type[Action]] = []
        caller: Any = manager.subset_hook_caller
        others = [p for p in manager.get_plugins() if p is not plugin]
        try:
            caller("register_tools", others)(register=tools.append)
            caller("register_policies", others)(
                register=lambda n, text: report.policies.__setitem__(n, text)
            )
            caller("register_model_families", others)(register=register_family)
        except Exception as exc:
            report.errors[name] = f"raised while registering: {exc!r}"
            continue
        added: list[str] = []
        for tool in tools:
            try:
                if not (isinstance(tool, type) and issubclass(tool, Action)):
                    raise UsageError(f"{tool!r} is not a tool class (use @tool)")
                registry.register(tool)
                added.append(tool.name)
            except Exception as exc:
                report.errors[name] = f"tool {getattr(tool, 'name', tool)!r}: {exc}"
        report.tools[name] = added


def load_plugins(
    registry: ToolRegistry, extra: list[Any] | None = None, *, entry_point_plugins: bool = True
) -> tuple[pluggy.PluginManager, PluginReport]:
    """Load plugins (entry points, plus ``extra`` objects registered in code) into ``registry``."""
    manager = plugin_manager()
    report = PluginReport()
    if entry_point_plugins:
        load_entry_points(manager, report)
    for plugin in extra or []:
        manager.register(plugin)
    collect(manager, registry, report)
    return manager, report
