"""`recipe run --dry-run`: every step says what it would do; waits and checks, which wait for
effects a dry run never produces, are reported, not waited for, and the shipped examples pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskpilot.agent import Outcome, Trajectory, read_trajectory
from deskpilot.agent.actuator import Actuator
from deskpilot.agent.records import StepRecord
from deskpilot.perception import ScreenReader
from deskpilot.policies import PolicyGate, load_policy
from deskpilot.recipes import RecipeContext, load_recipe, resolve_params, run_recipe
from deskpilot.screen import StaticScreen
from deskpilot.stopflag import StopFlag
from deskpilot.tools import ToolRegistry
from deskpilot.tools.executor import Executor
from tests.unit.conftest import make_frame
from tests.unit.test_recipes import SaysLines

REGISTRY = ToolRegistry()
EXAMPLES = Path(__file__).parents[2] / "examples" / "recipes"
PARAMS = {
    "l3afpad_note.toml": {"path": "/nonexistent/note.txt"},
    "xterm_command.toml": {"out": "/nonexistent/out.txt"},
}


def dry_context(tmp_path: Path, seen: list[StepRecord]) -> RecipeContext:
    stop = StopFlag()
    actuator = Actuator(
        gate=PolicyGate(load_policy(), REGISTRY),
        executor=Executor(None, stop=stop, dry_run=True),
        registry=REGISTRY,
        screen=StaticScreen([make_frame()]),
    )
    trajectory = Trajectory(tmp_path / "run")
    trajectory.start(task="recipe", dry_run=True)
    ctx = RecipeContext(
        actuator=actuator,
        trajectory=trajectory,
        settle_timeout=0,
        poll_interval=0.01,
        on_step=seen.append,
    )
    ctx.reader = ScreenReader(SaysLines())  # an empty screen: nothing the recipe looks for
    return ctx


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.name)
def test_every_shipped_toml_example_passes_a_dry_run(example: Path, tmp_path: Path) -> None:
    recipe = load_recipe(example, REGISTRY)
    seen: list[StepRecord] = []
    ctx = dry_context(tmp_path, seen)
    values = resolve_params(recipe, PARAMS.get(example.name, {}))

    result = run_recipe(recipe, values, ctx)

    assert result.outcome is Outcome.DONE, result.reason
    assert len(seen) == len(recipe.step)  # one reported step each, through on_step
    outputs = [(rec.result or {}).get("output", "") for rec in seen]
    assert all(out.startswith("dry run: would ") for out in outputs), outputs
    steps = [r for r in read_trajectory(tmp_path / "run") if r.get("type") == "step"]
    assert len(steps) == len(recipe.step)


def test_dry_run_waits_and_checks_say_what_they_would_look_for(tmp_path: Path) -> None:
    text = """
[[step]]
wait_for = { window_title = "Save", timeout = 30 }
[[step]]
wait_for = { file = "/nonexistent/f", timeout = 30 }
[[step]]
assert = { file_contains = ["/nonexistent/f", "hello"] }
[[step]]
click = { text = "OK" }
"""
    path = tmp_path / "r.toml"
    path.write_text(text)
    seen: list[StepRecord] = []
    result = run_recipe(load_recipe(path, REGISTRY), {}, dry_context(tmp_path, seen))

    assert result.outcome is Outcome.DONE, result.reason
    said = [(rec.result or {})["output"] for rec in seen]
    assert said == [
        "dry run: would wait up to 30 s for a window titled /Save/",
        "dry run: would wait up to 30 s for the file /nonexistent/f",
        "dry run: would check that /nonexistent/f contains 'hello'",
        "dry run: would click where the screen says 'OK' (it does not now: 'OK' is not on the "
        "screen; it says: nothing readable)",
    ]
