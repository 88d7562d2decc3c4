"""A virtual X display (Xvfb, plus a small window manager for keyboard focus) for demos and tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from types import TracebackType

from deskpilot.errors import UsageError

WINDOW_MANAGERS = ("jwm", "openbox", "fluxbox", "twm")


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
        self, width: int = 1280, height: int = 800, *, window_manager: bool = True
    ) -> None:
        self.width, self.height = width, height
        self.window_manager = window_manager
        self.display = ""
        self._procs: list[subprocess.Popen[bytes]] = []

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
                wm = subprocess.Popen(
                    [path], env=self.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
                self._procs.append(wm)
                time.sleep(0.3)  # let it take over the root window before windows map
                return

    def env(self) -> dict[str, str]:
        """The current environment with DISPLAY pointing at this display."""
        return {**os.environ, "DISPLAY": self.display}

    def stop(self) -> None:
        """Terminate the window manager and Xvfb, and reap them."""
        for proc in reversed(self._procs):
            stop_process(proc)
        self._procs.clear()

    def __enter__(self) -> VirtualDisplay:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
