"""Task suites on real desktops, locally: worker processes that each start their own Xvfb and
window manager, real applications, checkers on the real state; the built-in suite through the CLI
(a few of its tasks); an interrupted suite resumed without redoing what finished."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from deskpilot.suites import load_suite, run_suite
from tests.integration.conftest import REPO, wait_until

SUITE = """name = "tiny"
max_steps = 4

[[task]]
id = "by-recipe"
recipe = "terminal.toml"
params = { command = "echo from-recipe > r.txt" }
setup = { start = ["xterm -T tiny-term -e sh"], wait_window = "tiny-term" }
check = { file_contains = ["{workdir}/r.txt", "from-recipe"] }

[[task]]
id = "says-done"
instruction = "write a file named nothing.txt"
setup = { start = ["xterm -T tiny-term -e sh"], wait_window = "tiny-term" }
check = { file_exists = "{workdir}/nothing.txt" }

[[task]]
id = "scripted"
instruction = "write scripted into s.txt"
setup = { start = ["xterm -T tiny-term -e sh"], wait_window = "tiny-term" }
check = { file_contains = ["{workdir}/s.txt", "scripted"] }
"""
TERMINAL = """name = "terminal"
[params]
command = { description = "the command line" }
[[step]]
wait_for = { window_title = "tiny-term", timeout = 15 }
[[step]]
tool = "type_text"
args = { text = "{command}\\n" }
[[step]]
wait_for = { file = "r.txt", timeout = 10 }
"""


# Ctrl-C as a terminal gives it: a process started with SIGINT ignored (a background job of a
# non-interactive shell, `nohup`, and so every child of a test run started that way) keeps it
# ignored and Python then installs no KeyboardInterrupt for it; the CLI starts with the default
SIGINT_AS_AT_A_TERMINAL = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.executable, [sys.executable, '-m', 'deskpilot', *sys.argv[1:]])"
)


def cli(*args: str, **popen: object) -> subprocess.Popen[str]:
    env = {**os.environ, "COLUMNS": "250"}
    return subprocess.Popen(  # type: ignore[call-overload]
        [sys.executable, "-c", SIGINT_AS_AT_A_TERMINAL, *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie that nobody reaped yet does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def group_state(pgid: int) -> str:
    """Each process of a process group: pid, state, signal dispositions and command line (what a
    hung Ctrl-C needs to be understood)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            stat = (status.parent / "stat").read_text().rsplit(")", 1)[1].split()
            if int(stat[2]) != pgid:
                continue
            fields = dict(
                line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
            )
            command = (status.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue
        keys = ("State", "SigBlk", "SigIgn", "SigCgt")
        found.append(
            f"{status.parent.name}: "
            + " ".join(f"{k}={fields.get(k, '?').strip()}" for k in keys)
            + f" {command[:160]}"
        )
    return "\n".join(found)


def interrupted(process: subprocess.Popen[str], timeout: float) -> tuple[str, str]:
    """Ctrl-C to ``process``'s whole process group, as a terminal sends it; its output once it
    ends. If it does not end in ``timeout`` s, the test fails with the group's state and the whole
    output, and the group is killed."""
    os.killpg(process.pid, signal.SIGINT)
    try:
        return process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        state = group_state(process.pid)
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        raise AssertionError(
            f"still running {timeout:g} s after Ctrl-C; its process group:\n{state}\n"
            f"stdout:\n{stdout}\nstderr:\n{stderr}"
        ) from None


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_two_workers_on_private_desktops_and_the_checker_decides(tmp_path: Path) -> None:
    (tmp_path / "terminal.toml").write_text(TERMINAL)
    (tmp_path / "suite.toml").write_text(SUITE)
    plans = tmp_path / "plans"
    plans.mkdir()
    done = json.dumps({"name": "done", "arguments": {"answer": "written"}})
    (plans / "says-done.jsonl").write_text(done + "\n")  # claims success, does nothing
    typed = {"name": "type_text", "arguments": {"text": "echo scripted > s.txt\n"}}
    wait = {"name": "wait", "arguments": {"seconds": 0.5}}
    (plans / "scripted.jsonl").write_text(f"{json.dumps(typed)}\n{json.dumps(wait)}\n{done}\n")
    seen: list[dict[str, object]] = []
    before = os.environ.get("DISPLAY")
    started = time.monotonic()
    run = run_suite(
        load_suite(str(tmp_path / "suite.toml")),
        model=f"script:{plans}",
        out=tmp_path / "out",
        workers=2,
        on_event=seen.append,
    )
    took = time.monotonic() - started
    assert os.environ.get("DISPLAY") == before  # the workers' displays are theirs alone
    by = {r.task: r for r in run.results}
    assert by["by-recipe"].passed and by["by-recipe"].mode == "recipe"
    assert by["scripted"].passed and by["scripted"].steps == 3
    says = by["says-done"]
    assert says.outcome == "done" and not says.passed  # the model's own `done` proves nothing
    assert "nothing.txt is missing" in says.check
    ready = [e["info"] for e in seen if e["kind"] == "ready"]
    assert len({w["pid"] for w in ready}) == 2 and len({w["display"] for w in ready}) == 2
    assert before not in {w["display"] for w in ready} and os.getpid() not in {
        w["pid"] for w in ready
    }
    assert {r.worker["pid"] for r in run.results} <= {w["pid"] for w in ready}
    for worker in ready:  # each desktop (Xvfb and a window manager) stopped with its worker
        assert len(worker["desktop_pids"]) == 2
        assert not any(alive(pid) for pid in worker["desktop_pids"])
    recorded = lines(tmp_path / "out" / "results.jsonl")
    assert sorted(str(r["task"]) for r in recorded) == ["by-recipe", "says-done", "scripted"]
    for r in run.results:
        assert (tmp_path / "out" / r.run_dir / "report.html").is_file()
        assert (tmp_path / "out" / r.run_dir / "steps.jsonl").is_file()
    summary = run.summary.read_text()
    assert "2 of 3 passed" in summary and "tasks/scripted/run/report.html" in summary
    assert [e["kind"] for e in seen].count("started") == 3
    print(f"3 tasks on 2 workers: {took:.1f} s")


def test_builtin_tasks_through_the_cli_then_an_interrupted_run_resumes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    tasks = ["form-greet-keys", "xterm-echo", "l3afpad-copy-all", "settings-rename"]
    args = ["suite", "run", "builtin", "--model", "reference", "--workers", "1", "--out", str(out)]
    args += [a for t in tasks for a in ("--task", t)]
    first = cli(*args, start_new_session=True)
    results = out / "results.jsonl"
    wait_until(
        lambda: results.is_file() and results.read_text().count("\n") >= 1,
        timeout=90,
        message="the first finished task",
    )
    stdout, stderr = interrupted(first, timeout=60)
    assert first.returncode == 4, stderr
    assert "run again with --out" in " ".join(stderr.split())
    finished = [str(r["task"]) for r in lines(results)]
    assert 1 <= len(finished) < len(tasks)
    report = out / "tasks" / finished[0] / "run" / "report.html"
    stamp = report.stat().st_mtime_ns

    second = cli(*args)
    stdout, stderr = second.communicate(timeout=240)
    assert second.returncode == 0, stdout + stderr
    assert f"resumed: {len(finished)} task" in stderr
    recorded = [str(r["task"]) for r in lines(results)]
    assert sorted(recorded) == sorted(tasks)  # each once: nothing redone, nothing lost
    assert report.stat().st_mtime_ns == stamp
    assert "4/4 (100%)" in stdout
    assert (out / "summary.html").is_file()


SLOW_SUITE = """name = "slow"
[[task]]
id = "slow"
recipe = "slow.toml"
setup = { start = ["xterm -T slow-term -e sh"], wait_window = "slow-term" }
check = { file_contains = ["{workdir}/slow.txt", "slow-done"] }
"""
SLOW = """name = "slow"
[[step]]
wait_for = { window_title = "slow-term", timeout = 15 }
[[step]]
tool = "type_text"
args = { text = "sleep 2; echo slow-done > slow.txt\\n" }
[[step]]
wait_for = { file = "slow.txt", timeout = 20 }
"""


def test_a_killed_worker_process_is_replaced_and_its_task_given_out_again(tmp_path: Path) -> None:
    (tmp_path / "suite.toml").write_text(SLOW_SUITE)
    (tmp_path / "slow.toml").write_text(SLOW)
    killed: dict[str, object] = {}
    events: list[dict[str, object]] = []

    def on_event(event: dict[str, object]) -> None:
        events.append(event)
        if event["kind"] == "started" and not killed:
            info = event["info"]
            assert isinstance(info, dict)
            killed.update(info)
            threading.Timer(2.5, os.kill, (int(info["pid"]), signal.SIGKILL)).start()

    run = run_suite(
        load_suite(str(tmp_path / "suite.toml")),
        model=None,
        out=tmp_path / "out",
        workers=1,
        on_event=on_event,
    )
    [result] = run.results
    assert result.passed, result.check + result.error
    assert result.worker["pid"] != killed["pid"]  # run again by the worker started in its place
    assert [e["kind"] for e in events].count("retry") == 1
    assert not any(alive(int(pid)) for pid in killed["desktop_pids"])  # type: ignore[attr-defined]
    assert len(lines(tmp_path / "out" / "results.jsonl")) == 1
