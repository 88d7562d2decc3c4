"""The shell sandbox with real bubblewrap: no network, no writes outside the work dir, limits,
a timeout that kills grandchildren, and no secrets in the child's environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from deskpilot.agent import Outcome, read_trajectory
from deskpilot.errors import ActionFailed
from deskpilot.policies.sandbox import ShellSandbox
from deskpilot.policies.shell import ShellSettings, parse_command

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is required")
EXTRA = {"getent": {}, "sleep": {}, "yes": {}, "id": {}, "ping": {}, "dd": {}}


@pytest.fixture
def work_dir() -> Iterator[Path]:
    """A work dir that `nobody` can reach (pytest's own tmp dirs are private to root)."""
    path = Path(tempfile.mkdtemp(prefix="deskpilot-test-work-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def sandbox(work_dir: Path) -> ShellSandbox:
    settings = ShellSettings.model_validate(
        {"programs": {**ShellSettings().programs, **EXTRA}, "timeout_s": 2}
    )
    return ShellSandbox(settings, work_dir)


def run(sandbox: ShellSandbox, command: str) -> tuple[int, str]:
    result = sandbox.run(parse_command(command, sandbox.settings))
    return result.exit_code, result.output


def test_a_plain_command_runs_in_the_work_dir(sandbox: ShellSandbox) -> None:
    assert run(sandbox, "pwd") == (0, "/work\n")
    assert run(sandbox, "touch note.txt")[0] == 0
    assert (sandbox.work_dir / "note.txt").is_file()


@pytest.mark.parametrize("target", ["/usr/evil", "/etc/evil", "/root/evil", "/evil"])
def test_writes_outside_the_work_dir_fail(sandbox: ShellSandbox, target: str) -> None:
    with pytest.raises(ValueError, match="absolute path"):  # the policy refuses it first
        parse_command(f"touch {target}", sandbox.settings)
    result = sandbox.run(["touch", target])  # and the sandbox would stop it anyway
    code, output = result.exit_code, result.output
    assert code != 0 and ("Read-only file system" in output or "No such file" in output)
    assert not Path(target).exists()


def test_no_network_inside(sandbox: ShellSandbox) -> None:
    code, _ = run(sandbox, "getent hosts pypi.org")
    assert code != 0
    code, output = run(sandbox, "cat /dev/tcp/127.0.0.1/22")
    assert code != 0 and "No such file" in output


def test_the_child_never_sees_a_secret(
    sandbox: ShellSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKPILOT_CANARY_TOKEN", "canary-0a1b2c3d")
    monkeypatch.setenv("LANG", "C.UTF-8")
    result = sandbox.run(["cat", "/proc/self/environ"])
    assert "canary-0a1b2c3d" not in result.output
    assert "LANG=C.UTF-8" in result.output
    settings = sandbox.settings.model_copy(update={"env_allow": ["DESKPILOT_CANARY_TOKEN"]})
    assert "DESKPILOT_CANARY_TOKEN" not in ShellSandbox(settings, sandbox.work_dir).environment()


def test_runs_unprivileged(sandbox: ShellSandbox) -> None:
    _, output = run(sandbox, "id -u")
    assert output.strip() != "0" or os.geteuid() != 0


def test_the_timeout_kills_grandchildren(sandbox: ShellSandbox) -> None:
    marker = "3141"
    result = sandbox.run(["/bin/sh", "-c", f"sleep {marker} & sleep {marker} & wait"])
    assert result.timed_out
    assert nobody_processes(f"sleep {marker}") == ""


def nobody_processes(pattern: str) -> str:
    """Processes matching ``pattern`` that are still alive (zombies being reaped do not count)."""
    deadline = time.monotonic() + 3
    while True:
        found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout
        alive = [
            p
            for p in found.split()
            if Path(f"/proc/{p}/stat").exists()
            and Path(f"/proc/{p}/stat").read_text().split()[2] != "Z"
        ]
        if not alive or time.monotonic() > deadline:
            return " ".join(alive)
        time.sleep(0.05)


def test_a_fork_bomb_is_contained(sandbox: ShellSandbox) -> None:
    result = sandbox.run(["/bin/sh", "-c", "bomb() { bomb | bomb & }; bomb; sleep 5"])
    assert result.duration_ms < 10_000
    assert nobody_processes("bomb") == ""


def test_output_is_capped(sandbox: ShellSandbox) -> None:
    result = sandbox.run(["yes"])
    assert result.truncated
    assert len(result.output) == sandbox.settings.max_output_kb << 10


def test_an_agent_runs_an_allowed_command_through_the_gate(  # type: ignore[no-untyped-def]
    make_agent, tmp_path: Path, work_dir: Path
) -> None:
    from deskpilot.policies import parse_policy
    from tests.unit.conftest import call

    policy = '[[rule]]\ntools = ["shell", "done"]\ndecision = "allow"\nreason = "ok"\n'
    agent, driver = make_agent(
        [call("shell", command="echo sandboxed"), call("shell", command="ls; id"), call("done")],
        policy=policy,
        shell=ShellSandbox(parse_policy(policy).shell, work_dir),
    )
    gate = agent.actuator.gate
    gate.policy = gate.policy.model_copy(update={"on_deny": "continue"})
    assert agent.run("t").outcome is Outcome.DONE
    steps = [r for r in read_trajectory(tmp_path / "run") if r["type"] == "step"]
    assert "sandboxed" in steps[0]["result"]["output"] and steps[0]["result"]["exit_code"] == 0
    assert steps[1]["decision"]["verdict"] == "deny"
    assert driver.calls == []


def test_the_stop_flag_kills_a_running_command(sandbox: ShellSandbox) -> None:
    from deskpilot.stopflag import StopFlag

    stop = StopFlag()
    timer = threading.Timer(0.3, stop.set, args=("kill switch",))
    timer.start()
    started = time.monotonic()
    result = sandbox.run(["sleep", "2718"], stop=stop)
    timer.join()
    assert time.monotonic() - started < 1.5
    assert result.stopped and not result.timed_out and result.exit_code != 0
    assert nobody_processes("sleep 2718") == ""


def test_a_command_never_outlives_the_runs_deadline(sandbox: ShellSandbox) -> None:
    started = time.monotonic()
    result = sandbox.run(["sleep", "2719"], deadline=started + 0.4)
    assert result.timed_out and time.monotonic() - started < 1.5
    assert nobody_processes("sleep 2719") == ""
    result = sandbox.run(["sleep", "1"], deadline=started - 1)  # the time budget is already spent
    assert result.timed_out and result.duration_ms < 500


def test_the_executor_passes_its_stop_flag_to_the_shell(sandbox: ShellSandbox) -> None:
    from deskpilot.drivers import RecordingDriver
    from deskpilot.stopflag import StopFlag
    from deskpilot.tools import ToolRegistry
    from deskpilot.tools.executor import Executor
    from tests.unit.conftest import call

    stop = StopFlag()
    executor = Executor(RecordingDriver(stop=stop), stop=stop, shell=sandbox)
    shell_call = ToolRegistry().parse(call("shell", command="sleep 2720"))
    timer = threading.Timer(0.3, stop.set)
    timer.start()
    started = time.monotonic()
    result = executor.execute(shell_call, ())
    timer.join()
    assert time.monotonic() - started < 1.5
    assert result.error is not None and result.error.startswith("stopped")
    assert result.data["stopped"] is True


def quota_sandbox(work_dir: Path, **limits: int) -> ShellSandbox:
    programs = {**ShellSettings().programs, **EXTRA}
    settings = ShellSettings.model_validate({"programs": programs, "timeout_s": 5, **limits})
    return ShellSandbox(settings, work_dir)


def test_tmp_is_a_bounded_tmpfs(work_dir: Path) -> None:
    sandbox = quota_sandbox(work_dir, tmp_mb=4, max_file_mb=64)
    code, output = run(sandbox, "dd if=/dev/zero of=/tmp/fill bs=1M count=32")
    assert code != 0 and "No space left on device" in output


def test_filling_the_work_dir_past_its_quota_is_killed_and_reported(work_dir: Path) -> None:
    sandbox = quota_sandbox(work_dir, work_mb=8, max_file_mb=1024)
    result = sandbox.run(
        parse_command("dd if=/dev/urandom of=fill bs=1M count=600", sandbox.settings)
    )
    assert result.over_quota and result.exit_code != 0
    assert (sandbox.work_dir / "fill").stat().st_size < 600 << 20  # killed before it finished
    with pytest.raises(ActionFailed, match="over its quota"):  # and nothing more starts
        sandbox.run(["true"])
