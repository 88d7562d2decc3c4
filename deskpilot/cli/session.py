"""Everything a run on the real screen needs, built once and closed once: used by `run`, `demo`,
`recipe run` and the MCP server. Usage errors exit with code 2 before anything is touched."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deskpilot.agent.actuator import Actuator
from deskpilot.agent.loop import Agent
from deskpilot.agent.records import RunResult, StepRecord
from deskpilot.agent.trajectory import Trajectory
from deskpilot.cli.approve import TerminalApprover
from deskpilot.cli.common import build_registry, err, load_policy_spec, usage_errors
from deskpilot.drivers import DRIVER_NAMES, create_driver
from deskpilot.errors import UsageError
from deskpilot.policies import PolicyGate
from deskpilot.policies.approval import Approver, approve_all
from deskpilot.policies.audit import AuditLog
from deskpilot.policies.killswitch import KillSwitch
from deskpilot.policies.policy import Policy
from deskpilot.policies.redaction import Redactor
from deskpilot.policies.sandbox import ShellSandbox
from deskpilot.runtime.base import Model
from deskpilot.screen import MssScreen
from deskpilot.stopflag import StopFlag
from deskpilot.tools.executor import Executor
from deskpilot.tools.registry import ToolRegistry
from deskpilot.windows import NO_WINDOWS, X11Windows

_STYLE = {"allow": "green", "ask": "yellow", "deny": "red"}


@dataclass(kw_only=True)
class SessionOptions:
    """The options every screen-driving command shares."""

    policy: str | None = None
    run_dir: Path
    dry_run: bool = False
    driver: str = "pyautogui"
    monitor: int = 1
    audit: Path | None = None
    yes: bool = False
    approver: Approver | None = None


@dataclass(kw_only=True)
class Session:
    """The parts of one run: policy, gate, screen, audit, kill switch, and the actuator (the
    session object every entry point drives: it holds the executor and the driver)."""

    options: SessionOptions
    registry: ToolRegistry
    policy: Policy
    gate: PolicyGate
    screen: MssScreen
    redactor: Redactor
    audit: AuditLog
    trajectory: Trajectory
    actuator: Actuator
    kill_switch: KillSwitch | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def print_step(self, rec: StepRecord) -> None:
        """One line per step on stderr: the tool, the decision, the time and the result."""
        name = rec.call["name"] if rec.call else "invalid"
        verdict = rec.decision["verdict"] if rec.decision else ("invalid" if not rec.call else "-")
        result = rec.result or {}
        text = result.get("error") or result.get("output") or rec.error
        ms = rec.timings_ms.get("total", 0.0)
        err.print(
            f"[bold]step {rec.step:>3}[/] {name:<13} [{_STYLE.get(verdict, 'red')}]{verdict:<7}[/] "
            f"[dim]{ms:7.1f} ms[/] ",
            end="",
            highlight=False,
        )
        err.print(self.redactor.redact(str(text))[:160], markup=False, highlight=False)

    def agent(self, model: Model, max_steps: int, run_info: dict[str, Any]) -> Agent:
        """An agent driving ``model`` through this session's actuator, trajectory and redactor,
        printing each step, with the policy's limit on invalid outputs."""
        return Agent(
            model=model,
            actuator=self.actuator,
            trajectory=self.trajectory,
            redactor=self.redactor,
            max_steps=max_steps,
            max_invalid=self.policy.budget.max_invalid,
            on_step=self.print_step,
            run_info=run_info,
        )

    def redact_result(self, result: RunResult) -> RunResult:
        """The result with secrets masked in its reason and answer, for printing."""
        redact = self.redactor.redact
        return dataclasses.replace(
            result, reason=redact(result.reason), answer=redact(result.answer)
        )

    def close(self) -> None:
        """Release the screen, the audit log and the kill switch."""
        self.screen.close()
        self.audit.close()
        if self.kill_switch:
            self.kill_switch.close()


def open_session(options: SessionOptions) -> Session:
    """Build a session; any usage error exits with code 2 before the screen is touched."""
    registry, plugins, plugin_report = build_registry()
    stop = StopFlag()
    with usage_errors():
        policy = load_policy_spec(options.policy, plugin_report.policies)
        gate = PolicyGate(policy, registry, veto=plugins.hook.veto_action)
        if options.yes and not policy.allow_auto_approve:
            raise UsageError("--yes needs a policy with allow_auto_approve = true")
        if options.driver not in DRIVER_NAMES:
            create_driver(options.driver)  # raises the UsageError naming the choices
        screen = MssScreen(options.monitor)
        driver = None if options.dry_run else create_driver(options.driver, stop)
        shell = None
        if gate.may_allow("shell") and not options.dry_run:
            shell = ShellSandbox(policy.shell, options.run_dir / "work")
        redactor = Redactor(policy.redact)
        audit = AuditLog(options.audit or options.run_dir / "audit.jsonl", redactor)
        settings = policy.kill_switch
        kill_switch = KillSwitch(stop, settings.hotkey).start() if settings.enabled else None
    executor = Executor(driver, stop=stop, dry_run=options.dry_run, shell=shell)
    approver = options.approver or (
        approve_all if options.yes else TerminalApprover(registry, options.run_dir)
    )
    actuator = Actuator(
        gate=gate,
        executor=executor,
        registry=registry,
        screen=screen,
        approve=approver,
        audit=audit,
        windows=X11Windows() if gate.needs_window else NO_WINDOWS,
    )
    if kill_switch:
        err.print(f"kill switch: press {kill_switch.hotkey} to stop", highlight=False)
    return Session(
        options=options,
        registry=registry,
        policy=policy,
        gate=gate,
        screen=screen,
        redactor=redactor,
        audit=audit,
        actuator=actuator,
        trajectory=Trajectory(options.run_dir, redactor),
        kill_switch=kill_switch,
    )
