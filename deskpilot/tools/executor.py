"""Execution of validated, allowed tool calls.

`resolve` maps every point to driver pixels (rejecting off-screen points) *before* the policy gate
decides, so rules can look at where an action lands. `execute` then calls the driver. Failures come
back as `ToolResult` values the model can read; only the stop flag ends an action early. Shell
commands go to a `ShellRunner` the caller injects (the policy's sandbox, `deskpilot.policies`).
"""

from __future__ import annotations

from typing import Protocol

from deskpilot.coords import CoordinateSpace, MonitorGeometry, scale_coordinates
from deskpilot.drivers.base import InputDriver
from deskpilot.errors import ActionFailed
from deskpilot.stopflag import StopFlag
from deskpilot.tools.actions import Done, Fail, Point, Screenshot, Shell, Wait
from deskpilot.tools.registry import ToolCall
from deskpilot.tools.result import ToolResult


class ShellRunner(Protocol):
    """Runs one shell command the policy allowed (checking it again against its own settings)."""

    def run_command(self, command: str, *, stop: StopFlag, deadline: float | None) -> ToolResult:
        """Run ``command``; a refusal or a failure is a `ToolResult` with an error, as is a
        command that ``stop`` or the ``deadline`` (monotonic) ended."""
        ...


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
        return self.shell.run_command(command, stop=self.stop, deadline=self.shell_deadline)
