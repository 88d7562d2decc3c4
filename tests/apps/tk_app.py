"""The integration tests' own Tk app: it reports what it saw, and where its widgets are, as JSON.

Run: ``python tests/apps/tk_app.py STATE.json``. Whenever something changes it rewrites STATE.json
atomically (temporary file + ``os.replace``) with:

- ``clicks`` (the button), ``text`` (the entry), ``saved`` / ``saves`` (Control-s: the entry's text
  at that moment), ``combo`` (Control-Shift-K), ``double`` / ``right`` (the label);
- ``drags`` (canvas: ``[press_x, press_y, release_x, release_y]`` in root pixels, ``motion``: the
  pointer moves seen while the button was held), ``wheel`` (canvas: wheel clicks up, down, left,
  right);
- ``buttons`` (the number of every mouse button pressed anywhere in the app) and ``keys`` (the
  keysym of every key pressed): what a test checks to prove that *nothing* reached the app;
- ``widgets``: each widget's screen rectangle ``[x, y, width, height]`` (from ``winfo_root*``), and
  ``mapped``; ``seq`` grows with every write.
"""

from __future__ import annotations

import json
import os
import sys
import tkinter as tk
from pathlib import Path
from typing import Any


class App:
    """The window and its state file."""

    def __init__(self, root: tk.Tk, path: Path) -> None:
        self.root, self.path, self.seq = root, path, 0
        self.state: dict[str, Any] = {
            "clicks": 0,
            "saved": None,
            "saves": 0,
            "combo": 0,
            "double": 0,
            "right": 0,
            "drags": [],
            "motion": 0,
            "wheel": {"up": 0, "down": 0, "left": 0, "right": 0},
            "buttons": [],
            "keys": [],
        }
        self.pressed_at: list[int] | None = None
        root.title("deskpilot integration app")
        root.geometry("+220+140")
        self.text = tk.StringVar(root)
        self.button = tk.Button(root, text="Count", width=12, command=lambda: self.bump("clicks"))
        self.entry = tk.Entry(root, width=32, textvariable=self.text)
        self.label = tk.Label(root, text="double or right click", relief="groove", padx=12, pady=8)
        self.canvas = tk.Canvas(root, width=320, height=180, bg="white", highlightthickness=0)
        for widget in (self.button, self.entry, self.label, self.canvas):
            widget.pack(padx=12, pady=6)
        self.text.trace_add("write", lambda *_: self.write())
        root.bind("<Control-s>", self.on_save)
        root.bind("<Control-Shift-K>", lambda _e: self.bump("combo"))
        root.bind_all("<ButtonPress>", self.on_button, add="+")
        root.bind_all("<KeyPress>", self.on_key, add="+")
        self.label.bind("<Double-Button-1>", lambda _e: self.bump("double"))
        self.label.bind("<Button-3>", lambda _e: self.bump("right"))
        self.canvas.bind("<ButtonPress-1>", self.on_press)
        self.canvas.bind("<B1-Motion>", lambda _e: self.bump("motion", write=False))
        self.canvas.bind("<ButtonRelease-1>", self.on_release)
        self.canvas.bind("<Button-4>", lambda e: self.wheel(e, "up"))
        self.canvas.bind("<Button-5>", lambda e: self.wheel(e, "down"))
        root.bind("<Configure>", lambda _e: self.write())
        root.bind("<Map>", lambda _e: self.write())
        root.after(100, self.write)

    def bump(self, key: str, *, write: bool = True) -> None:
        self.state[key] += 1
        if write:
            self.write()

    def wheel(self, event: tk.Event, direction: str) -> None:
        # Tk 8.6 reports X11 buttons 6 / 7 (horizontal wheel) as Shift + button 4 / 5.
        if int(event.state) & 1:
            direction = {"up": "left", "down": "right"}[direction]
        self.state["wheel"][direction] += 1
        self.write()

    def on_button(self, event: tk.Event) -> None:
        self.state["buttons"].append(event.num)
        self.write()

    def on_key(self, event: tk.Event) -> None:
        self.state["keys"].append(event.keysym)
        self.write()

    def on_save(self, _event: object) -> None:
        self.state["saved"] = self.entry.get()
        self.bump("saves")

    def on_press(self, event: tk.Event) -> None:
        self.pressed_at = [event.x_root, event.y_root]

    def on_release(self, event: tk.Event) -> None:
        if self.pressed_at is not None:
            self.state["drags"].append([*self.pressed_at, event.x_root, event.y_root])
            self.pressed_at = None
            self.write()

    @staticmethod
    def rect(widget: tk.Misc) -> list[int]:
        return [
            widget.winfo_rootx(),
            widget.winfo_rooty(),
            widget.winfo_width(),
            widget.winfo_height(),
        ]

    def write(self) -> None:
        self.root.update_idletasks()
        self.seq += 1
        widgets = {
            "button": self.button,
            "entry": self.entry,
            "label": self.label,
            "canvas": self.canvas,
            "window": self.root,
        }
        state = {
            **self.state,
            "text": self.entry.get(),
            "seq": self.seq,
            "mapped": bool(self.root.winfo_ismapped()),
            "widgets": {name: self.rect(w) for name, w in widgets.items()},
        }
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, self.path)


if __name__ == "__main__":
    root = tk.Tk()
    App(root, Path(sys.argv[1]))
    root.mainloop()
