"""`deskpilot recipe check|run`: scripted automation, every step through the policy gate."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from deskpilot.cli.common import build_registry, err, fail_usage, plural, summary, usage_errors

recipe_app = typer.Typer(help="Scripted automation recipes (TOML or Python).", no_args_is_help=True)


def _load(file: Path, *, run: bool = True) -> tuple[Any, Callable[..., Any] | None]:
    """The recipe; a ``.py`` one is imported (its code runs) only when ``run`` says so."""
    from deskpilot.recipes.python_check import check_python_recipe
    from deskpilot.recipes.runner import load_python_recipe
    from deskpilot.recipes.schema import load_recipe

    registry = build_registry()[0]
    with usage_errors():
        if file.suffix == ".py":
            if not run:
                return check_python_recipe(file), None
            func, recipe = load_python_recipe(file)
            return recipe, func
        return load_recipe(file, registry), None


def _params(pairs: list[str]) -> dict[str, str]:
    given = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            fail_usage(f"--param {pair!r}: write NAME=VALUE")
        given[name] = value
    return given


@recipe_app.command("check")
def recipe_check(file: Annotated[Path, typer.Argument(help="A .toml or .py recipe.")]) -> None:
    """Validate a recipe: schema, tools, parameters, literal calls. A .py recipe is read, not run."""
    recipe, _ = _load(file, run=False)
    params = (
        ", ".join(
            f"{n}={p.default!r}" if p.default is not None else f"{n} (required)"
            for n, p in recipe.params.items()
        )
        or "none"
    )
    steps = "python function" if file.suffix == ".py" else plural(len(recipe.step), "step")
    typer.echo(f"{file}: ok ({steps}; params: {params})")


@recipe_app.command("run")
def recipe_run(
    file: Annotated[Path, typer.Argument(help="A .toml or .py recipe.")],
    param: Annotated[list[str] | None, typer.Option(help="A parameter, NAME=VALUE.")] = None,
    model: Annotated[str | None, typer.Option(help="Model for agent steps.")] = None,
    model_name: Annotated[
        str | None, typer.Option(help="With a model URL: the served model.")
    ] = None,
    coords: Annotated[
        str | None, typer.Option(help="With a model URL: normalized, image or screen.")
    ] = None,
    policy: Annotated[str | None, typer.Option(help="Policy file or preset.")] = None,
    run_dir: Annotated[Path | None, typer.Option(help="Where to write the trajectory.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Execute nothing.")] = False,
    driver: Annotated[str, typer.Option(help="pyautogui or pynput.")] = "pyautogui",
    monitor: Annotated[int, typer.Option(help="Monitor (1 = primary).")] = 1,
    yes: Annotated[bool, typer.Option("--yes", help="Approve every 'ask' (if allowed).")] = False,
) -> None:
    """Run a recipe. Exit codes as for `deskpilot run`."""
    from deskpilot.agent.records import Outcome, RunResult
    from deskpilot.agent.report import write_report
    from deskpilot.agent.trajectory import default_run_dir
    from deskpilot.cli.session import SessionOptions, open_session
    from deskpilot.recipes import RecipeContext, resolve_params, run_python_recipe, run_recipe
    from deskpilot.recipes.grounding import ModelRegrounder
    from deskpilot.runtime import Model, load_model

    recipe, func = _load(file)
    with usage_errors():
        values = resolve_params(recipe, _params(param or []))
    spec = model or recipe.model

    def load(spec: str) -> Model:
        return load_model(spec, model_name=model_name, coords=coords)

    directory = run_dir or default_run_dir(f"recipe {recipe.name or file.stem}")
    options = SessionOptions(
        policy=policy, run_dir=directory, dry_run=dry_run, driver=driver, monitor=monitor, yes=yes
    )
    session = open_session(options)
    ctx = RecipeContext(
        actuator=session.actuator,
        trajectory=session.trajectory,
        model_factory=(lambda: load(spec)) if spec else None,
        recipe_file=file,
        on_step=session.print_step,
    )
    if spec:
        with usage_errors():
            ctx.regrounder = ModelRegrounder(load(spec), session.registry)
    session.trajectory.start(
        task=f"recipe {recipe.name or file.name}",
        recipe=str(file),
        params=values,
        policy=policy or "default",
        dry_run=dry_run,
    )
    err.print(f"[bold]deskpilot recipe[/] {file} {values}", highlight=False)
    try:
        result = run_python_recipe(func, values, ctx) if func else run_recipe(recipe, values, ctx)
    except BaseException as exc:
        session.trajectory.finish(
            RunResult(outcome=Outcome.FAILED, reason=f"crashed: {exc!r}", steps=ctx.steps)
        )
        session.close()
        raise
    session.trajectory.finish(result)
    session.close()
    result = session.redact_result(result)
    write_report(directory)
    summary(result, directory)
    if ctx.checked:
        err.print(f"replay: {ctx.replay_summary()}", highlight=False)
    raise typer.Exit(result.outcome.exit_code)
