"""Task suites on Ray: a local Ray instance started by the test (127.0.0.1, no dashboard, a small
object store), worker actors with one private desktop each, and one actor killed (SIGKILL)
mid-task: Ray replaces it and retries its task, and every task is recorded exactly once."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import ray

from deskpilot.suites import load_suite, run_suite
from deskpilot.suites.ray_runner import LOOPBACK_ONLY, RayOptions
from tests.desktop.test_suite_local import alive

SUITE = """name = "fleet"

[[task]]
id = "slow"
recipe = "slow.toml"
setup = { start = ["xterm -T fleet-term -e sh"], wait_window = "fleet-term" }
check = { file_contains = ["{workdir}/slow.txt", "slow-done"] }

[[task]]
id = "quick-a"
recipe = "quick.toml"
params = { name = "a" }
setup = { start = ["xterm -T fleet-term -e sh"], wait_window = "fleet-term" }
check = { file_contains = ["{workdir}/a.txt", "quick"] }

[[task]]
id = "quick-b"
recipe = "quick.toml"
params = { name = "b" }
setup = { start = ["xterm -T fleet-term -e sh"], wait_window = "fleet-term" }
check = { file_contains = ["{workdir}/b.txt", "quick"] }
"""
SLOW = """name = "slow"
[[step]]
wait_for = { window_title = "fleet-term", timeout = 15 }
[[step]]
tool = "type_text"
args = { text = "sleep 2; echo slow-done > slow.txt\\n" }
[[step]]
wait_for = { file = "slow.txt", timeout = 20 }
"""
QUICK = """name = "quick"
[params]
name = { description = "the file's name" }
[[step]]
wait_for = { window_title = "fleet-term", timeout = 15 }
[[step]]
tool = "type_text"
args = { text = "echo quick > {name}.txt\\n" }
[[step]]
wait_for = { file = "{name}.txt", timeout = 10 }
"""


@pytest.fixture
def local_ray(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Ray on this machine only, started and shut down by the test: every Ray server listens on
    127.0.0.1 (Ray's single-machine mode, in this process and the servers it starts)."""
    monkeypatch.setenv(LOOPBACK_ONLY, "0")
    monkeypatch.setattr(ray._private.ray_constants, "ENABLE_RAY_CLUSTER", False)
    ray.init(
        address="local",
        num_cpus=2,
        resources={"desktop": 2},
        include_dashboard=False,
        object_store_memory=100 * 1024 * 1024,
        log_to_driver=False,
    )
    assert ray.nodes()[0]["NodeManagerAddress"] == "127.0.0.1"
    try:
        yield
    finally:
        ray.shutdown()


def test_a_killed_worker_actor_is_replaced_and_its_task_retried(
    local_ray: None, tmp_path: Path
) -> None:
    for name, text in (("suite.toml", SUITE), ("slow.toml", SLOW), ("quick.toml", QUICK)):
        (tmp_path / name).write_text(text)
    killed: dict[str, Any] = {}

    def on_event(event: dict[str, Any]) -> None:
        if event["kind"] == "started" and event["task"] == "slow" and not killed:
            info = event["info"]
            killed.update(info)

            def kill() -> None:  # mid-task: the recipe is waiting for its file
                os.kill(int(info["pid"]), signal.SIGKILL)
                killed["at"] = time.monotonic()

            threading.Timer(2.5, kill).start()

    options = RayOptions(address="auto", memory=256 * 1024 * 1024, start_timeout=120)
    started = time.monotonic()
    run = run_suite(
        load_suite(str(tmp_path / "suite.toml")),
        model=None,
        out=tmp_path / "out",
        workers=2,
        ray=options,
        on_event=on_event,
    )
    took = time.monotonic() - started
    assert "at" in killed, "the slow task ended before the kill"
    by = {r.task: r for r in run.results}
    assert all(r.passed for r in run.results), [r.check + r.error for r in run.results]
    slow = by["slow"]
    assert slow.worker["pid"] != killed["pid"]  # retried on the actor Ray started in its place
    assert len(killed["desktop_pids"]) == 2  # Xvfb and the window manager
    assert not any(alive(pid) for pid in killed["desktop_pids"])  # its desktop went with it
    recorded = [
        json.loads(line)["task"]
        for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()
    ]
    assert sorted(recorded) == ["quick-a", "quick-b", "slow"]  # each exactly once
    for r in run.results:  # the actors' folders came back to this machine
        assert (tmp_path / "out" / r.run_dir / "report.html").is_file()
    print(f"3 tasks on 2 Ray actors, one killed: {took:.1f} s")
