"""Desktop tests on a real X display: the tests start their own Xvfb (and jwm), never the user's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from deskpilot.xvfb import VirtualDisplay, stop_process
from tests.integration.conftest import center, settled_window, wait_until, xdotool
from tests.integration.conftest import cli as deskpilot

__all__ = ["center", "deskpilot", "wait_until", "xdotool"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder needs a real display (a conftest's pytestmark would be ignored)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.display)


@pytest.fixture(scope="session")
def display() -> Iterator[VirtualDisplay]:
    """A private 1280x800 display for the whole session; DISPLAY points at it meanwhile."""
    previous = os.environ.get("DISPLAY")
    with VirtualDisplay(1280, 800) as virtual:
        os.environ["DISPLAY"] = virtual.display
        yield virtual
    if previous is None:
        os.environ.pop("DISPLAY", None)
    else:
        os.environ["DISPLAY"] = previous


@pytest.fixture
def launch(display: VirtualDisplay) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start programs on the display; each is terminated and reaped after the test."""
    started: list[subprocess.Popen[bytes]] = []

    def start(*argv: str) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            list(argv), env=display.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        stop_process(proc)


def settled_form(
    read: Callable[[], dict[str, Any]], proc: subprocess.Popen[bytes], timeout: float = 15
) -> dict[str, Any]:
    """Wait until the demo form is mapped and settled (its window where the X server has it, the
    same twice: see ``settled_window``), and return its state then."""

    def report() -> tuple[list[int], Any] | None:
        if proc.poll() is not None:
            raise AssertionError(f"the demo form exited with code {proc.returncode}")
        try:
            state = read()
        except FileNotFoundError:  # not written yet
            return None
        return (state["window"], state) if state["mapped"] else None

    wait_until(report, timeout, "the demo form to be mapped")
    _, state = settled_window("deskpilot demo", report, timeout)
    return dict(state)


def start_demo(
    launch: Callable[..., subprocess.Popen[bytes]], state: Path
) -> tuple[subprocess.Popen[bytes], Callable[[], dict[str, Any]]]:
    """Start the demo form (deskpilot.demo.app) writing ``state``; once it has settled, the
    process and a function that reads its state."""
    proc = launch(sys.executable, "-m", "deskpilot.demo.app", str(state))

    def read() -> dict[str, Any]:
        return dict(json.loads(state.read_text()))

    settled_form(read, proc)
    return proc, read


@pytest.fixture
def demo_app(
    launch: Callable[..., subprocess.Popen[bytes]], tmp_path: Path
) -> Callable[[], dict[str, Any]]:
    """The demo form (deskpilot.demo.app), settled; returns a function that reads its state."""
    path = tmp_path / "demo-state.json"
    _, read = start_demo(launch, path)
    read.path = path  # type: ignore[attr-defined]
    return read
