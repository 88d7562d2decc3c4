"""The recorder builds steps in the order events happened, not the order its threads heard them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image

from deskpilot.recorder import Recorder
from deskpilot.screen import Frame, StaticScreen


def still_screen() -> StaticScreen:
    """A screen that never changes (a blank 200x100 monitor)."""
    return StaticScreen([Frame.from_image(Image.new("RGB", (200, 100), "white"))])


class Key:
    def __init__(self, char: str | None = None, name: str | None = None) -> None:
        self.char, self.name = char, name


class Button:
    def __init__(self, name: str) -> None:
        self.name = name


def recorder(tmp_path: Path, times: list[float]) -> Recorder:
    clock = iter(times)
    return Recorder(still_screen, tmp_path / "r.toml", clock=lambda: next(clock))


def type_keys(rec: Recorder, text: str) -> None:
    for char in text:
        rec.on_press(Key(char))
        rec.on_release(Key(char))


def test_keys_heard_late_still_come_before_the_click_after_them(tmp_path: Path) -> None:
    # a click at 1.0 s into the field, "Ada" typed at 2.0-2.5 s, a click on Save at 3.0 s; the
    # keyboard thread ran late and delivered the keys after the Save click
    rec = recorder(tmp_path, [1.0, 1.05, 3.0, 3.05, *[2.0 + i / 10 for i in range(6)]])
    rec.on_click(10, 10, Button("left"), True)
    rec.on_click(10, 10, Button("left"), False)
    rec.on_click(150, 80, Button("left"), True)
    rec.on_click(150, 80, Button("left"), False)
    type_keys(rec, "Ada")
    steps = rec.build_steps()
    assert [s["tool"] for s in steps] == ["click", "type_text", "click"]
    assert steps[1]["args"] == {"text": "Ada"}
    assert steps[2]["args"] == {"x": 150, "y": 80}


def test_in_order_arrival_gives_the_same_steps(tmp_path: Path) -> None:
    rec = recorder(tmp_path, [1.0, 1.05, *[2.0 + i / 10 for i in range(6)], 3.0, 3.05])
    rec.on_click(10, 10, Button("left"), True)
    rec.on_click(10, 10, Button("left"), False)
    type_keys(rec, "Ada")
    rec.on_click(150, 80, Button("left"), True)
    rec.on_click(150, 80, Button("left"), False)
    assert [s["tool"] for s in rec.build_steps()] == ["click", "type_text", "click"]


def test_double_click_is_judged_on_event_times_not_arrival(tmp_path: Path) -> None:
    fast = recorder(tmp_path, [1.0, 1.05, 1.2, 1.25])
    slow = recorder(tmp_path, [1.0, 1.05, 2.0, 2.05])
    for rec in (fast, slow):
        for pressed in (True, False, True, False):
            rec.on_click(40, 40, Button("left"), pressed)
    assert [s["tool"] for s in fast.build_steps()] == ["double_click"]
    assert [s["tool"] for s in slow.build_steps()] == ["click", "click"]


def test_the_stop_hotkey_and_anything_after_it_are_not_recorded(tmp_path: Path) -> None:
    # "hi", then ctrl+alt+r at 5.0 s; a click heard at the same time but made at 6.0 s is dropped
    times = [1.0, 1.1, 1.2, 1.3, 4.8, 4.9, 5.0, 6.0, 6.05]
    rec = recorder(tmp_path, times)
    type_keys(rec, "hi")
    rec.on_press(Key(name="ctrl_l"))
    rec.on_press(Key(name="alt_r"))  # the right alt is alt too
    rec.on_press(Key("r"))
    rec.on_click(40, 40, Button("left"), True)
    rec.on_click(40, 40, Button("left"), False)
    assert rec.wait(0)
    steps: list[dict[str, Any]] = rec.build_steps()
    assert steps == [{"tool": "type_text", "args": {"text": "hi"}}]


def test_right_hand_modifiers_make_combinations(tmp_path: Path) -> None:
    rec = recorder(tmp_path, [1.0, 1.1, 1.2, 1.3])
    rec.on_press(Key(name="ctrl_r"))
    rec.on_press(Key("s"))
    rec.on_release(Key("s"))
    rec.on_release(Key(name="ctrl_r"))
    assert rec.build_steps() == [{"tool": "key", "args": {"keys": "ctrl+s"}}]
