"""`deskpilot suite check|list|run`: task suites on private desktops, judged by checkers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from deskpilot.cli.common import err, out, plural, usage_errors
from deskpilot.drivers import DRIVER_NAMES

suite_app = typer.Typer(
    help="Task suites: many tasks on private desktops (local processes or Ray), each judged by a "
    "checker on the real state afterwards.",
    no_args_is_help=True,
)
SUITE_HELP = "A suite file (.toml) or 'builtin'."


def _load(suite: str) -> Any:
    from deskpilot.cli.common import build_registry
    from deskpilot.suites import load_suite

    with usage_errors():
        return load_suite(suite, build_registry()[0])


@suite_app.command("check")
def suite_check(suite: Annotated[str, typer.Argument(help=SUITE_HELP)]) -> None:
    """Validate a suite: schema, ids, placeholders, recipes and their parameters, policies."""
    loaded = _load(suite)
    tasks = loaded.suite.task
    recipes = sum(1 for t in tasks if t.recipe)
    references = sum(1 for t in tasks if t.reference)
    typer.echo(
        f"{loaded.path}: ok ({plural(len(tasks), 'task')}: {recipes} recipe, "
        f"{len(tasks) - recipes} for a model, {references} with a reference)"
    )


@suite_app.command("list")
def suite_list(suite: Annotated[str, typer.Argument(help=SUITE_HELP)]) -> None:
    """List a suite's tasks: id, what runs, the checks, the instruction."""
    loaded = _load(suite)
    table = Table("task", "runs", "checks", "instruction")
    for task in loaded.suite.task:
        runs = (
            f"recipe {task.recipe}"
            if task.recipe
            else (f"model (reference {task.reference})" if task.reference else "model")
        )
        checks = ", ".join(c.kind for c in task.check)
        table.add_row(task.id, escape(runs), checks, escape(task.instruction))
    out.print(table)


def _progress(event: dict[str, Any]) -> None:
    kind = event["kind"]
    if kind == "started":
        info = event.get("info", {})
        err.print(
            f"[dim]start[/] {event['task']} [dim]on {info.get('display')} "
            f"(pid {info.get('pid')})[/]",
            highlight=False,
        )
    elif kind == "retry":
        err.print(f"[yellow]retry[/] {event['task']}: its worker died", highlight=False)
    elif kind == "failed":
        err.print(f"[red]worker[/] {escape(event['error'])}", highlight=False)
    elif kind == "result":
        r = event["result"]
        mark = "[green]pass[/]" if r.passed else "[red]FAIL[/]"
        err.print(
            f"{mark}  {r.task} [dim]{r.outcome}, {plural(r.steps, 'step')}, {r.seconds:.1f} s[/] ",
            end="",
            highlight=False,
        )
        err.print(r.error or ("" if r.passed else r.check), markup=False, highlight=False)


def _table(results: list[Any]) -> Table:
    from deskpilot.suites import totals

    table = Table("task", "check", "outcome", "steps", "s", "ms/step", "invalid", "denied",
                  title="suite results")  # fmt: skip
    for r in results:
        table.add_row(
            r.task,
            "[green]pass[/]" if r.passed else "[red]fail[/]",
            r.outcome,
            str(r.steps),
            f"{r.seconds:.1f}",
            f"{r.step_ms:.0f}",
            str(r.invalid),
            str(r.denials),
        )
    t = totals(results)
    table.add_section()
    table.add_row(
        f"{t.passed}/{t.tasks} ({t.success_rate:.0%})",
        "",
        "",
        str(t.steps),
        f"{t.seconds:.1f}",
        f"{t.step_ms:.0f}",
        str(t.invalid),
        str(t.denials),
        style="bold",
    )
    return table


@suite_app.command("run")
def suite_run(
    suite: Annotated[str, typer.Argument(help=SUITE_HELP)],
    model: Annotated[
        str | None,
        typer.Option(
            help="text-match, script:PLAN.jsonl, script:DIR (DIR/<task>.jsonl), a model "
            "folder, a URL, or 'reference' (each task's reference recipe)."
        ),
    ] = None,
    workers: Annotated[int, typer.Option(help="Desktops at once (one per worker).")] = 1,
    ray: Annotated[
        str | None,
        typer.Option(
            help="Run the workers as Ray actors: a cluster ADDRESS, 'auto' (the one "
            "`ray start` began) or 'local' (start one here). Needs deskpilot[fleet]."
        ),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Results folder; an existing one is resumed (default: runs/suite-<name>-<time>).",
        ),
    ] = None,
    task: Annotated[list[str] | None, typer.Option(help="Only this task (repeatable).")] = None,
    driver: Annotated[str, typer.Option(help=f"Input driver: {' or '.join(DRIVER_NAMES)}.")] = (
        "pyautogui"
    ),
    yes: Annotated[
        bool, typer.Option("--yes", help="Approve every 'ask' (only if the policy allows it).")
    ] = False,
) -> None:
    """Run a suite; each task's checker decides whether it passed. Exit 0 when all passed, 1
    when one failed, 2 on a usage error, 4 when interrupted (run again with --out to resume)."""
    from deskpilot.suites import run_suite
    from deskpilot.suites.ray_runner import RayOptions, import_ray

    loaded = _load(suite)
    name = loaded.suite.name or loaded.path.stem
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    folder = out_dir or Path("runs") / f"suite-{name.replace(' ', '-')}-{stamp}"
    with usage_errors():
        options = None
        if ray is not None:
            import_ray()
            options = RayOptions(address=ray)
    where = f"Ray ({ray})" if ray else "this machine"
    err.print(
        f"[bold]deskpilot suite[/] {name}: {plural(len(task or loaded.suite.task), 'task')} with "
        f"{model or 'no model'}, {plural(workers, 'worker')} on {where}; results in "
        f"{folder}",
        highlight=False,
    )
    try:
        with usage_errors():
            done = run_suite(
                loaded,
                model=model,
                out=folder,
                workers=workers,
                ray=options,
                only=task,
                driver=driver,
                yes=yes,
                on_event=_progress,
            )
    except KeyboardInterrupt:
        err.print(
            f"interrupted: finished tasks are in {folder}/results.jsonl; run again with "
            f"--out {folder} to resume",
            highlight=False,
        )
        raise typer.Exit(4) from None
    if done.resumed:
        err.print(
            f"resumed: {plural(done.resumed, 'task')} finished earlier, not run again",
            highlight=False,
        )
    out.print(_table(done.results))
    err.print(f"summary: {done.summary}", highlight=False)
    raise typer.Exit(0 if done.passed else 1)
