"""The actuator as the session object: `call` and `observe` through the gate, the budget and the
audit; and the floors of the package (which imports load which)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from deskpilot.agent import Actuator
from deskpilot.drivers import RecordingDriver
from deskpilot.errors import BudgetExhausted, PolicyDenied, ToolCallError
from deskpilot.policies import PolicyGate, parse_policy
from deskpilot.policies.audit import AuditLog
from deskpilot.screen import StaticScreen
from deskpilot.stopflag import StopFlag
from deskpilot.tools import ToolRegistry
from deskpilot.tools.executor import Executor
from tests.unit.conftest import make_frame

ALLOW_ALL = '[[rule]]\ntools = ["*"]\ndecision = "allow"\nreason = "ok"\n'
NO_SCREENSHOT = ALLOW_ALL + '[[rule]]\ntools = ["screenshot"]\ndecision = "deny"\nreason = "no"\n'


@pytest.fixture(autouse=True)
def audit_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKPILOT_AUDIT_KEY_FILE", str(tmp_path / "key" / "audit.key"))


def session(
    tmp_path: Path, policy: str = ALLOW_ALL, max_steps: int = 30
) -> tuple[Actuator, RecordingDriver, AuditLog]:
    registry, stop = ToolRegistry(), StopFlag()
    driver = RecordingDriver(stop=stop)
    loaded = parse_policy(policy + f"[budget]\nmax_steps = {max_steps}\n")
    audit = AuditLog(tmp_path / "audit.jsonl")
    actuator = Actuator(
        gate=PolicyGate(loaded, registry),
        executor=Executor(driver, stop=stop),
        registry=registry,
        screen=StaticScreen([make_frame()]),
        audit=audit,
    )
    return actuator, driver, audit


def events(tmp_path: Path) -> list[str]:
    lines = (tmp_path / "audit.jsonl").read_text().splitlines()
    return [json.loads(line)["event"] for line in lines]


def test_call_counts_a_step_decides_audits_and_executes(tmp_path: Path) -> None:
    actuator, driver, audit = session(tmp_path)
    acted = actuator.call("click", {"x": 5, "y": 6})
    audit.close()
    assert acted.executed and acted.result.ok and actuator.tracker.steps == 1
    assert [name for name, _ in driver.calls] == ["click"]
    assert actuator.last_frame is not None
    assert events(tmp_path)[1:4] == ["decision", "execute", "result"]


def test_a_denied_observe_raises_and_reaches_no_driver(tmp_path: Path) -> None:
    actuator, driver, audit = session(tmp_path, NO_SCREENSHOT)
    with pytest.raises(PolicyDenied):
        actuator.observe()
    audit.close()
    assert driver.calls == [] and "execute" not in events(tmp_path)
    allowed, _, _ = session(tmp_path / "allowed")
    assert allowed.observe().width == 640


def test_an_invalid_call_counts_its_step_and_the_budget_ends_calls(tmp_path: Path) -> None:
    actuator, driver, _ = session(tmp_path, max_steps=2)
    with pytest.raises(ToolCallError):
        actuator.call("click", {"x": "left"})
    actuator.call("move", {"x": 1, "y": 1})
    with pytest.raises(BudgetExhausted):
        actuator.call("move", {"x": 2, "y": 2})
    assert [name for name, _ in driver.calls] == ["move"] and actuator.tracker.steps == 2


def test_the_executor_is_the_actuators_own() -> None:
    assert not hasattr(Actuator, "executor")


LOADED = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(m for m in sys.modules if m.startswith("deskpilot"))))
"""


def loaded_by(module: str) -> list[str]:
    """The deskpilot modules that importing ``module`` alone loads (in a fresh interpreter)."""
    argv = [sys.executable, "-c", LOADED, module]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    loaded: list[str] = json.loads(out)
    return loaded


@pytest.mark.parametrize(
    "module",
    [
        "deskpilot.runtime",
        "deskpilot.runtime.genai",
        "deskpilot.runtime.openai_http",
        "deskpilot.runtime.textmatch",  # reads key names from deskpilot.keys, not deskpilot.tools
    ],
)
def test_loading_the_runtime_does_not_load_the_drivers_tools_or_policies(module: str) -> None:
    loaded = loaded_by(module)
    below = ("deskpilot.drivers", "deskpilot.tools", "deskpilot.policies")
    assert not [m for m in loaded if m.startswith(below)], loaded


def test_tools_do_not_load_policies_and_the_stop_flag_and_key_names_are_on_the_ground_floor() -> (
    None
):
    assert not [m for m in loaded_by("deskpilot.tools.executor") if ".policies" in m]
    assert loaded_by("deskpilot.stopflag") == [
        "deskpilot",
        "deskpilot.errors",
        "deskpilot.stopflag",
    ]
    assert loaded_by("deskpilot.keys") == ["deskpilot", "deskpilot.keys"]
