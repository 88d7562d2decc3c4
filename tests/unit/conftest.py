"""Fakes for fast unit tests: a static screen, a recording driver, scripted models."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from deskpilot.agent import Actuator, Agent, Trajectory
from deskpilot.coords import MonitorGeometry
from deskpilot.drivers import RecordingDriver
from deskpilot.policies import PRESETS, PolicyGate, load_policy, parse_policy
from deskpilot.runtime import ScriptedModel
from deskpilot.runtime.base import Model
from deskpilot.screen import Frame, StaticScreen
from deskpilot.stopflag import StopFlag
from deskpilot.tools import ToolRegistry
from deskpilot.tools.executor import Executor, ShellRunner


def call(name: str, **arguments: Any) -> str:
    """One tool call in wire format."""
    return json.dumps({"name": name, "arguments": arguments})


def make_frame(
    width: int = 640, height: int = 400, monitor: MonitorGeometry | None = None
) -> Frame:
    """A plain frame with a dark square, so that PNGs are not trivially empty."""
    image = Image.new("RGB", (width, height), "white")
    image.paste((30, 60, 90), (10, 10, 60, 60))
    return Frame.from_image(image, monitor)


AgentFactory = Callable[..., tuple[Agent, RecordingDriver]]


@pytest.fixture
def make_agent(tmp_path: Path) -> AgentFactory:
    """Build an agent on fakes: scripted lines (or any model), a static screen, a recording driver.
    ``approve``, ``windows`` and ``audit`` go to its session (the actuator), ``shell`` to the
    executor, the other keywords to the agent."""

    def build(
        lines: list[str] | None = None,
        *,
        model: Model | None = None,
        policy: str | None = None,
        dry_run: bool = False,
        max_steps: int = 30,
        frame: Frame | None = None,
        shell: ShellRunner | None = None,
        **kwargs: Any,
    ) -> tuple[Agent, RecordingDriver]:
        registry = ToolRegistry()
        stop = StopFlag()
        driver = RecordingDriver(stop=stop)
        loaded = load_policy(policy) if policy in (None, *PRESETS) else parse_policy(str(policy))
        session = {k: kwargs.pop(k) for k in ("approve", "windows", "audit") if k in kwargs}
        actuator = Actuator(
            gate=PolicyGate(loaded, registry),
            executor=Executor(driver, stop=stop, dry_run=dry_run, shell=shell),
            registry=registry,
            screen=StaticScreen([frame or make_frame()]),
            **session,
        )
        agent = Agent(
            model=model or ScriptedModel(lines or []),
            actuator=actuator,
            trajectory=Trajectory(tmp_path / "run"),
            max_steps=max_steps,
            max_invalid=loaded.budget.max_invalid,
            settle_timeout=0,
            **kwargs,
        )
        return agent, driver

    return build


@pytest.fixture(autouse=True)
def no_installed_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests see only the built-in tools, whatever plugins the environment has installed."""
    monkeypatch.setenv("DESKPILOT_PLUGINS", "")
