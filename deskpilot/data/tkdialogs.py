"""Real dialog windows for training: Tk / ttk forms laid out the way applications lay out dialogs
(a heading, rows of labelled fields, check boxes, a row of buttons, a status line), shown on an X
display with a window manager and captured with mss, the ground truth read back from the widgets.

They are the training counterpart of ``tkscreens`` (the eval suite's windows): a different layout
(rows of fields and a button row, not a grid of mixed widgets), the training split's labels, and a
whole desktop around the window, as the agent sees it. ``write_pool`` keeps them in a folder the
training stream draws from (capturing is far slower than drawing with Pillow).
"""

from __future__ import annotations

import random
import tkinter as tk
from collections.abc import Iterator
from tkinter import font as tkfont
from tkinter import ttk
from typing import Any

from PIL import Image

from deskpilot.data.elements import Box, Element, Screen
from deskpilot.data.tkscreens import Finish, windows_captured
from deskpilot.data.vocab import Split, Vocabulary

FONTS = ("DejaVu Sans", "DejaVu Sans Condensed", "DejaVu Serif", "TkDefaultFont")
BACKGROUNDS = ("#d9d9d9", "#ececec", "#f5f5f5", "#ffffff", "#e8e4dc", "#dfe6ee")

Widget = tuple[str, str, Any, Any]  # kind, label, the widget a click must hit, its label widget


def _box(widget: Any) -> Box:
    x, y = widget.winfo_rootx(), widget.winfo_rooty()
    return x, y, x + widget.winfo_width() - 1, y + widget.winfo_height() - 1


def _ink(widget: Any, label: str, face: tkfont.Font) -> Box:
    """Where a button's label is drawn: its text, centred in the button."""
    x0, y0, x1, y1 = _box(widget)
    width, height = face.measure(label), face.metrics("linespace")
    cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
    return cx - width // 2, cy - height // 2, cx + width // 2, cy + height // 2


def _build(root: tk.Tk, rng: random.Random, vocab: Vocabulary) -> tuple[list[Widget], set[str]]:
    """One dialog in ``root``; returns its nameable widgets and its other text (lower case)."""
    themed = rng.random() < 0.5
    if themed:
        style = ttk.Style(root)
        style.theme_use(
            rng.choice([t for t in ("clam", "alt", "default") if t in style.theme_names()])
        )
    size = rng.randint(9, 14)
    root.option_add("*Font", (rng.choice(FONTS), size))
    background = rng.choice(BACKGROUNDS)
    if not themed:
        root.configure(background=background)
    lib: Any = ttk if themed else tk
    extra: dict[str, Any] = {} if themed else {"background": background}
    frame = (
        lib.Frame(root, padding=rng.randint(8, 20))
        if themed
        else tk.Frame(root, background=background, padx=rng.randint(8, 20), pady=rng.randint(8, 20))
    )
    frame.pack(fill="both", expand=True)
    used: set[str] = set()
    texts: set[str] = set()
    widgets: list[Widget] = []

    def label() -> str:
        text = vocab.label_not_in(used)
        used.add(text.lower())
        return text

    root.title(label())
    texts.add(root.title().lower())
    row = 0
    if rng.random() < 0.7:
        heading = f"{label()} {vocab.word()}?" if rng.random() < 0.5 else label()
        texts.add(heading.lower())
        lib.Label(frame, text=heading, font=(FONTS[0], size + rng.randint(1, 4)), **extra).grid(
            row=row, column=0, columnspan=2, pady=(0, rng.randint(6, 14))
        )
        row += 1
    above = rng.random() < 0.25  # labels above their fields instead of beside them
    for _ in range(rng.randint(1, 4)):
        name = label()
        caption = lib.Label(frame, text=name, **extra)
        entry = (ttk.Entry if themed else tk.Entry)(frame, width=rng.randint(12, 30))
        if above:
            caption.grid(row=row, column=0, columnspan=2, sticky="w")
            entry.grid(row=row + 1, column=0, columnspan=2, sticky="we", pady=(0, 6))
            row += 2
        else:
            caption.grid(row=row, column=0, sticky="w", padx=(0, rng.randint(4, 12)), pady=3)
            entry.grid(row=row, column=1, sticky="we", pady=3)
            row += 1
        widgets.append(("field", name, entry, caption))
    for _ in range(rng.choice((0, 0, 1, 2))):
        name = label()
        box = (
            ttk.Checkbutton(frame, text=name)
            if themed
            else tk.Checkbutton(frame, text=name, background=background)
        )
        box.grid(row=row, column=0, columnspan=2, sticky="w", pady=2)
        widgets.append(("checkbox", name, box, None))
        row += 1
    buttons = lib.Frame(frame, **extra)
    buttons.grid(
        row=row,
        column=0,
        columnspan=2,
        sticky=rng.choice(("e", "e", "", "w")),
        pady=(rng.randint(6, 14), 0),
    )
    for _ in range(rng.randint(1, 3)):
        name = label()
        button = (
            ttk.Button(buttons, text=name, width=-rng.choice((6, 8, 10)))
            if themed
            else tk.Button(buttons, text=name, width=rng.choice((0, len(name) + 2, len(name) + 4)))
        )
        button.pack(side="left", padx=rng.randint(2, 8))
        widgets.append(("button", name, button, None))
    if rng.random() < 0.5:
        status = f"{vocab.word()} {vocab.word()}".capitalize()
        texts.add(status.lower())
        lib.Label(frame, text=status, **extra).grid(
            row=row + 1, column=0, columnspan=2, pady=(8, 0)
        )
    return widgets, texts


def _elements(root: tk.Tk, widgets: list[Widget]) -> list[Element]:
    title = root.title()
    face = tkfont.nametofont("TkDefaultFont")
    out = []
    for kind, name, widget, caption in widgets:
        box = _box(widget)
        if kind == "field":
            out.append(
                Element(kind=kind, label=name, box=box, window=title, text_box=_box(caption))
            )
        elif kind == "button":
            # a classic button draws in its own font; a themed one in the theme's (TkDefaultFont)
            font = (
                tkfont.Font(root=root, font=widget.cget("font"))
                if isinstance(widget, tk.Button)
                else face
            )
            out.append(
                Element(kind=kind, label=name, box=box, window=title, ink=_ink(widget, name, font))
            )
        else:
            out.append(Element(kind=kind, label=name, box=box, window=title))
    return out


def tk_dialog_screens(count: int, split: Split, seed: int) -> Iterator[Screen]:
    """``count`` screens of random Tk dialogs on the current DISPLAY (one window at a time)."""
    rng = random.Random(f"tkdialog-{split}-{seed}")
    vocab = Vocabulary(split, rng)

    def build(root: tk.Tk) -> Finish:
        widgets, texts = _build(root, rng, vocab)

        def finish(image: Image.Image) -> Screen:
            return Screen(image=image, elements=_elements(root, widgets), texts=texts, dark=False)

        return finish

    return windows_captured(count, rng, build, (700, 400), fit=True)
