"""Recipes: the file schema (errors with lines), parameters, and running steps on fakes."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskpilot.agent import Outcome, Trajectory, read_trajectory
from deskpilot.agent.actuator import Actuator
from deskpilot.cli import app
from deskpilot.drivers import RecordingDriver
from deskpilot.errors import UsageError
from deskpilot.perception import Box, ScreenReader, TextLine
from deskpilot.perception.text import split_words
from deskpilot.policies import PolicyGate, load_policy, parse_policy
from deskpilot.recipes import (
    RecipeContext,
    load_recipe,
    resolve_params,
    run_python_recipe,
    run_recipe,
)
from deskpilot.recipes.python_check import check_python_recipe
from deskpilot.recipes.runner import load_python_recipe
from deskpilot.recipes.schema import substitute
from deskpilot.runtime import ScriptedModel
from deskpilot.screen import StaticScreen
from deskpilot.stopflag import StopFlag
from deskpilot.tools import ToolRegistry
from deskpilot.tools.executor import Executor
from tests.unit.conftest import call, make_frame

REGISTRY = ToolRegistry()
EXAMPLES = Path(__file__).parents[2] / "examples" / "recipes"


def write(tmp_path: Path, text: str, name: str = "r.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def context(
    tmp_path: Path, policy: str | None = None, plan: list[str] | None = None
) -> tuple[RecipeContext, RecordingDriver]:
    stop = StopFlag()
    driver = RecordingDriver(stop=stop)
    gate = PolicyGate(parse_policy(policy) if policy else load_policy(), REGISTRY)
    actuator = Actuator(
        gate=gate,
        executor=Executor(driver, stop=stop),
        registry=REGISTRY,
        screen=StaticScreen([make_frame()]),
    )
    trajectory = Trajectory(tmp_path / "run")
    trajectory.start(task="recipe")
    ctx = RecipeContext(
        actuator=actuator,
        trajectory=trajectory,
        settle_timeout=0,
        poll_interval=0.01,
        model_factory=(lambda: ScriptedModel(plan)) if plan else None,
    )
    return ctx, driver


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.name)
def test_the_example_recipes_are_valid(example: Path) -> None:
    assert load_recipe(example, REGISTRY).step


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[[step]]\ntool = 'click'\nargs = { x = 1 }\n",
            "line 3: step[1].args: click: arguments: missing required field 'y'",
        ),
        ("[[step]]\ntool = 'teleport'\n", "line 2: step[1].tool: unknown tool 'teleport'"),
        (
            "[[step]]\ntool = 'type_text'\nargs = { text = '{who}' }\n",
            "line 1: step[1]: unknown parameter(s) ['who']",
        ),
        ("[[step]]\ntool = 'key'\nagent = 'x'\n", "exactly one of tool, click"),
        ("[[step]]\nwait_for = { file = 'a', screen = 'settle' }\n", "exactly one of window_title"),
        ("[[step]]\ntool = 'done'\nbogus = 1\n", "line 3: step[1].bogus: Extra inputs"),
        ("[[step]]\ntool = 'done'\non_failure = 'explode'\n", "line 3: step[1].on_failure"),
        ("name = 'no steps'\n", "step: Field required"),
        ("[[step]\n", "invalid TOML"),
    ],
)
def test_bad_recipes_name_the_line_and_the_problem(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        load_recipe(write(tmp_path, text), REGISTRY)
    assert message in str(info.value)


def test_parameters_defaults_types_and_missing_ones(tmp_path: Path) -> None:
    recipe = load_recipe(
        write(tmp_path, "[params]\nn = { default = 3 }\nname = {}\n[[step]]\ntool = 'done'\n"),
        REGISTRY,
    )
    assert resolve_params(recipe, {"name": "x", "n": "7"}) == {"n": 7, "name": "x"}
    with pytest.raises(UsageError, match="parameter 'name' is required"):
        resolve_params(recipe, {})
    with pytest.raises(UsageError, match="'seven' is not a int"):
        resolve_params(recipe, {"name": "x", "n": "seven"})
    with pytest.raises(UsageError, match=r"unknown parameter\(s\) \['m'\]"):
        resolve_params(recipe, {"name": "x", "m": "1"})


def test_substitution_keeps_the_type_of_a_lone_placeholder() -> None:
    params = {"x": 12, "who": "Ada"}
    assert substitute({"x": "{x}", "text": "hi {who} {x}", "l": ["{who}"]}, params) == {
        "x": 12,
        "text": "hi Ada 12",
        "l": ["Ada"],
    }


def test_a_recipe_runs_every_step_through_the_gate(tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("hello world")
    recipe = load_recipe(
        write(
            tmp_path,
            f"""
[params]
who = {{ default = "Ada" }}
[[step]]
tool = "click"
args = {{ x = 10, y = 20 }}
[[step]]
tool = "type_text"
args = {{ text = "hi {{who}}" }}
[[step]]
wait_for = {{ file = "{note}", timeout = 1 }}
[[step]]
assert = {{ file_contains = ["{note}", "world"] }}
""",
        ),
        REGISTRY,
    )
    ctx, driver = context(tmp_path)
    result = run_recipe(recipe, resolve_params(recipe, {}), ctx)
    assert result.outcome is Outcome.DONE and result.steps == 4
    assert driver.calls[0] == ("click", {"x": 10, "y": 20, "button": "left", "clicks": 1})
    assert "".join(c[1]["char"] for c in driver.calls[1:]) == "hi Ada"
    steps = [r for r in read_trajectory(tmp_path / "run") if r["type"] == "step"]
    assert [s["call"]["name"] for s in steps] == ["click", "type_text", "wait_for", "assert"]
    assert steps[0]["decision"]["verdict"] == "allow"


def test_failed_steps_retry_then_stop_or_continue(tmp_path: Path) -> None:
    recipe = load_recipe(
        write(
            tmp_path,
            """
[[step]]
assert = { file_exists = "/nonexistent/a" }
retries = 2
on_failure = "continue"
[[step]]
assert = { file_exists = "/nonexistent/b" }
[[step]]
tool = "click"
args = { x = 1, y = 1 }
""",
        ),
        REGISTRY,
    )
    ctx, driver = context(tmp_path)
    result = run_recipe(recipe, {}, ctx)
    assert result.outcome is Outcome.FAILED
    assert result.reason == "step 2 (assert) failed after 1 attempt: /nonexistent/b does not exist"
    assert ctx.steps == 4 and driver.calls == []  # 3 tries of step 1, 1 of step 2, never step 3


def test_a_denied_step_ends_the_recipe_and_is_not_retried(tmp_path: Path) -> None:
    recipe = load_recipe(
        write(
            tmp_path,
            "[[step]]\ntool = 'shell'\nargs = { command = 'ls' }\n"
            "retries = 3\n[[step]]\ntool = 'click'\nargs = { x = 1, y = 1 }\n",
        ),
        REGISTRY,
    )
    ctx, driver = context(tmp_path)
    result = run_recipe(recipe, {}, ctx)
    assert result.outcome is Outcome.DENIED and "shell is disabled" in result.reason
    assert ctx.steps == 1 and driver.calls == []


def test_a_wait_that_never_happens_times_out(tmp_path: Path) -> None:
    ctx, _ = context(tmp_path)
    recipe = load_recipe(
        write(tmp_path, "[[step]]\nwait_for = { screen = 'change', timeout = 0.2 }\n"), REGISTRY
    )
    result = run_recipe(recipe, {}, ctx)
    assert result.outcome is Outcome.FAILED and "timed out after 0.2 s" in result.reason


def test_an_agent_step_hands_a_sub_task_to_the_model(tmp_path: Path) -> None:
    recipe = load_recipe(
        write(
            tmp_path,
            "[[step]]\nagent = 'click it'\nmax_steps = 3\n"
            "[[step]]\ntool = 'key'\nargs = { keys = 'enter' }\n",
        ),
        REGISTRY,
    )
    ctx, driver = context(tmp_path, plan=[call("click", x=5, y=5), call("done")])
    result = run_recipe(recipe, {}, ctx)
    assert result.outcome is Outcome.DONE and ctx.steps == 3
    assert [c[0] for c in driver.calls] == ["click", "press_keys"]
    records = read_trajectory(tmp_path / "run")
    assert [r["type"] for r in records].count("run") == 1  # the sub-agent writes no header
    assert [r["step"] for r in records if r["type"] == "step"] == [1, 2, 3]


def test_an_agent_step_without_a_model_fails_clearly(tmp_path: Path) -> None:
    recipe = load_recipe(write(tmp_path, "[[step]]\nagent = 'click it'\n"), REGISTRY)
    ctx, _ = context(tmp_path)
    assert "needs a model" in run_recipe(recipe, {}, ctx).reason


def test_python_recipes_use_the_same_api(tmp_path: Path) -> None:
    func, recipe = load_python_recipe(EXAMPLES / "demo_form.py")
    assert set(recipe.params) == {"state", "name"} and recipe.params["state"].default is None
    state = tmp_path / "state.json"
    state.write_text(
        '{"widgets": {"name": [10, 10, 100, 20], "save": [10, 40, 60, 20]}, "saved": null}'
    )
    ctx, driver = context(tmp_path)
    result = run_python_recipe(func, {"state": str(state), "name": "Ada"}, ctx)
    assert result.outcome is Outcome.FAILED and "does not contain" in result.reason  # fake app
    assert driver.calls[0] == ("click", {"x": 60, "y": 20, "button": "left", "clicks": 1})
    assert driver.calls[-1] == ("click", {"x": 40, "y": 50, "button": "left", "clicks": 1})


def test_a_python_recipe_file_needs_one_recipe(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="exactly one @recipe function"):
        load_python_recipe(write(tmp_path, "x = 1\n", "r.py"))
    with pytest.raises(UsageError, match="failed to import"):
        load_python_recipe(write(tmp_path, "import nonexistent_module_xyz\n", "s.py"))


def test_checking_a_python_recipe_does_not_run_it(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    source = (
        f"from pathlib import Path\nPath({str(marker)!r}).write_text('top level ran')\n"
        "from deskpilot.recipes import recipe\n\n"
        "@recipe\ndef fill(ctx, name: str = 'Ada', tries=3, *, state=None):\n"
        f"    '''Fill the form.'''\n    Path({str(marker)!r}).write_text('body ran')\n"
    )
    file = write(tmp_path, source, "evil.py")
    result = CliRunner().invoke(app, ["recipe", "check", str(file)])
    assert result.exit_code == 0, result.output
    assert not marker.exists()  # neither the module nor the function ran
    assert "name='Ada'" in result.output and "tries=3" in result.output
    assert "state (required)" in result.output
    recipe = check_python_recipe(file)
    assert recipe.name == "fill" and recipe.description == "Fill the form."


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("x = 1\n", "exactly one @recipe function"),
        ("def f(:\n", "line 1"),
        ("@recipe\ndef f(ctx, a=open('/etc/passwd')):\n    pass\n", "not a literal"),
    ],
)
def test_a_python_recipe_check_names_the_problem(tmp_path: Path, source: str, problem: str) -> None:
    with pytest.raises(UsageError, match=problem):
        check_python_recipe(write(tmp_path, source, "r.py"))


def test_the_static_check_reads_the_same_parameters_as_the_import() -> None:
    for file in EXAMPLES.glob("*.py"):
        assert check_python_recipe(file).params == load_python_recipe(file)[1].params, file


class SaysLines:
    """A fake OCR engine: the screen says these lines (boxes in capture pixels)."""

    name = "fake"

    def __init__(self, *lines: tuple[str, int, int]) -> None:
        self.lines = [line_at(text, x, y) for text, x, y in lines]

    def read(self, rgb: object) -> list[TextLine]:
        return list(self.lines)


def line_at(text: str, x: int, y: int) -> TextLine:
    box = Box(x, y, 10 * len(text), 16)
    return TextLine(text, box, split_words(text, box))


TEXT_RECIPE = """
[params]
button = { default = "Save" }
[[step]]
click = { text = "{button}" }
[[step]]
double_click = { text = "report.txt" }
[[step]]
wait_for = { text = "Saved", timeout = 1 }
[[step]]
assert = { screen_text = "Saved" }
"""


def test_text_steps_click_where_the_screen_says_it(tmp_path: Path) -> None:
    recipe = load_recipe(write(tmp_path, TEXT_RECIPE), REGISTRY)
    ctx, driver = context(tmp_path)
    ctx.reader = ScreenReader(
        SaysLines(("Save", 100, 50), ("report.txt", 300, 200), ("Saved", 10, 10))
    )
    result = run_recipe(recipe, {"button": "Save"}, ctx)
    assert result.outcome is Outcome.DONE, result.reason
    assert driver.calls[0] == ("click", {"x": 120, "y": 58, "button": "left", "clicks": 1})
    assert driver.calls[1][0] == "click" and driver.calls[1][1]["clicks"] == 2


def test_a_text_that_is_missing_or_twice_fails_the_step_and_says_what_is_there(
    tmp_path: Path,
) -> None:
    recipe = load_recipe(write(tmp_path, '[[step]]\nclick = { text = "Delete" }\n'), REGISTRY)
    ctx, driver = context(tmp_path)
    ctx.reader = ScreenReader(SaysLines(("Save", 100, 50), ("Cancel", 300, 50)))
    result = run_recipe(recipe, {}, ctx)
    assert result.outcome is Outcome.FAILED and driver.calls == []
    assert "'Delete' is not on the screen; it says: 'Save', 'Cancel'" in result.reason
    twice = load_recipe(write(tmp_path, '[[step]]\nclick = { text = "OK" }\n'), REGISTRY)
    ctx.reader = ScreenReader(SaysLines(("OK", 100, 50), ("OK", 300, 50)))
    assert "is on the screen 2 times" in run_recipe(twice, {}, ctx).reason
    missing = load_recipe(
        write(tmp_path, '[[step]]\nassert = { screen_text = "Saved" }\n'), REGISTRY
    )
    assert "the screen does not say 'Saved'" in run_recipe(missing, {}, ctx).reason


def test_a_step_has_one_kind(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="exactly one of tool, click"):
        load_recipe(write(tmp_path, '[[step]]\nclick = { text = "a" }\nagent = "b"\n'), REGISTRY)
