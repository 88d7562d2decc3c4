"""The virtual display's window manager configuration: nothing on the screen shows the time."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from deskpilot.xvfb import JWM_SYSTEM_CONFIG, steady_jwm_config

TRAY = """<?xml version="1.0"?>
<JWM>
    <Tray x="0" y="-1" height="25">
        <Pager labeled="true"/>
        <TaskList maxwidth="256"/>
        <Swallow width="32" height="32" name="xclock">xclock</Swallow>
        <Clock format="%l:%M %p"><Button mask="123">exec:xclock</Button></Clock>
        <Clock format="%H:%M"/>
    </Tray>
    <Desktops width="4" height="1"/>
</JWM>
"""


def test_the_steady_config_drops_clocks_and_keeps_everything_else(tmp_path: Path) -> None:
    system = tmp_path / "system.jwmrc"
    system.write_text(TRAY, encoding="utf-8")
    steady = steady_jwm_config(system)
    assert steady is not None
    assert "Clock" not in steady and "Swallow" not in steady and "xclock" not in steady
    for kept in ('<Pager labeled="true"/>', '<TaskList maxwidth="256"/>', "<Desktops", "</Tray>"):
        assert kept in steady


def test_no_system_config_means_none(tmp_path: Path) -> None:
    assert steady_jwm_config(tmp_path / "missing.jwmrc") is None


@pytest.mark.skipif(
    shutil.which("jwm") is None or not JWM_SYSTEM_CONFIG.exists(), reason="needs jwm installed"
)
def test_jwm_parses_the_steady_config_of_this_machine(tmp_path: Path) -> None:
    steady = steady_jwm_config()
    assert steady is not None and "<Clock" not in steady
    rc = tmp_path / "jwmrc"
    rc.write_text(steady, encoding="utf-8")
    parsed = subprocess.run(["jwm", "-p", "-f", str(rc)], capture_output=True, text=True)
    assert parsed.returncode == 0
    assert "error" not in parsed.stderr.lower()
