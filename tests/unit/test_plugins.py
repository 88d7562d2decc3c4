"""Plugins: the @tool decorator, loading (entry points faked, in-code plugins), failures by name,
the veto hook, and plugin tools passing the same gate (deny until a policy names them)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from deskpilot.agent import Outcome
from deskpilot.errors import UsageError
from deskpilot.plugins import hookimpl, load_plugins, tool
from deskpilot.plugins import manager as plugin_manager
from deskpilot.policies import PolicyGate, parse_policy
from deskpilot.tools import ToolRegistry
from tests.unit.conftest import AgentFactory, call

written: list[str] = []


@tool
def remember(fact: str, times: int = 1) -> str:
    """Remember a fact.

    Args:
        fact: What to remember.
        times: How many times to repeat it.
    """
    written.extend([fact] * times)
    return f"remembered {fact!r}"


class RememberPlugin:
    @hookimpl
    def register_tools(self, register: Callable[[type[Any]], None]) -> None:
        register(remember)


class VetoPlugin:
    @hookimpl
    def veto_action(self, call: Any, context: Any) -> str | None:
        return "no clicking in tests" if call.name == "click" else None


def test_tool_schema_comes_from_type_hints_and_docstring() -> None:
    schema = remember.model_json_schema()
    assert schema["description"] == "Remember a fact."
    assert schema["properties"]["fact"] == {
        "description": "What to remember.",
        "title": "Fact",
        "type": "string",
    }
    assert schema["properties"]["times"]["default"] == 1
    assert schema["required"] == ["fact"] and schema["additionalProperties"] is False
    jsonschema.Draft202012Validator.check_schema(schema)
    assert remember.name == "remember" and remember.category == "plugin"


def test_a_missing_description_fails_at_registration() -> None:
    def undocumented(x: int) -> None:
        """Does something.

        Args:
            y: not x.
        """

    with pytest.raises(UsageError, match="argument 'x' has no description"):
        tool(undocumented)
    with pytest.raises(UsageError, match="needs a docstring"):
        tool(lambda x: x)


def test_a_missing_type_hint_fails_at_registration() -> None:
    def untyped(x) -> None:  # type: ignore[no-untyped-def]
        """Does something.

        Args:
            x: a thing.
        """

    with pytest.raises(UsageError, match="has no type hint"):
        tool(untyped)


def test_plugin_tools_are_denied_until_a_policy_names_them(make_agent: AgentFactory) -> None:
    registry = ToolRegistry()
    load_plugins(registry, [RememberPlugin()], entry_point_plugins=False)
    gate = PolicyGate(parse_policy(""), registry)
    assert not gate.decide(registry.parse(call("remember", fact="x"))).allowed
    allowed = parse_policy('[[rule]]\ntools = ["remember"]\ndecision = "allow"\nreason = "ok"\n')
    assert PolicyGate(allowed, registry).decide(registry.parse(call("remember", fact="x"))).allowed


def test_a_plugin_tool_runs_through_the_loop(make_agent: AgentFactory) -> None:
    agent, driver = make_agent(
        [call("remember", fact="tea", times=2), call("done")],
        policy='[[rule]]\ntools = ["*"]\ndecision = "allow"\nreason = "ok"\n',
    )
    load_plugins(agent.actuator.registry, [RememberPlugin()], entry_point_plugins=False)
    written.clear()
    assert agent.run("t").outcome is Outcome.DONE
    assert written == ["tea", "tea"]
    assert driver.calls == []


def test_the_veto_hook_overrides_an_allow(make_agent: AgentFactory) -> None:
    agent, driver = make_agent([call("click", x=1, y=1)])
    manager, _ = load_plugins(agent.actuator.registry, [VetoPlugin()], entry_point_plugins=False)
    agent.actuator.gate = PolicyGate(
        agent.actuator.gate.policy, agent.actuator.registry, veto=manager.hook.veto_action
    )
    result = agent.run("t")
    assert result.outcome is Outcome.DENIED and "no clicking in tests" in result.reason
    assert driver.calls == []


class FakeEntryPoint:
    def __init__(self, name: str, load: Callable[[], Any]) -> None:
        self.name = name
        self.load = load


def broken_import() -> Any:
    raise ImportError("No module named 'missing_dependency'")


class DuplicatePlugin:
    @hookimpl
    def register_tools(self, register: Callable[[type[Any]], None]) -> None:
        register(tool(name="click")(_clicker))


def _clicker(fact: str) -> None:
    """Pretend to click.

    Args:
        fact: ignored.
    """


class NotATool:
    @hookimpl
    def register_tools(self, register: Callable[[type[Any]], None]) -> None:
        register(dict)  # type: ignore[arg-type]


def test_failing_plugins_are_named_and_the_rest_still_load(monkeypatch: pytest.MonkeyPatch) -> None:
    entries = [
        FakeEntryPoint("broken", broken_import),
        FakeEntryPoint("duplicate", DuplicatePlugin),
        FakeEntryPoint("bad-schema", NotATool),
        FakeEntryPoint("good", RememberPlugin),
    ]
    monkeypatch.setattr(plugin_manager, "entry_points", lambda group: entries)
    monkeypatch.delenv("DESKPILOT_PLUGINS")
    registry = ToolRegistry()
    _, report = load_plugins(registry)
    assert "No module named 'missing_dependency'" in report.errors["broken"]
    assert "already registered" in report.errors["duplicate"]
    assert "not a tool class" in report.errors["bad-schema"]
    assert report.tools["good"] == ["remember"] and "remember" in registry


def test_the_allowlist_limits_which_plugins_load(monkeypatch: pytest.MonkeyPatch) -> None:
    entries = [FakeEntryPoint("broken", broken_import), FakeEntryPoint("good", RememberPlugin)]
    monkeypatch.setattr(plugin_manager, "entry_points", lambda group: entries)
    monkeypatch.setenv("DESKPILOT_PLUGINS", "good")
    _, report = load_plugins(ToolRegistry())
    assert report.errors == {} and report.plugins == ["good"]


def test_the_installed_example_plugin_writes_a_note(
    make_agent: AgentFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """examples/notes-plugin is installed by `make install`: loaded through its entry point."""
    monkeypatch.setenv("DESKPILOT_PLUGINS", "notes")
    monkeypatch.setenv("DESKPILOT_NOTES_DIR", str(tmp_path / "notes"))
    agent, _ = make_agent(
        [call("write_note", text="buy milk"), call("type_text", text="TOP SECRET"), call("done")]
    )
    manager, report = load_plugins(agent.actuator.registry)
    assert report.tools == {"notes": ["write_note"]}, report
    agent.actuator.gate = PolicyGate(
        parse_policy(report.policies["notes"]),
        agent.actuator.registry,
        veto=manager.hook.veto_action,
    )
    result = agent.run("t")
    assert (tmp_path / "notes" / "notes.txt").read_text() == "buy milk\n"
    assert result.outcome is Outcome.DENIED and "TOP SECRET" in result.reason
