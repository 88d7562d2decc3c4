"""A virtual X display (Xvfb, plus a small window manager for keyboard focus) for demos and tests."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from deskpilot.errors import UsageError

WINDOW_MANAGERS = ("jwm", "openbox", "fluxbox", "twm")
JWM_SYSTEM_CONFIG = Path("/etc/jwm/system.jwmrc")
_TIME_IN_TRAY = re.compile(r"<(Clock|Swallow)\b[^>]*?(?:/>|>.*?</\1>)", re.DOTALL)


def steady_jwm_config(system: Path = JWM_SYSTEM_CONFIG) -> str | None:
    """JWM's system configuration without what shows the time in its tray (a clock, a swallowed
    xclock): a screen with a clock differs from minute to minute, and so does what a model answers
    on it; without, the same windows give the same screenshot on every run. None when there is no
    system configuration to start from."""
    try:
        return _TIME_IN_TRAY.sub("", system.read_text(encoding="utf-8"))
    except OSError:
        return None


def die_with_parent() -> None:
    """In a child between fork and exec: ask Linux to SIGTERM it when its parent dies, so that a
    worker killed outright (SIGKILL) does not leave its Xvfb and window manager behind."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux: nothing to ask for
        pass


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 5) -> None:
    """Terminate a child, kill it if it does not go within ``timeout``, and always reap it."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class VirtualDisplay:
    """Starts ``Xvfb`` on a free display number (and a window manager); stops both on exit.

    Use as a context manager. ``display`` is the ``:N`` string; ``env()`` is an environment for
    child processes that points at it. Children are always waited for (no zombies).
    """

    def __init__(
        self,
        width: int = 1280,
        height: int = 800,
        *,
        window_manager: bool = True,
        with_parent: bool = False,
    ) -> None:
        self.width, self.height = width, height
        self.window_manager = window_manager
        # with_parent: Xvfb and the window manager end when this process does, and sit in a process
        # group of their own, so that a Ctrl-C at the terminal (SIGINT to the foreground group)
        # reaches the program that owns them, which closes them after its step, and not them first
        self.with_parent = with_parent
        self.display = ""
        self._procs: list[subprocess.Popen[bytes]] = []
        self._config: tempfile.TemporaryDirectory[str] | None = None
        self.window_manager_command: list[str] = []  # as started (empty: none)

    def start(self) -> VirtualDisplay:
        """Start Xvfb and wait until it accepts connections."""
        xvfb = shutil.which("Xvfb")
        if xvfb is None:
            raise UsageError("Xvfb is not installed (Debian/Ubuntu: apt-get install xvfb)")
        read_fd, write_fd = os.pipe()
        proc = subprocess.Popen(
            [
                xvfb,
                "-displayfd",
                str(write_fd),
                "-screen",
                "0",
                f"{self.width}x{self.height}x24",
                "-nolisten",
                "tcp",
                "-noreset",
            ],
            pass_fds=(write_fd,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent if self.with_parent else None,
            process_group=0 if self.with_parent else None,
        )
        os.close(write_fd)
        self._procs.append(proc)
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        if not number:
            self.stop()
            raise UsageError("Xvfb did not start (no display number reported)")
        self.display = f":{number}"
        if self.window_manager:
            self._start_window_manager()
        return self

    def _start_window_manager(self) -> None:
        for name in WINDOW_MANAGERS:
            path = shutil.which(name)
            if path:
                command = [path]
                config = steady_jwm_config() if name == "jwm" else None
                if config is not None:
                    self._config = tempfile.TemporaryDirectory(prefix="deskpilot-jwm-")
                    rc = Path(self._config.name) / "jwmrc"
                    rc.write_text(config, encoding="utf-8")
                    command += ["-f", str(rc)]
                self.window_manager_command = command
                wm = subprocess.Popen(
                    command,
                    env=self.env(),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    preexec_fn=die_with_parent if self.with_parent else None,
                    process_group=0 if self.with_parent else None,
                )
                self._procs.append(wm)
                self._wait_for_window_manager(wm)
                return

    def _wait_for_window_manager(self, wm: subprocess.Popen[bytes], timeout: float = 10) -> None:
        """Wait until the window manager manages the root window: a window mapped before that is
        framed late, and moves after a test (or a worker) read where it is. EWMH managers (jwm,
        openbox, fluxbox) say so with ``_NET_SUPPORTING_WM_CHECK`` on the root, set once they
        hold its substructure redirect; twm says nothing, and gets a short sleep."""
        try:
            from Xlib import X
            from Xlib import display as xdisplay
        except ImportError:  # pragma: no cover - python-xlib comes with the input drivers
            time.sleep(0.3)
            return
        dpy: Any = xdisplay.Display(self.display)
        try:
            root = dpy.screen().root
            check = dpy.intern_atom("_NET_SUPPORTING_WM_CHECK")
            says = Path(self.window_manager_command[0]).name != "twm"
            deadline = time.monotonic() + (timeout if says else 0.3)
            while root.get_full_property(check, X.AnyPropertyType) is None:
                if wm.poll() is not None or time.monotonic() > deadline:
                    return  # no manager (the display still works) or one that says nothing
                time.sleep(0.02)
        finally:
            dpy.close()

    @property
    def pids(self) -> list[int]:
        """The process ids of Xvfb and the window manager while they run."""
        return [proc.pid for proc in self._procs]

    def env(self) -> dict[str, str]:
        """The current environment with DISPLAY pointing at this display."""
        return {**os.environ, "DISPLAY": self.display}

    def stop(self) -> None:
        """Terminate the window manager and Xvfb, and reap them."""
        for proc in reversed(self._procs):
            stop_process(proc)
        self._procs.clear()
        if self._config is not None:
            self._config.cleanup()
            self._config = None

    def __enter__(self) -> VirtualDisplay:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
