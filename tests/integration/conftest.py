"""Integration tests on a real X display: the real `deskpilot` command drives real windows.

Every test here runs on a private Xvfb display (with jwm, for keyboard focus) that this package
starts itself, even when DISPLAY is set: these tests must never move a developer's mouse. The
display lives as long as the package's tests; apps are started per test and always reaped.
Every test in this directory is marked ``display`` (``pytest -m "not display"`` skips them).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest

from deskpilot.xvfb import WINDOW_MANAGERS, VirtualDisplay

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
TK_APP = REPO / "tests" / "apps" / "tk_app.py"
WIDTH, HEIGHT = 1280, 800
CLI_TIMEOUT = 60

Rect = tuple[int, int, int, int]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of this directory ``display`` (the hook sees the whole session's items)."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.display)


@pytest.fixture(scope="package", autouse=True)
def display() -> Iterator[VirtualDisplay]:
    """A private 1280x800 Xvfb display with a window manager; DISPLAY points at it meanwhile."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (apt-get install xvfb)")
    if not any(shutil.which(wm) for wm in WINDOW_MANAGERS):
        pytest.skip(f"no window manager for keyboard focus (one of {', '.join(WINDOW_MANAGERS)})")
    previous = os.environ.get("DISPLAY")
    virtual = VirtualDisplay(WIDTH, HEIGHT).start()
    os.environ["DISPLAY"] = virtual.display
    try:
        yield virtual
    finally:
        virtual.stop()
        if previous is None:
            os.environ.pop("DISPLAY", None)
        else:
            os.environ["DISPLAY"] = previous


# --- waiting ----------------------------------------------------------------------------------


def wait_until(condition: Callable[[], Any], timeout: float = 10, message: str = "") -> Any:
    """Poll ``condition`` until it returns something truthy, and return that; fail on timeout."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {message} (last: {value!r})")


# --- processes --------------------------------------------------------------------------------


@pytest.fixture
def launch(
    display: VirtualDisplay, tmp_path: Path
) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start programs on the display (output to ``tmp_path/<name>.log``); each one is terminated
    and waited for after the test, whatever happened."""
    started: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []

    def start(*argv: str) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"{Path(argv[0]).name}-{len(started)}.log").open("wb")
        proc = subprocess.Popen(list(argv), env=display.env(), stdout=log, stderr=log)
        started.append((proc, log))
        return proc

    yield start
    for proc, log in reversed(started):
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = CLI_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m deskpilot ARGS`` as a user would (on the test display unless ``env`` says
    otherwise). Rich wraps stderr at the terminal width: COLUMNS keeps messages on one line."""
    environment = dict(os.environ) if env is None else dict(env)
    environment.setdefault("COLUMNS", "250")
    return subprocess.run(
        [sys.executable, "-m", "deskpilot", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
        cwd=REPO,
    )


def run_cli(
    task: str,
    plan: Path,
    run_dir: Path,
    driver: str = "pyautogui",
    *extra: str,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``deskpilot run TASK --model script:PLAN --run-dir DIR --driver D [EXTRA]``."""
    return cli(
        "run",
        task,
        "--model",
        f"script:{plan}",
        "--run-dir",
        str(run_dir),
        "--driver",
        driver,
        *extra,
        env=env,
    )


def flat(text: str) -> str:
    """``text`` with every run of whitespace made one space (for messages a console may wrap)."""
    return " ".join(text.split())


# --- plans and run directories ----------------------------------------------------------------


def call(name: str, **arguments: Any) -> dict[str, Any]:
    """One tool call in wire format."""
    return {"name": name, "arguments": arguments}


def write_plan(path: Path, *lines: dict[str, Any] | str) -> Path:
    """A scripted model's plan: one line per call; strings are written verbatim (bad input)."""
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    return path


def read_steps(run_dir: Path) -> list[dict[str, Any]]:
    """Every record of ``steps.jsonl`` (header, steps, end)."""
    return [json.loads(line) for line in (run_dir / "steps.jsonl").read_text().splitlines()]


def only_steps(run_dir: Path) -> list[dict[str, Any]]:
    """The step records of ``steps.jsonl``."""
    return [r for r in read_steps(run_dir) if r["type"] == "step"]


# --- X helpers --------------------------------------------------------------------------------


def center(rect: list[int] | Rect) -> tuple[int, int]:
    """The centre of an ``[x, y, width, height]`` rectangle."""
    x, y, w, h = rect
    return x + w // 2, y + h // 2


def xdotool(*args: str, timeout: float = 10) -> str:
    """Run xdotool on the test display; its output."""
    return subprocess.run(
        ["xdotool", *args], check=True, capture_output=True, text=True, timeout=timeout
    ).stdout


def pointer() -> tuple[int, int]:
    """Where the pointer is."""
    fields = dict(part.split(":") for part in xdotool("getmouselocation").split()[:2])
    return int(fields["x"]), int(fields["y"])


def window_rect(window: int) -> Rect | None:
    """A window's rectangle in root pixels, or None while it is not viewable.

    (``xdotool getwindowgeometry`` counts jwm's frame offset twice: ask the X server instead.)
    """
    from Xlib import X
    from Xlib import display as xdisplay

    dpy = xdisplay.Display()
    try:
        win = dpy.create_resource_object("window", window)
        if win.get_attributes().map_state != X.IsViewable:
            return None
        geometry = win.get_geometry()
        origin = win.translate_coords(dpy.screen().root, 0, 0)
        return -origin.x, -origin.y, geometry.width, geometry.height
    finally:
        dpy.close()


def find_window(title: str, timeout: float = 10) -> tuple[int, Rect]:
    """The window titled exactly ``title`` and its rectangle, once the window manager has
    placed it (the same rectangle twice in a row)."""
    window = int(xdotool("search", "--sync", "--name", f"^{title}$", timeout=timeout).split()[0])
    seen: list[Rect | None] = [None]

    def placed() -> Rect | None:
        rect = window_rect(window)
        stable = rect if rect is not None and rect == seen[-1] else None
        seen.append(rect)
        if not stable:
            time.sleep(0.1)
        return stable

    return window, wait_until(placed, timeout, f"window {title!r} to be placed")


def settled_window(
    title: str, report: Callable[[], tuple[list[int], Any] | None], timeout: float = 15
) -> tuple[list[int], Any]:
    """Wait until the window titled exactly ``title`` has settled and its app has caught up, and
    return the app's report then.

    ``report`` is what the app says now: its window's rectangle and what else it reports (its
    widgets' rectangles), or None while it has not said. Settled: the X server's rectangle of the
    window the same twice 0.1 s apart (the window manager has framed and placed it: it may add its
    frame after the window first shows), and the app's report the same in both reads, with its
    window where the X server has it (an app slower than its window manager has not caught up)."""
    found = xdotool("search", "--sync", "--name", f"^{title}$", timeout=timeout).split()
    windows = [int(w) for w in found]
    seen: list[Any] = [None]
    last: list[Any] = []

    def settled() -> tuple[list[int], Any] | None:
        reported = report()
        now = (reported, [window_rect(w) for w in windows])
        agree = reported is not None and tuple(reported[0]) in now[1]
        stable = agree and now == seen[-1]
        seen.append(now if agree else None)
        last[:] = [now]
        if not stable:
            time.sleep(0.1)
        return reported if stable else None

    try:
        result: tuple[list[int], Any] = wait_until(settled, timeout, f"window {title!r} to settle")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; (the app's report, the X server's): {last}") from None
    return result


@pytest.fixture
def wheel_clicks(display: VirtualDisplay) -> Iterator[list[tuple[int, int, int, int]]]:
    """Every wheel click the X server handles during the test, as pynput reports it: ``(x, y,
    dx, dy)`` with dy = 1 up, dy = -1 down. Recorded at the server (XRecord), this is what a
    driver really sent, whatever an app makes of it."""
    from pynput import mouse

    seen: list[tuple[int, int, int, int]] = []
    listener = mouse.Listener(on_scroll=lambda x, y, dx, dy, *_: seen.append((x, y, dx, dy)))
    listener.start()
    listener.wait()
    yield seen
    listener.stop()
    xdotool("mousemove_relative", "1", "0")  # pynput's X11 listener sees stop() at its next event
    listener.join(5)


def require(*programs: str) -> None:
    """Skip the test when a program it drives is not installed."""
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)}")


# --- the tests' Tk app ------------------------------------------------------------------------


@dataclass
class TkApp:
    """The running tests/apps/tk_app.py: its state file and the widgets' screen rectangles."""

    path: Path
    widgets: dict[str, list[int]] = field(default_factory=dict)

    def state(self) -> dict[str, Any]:
        """The app's latest state (written atomically, so always whole)."""
        state: dict[str, Any] = json.loads(self.path.read_text())
        return state

    def center(self, widget: str) -> tuple[int, int]:
        """The centre of a widget, in screen pixels."""
        return center(self.widgets[widget])

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], Any], message: str, timeout: float = 10
    ) -> dict[str, Any]:
        """Poll the state file until ``predicate(state)`` holds; the state then."""

        last: list[dict[str, Any]] = []

        def holds() -> dict[str, Any] | None:
            last[:] = [self.state()]
            return last[0] if predicate(last[0]) else None

        try:
            result: dict[str, Any] = wait_until(holds, timeout, message)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; the app's state: {last}") from None
        return result

    def barrier(self) -> dict[str, Any]:
        """Click the button through XTEST (xdotool) and wait for the app to count it.

        X delivers events in order, so once this click is seen every event sent before it has
        been handled: after the barrier, "the app saw nothing" can be asserted without sleeping.
        The state returned includes the barrier's own click (``clicks`` + 1, one more button 1).
        """
        before = self.state()["clicks"]
        x, y = self.center("button")
        xdotool("mousemove", str(x), str(y), "click", "1")
        return self.wait_for(lambda s: s["clicks"] == before + 1, "the barrier click")


def start_tk_app(launch: Callable[..., subprocess.Popen[bytes]], state_file: Path) -> TkApp:
    """Start the Tk app and wait until it is mapped and settled where the window manager put it."""
    proc = launch(sys.executable, str(TK_APP), str(state_file))
    app = TkApp(state_file)

    def report() -> tuple[list[int], Any] | None:
        if proc.poll() is not None:
            raise AssertionError(f"the Tk app exited with code {proc.returncode}")
        try:
            state = app.state()
        except (OSError, json.JSONDecodeError):
            return None
        return (state["widgets"]["window"], state["widgets"]) if state["mapped"] else None

    wait_until(report, 15, "the Tk app to be mapped")
    _, app.widgets = settled_window("deskpilot integration app", report)
    return app


@pytest.fixture
def tk_app(launch: Callable[..., subprocess.Popen[bytes]], tmp_path: Path) -> TkApp:
    """The tests' Tk app, freshly started for this test."""
    pytest.importorskip("tkinter")
    return start_tk_app(launch, tmp_path / "tk-state.json")
