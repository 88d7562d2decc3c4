"""Bad input at the real command line, on a real display: each gets a clear message and the app
receives nothing from it.

"Nothing" is proven with a barrier: after the run, a click through XTEST must be the only input
the app has seen (X delivers events in order, so anything sent before would have shown first).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import (
    TkApp,
    call,
    cli,
    flat,
    only_steps,
    pointer,
    read_steps,
    run_cli,
    write_plan,
)


def assert_untouched(app: TkApp) -> None:
    """The app saw the barrier's click and nothing else: no click, key, text or save."""
    state = app.barrier()
    assert state["buttons"] == [1] and state["clicks"] == 1, state
    assert state["keys"] == [] and state["text"] == "" and state["saves"] == 0, state


# Each bad line aims at the button: if it were executed anyway, the app would count a click.
BAD_LINES: dict[str, tuple[Callable[[int, int], str], str]] = {
    "malformed JSON": (
        lambda x, y: f'{{"name": "click", "arguments": {{"x": {x}, "y": {y}',
        "not valid JSON",
    ),
    "unknown tool": (
        lambda x, y: json.dumps(call("teleport", x=x, y=y)),
        "name: unknown tool 'teleport'",
    ),
    "extra field": (
        lambda x, y: json.dumps(call("click", x=x, y=y, force=True)),
        "click: arguments: unexpected field 'force'",
    ),
    "wrong type": (
        lambda x, y: json.dumps(call("click", x=str(x), y=y)),
        "click: arguments.x: expected integer, got str",
    ),
}


@pytest.mark.parametrize("case", BAD_LINES)
def test_invalid_tool_calls_fail_the_run_after_the_retries(
    tk_app: TkApp, tmp_path: Path, case: str
) -> None:
    bad, message = BAD_LINES[case]
    bx, by = tk_app.center("button")
    # max_invalid = 3 in the default policy: the 4th invalid line in a row ends the run, so the
    # valid click after it must never run either.
    plan = write_plan(
        tmp_path / "plan.jsonl", *[bad(bx, by)] * 4, call("click", x=bx, y=by), call("done")
    )
    run_dir = tmp_path / "run"
    result = run_cli("bad model output", plan, run_dir)

    assert result.returncode == 1, result.stderr
    stderr = flat(result.stderr)
    assert "failed after 4 steps: 4 invalid tool calls in a row" in stderr
    assert message in stderr
    steps = only_steps(run_dir)
    assert len(steps) == 4
    assert all(s["call"] is None and s["result"] is None and message in s["error"] for s in steps)
    assert read_steps(run_dir)[-1]["outcome"] == "failed"
    assert_untouched(tk_app)


def test_the_run_goes_on_after_invalid_lines(tk_app: TkApp, tmp_path: Path) -> None:
    bx, by = tk_app.center("button")
    bad = [make(bx, by) for make, _ in list(BAD_LINES.values())[:3]]  # 3 in a row are tolerated
    plan = write_plan(tmp_path / "plan.jsonl", *bad, call("click", x=bx, y=by), call("done"))
    run_dir = tmp_path / "run"
    result = run_cli("recover from bad output", plan, run_dir)

    assert result.returncode == 0, result.stderr
    steps = only_steps(run_dir)
    assert [s["call"] is None for s in steps] == [True, True, True, False, False]
    state = tk_app.wait_for(lambda s: s["clicks"] == 1, "the valid click")
    assert state["buttons"] == [1]  # the bad lines, aimed at the button too, clicked nothing
    assert tk_app.barrier()["buttons"] == [1, 1]


def test_off_screen_coordinates_are_refused_before_the_pointer_moves(
    tk_app: TkApp, tmp_path: Path
) -> None:
    bx, by = tk_app.center("button")
    plan = write_plan(
        tmp_path / "plan.jsonl",
        call("click", x=5000, y=by),
        call("click", x=bx, y=800),  # one past the last row of a 1280x800 screen
        call("double_click", x=1280, y=by),
        call("drag", start_x=bx, start_y=by, end_x=bx, end_y=90_000),
        call("done"),
    )
    run_dir = tmp_path / "run"
    where = pointer()
    result = run_cli("click off the screen", plan, run_dir)

    assert result.returncode == 0, result.stderr
    assert pointer() == where  # not even a move
    steps = only_steps(run_dir)
    assert len(steps) == 5
    for step in steps[:4]:
        error = step["result"]["error"]
        assert "is off-screen" in error and "nothing was done" in error, error
        assert step["result"]["targets"] == [] and step["decision"] is None
    assert (
        "coordinate 5000 is off-screen: the valid range is 0..1279" in steps[0]["result"]["error"]
    )
    assert "coordinate 800 is off-screen: the valid range is 0..799" in steps[1]["result"]["error"]
    assert_untouched(tk_app)


def test_a_denied_tool_stops_the_run_with_exit_code_3(tk_app: TkApp, tmp_path: Path) -> None:
    marker = tmp_path / "shell-ran"
    bx, by = tk_app.center("button")
    plan = write_plan(
        tmp_path / "plan.jsonl",
        call("shell", command=f"touch {marker}"),
        call("click", x=bx, y=by),
        call("done"),
    )
    run_dir = tmp_path / "run"
    result = run_cli("run a command", plan, run_dir)

    assert result.returncode == 3, result.stderr
    assert "shell denied: the shell is disabled by the default policy" in flat(result.stderr)
    assert not marker.exists()
    (step,) = only_steps(run_dir)  # the run stopped at the denial: the click never ran
    assert step["decision"]["verdict"] == "deny"
    assert step["result"]["error"].startswith("denied by policy")
    assert read_steps(run_dir)[-1]["outcome"] == "denied"
    audit = [json.loads(line) for line in (run_dir / "audit.jsonl").read_text().splitlines()]
    assert [r["event"] for r in audit if r["event"] in ("decision", "execute")] == ["decision"]
    assert_untouched(tk_app)


def test_dry_run_records_what_it_would_do_and_does_nothing(tk_app: TkApp, tmp_path: Path) -> None:
    (bx, by), (ex, ey) = tk_app.center("button"), tk_app.center("entry")
    plan = write_plan(
        tmp_path / "plan.jsonl",
        call("click", x=bx, y=by),
        call("click", x=ex, y=ey),
        call("type_text", text="dry"),
        call("key", keys="ctrl+s"),
        call("scroll", x=ex, y=ey, dy=2),
        call("done", answer="nothing done"),
    )
    run_dir = tmp_path / "run"
    where = pointer()
    result = run_cli("pretend", plan, run_dir, "pyautogui", "--dry-run")

    assert result.returncode == 0, result.stderr
    assert pointer() == where
    records = read_steps(run_dir)
    assert records[0]["dry_run"] is True and records[0]["driver"] == "none"
    outputs = [s["result"]["output"] for s in records[1:-1]]
    assert outputs[:5] == [
        f"dry run: would click(x={bx}, y={by}, button='left', clicks=1) at ({bx}, {by})",
        f"dry run: would click(x={ex}, y={ey}, button='left', clicks=1) at ({ex}, {ey})",
        "dry run: would type_text(text='dry')",
        "dry run: would key(keys='ctrl+s')",
        f"dry run: would scroll(x={ex}, y={ey}, dx=0, dy=2) at ({ex}, {ey})",
    ]
    assert (run_dir / "report.html").is_file()
    assert_untouched(tk_app)


def _no_display(tmp_path: Path) -> dict[str, Any]:
    return {"env": {k: v for k, v in os.environ.items() if k != "DISPLAY"}}


def _dead_display(tmp_path: Path) -> dict[str, Any]:
    number = next(
        n
        for n in range(4242, 4400)
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists()
    )
    return {"env": {**os.environ, "DISPLAY": f":{number}"}}


def _policy(text: str | bytes | None) -> Callable[[Path], dict[str, Any]]:
    def make(tmp_path: Path) -> dict[str, Any]:
        path = tmp_path / "policy.toml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        elif text is not None:
            path.write_text(text)
        return {"extra": ["--policy", str(path)]}

    return make


# case: (what to change in the command, what the message must say)
USAGE_ERRORS: dict[str, tuple[Callable[[Path], dict[str, Any]], str]] = {
    "no DISPLAY": (_no_display, "no display: DISPLAY is not set"),
    "missing policy file": (_policy(None), "cannot read policy file"),
    "policy not UTF-8": (_policy(b"default = '\xff'\n"), "cannot read policy file"),
    "policy is a directory": (lambda p: {"extra": ["--policy", str(p)]}, "cannot read policy file"),
    "policy invalid TOML": (_policy("default = deny\n"), "invalid TOML"),
    "policy invalid value": (
        _policy("[budget]\nmax_steps = 0\n"),
        "line 2: budget.max_steps: Input should be greater than or equal to 1",
    ),
    "policy rule lacks a decision": (
        _policy("[[rule]]\ntools = ['click']\nreason = 'r'\n"),
        "rule[1].decision: Field required",
    ),
    "policy names an unknown tool": (
        _policy("[[rule]]\ntools = ['teleport']\ndecision = 'allow'\nreason = 'r'\n"),
        "policy rule 1 names unknown tool(s) ['teleport']",
    ),
    "DISPLAY names no server": (_dead_display, "cannot open the display ':"),
    "unknown driver": (lambda p: {"driver": "xdotool"}, "unknown driver 'xdotool'"),
    "no such monitor": (
        lambda p: {"extra": ["--monitor", "2"]},
        "monitor 2 does not exist; this display has monitors 1..1",
    ),
    "zero steps": (lambda p: {"extra": ["--max-steps", "0"]}, "--max-steps must be at least 1"),
}


@pytest.mark.parametrize("case", USAGE_ERRORS)
def test_usage_errors_exit_2_before_anything_happens(
    tk_app: TkApp, tmp_path: Path, case: str
) -> None:
    change, message = USAGE_ERRORS[case]
    options = change(tmp_path)
    bx, by = tk_app.center("button")
    plan = write_plan(tmp_path / "plan.jsonl", call("click", x=bx, y=by), call("done"))
    run_dir = tmp_path / "run"
    result = run_cli(
        "t",
        plan,
        run_dir,
        options.get("driver", "pyautogui"),
        *options.get("extra", []),
        env=options.get("env"),
    )

    assert result.returncode == 2, result.stderr
    stderr = flat(result.stderr)
    assert stderr.startswith("error: ") and message in stderr, stderr
    assert "Traceback" not in result.stderr
    assert not (run_dir / "steps.jsonl").exists()
    assert_untouched(tk_app)


def test_a_plan_that_cannot_be_read(tmp_path: Path) -> None:
    result = cli(
        "run",
        "t",
        "--model",
        f"script:{tmp_path / 'missing.jsonl'}",
        "--run-dir",
        str(tmp_path / "run"),
    )
    assert result.returncode == 2
    assert f"cannot read plan {tmp_path / 'missing.jsonl'}" in flat(result.stderr)
