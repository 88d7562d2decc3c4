"""A small Tk form (name field, Save button) that reports its state and widget geometry as JSON.

Run: ``python -m deskpilot.demo.app STATE.json``. The JSON holds ``widgets`` (screen rectangles
``[x, y, width, height]`` read from Tk itself), ``window`` (the window's own rectangle, for a test
to compare with the X server's: the form has caught up with the window manager's moves),
``saved`` (the name saved last, or null), ``name`` (the field's text now) and ``focus``
(``"name"``, ``"save"`` or null: which widget has the keyboard),
so tests can wait for the form to have taken in their input rather than sleep.
"""

from __future__ import annotations

import json
import os
import sys
import tkinter as tk
from pathlib import Path
from typing import Any


class DemoApp:
    """The demo form."""

    def __init__(self, root: tk.Tk, state_file: Path) -> None:
        self.root, self.state_file = root, state_file
        self.saved: str | None = None
        root.title("deskpilot demo")
        root.geometry("+160+120")
        root.configure(padx=24, pady=20)
        tk.Label(root, text="Who should we greet?", font=("TkDefaultFont", 14)).grid(
            row=0, column=0, columnspan=2, pady=(0, 12)
        )
        tk.Label(root, text="Name").grid(row=1, column=0, sticky="w", padx=(0, 8))
        self.name = tk.Entry(root, width=28)
        self.name.grid(row=1, column=1)
        self.save = tk.Button(root, text="Save", width=10, command=self.on_save)
        self.save.grid(row=2, column=1, sticky="e", pady=(12, 0))
        self.status = tk.Label(root, text="Nothing saved yet", fg="#555")
        self.status.grid(row=3, column=0, columnspan=2, pady=(12, 0))
        root.bind("<Control-s>", lambda _e: self.on_save())
        root.bind("<Configure>", lambda _e: self.write_state())
        for event in ("<FocusIn>", "<FocusOut>", "<KeyRelease>"):
            root.bind_all(event, lambda _e: self.write_state(), add="+")
        root.after(200, self.write_state)

    def on_save(self) -> None:
        """Save the name and greet."""
        self.saved = self.name.get()
        self.status.configure(text=f"Hello, {self.saved}!", fg="#1b7a3a")
        self.write_state()

    def _rect(self, widget: tk.Misc) -> list[int]:
        return [
            widget.winfo_rootx(),
            widget.winfo_rooty(),
            widget.winfo_width(),
            widget.winfo_height(),
        ]

    def _focused(self) -> str | None:
        try:
            widget = self.root.focus_get()
        except KeyError:  # focus in a window Tk does not know (a popup of the window manager)
            return None
        if widget is self.name:
            return "name"
        return "save" if widget is self.save else None

    def write_state(self) -> None:
        """Write the state file atomically."""
        self.root.update_idletasks()
        state: dict[str, Any] = {
            "saved": self.saved,
            "widgets": {"name": self._rect(self.name), "save": self._rect(self.save)},
            "window": self._rect(self.root),
            "mapped": bool(self.root.winfo_ismapped()),
            "name": self.name.get(),
            "focus": self._focused(),
        }
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, self.state_file)


def main() -> None:
    """Open the demo window."""
    root = tk.Tk()
    DemoApp(root, Path(sys.argv[1]))
    root.mainloop()


if __name__ == "__main__":
    main()
