"""The HTML report: self-contained, with each step's target drawn where the driver acted."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import pytest
from PIL import Image

from deskpilot.agent.report import THUMB_WIDTH, clock_time, duration, write_report
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


def _strip(html: str) -> str:
    found = re.search(r"<nav class='strip'>(.*?)</nav>", html)
    assert found, "the report has no strip of thumbnails"
    return found.group(1)


def test_a_strip_of_thumbnails_one_per_step_each_linking_to_its_step(
    make_agent: AgentFactory, tmp_path: Path
) -> None:
    frame = make_frame(
        640, 400, MonitorGeometry(left=100, top=50, width=320, height=200, scale=2.0)
    )
    plan = [
        call("click", x=200, y=100),
        call("type_text", text="Ada <L>"),
        call("key", keys="ctrl+s"),
        "oops",
        call("drag", start_x=20, start_y=40, end_x=300, end_y=200),
        call("done"),
    ]
    agent, _ = make_agent(plan, frame=frame)
    agent.run("fill the form")
    html = write_report(tmp_path / "run").read_text()
    strip = _strip(html)
    # the strip comes before the first step, inside the summary at the top
    assert html.index("<nav class='strip'>") < html.index('<section class="step"')
    links = re.findall(r'<a class="thumb [^"]*" href="#step-(\d+)"', strip)
    assert links == [str(n) for n in range(1, len(plan) + 1)]
    assert re.findall(r'<section class="step" id="step-(\d+)"', html) == links
    # small JPEGs, one per thumbnail; the full screenshots stay PNG, one per step
    thumbs = re.findall(r'src="data:image/jpeg;base64,([^"]+)"', strip)
    assert len(thumbs) == len(plan) and html.count("data:image/jpeg;base64,") == len(plan)
    assert html.count("data:image/png;base64,") == len(plan)
    with Image.open(io.BytesIO(base64.b64decode(thumbs[0]))) as image:
        assert image.size == (THUMB_WIDTH, 100)
    # thumbnails are split at each link: the click's dot, typing and key marks, the drag's arrow
    items = strip.split('<a class="thumb')[1:]
    dots = [re.findall(r'<circle class="dot" cx="([\d.]+)" cy="([\d.]+)"', i) for i in items]
    assert dots[0] == [("201.0", "101.0")]  # capture pixels, as on the full screenshot
    assert 'viewBox="0 0 640 400"' in items[0]
    assert dots[1] == dots[2] == dots[3] == dots[5] == []
    assert dots[4] == [("21.0", "41.0"), ("301.0", "201.0")] and "url(#arrow)" in items[4]
    keys = [re.findall(r'<span class="keys-mark" title="([^"]*)">', i) for i in items]
    assert keys == [[], ["type &#x27;Ada &lt;L&gt;&#x27;"], ["key ctrl+s"], [], [], []]
    assert "v-invalid" in items[3] and "v-allow" in items[0]


def test_each_screenshot_is_collapsible_and_marks_typing_and_keys(
    make_agent: AgentFactory, tmp_path: Path
) -> None:
    agent, _ = make_agent(
        [call("type_text", text="hello"), call("key", keys="enter"), call("done")]
    )
    agent.run("type")
    html = write_report(tmp_path / "run").read_text()
    sections = re.findall(r'<section class="step".*?</section>', html)
    assert len(sections) == 3
    for section in sections:
        details = re.search(r"<details><summary>screenshot</summary>(.*?)</details>", section)
        assert details and "data:image/png;base64," in details.group(1)
        assert "data:image/png" not in section.replace(details.group(0), "")
    assert '<span class="keys-mark" title="type &#x27;hello&#x27;">⌨ type' in sections[0]
    assert '<span class="keys-mark" title="key enter">⌨ key enter</span>' in sections[1]
    assert "keys-mark" not in sections[2]


def test_the_summary_says_outcome_steps_and_time_and_a_dry_run_says_so(
    make_agent: AgentFactory, tmp_path: Path
) -> None:
    agent, _ = make_agent([call("click", x=5, y=5), call("done", answer="fine")], dry_run=True)
    agent.run("t")
    html = write_report(tmp_path / "run").read_text()
    header = html[html.index("<header>") : html.index("</header>")]
    assert "outcome <b class='outcome-done'>done</b>: fine" in header and "2 steps" in header
    started = json.loads((tmp_path / "run" / "steps.jsonl").read_text().splitlines()[0])["started"]
    assert f"started {clock_time(started)}" in header
    assert re.search(r"took \d+ ms", header)
    assert "dry_run" not in header and "max_steps 30" in header
    assert html.count("class='banner dry-run'") == 1
    assert html.index("</header><div class='banner dry-run'>") < html.index("<nav class='strip'>")
    assert re.search(r"<h2>Step 1: click .*? · \d+ ms</h2>", html)
    assert re.search(r"timings</b></td><td>capture \d+ ms, save \d+ ms, model ", html)

    (tmp_path / "run" / "steps.jsonl").unlink()
    agent, _ = make_agent([call("done")])
    agent.run("t")
    assert "dry-run" not in write_report(tmp_path / "run").read_text()


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0123, "12 ms"),
        (0.9994, "999 ms"),
        (2.345, "2.3 s"),
        (65, "1 min 05 s"),
        (3725, "1 h 02 min"),
    ],
)
def test_durations_read_as_a_person_would_say_them(seconds: float, text: str) -> None:
    assert duration(seconds) == text
