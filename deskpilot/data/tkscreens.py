"""Real screens: random Tk / ttk windows on an X display, captured with mss, with the ground truth
read back from the widgets' own geometry. Their layouts come from Tk, not from the Pillow generator,
which makes them the eval suite for layouts the generator never produced.
"""

from __future__ import annotations

import random
import time
import tkinter as tk
from collections.abc import Callable, Iterator
from tkinter import ttk
from typing import Any

from PIL import Image

from deskpilot.data.elements import Element, Screen
from deskpilot.data.vocab import Split, Vocabulary
from deskpilot.screen import MssScreen

THEMES = ("clam", "alt", "default", "classic")
Finish = Callable[[Image.Image], Screen]  # a shown window's capture -> its screen


def _label(vocab: Vocabulary, used: set[str]) -> str:
    label = vocab.label_not_in(used)
    used.add(label.lower())
    return label


def _build(root: tk.Tk, rng: random.Random, vocab: Vocabulary) -> list[tuple[str, str, tk.Misc]]:
    """Random widgets in a grid; returns (kind, label, widget) for each nameable one."""
    used: set[str] = set()
    style = ttk.Style(root)
    style.theme_use(rng.choice([t for t in THEMES if t in style.theme_names()]))
    font = ("DejaVu Sans", rng.randint(9, 14))
    root.option_add("*Font", font)
    root.title(_label(vocab, used))
    frame = ttk.Frame(root, padding=rng.randint(6, 20))
    frame.pack(fill="both", expand=True)
    widgets: list[tuple[str, str, tk.Misc]] = []
    columns = rng.randint(2, 4)
    if rng.random() < 0.4:
        notebook = ttk.Notebook(frame)
        for _ in range(rng.randint(2, 4)):
            notebook.add(ttk.Frame(notebook, height=4), text=_label(vocab, used))
        notebook.grid(row=0, column=0, columnspan=columns * 2, sticky="w", pady=(0, 8))
        widgets.append(("tabs", "", notebook))
    variable = tk.StringVar(root, "")
    for index in range(rng.randint(5, 14)):
        row, col = 1 + index // columns, (index % columns) * 2
        kind = rng.choice(["button", "field", "checkbox", "radio", "button", "field"])
        label = _label(vocab, used)
        pad: dict[str, Any] = {
            "padx": rng.randint(4, 16),
            "pady": rng.randint(3, 10),
            "sticky": "w",
        }
        if kind == "button":
            widget: tk.Misc = ttk.Button(frame, text=label)
        elif kind == "checkbox":
            widget = ttk.Checkbutton(frame, text=label)
        elif kind == "radio":
            widget = ttk.Radiobutton(frame, text=label, variable=variable, value=label)
        else:
            ttk.Label(frame, text=label).grid(row=row, column=col, **pad)
            widget = ttk.Entry(frame, width=rng.randint(10, 24))
            widget.grid(row=row, column=col + 1, **pad)
            widgets.append((kind, label, widget))
            continue
        widget.grid(row=row, column=col, columnspan=2, **pad)  # type: ignore[attr-defined]
        widgets.append((kind, label, widget))
    if rng.random() < 0.5:
        listbox = tk.Listbox(frame, height=rng.randint(3, 6))
        for _ in range(listbox.cget("height") + 2):
            listbox.insert("end", _label(vocab, used))
        listbox.grid(row=99, column=0, columnspan=columns * 2, sticky="we", pady=8)
        widgets.append(("list", "", listbox))
    return widgets


def _tab_elements(notebook: tk.Misc, x: int, y: int, title: str) -> list[Element]:
    """Boxes of a ttk.Notebook's tabs, found by asking Tk which tab is under each point."""
    spans: dict[int, list[int]] = {}
    width, height = notebook.winfo_width(), notebook.winfo_height()
    for py in range(0, min(height, 60), 2):
        for px in range(0, width, 2):
            hit = str(notebook.tk.call(str(notebook), "identify", "tab", px, py))
            if hit != "":
                box = spans.setdefault(int(hit), [px, py, px, py])
                box[0], box[1] = min(box[0], px), min(box[1], py)
                box[2], box[3] = max(box[2], px), max(box[3], py)
    names = [
        str(notebook.tk.call(str(notebook), "tab", t, "-text"))
        for t in notebook.tk.splitlist(notebook.tk.call(str(notebook), "tabs"))
    ]
    return [
        Element(
            kind="tab", label=names[i], window=title, box=(x + b[0], y + b[1], x + b[2], y + b[3])
        )
        for i, b in sorted(spans.items())
    ]


def _elements(
    root: tk.Tk, widgets: list[tuple[str, str, tk.Misc]]
) -> tuple[list[Element], list[Element]]:
    title = root.title()
    elements, scrollables = [], []
    for kind, label, widget in widgets:
        x, y = widget.winfo_rootx(), widget.winfo_rooty()
        box = (x, y, x + widget.winfo_width() - 1, y + widget.winfo_height() - 1)
        if kind == "tabs":
            elements.extend(_tab_elements(widget, x, y, title))
        elif kind == "list":
            listbox: tk.Listbox = widget  # type: ignore[assignment]
            scrollables.append(Element(kind="list", label="list", box=box, window=title))
            for index in range(listbox.size()):
                bbox = listbox.bbox(index)
                if bbox:
                    ix, iy, iw, ih = bbox
                    elements.append(
                        Element(
                            kind="list_item",
                            label=listbox.get(index),
                            window=title,
                            box=(x + ix, y + iy, x + ix + iw - 1, y + iy + ih - 1),
                        )
                    )
        else:
            elements.append(Element(kind=kind, label=label, box=box, window=title))
    return elements, scrollables


def windows_captured(
    count: int,
    rng: random.Random,
    build: Callable[[tk.Tk], Finish],
    reach: tuple[int, int],
    fit: bool = False,
) -> Iterator[Screen]:
    """``count`` screens on the current DISPLAY, one window at a time: ``build`` lays out a new Tk
    root and returns what turns the capture into a ``Screen`` (the ground truth is read once the
    window is shown, at a random place up to ``reach`` from the top left; with ``fit``, moved
    back where it would cross the screen's right or bottom edge)."""
    capture = MssScreen(1)
    try:
        for _ in range(count):
            root = tk.Tk()
            try:
                finish = build(root)
                x, y = rng.randint(0, reach[0]), rng.randint(0, reach[1])
                if fit:  # room for the window manager's frame and a taskbar
                    root.update_idletasks()
                    x = max(0, min(x, root.winfo_screenwidth() - root.winfo_reqwidth() - 12))
                    y = max(0, min(y, root.winfo_screenheight() - root.winfo_reqheight() - 64))
                root.geometry(f"+{x}+{y}")
                for _ in range(20):
                    root.update()
                time.sleep(0.15)
                root.update()
                yield finish(capture.grab().to_image())
            finally:
                root.destroy()
    finally:
        capture.close()


def tk_screens(count: int, split: Split, seed: int) -> Iterator[Screen]:
    """``count`` screens of random Tk windows on the current DISPLAY (one window at a time)."""
    rng = random.Random(f"tk-{split}-{seed}")
    vocab = Vocabulary(split, rng)

    def build(root: tk.Tk) -> Finish:
        widgets = _build(root, rng, vocab)

        def finish(image: Image.Image) -> Screen:
            elements, scrollables = _elements(root, widgets)
            return Screen(image=image, elements=elements, scrollables=scrollables, dark=False)

        return finish

    return windows_captured(count, rng, build, (300, 150))
