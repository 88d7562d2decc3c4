"""The HTML report: self-contained, with each step's target drawn where the driver acted."""

from __future__ import annotations

import re
from pathlib import Path

from deskpilot.agent.report import write_report
from deskpilot.coords import MonitorGeometry
from tests.unit.conftest import AgentFactory, call, make_frame


def test_report_embeds_screens_and_marks_the_click(
    make_agent: AgentFactory, tmp_path: Path
) -> None:
    frame = make_frame(
        640, 400, MonitorGeometry(left=100, top=50, width=320, height=200, scale=2.0)
    )
    agent, _ = make_agent(
        [call("click", x=200, y=100), "oops", call("done", answer="<b>ok</b>")], frame=frame
    )
    agent.run("click <it>")
    html = write_report(tmp_path / "run").read_text()
    assert html.count("data:image/png;base64,") == 3
    assert 'src="runs' not in html and "http" not in html.replace("http-equiv", "")
    # the click at (200, 100) in capture pixels -> driver (200, 100) -> drawn at capture (201, 101)
    circle = re.search(r'<circle cx="([\d.]+)" cy="([\d.]+)"', html)
    assert circle and (float(circle.group(1)), float(circle.group(2))) == (201.0, 101.0)
    assert 'viewBox="0 0 640 400"' in html
    assert "click &lt;it&gt;" in html and "&lt;b&gt;ok&lt;/b&gt;" in html
    assert "invalid output" in html and "not valid JSON" in html


def test_report_of_a_run_that_died_mid_write(make_agent: AgentFactory, tmp_path: Path) -> None:
    agent, _ = make_agent([call("move", x=1, y=1), call("done")])
    agent.run("t")
    steps = tmp_path / "run" / "steps.jsonl"
    lines = steps.read_text().splitlines()
    steps.write_text("\n".join(lines[:-2]) + "\n" + lines[-2][:20])
    html = write_report(tmp_path / "run").read_text()
    assert "unfinished" in html and "Step 1" in html
