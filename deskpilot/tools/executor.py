"""Execution of validated, allowed tool calls.

`resolve` maps every point to driver pixels (rejecting off-screen points) *before* the policy gate
decides, so rules can look at where an action lands. `execute` then calls the driver. Failures come
back as `ToolResult` values the model can read; only the stop flag ends an action early.
"""

from __future__ import annotations

from deskpilot.coords import CoordinateSpace, MonitorGeometry, scale_coordinates
from deskpilot.drivers.base import InputDriver, StopFlag
from deskpilot.errors import ActionFailed
from deskpilot.policies.sandbox import ShellSandbox as ShellRunner
from deskpilot.policies.shell import parse_command
from deskpilot.tools.actions import Done, Fail, Point, Screenshot, Shell, Wait
from deskpilot.tools.registry import ToolCall
from deskpilot.tools.result import ToolResult


def resolve_targets(
    call: ToolCall, space: CoordinateSpace, monitor: MonitorGeometry
) -> tuple[Point, ...]:
    """The call's points in driver pixels.

    Raises:
        ActionFailed: A point is off-screen (nothing may be executed).
    """
    try:
        return tuple(scale_coordinates(x, y, space, monitor) for x, y in call.action.points())
    except ActionFailed as exc:
        raise ActionFailed(f"{call.name}: {exc}; nothing was done") from None


class Executor:
    """Carries out tool calls with one driver, or only describes them in a dry run."""

    def __init__(
        self,
        driver: InputDriver | None,
        *,
        stop: StopFlag,
        dry_run: bool = False,
        shell: ShellRunner | None = None,
    ) -> None:
        if driver is None and not dry_run:
            raise ValueError("an Executor needs a driver unless it is a dry run")
        self.driver = driver
        self.shell = shell
        self.shell_deadline: float | None = None  # the run's time budget ends (monotonic), if set
        self.stop = stop
        self.dry_run = dry_run

    def execute(self, call: ToolCall, targets: tuple[Point, ...]) -> ToolResult:
        """Execute ``call`` at ``targets`` (from `resolve_targets`)."""
        action = call.action
        match action:
            case Done(answer=answer):
                return ToolResult(output=answer or "done", final=True)
            case Fail(reason=reason):
                return ToolResult(error=reason or "the model gave up", final=True)
            case Screenshot():
                return ToolResult(output="a new screenshot follows")
            case Shell(command=command):
                return self._shell(command)
            case Wait(seconds=seconds):
                if self.dry_run:
                    return ToolResult(output=f"dry run: would wait {seconds:g} s")
                interrupted = self.stop.wait(seconds)
                text = "stopped while waiting" if interrupted else f"waited {seconds:g} s"
                return ToolResult(output=text)
        if self.dry_run or self.driver is None:
            return ToolResult(output=f"dry run: would {action.describe(targets)}", targets=targets)
        try:
            output = action.perform(self.driver, targets)
        except ActionFailed as exc:
            return ToolResult(error=f"{call.name}: {exc}", targets=targets)
        except Exception as exc:  # a driver library failing is an action failure, not a crash
            return ToolResult(error=f"{call.name}: driver error: {exc}", targets=targets)
        return ToolResult(output=output, targets=targets)

    def _shell(self, command: str) -> ToolResult:
        if self.dry_run:
            return ToolResult(output=f"dry run: would run {command!r}")
        if self.shell is None:
            return ToolResult(error="no shell sandbox is configured for this run")
        try:
            argv = parse_command(command, self.shell.settings)
            result = self.shell.run(argv, stop=self.stop, deadline=self.shell_deadline)
        except (ValueError, ActionFailed) as exc:
            return ToolResult(error=f"shell: {exc}")
        data = {"exit_code": result.exit_code, "timed_out": result.timed_out,
                "stopped": result.stopped, "over_quota": result.over_quota,
                "truncated": result.truncated, "duration_ms": result.duration_ms}  # fmt: skip
        if result.stopped:
            status = f"stopped ({self.stop.reason}); the command was killed"
        elif result.over_quota:
            status = f"the work dir went over its quota of {self.shell.settings.work_mb} MB"
        else:
            status = "timed out" if result.timed_out else f"exit code {result.exit_code}"
        text = f"{status}\n{result.output}" + ("\n[output truncated]" if result.truncated else "")
        if result.stopped or result.over_quota or result.timed_out or result.exit_code != 0:
            return ToolResult(error=text, data=data)
        return ToolResult(output=text, data=data)
