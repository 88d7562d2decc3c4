"""A suite worker's private desktop outlives a Ctrl-C and not its owner.

Ctrl-C at a terminal is SIGINT to the whole foreground process group. The desktop's Xvfb and jwm
sit in a group of their own, so the SIGINT reaches the program that owns them (which finishes its
step, then closes them) and not them first; they still end when their owner dies, even by SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.integration.conftest import wait_until

OWNER = """
import signal, sys, time
from deskpilot.xvfb import VirtualDisplay
signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a worker: Ctrl-C is for its parent
display = VirtualDisplay(640, 480, with_parent=True).start()
print(display.display, *(p.pid for p in display._procs), flush=True)
time.sleep(120)
"""


def answers(display: str) -> bool:
    """Whether an X server answers on ``display``."""
    probe = subprocess.run(["xdpyinfo", "-display", display], capture_output=True, timeout=10)
    return probe.returncode == 0


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead and not yet reaped by whoever adopted it, does not)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def test_ctrl_c_spares_the_desktop_and_the_owners_death_ends_it() -> None:
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        assert owner.stdout is not None
        display, *pids = owner.stdout.readline().split()
        assert len(pids) == 2 and answers(display)  # Xvfb and jwm
        assert all(os.getpgid(int(pid)) != owner.pid for pid in pids)
        os.killpg(owner.pid, signal.SIGINT)  # the terminal's Ctrl-C to the owner's group
        time.sleep(1)
        assert owner.poll() is None and answers(display)
        assert all(alive(int(pid)) for pid in pids)
        owner.kill()  # no clean-up at all: the kernel tells the desktop its parent is gone
        owner.wait()
        wait_until(lambda: not any(alive(int(pid)) for pid in pids), 10, "the desktop to end")
        assert not answers(display)
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()
