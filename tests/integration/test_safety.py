"""Safety features on a real display: a no-click region, the kill-switch hotkey, the fail-safe
corner (each must keep input away from the app, which the barrier proves), and redaction."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path

from tests.integration.conftest import (
    REPO,
    TkApp,
    call,
    flat,
    only_steps,
    read_steps,
    run_cli,
    wait_until,
    write_plan,
    xdotool,
)


def test_a_denied_screen_region_is_never_clicked(tk_app: TkApp, tmp_path: Path) -> None:
    x, y, w, h = tk_app.widgets["button"]
    policy = tmp_path / "policy.toml"
    policy.write_text(
        f"""
default = "deny"
on_deny = "continue"

[[rule]]
tools = ["click", "type_text", "done"]
decision = "allow"
reason = "what the test needs"

[[rule]]
tools = ["click", "double_click", "right_click", "drag"]
regions = [[{x}, {y}, {w}, {h}]]
decision = "deny"
reason = "never press the Count button"
"""
    )
    (bx, by), (ex, ey) = tk_app.center("button"), tk_app.center("entry")
    plan = write_plan(
        tmp_path / "plan.jsonl",
        call("click", x=bx, y=by),
        call("click", x=x + w - 1, y=y + h - 1),  # the region's last pixel is in it too
        call("click", x=ex, y=ey),
        call("type_text", text="allowed"),
        call("done"),
    )
    run_dir = tmp_path / "run"
    result = run_cli("stay out of a region", plan, run_dir, "pyautogui", "--policy", str(policy))

    assert result.returncode == 0, result.stderr
    steps = only_steps(run_dir)
    assert [s["decision"]["verdict"] for s in steps] == ["deny", "deny", "allow", "allow", "allow"]
    assert "never press the Count button" in steps[0]["result"]["error"]
    state = tk_app.wait_for(lambda s: s["text"] == "allowed", "the allowed typing")
    assert state["clicks"] == 0 and state["buttons"] == [1]  # only the click on the entry


def test_the_kill_switch_hotkey_stops_a_run(tk_app: TkApp, tmp_path: Path) -> None:
    bx, by = tk_app.center("button")
    plan = write_plan(
        tmp_path / "plan.jsonl", call("wait", seconds=30), call("click", x=bx, y=by), call("done")
    )
    run_dir = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "deskpilot",
        "run",
        "a long wait",
        "--model",
        f"script:{plan}",
        "--run-dir",
        str(run_dir),
    ]
    env = {**os.environ, "COLUMNS": "250"}
    with subprocess.Popen(command, cwd=REPO, env=env, stderr=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stderr is not None
            while "kill switch: press ctrl+alt+k" not in proc.stderr.readline():
                assert proc.poll() is None, "the run ended before its kill switch was armed"
            # The run is in its first step (the wait) once the step's screenshot is on disk.
            wait_until(lambda: (run_dir / "step-0001.png").exists(), message="the first step")
            started = time.monotonic()
            xdotool("key", "ctrl+alt+k")  # through XTEST, as a person's keyboard would arrive
            stderr = proc.stderr.read()
            proc.wait(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    assert proc.returncode == 4, stderr
    assert time.monotonic() - started < 10  # not the 30 s wait
    assert "kill switch (ctrl+alt+k) pressed" in flat(stderr)
    assert read_steps(run_dir)[-1]["outcome"] == "stopped"
    assert tk_app.barrier()["buttons"] == [1]  # the click after the wait never happened


def test_the_pyautogui_fail_safe_corner_stops_a_run(tk_app: TkApp, tmp_path: Path) -> None:
    bx, by = tk_app.center("button")
    plan = write_plan(
        tmp_path / "plan.jsonl", call("move", x=0, y=0), call("click", x=bx, y=by), call("done")
    )
    run_dir = tmp_path / "run"
    try:
        result = run_cli("into the corner", plan, run_dir, "pyautogui")
    finally:
        xdotool("mousemove", "640", "400")  # out of the corner, for the tests that follow

    assert result.returncode == 4, result.stderr
    assert "fail-safe" in flat(result.stderr)
    assert read_steps(run_dir)[-1]["outcome"] == "stopped"
    assert tk_app.barrier()["buttons"] == [1]  # the click never happened


def _redacting_policy(tmp_path: Path) -> Path:
    """The default preset plus a ``redact`` pattern for ``s3cr3t-...``."""
    default = resources.files("deskpilot.policies").joinpath("presets/default.toml").read_text()
    policy = tmp_path / "policy.toml"
    policy.write_text('redact = ["s3cr3t-[a-z]+"]\n' + default)
    return policy


def test_secrets_reach_the_app_but_not_the_records(tk_app: TkApp, tmp_path: Path) -> None:
    ex, ey = tk_app.center("entry")
    plan = write_plan(
        tmp_path / "plan.jsonl",
        call("click", x=ex, y=ey),
        call("type_text", text="s3cr3t-abc"),
        call("done"),
    )
    run_dir = tmp_path / "run"
    result = run_cli(
        "type a secret", plan, run_dir, "pyautogui", "--policy", str(_redacting_policy(tmp_path))
    )

    assert result.returncode == 0, result.stderr
    tk_app.wait_for(lambda s: s["text"] == "s3cr3t-abc", "the secret in the entry")
    for name in ("steps.jsonl", "audit.jsonl", "report.html"):
        text = (run_dir / name).read_text()
        assert "s3cr3t-abc" not in text and "[REDACTED]" in text, name
    assert "s3cr3t-abc" not in result.stderr


def test_the_end_of_run_line_is_redacted_too(tmp_path: Path) -> None:
    """The step line masks the answer; the "done after N steps: ..." line after it must too."""
    plan = write_plan(tmp_path / "plan.jsonl", call("done", answer="the key is s3cr3t-abc"))
    result = run_cli(
        "say a secret",
        plan,
        tmp_path / "run",
        "pyautogui",
        "--policy",
        str(_redacting_policy(tmp_path)),
    )

    assert result.returncode == 0, result.stderr
    assert "the key is [REDACTED]" in result.stderr  # the step line
    assert "s3cr3t-abc" not in result.stderr, result.stderr  # ... and the summary line
