"""`deskpilot run --model script:PLAN` on the tests' own Tk app, with each real input driver.

The plan's coordinates are screen pixels taken from the geometry the app reports (a window manager
places windows where it likes); the app's state file says what it really received.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from tests.integration.conftest import (
    HEIGHT,
    WIDTH,
    TkApp,
    call,
    only_steps,
    read_steps,
    run_cli,
    wait_until,
    write_plan,
)

DRIVERS = ["pyautogui", "pynput"]
TEXT = "Hello, Desk_Pilot 42!"  # capitals, punctuation and a space: shift has to work too


def png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG file (and proof that it is one)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def crop(path: Path, rect: list[int]) -> Image.Image:
    x, y, w, h = rect
    return Image.open(io.BytesIO(path.read_bytes())).convert("RGB").crop((x, y, x + w, y + h))


@pytest.mark.parametrize("driver", DRIVERS)
def test_click_type_and_key_combinations(tk_app: TkApp, tmp_path: Path, driver: str) -> None:
    (bx, by), (ex, ey) = tk_app.center("button"), tk_app.center("entry")
    plan = [
        call("click", x=bx, y=by),
        call("click", x=ex, y=ey),
        call("type_text", text=TEXT),
        call("key", keys="ctrl+s"),
        call("key", keys="ctrl+shift+k"),
        call("done", answer="counted, typed and saved"),
    ]
    run_dir = tmp_path / "run"
    result = run_cli(
        "fill in the test app", write_plan(tmp_path / "plan.jsonl", *plan), run_dir, driver
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "counted, typed and saved"
    state = tk_app.wait_for(lambda s: s["combo"] == 1, "ctrl+shift+k to reach the app")
    assert state["clicks"] == 1
    assert state["text"] == TEXT
    assert (state["saved"], state["saves"]) == (TEXT, 1)  # ctrl+s came after the whole text
    assert state["buttons"] == [1, 1]  # two left clicks, nothing else
    assert state["double"] == state["right"] == 0 and state["drags"] == []

    records = read_steps(run_dir)
    assert [r["type"] for r in records] == ["run", *["step"] * len(plan), "end"]
    header, steps, end = records[0], records[1:-1], records[-1]
    assert header["driver"] == driver and header["dry_run"] is False
    assert [s["call"] for s in steps] == plan
    assert [s["step"] for s in steps] == list(range(1, len(plan) + 1))
    assert all(s["result"]["error"] == "" for s in steps), [s["result"] for s in steps]
    assert steps[0]["result"]["targets"] == [[bx, by]]  # screen pixels are driver pixels here
    assert steps[1]["result"]["targets"] == [[ex, ey]]
    assert (end["outcome"], end["steps"]) == ("done", len(plan))
    for step in steps:
        assert png_size(run_dir / step["screenshot"]) == (WIDTH, HEIGHT)
    # The screenshots are the real screen: the entry is empty before typing, filled after.
    before = crop(run_dir / steps[2]["screenshot"], tk_app.widgets["entry"])
    after = crop(run_dir / steps[3]["screenshot"], tk_app.widgets["entry"])
    assert ImageChops.difference(before, after).getbbox() is not None

    report = (run_dir / "report.html").read_text()
    assert '<svg viewBox="0 0 1280 800"' in report and 'class="overlay"' in report
    # One mark per click, on the centre of the clicked pixel.
    marks = re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)"', report)
    assert [(float(x), float(y)) for x, y in marks] == [(bx + 0.5, by + 0.5), (ex + 0.5, ey + 0.5)]
    assert report.count("data:image/png;base64,") == len(plan)


@pytest.mark.parametrize("driver", DRIVERS)
def test_double_click_right_click_drag_and_scroll(
    tk_app: TkApp, wheel_clicks: list[tuple[int, int, int, int]], tmp_path: Path, driver: str
) -> None:
    lx, ly = tk_app.center("label")
    cx, cy, _, _ = tk_app.widgets["canvas"]
    start, end, wheel = (cx + 20, cy + 20), (cx + 250, cy + 140), (cx + 60, cy + 60)
    plan = [
        call("double_click", x=lx, y=ly),
        call("right_click", x=lx, y=ly),
        call("drag", start_x=start[0], start_y=start[1], end_x=end[0], end_y=end[1]),
        call("scroll", x=wheel[0], y=wheel[1], dy=3),
        call("scroll", x=wheel[0], y=wheel[1], dy=-1),
        call("scroll", x=wheel[0], y=wheel[1], dx=1),
        call("scroll", x=wheel[0], y=wheel[1], dx=-1),
        call("done"),
    ]
    run_dir = tmp_path / "run"
    result = run_cli("pointer actions", write_plan(tmp_path / "plan.jsonl", *plan), run_dir, driver)

    assert result.returncode == 0, result.stderr
    state = tk_app.wait_for(lambda s: s["wheel"]["left"], "the last wheel click")
    assert state["double"] == 1, state["buttons"]
    assert state["right"] == 1, state["buttons"]
    assert state["drags"] == [[*start, *end]]  # pressed at start, released at end, root pixels
    assert state["motion"] >= 2  # the pointer really travelled with the button held
    # What the driver sent, seen at the X server: dy > 0 is down, dx > 0 is right, one click
    # per unit, at the point asked for.
    down, up, right, left = (0, -1), (0, 1), (1, 0), (-1, 0)
    wait_until(lambda: len(wheel_clicks) >= 6, message="6 wheel clicks at the X server")
    assert wheel_clicks == [(*wheel, *d) for d in [down, down, down, up, right, left]]
    # What the app saw: buttons 1 1 (double), 3 (right), 1 (drag), 5 5 5 (down), 4 (up), then X11's
    # 7 (right) and 6 (left), which Tk 8.6 reports as Shift + 5 and Shift + 4. Tk drops wheel clicks
    # that arrive within one millisecond, so the drivers space them (drivers.base.WHEEL_INTERVAL):
    # every click must arrive.
    assert state["buttons"] == [1, 1, 3, 1, 5, 5, 5, 4, 5, 4], state["buttons"]
    assert state["wheel"] == {"up": 1, "down": 3, "left": 1, "right": 1}
    assert state["clicks"] == 0 and state["keys"] == []
    report = (run_dir / "report.html").read_text()
    assert 'marker-end="url(#arrow)"' in report  # the drag is drawn as an arrow
    assert len(only_steps(run_dir)) == len(plan)


def test_text_beyond_ascii(tk_app: TkApp, tmp_path: Path) -> None:
    """pynput types any character; PyAutoGUI refuses up front and types none of the text."""
    ex, ey = tk_app.center("entry")
    text = "café ü €"
    for driver in DRIVERS:
        plan = [call("click", x=ex, y=ey), call("type_text", text=text), call("done")]
        run_dir = tmp_path / driver
        result = run_cli(
            "type accents", write_plan(tmp_path / f"{driver}.jsonl", *plan), run_dir, driver
        )
        assert result.returncode == 0, result.stderr
        error = only_steps(run_dir)[1]["result"]["error"]
        if driver == "pyautogui":
            assert error == (
                "type_text: PyAutoGUI cannot type ['é', 'ü', '€']; use the pynput driver for such text"
            )
            assert tk_app.barrier()["text"] == ""  # not even the typeable part
        else:
            assert error == ""
            assert tk_app.wait_for(lambda s: s["text"] == text, "the accented text")
