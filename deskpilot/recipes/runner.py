"""Running recipes: TOML recipes step by step (retries, on_failure), and Python recipes (functions
decorated with `@recipe` that use a `RecipeContext`)."""

from __future__ import annotations

import importlib.util
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deskpilot.agent.records import Outcome, RunResult
from deskpilot.errors import ActionFailed, BudgetExhausted, PolicyDenied, UsageError
from deskpilot.recipes.context import RecipeContext
from deskpilot.recipes.schema import Param, Recipe, Step, substitute

RECIPE_MARK = "__deskpilot_recipe__"


def _run_step(ctx: RecipeContext, step: Step, params: dict[str, Any]) -> None:
    if step.tool is not None:
        args = substitute(step.args, params, tool=step.tool)
        if step.expect_crop is not None and {"x", "y"} <= set(args):
            args = ctx.grounded(
                step.tool, args, step.expect_crop, step.description, target_text=step.target_text
            )
        ctx.call(step.tool, **args)
    elif (target := step.text_target) is not None:
        ctx.click_text(substitute(target[1], params), tool=target[0])
    elif step.agent is not None:
        ctx.agent(substitute(step.agent, params), max_steps=step.max_steps)
    elif step.wait_for is not None:
        ctx.wait_for(**substitute(step.wait_for.model_dump(), params))
    elif step.assert_ is not None:
        ctx.check(**substitute(step.assert_.model_dump(), params))


def run_recipe(recipe: Recipe, params: dict[str, Any], ctx: RecipeContext) -> RunResult:
    """Run every step; a failed step is retried, then stops the recipe or is skipped
    (``on_failure``). A denial is never retried: it ends the recipe."""
    stop = ctx.actuator.stop
    for index, step in enumerate(recipe.step, start=1):
        label = step.name or f"step {index} ({step.kind})"
        for attempt in range(step.retries + 1):
            if stop.is_set():
                return RunResult(outcome=Outcome.STOPPED, reason=stop.reason, steps=ctx.steps)
            try:
                _run_step(ctx, step, params)
                break
            except PolicyDenied as exc:
                return RunResult(outcome=Outcome.DENIED, reason=f"{label}: {exc}", steps=ctx.steps)
            except BudgetExhausted as exc:
                return RunResult(outcome=Outcome.BUDGET, reason=f"{label}: {exc}", steps=ctx.steps)
            except ActionFailed as exc:
                tries = f"{attempt + 1} attempt{'s' if attempt else ''}"
                failure = f"{label} failed after {tries}: {exc}"
        else:
            if step.on_failure == "stop":
                return RunResult(outcome=Outcome.FAILED, reason=failure, steps=ctx.steps)
    done = f"recipe {recipe.name or 'run'} completed"
    return RunResult(outcome=Outcome.DONE, reason=done, steps=ctx.steps, answer=done)


def recipe(func: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a function ``f(ctx: RecipeContext, **params)`` as a Python recipe."""
    setattr(func, RECIPE_MARK, True)
    return func


def load_python_recipe(path: Path) -> tuple[Callable[..., Any], Recipe]:
    """Import a ``.py`` recipe file; return its `@recipe` function and a `Recipe` describing its
    parameters (from the function's signature).

    Raises:
        UsageError: The file cannot be imported or has not exactly one `@recipe` function.
    """
    spec = importlib.util.spec_from_file_location(f"deskpilot_recipe_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot import recipe {path}")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise UsageError(f"recipe {path} failed to import: {exc!r}") from None
    found = [f for f in vars(module).values() if callable(f) and getattr(f, RECIPE_MARK, False)]
    if len(found) != 1:
        raise UsageError(
            f"recipe {path} must define exactly one @recipe function (found {len(found)})"
        )
    func = found[0]
    params = {}
    for param in list(inspect.signature(func).parameters.values())[1:]:
        default = None if param.default is param.empty else param.default
        params[param.name] = Param(default=default)
    description = inspect.getdoc(func) or ""
    return func, Recipe(
        name=func.__name__,
        description=description,
        params=params,
        step=[Step(agent="(python recipe)")],
    )


def run_python_recipe(
    func: Callable[..., Any], params: dict[str, Any], ctx: RecipeContext
) -> RunResult:
    """Call a Python recipe; its exceptions become the run's outcome like a TOML step's."""
    name = func.__name__
    try:
        func(ctx, **params)
    except PolicyDenied as exc:
        return RunResult(outcome=Outcome.DENIED, reason=f"{name}: {exc}", steps=ctx.steps)
    except BudgetExhausted as exc:
        return RunResult(outcome=Outcome.BUDGET, reason=f"{name}: {exc}", steps=ctx.steps)
    except ActionFailed as exc:
        return RunResult(outcome=Outcome.FAILED, reason=f"{name}: {exc}", steps=ctx.steps)
    done = f"recipe {name} completed"
    return RunResult(outcome=Outcome.DONE, reason=done, steps=ctx.steps, answer=done)
