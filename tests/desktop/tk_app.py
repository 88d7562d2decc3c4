"""The tests' own Tk app: it writes its state and its widgets' screen geometry to a JSON file.

Run: ``python tests/desktop/tk_app.py STATE.json``. Widgets: a button (counts clicks), an entry, a
label that counts double- and right-clicks, a canvas that records drags and wheel turns; Ctrl+S
saves the entry's text, Ctrl+Shift+K sets a flag.
"""

from __future__ import annotations

import json
import os
import sys
import tkinter as tk
from pathlib import Path
from typing import Any


class App:
    def __init__(self, root: tk.Tk, path: Path) -> None:
        self.root, self.path = root, path
        self.state: dict[str, Any] = {"clicks": 0, "saved": None, "combo": False, "double": 0,
                                      "right": 0, "drags": [], "wheel": {"up": 0, "down": 0}}  # fmt: skip
        root.title("deskpilot test app")
        root.geometry("+300+200")
        self.button = tk.Button(root, text="Press me", command=self.press)
        self.entry = tk.Entry(root, width=30)
        self.label = tk.Label(
            root, text="double or right click me", relief="groove", padx=10, pady=10
        )
        self.canvas = tk.Canvas(root, width=300, height=160, bg="white")
        for widget in (self.button, self.entry, self.label, self.canvas):
            widget.pack(padx=10, pady=6)
        root.bind("<Control-s>", lambda _e: self.update(saved=self.entry.get()))
        root.bind("<Control-K>", lambda _e: self.update(combo=True))
        self.label.bind("<Double-Button-1>", lambda _e: self.count("double"))
        self.label.bind("<Button-3>", lambda _e: self.count("right"))
        self.canvas.bind("<ButtonPress-1>", self.drag_start)
        self.canvas.bind("<ButtonRelease-1>", self.drag_end)
        self.canvas.bind("<Button-4>", lambda _e: self.wheel("up"))
        self.canvas.bind("<Button-5>", lambda _e: self.wheel("down"))
        self.entry.bind("<KeyRelease>", lambda _e: self.write())
        root.bind("<Configure>", lambda _e: self.write())
        root.after(200, self.write)
        self._press: tuple[int, int] | None = None

    def press(self) -> None:
        self.update(clicks=self.state["clicks"] + 1)

    def count(self, key: str) -> None:
        self.update(**{key: self.state[key] + 1})

    def wheel(self, direction: str) -> None:
        self.state["wheel"][direction] += 1
        self.write()

    def drag_start(self, event: tk.Event) -> None:  # type: ignore[type-arg]
        self._press = (event.x_root, event.y_root)

    def drag_end(self, event: tk.Event) -> None:  # type: ignore[type-arg]
        if self._press is not None:
            self.state["drags"].append([*self._press, event.x_root, event.y_root])
            self._press = None
            self.write()

    def update(self, **changes: Any) -> None:
        self.state.update(changes)
        self.write()

    def rect(self, widget: tk.Misc) -> list[int]:
        return [
            widget.winfo_rootx(),
            widget.winfo_rooty(),
            widget.winfo_width(),
            widget.winfo_height(),
        ]

    def write(self) -> None:
        self.root.update_idletasks()
        names = {
            "button": self.button,
            "entry": self.entry,
            "label": self.label,
            "canvas": self.canvas,
        }
        state = {**self.state, "text": self.entry.get(), "mapped": bool(self.root.winfo_ismapped()),
                 "widgets": {n: self.rect(w) for n, w in names.items()}}  # fmt: skip
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, self.path)


if __name__ == "__main__":
    root = tk.Tk()
    App(root, Path(sys.argv[1]))
    root.mainloop()
