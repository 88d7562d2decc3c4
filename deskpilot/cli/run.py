"""`deskpilot run`: one agent task on the real screen, recorded to a run directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from deskpilot.agent.records import RunResult, StepRecord
from deskpilot.cli.common import build_registry, err, usage_errors
from deskpilot.drivers import DRIVER_NAMES
from deskpilot.errors import UsageError
from deskpilot.policies.redaction import Redactor

_STYLE = {"allow": "green", "ask": "yellow", "deny": "red"}


def print_step(rec: StepRecord, redactor: Redactor) -> None:
    """One line per step on stderr: what the model asked for, the decision and the result."""
    name = rec.call["name"] if rec.call else "invalid"
    verdict = rec.decision["verdict"] if rec.decision else "invalid"
    result = rec.result or {}
    text = result.get("error") or result.get("output") or rec.error
    ms = rec.timings_ms.get("total", 0.0)
    err.print(
        f"[bold]step {rec.step:>3}[/] {name:<13} [{_STYLE.get(verdict, 'red')}]{verdict:<7}[/] "
        f"[dim]{ms:7.1f} ms[/] ",
        end="",
        highlight=False,
    )
    err.print(redactor.redact(str(text))[:160], markup=False, highlight=False)


def _summary(result: RunResult, run_dir: Path) -> None:
    color = "green" if result.outcome.value == "done" else "red"
    err.print(f"[bold {color}]{result.outcome.value}[/] after {result.steps} steps: ", end="")
    err.print(result.reason, markup=False, highlight=False)
    err.print(f"trajectory: {run_dir}", highlight=False)


def run_task(
    task: str,
    *,
    model: str | None,
    policy: str | None = None,
    max_steps: int | None = None,
    run_dir: Path | None = None,
    dry_run: bool = False,
    driver: str = "pyautogui",
    monitor: int = 1,
    report: bool = True,
    audit: Path | None = None,
    yes: bool = False,
) -> RunResult:
    """Set up everything a run needs (usage errors exit with code 2), run it, write the report."""
    from deskpilot.agent import Agent, Trajectory, default_run_dir
    from deskpilot.agent.loop import no_window
    from deskpilot.agent.report import write_report
    from deskpilot.cli.approve import TerminalApprover
    from deskpilot.drivers import StopFlag, create_driver
    from deskpilot.policies import PolicyGate, effective_max_steps, load_policy
    from deskpilot.policies.approval import approve_all
    from deskpilot.policies.audit import AuditLog
    from deskpilot.policies.killswitch import KillSwitch
    from deskpilot.policies.sandbox import ShellSandbox
    from deskpilot.runtime import load_model
    from deskpilot.screen import MssScreen
    from deskpilot.tools.executor import Executor
    from deskpilot.windows import active_window

    registry, plugins, plugin_report = build_registry()
    stop = StopFlag()
    with usage_errors():
        loaded_policy = load_policy(policy, plugin_report.policies)
        gate = PolicyGate(loaded_policy, registry, veto=plugins.hook.veto_action)
        steps = effective_max_steps(loaded_policy, max_steps)
        if yes and not loaded_policy.allow_auto_approve:
            raise UsageError("--yes needs a policy with allow_auto_approve = true")
        if driver not in DRIVER_NAMES:
            create_driver(driver)  # raises the UsageError naming the choices
        chosen_model = load_model(model)
        screen = MssScreen(monitor)
        input_driver = None if dry_run else create_driver(driver, stop)
        settings = loaded_policy.kill_switch
        kill_switch = KillSwitch(stop, settings.hotkey).start() if settings.enabled else None
    directory = run_dir or default_run_dir(task)
    shell = None
    if gate.may_allow("shell") and not dry_run:
        with usage_errors():
            shell = ShellSandbox(loaded_policy.shell, directory / "work")
    redactor = Redactor(loaded_policy.redact)
    audit_log = AuditLog(audit or directory / "audit.jsonl", redactor)
    agent = Agent(
        model=chosen_model,
        screen=screen,
        executor=Executor(input_driver, stop=stop, dry_run=dry_run, shell=shell),
        gate=gate,
        registry=registry,
        trajectory=Trajectory(directory, redactor),
        audit=audit_log,
        redactor=redactor,
        approve=approve_all if yes else TerminalApprover(registry, directory),
        window_info=active_window if gate.needs_window else no_window,
        max_steps=steps,
        max_invalid=loaded_policy.budget.max_invalid,
        on_step=lambda rec: print_step(rec, redactor),
        run_info={
            "policy": policy or "default",
            "driver": "none" if dry_run else driver,
            "monitor": monitor,
        },
    )
    if kill_switch:
        err.print(f"kill switch: press {kill_switch.hotkey} to stop", highlight=False)
    err.print(
        f"[bold]deskpilot[/] {task!r} with {chosen_model.name}, up to {steps} steps",
        highlight=False,
    )
    try:
        result = agent.run(task)
    finally:
        screen.close()
        chosen_model.close()
        audit_log.close()
        if kill_switch:
            kill_switch.close()
    if report:
        write_report(directory)
    _summary(result, directory)
    return result


def run(
    task: Annotated[str, typer.Argument(help="What to do, in words.")],
    model: Annotated[
        str | None,
        typer.Option(help="Model: script:PLAN.jsonl, or a model folder; default: embedded model."),
    ] = None,
    policy: Annotated[
        str | None, typer.Option(help="Policy TOML file or preset (default, strict, trusted).")
    ] = None,
    max_steps: Annotated[
        int | None, typer.Option(help="Step budget; may lower the policy's, never raise it.")
    ] = None,
    run_dir: Annotated[
        Path | None,
        typer.Option(help="Where to write the trajectory (default: runs/<time>-<task>)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Execute nothing; record what would have happened.")
    ] = False,
    driver: Annotated[str, typer.Option(help=f"Input driver: {' or '.join(DRIVER_NAMES)}.")] = (
        "pyautogui"
    ),
    monitor: Annotated[int, typer.Option(help="Monitor to capture and drive (1 = primary).")] = 1,
    report: Annotated[bool, typer.Option(help="Write report.html at the end.")] = True,
    audit: Annotated[
        Path | None,
        typer.Option(help="Hash-chained audit log to append to (default: RUN_DIR/audit.jsonl)."),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Approve every 'ask' (only if the policy allows it).")
    ] = False,
) -> None:
    """Run an agent task on the screen.

    Exit codes: 0 done, 1 failed, 2 usage error, 3 denied by policy, 4 stopped or out of budget.
    """
    result = run_task(
        task,
        model=model,
        policy=policy,
        max_steps=max_steps,
        run_dir=run_dir,
        dry_run=dry_run,
        driver=driver,
        monitor=monitor,
        report=report,
        audit=audit,
        yes=yes,
    )
    if result.answer:
        typer.echo(result.answer)
    raise typer.Exit(result.outcome.exit_code)
