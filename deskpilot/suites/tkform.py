"""The built-in suite's settings window (Tk): an e-mail field, a profile name, two check boxes and
Rename / Reset / Apply / OK buttons. It reports its state as JSON, which the suite's checkers read.

Run: ``python -m deskpilot.suites.tkform STATE.json``. The JSON holds ``profile``, ``email``,
``dark`` and ``notifications`` (the widgets now), ``applied`` (what Apply or OK took, or null),
``closed`` (OK was pressed) and ``mapped``. Rename puts the profile in the window's title.
"""

from __future__ import annotations

import json
import os
import sys
import tkinter as tk
from pathlib import Path
from typing import Any

TITLE = "deskpilot settings"


class SettingsForm:
    """The window and its state file."""

    def __init__(self, root: tk.Tk, state_file: Path) -> None:
        self.root, self.state_file = root, state_file
        self.applied: dict[str, Any] | None = None
        self.closed = False
        root.title(TITLE)
        root.geometry("+200+140")
        root.configure(padx=24, pady=18)
        self.profile = tk.StringVar(root, "")
        self.email = tk.StringVar(root, "")
        self.dark = tk.BooleanVar(root, False)
        self.notifications = tk.BooleanVar(root, True)
        tk.Label(root, text="Preferences", font=("TkDefaultFont", 14)).grid(
            row=0, column=0, columnspan=3, pady=(0, 12)
        )
        for row, (label, var) in enumerate((("Email", self.email), ("Profile", self.profile)), 1):
            tk.Label(root, text=label).grid(row=row, column=0, sticky="w", padx=(0, 10), pady=4)
            tk.Entry(root, width=28, textvariable=var).grid(row=row, column=1, columnspan=2)
        tk.Checkbutton(root, text="Dark mode", variable=self.dark).grid(
            row=3, column=0, columnspan=2, sticky="w", pady=(10, 0)
        )
        tk.Checkbutton(root, text="Notifications", variable=self.notifications).grid(
            row=4, column=0, columnspan=2, sticky="w"
        )
        buttons = tk.Frame(root)
        buttons.grid(row=5, column=0, columnspan=3, pady=(16, 0))
        for text, command in (
            ("Rename", self.rename),
            ("Reset", self.reset),
            ("Apply", self.apply),
            ("OK", self.ok),
        ):
            tk.Button(buttons, text=text, width=8, command=command).pack(side="left", padx=6)
        self.status = tk.Label(root, text="Not applied yet", fg="#555")
        self.status.grid(row=6, column=0, columnspan=3, pady=(12, 0))
        variables: tuple[tk.Variable, ...] = (
            self.profile,
            self.email,
            self.dark,
            self.notifications,
        )
        for variable in variables:
            variable.trace_add("write", lambda *_: self.write_state())
        root.bind("<Map>", lambda _e: self.write_state())
        root.after(200, self.write_state)

    def values(self) -> dict[str, Any]:
        """What the widgets hold now."""
        return {
            "profile": self.profile.get(),
            "email": self.email.get(),
            "dark": self.dark.get(),
            "notifications": self.notifications.get(),
        }

    def rename(self) -> None:
        """Put the profile name in the window's title."""
        name = self.profile.get().strip()
        self.root.title(f"{TITLE}: {name}" if name else TITLE)
        self.write_state()

    def reset(self) -> None:
        """Empty the fields and clear the boxes."""
        self.profile.set("")
        self.email.set("")
        self.dark.set(False)
        self.notifications.set(False)

    def apply(self) -> None:
        """Take the values."""
        self.applied = self.values()
        self.status.configure(text="Settings applied", fg="#1b7a3a")
        self.write_state()

    def ok(self) -> None:
        """Apply and close the window."""
        self.apply()
        self.closed = True
        self.write_state()
        self.root.destroy()

    def write_state(self) -> None:
        """Write the state file atomically."""
        mapped = bool(self.root.winfo_exists() and self.root.winfo_ismapped())
        state = {**self.values(), "applied": self.applied, "closed": self.closed, "mapped": mapped}
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state), encoding="utf-8")
        os.replace(tmp, self.state_file)


def main() -> None:
    """Open the window; its state goes to the file named on the command line."""
    root = tk.Tk()
    SettingsForm(root, Path(sys.argv[1]))
    root.mainloop()


if __name__ == "__main__":
    main()
