"""Desktop tests on a real X display: the tests start their own Xvfb (and jwm), never the user's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from deskpilot.xvfb import VirtualDisplay, stop_process
from tests.integration.conftest import center, wait_until, xdotool
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


@pytest.fixture
def demo_app(
    launch: Callable[..., subprocess.Popen[bytes]], tmp_path: Path
) -> Callable[[], dict[str, Any]]:
    """The demo form (deskpilot.demo.app); returns a function that reads its state."""
    state = tmp_path / "demo-state.json"
    launch(sys.executable, "-m", "deskpilot.demo.app", str(state))

    def read() -> dict[str, Any]:
        return json.loads(state.read_text())

    wait_until(lambda: state.exists() and read().get("mapped"), message="the demo window")
    time.sleep(0.3)  # the window manager's first placement
    read.path = state  # type: ignore[attr-defined]
    return read
