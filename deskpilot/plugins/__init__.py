"""Plugins: pluggy hooks for tools, policies, model families and a veto on actions."""

import pluggy

from deskpilot.plugins.decorator import tool
from deskpilot.plugins.manager import GROUP, PluginReport, load_plugins

hookimpl = pluggy.HookimplMarker("deskpilot")

__all__ = ["GROUP", "PluginReport", "hookimpl", "load_plugins", "tool"]
