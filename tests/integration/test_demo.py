"""`deskpilot demo --virtual`: the whole product on a display of its own."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from tests.integration.conftest import cli, only_steps, pointer, xdotool


def test_demo_on_its_own_virtual_display(tmp_path: Path) -> None:
    xdotool("mousemove", "640", "400")
    run_dir = tmp_path / "demo"
    result = cli("demo", "--virtual", "--run-dir", str(run_dir))

    assert result.returncode == 0, result.stderr
    assert "demo succeeded" in result.stderr
    started = re.search(r"started a virtual display (:\d+)", result.stderr)
    assert started and started.group(1) != os.environ["DISPLAY"], result.stderr
    assert json.loads((run_dir / "demo-state.json").read_text())["saved"] == "Ada Lovelace"
    assert [s["call"]["name"] for s in only_steps(run_dir)] == ["click", "type_text", "click",
                                                                 "done"]  # fmt: skip
    assert (run_dir / "report.html").is_file()
    # It drove its own display, not the one DISPLAY named: this pointer never moved.
    assert pointer() == (640, 400)
