"""Where an eval's clicks went, as pictures: the first screens of each suite with the target, the
other named elements and the model's click drawn on them, in one self-contained HTML file.

`evaluate` keeps an `Example` for the first few samples of a suite (``pictures``); `write_report`
lays them out per model and suite under the eval's table. Screens are stored as JPEG thumbnails
(they travel back from the eval's child processes), marks as SVG in screen pixels.
"""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deskpilot.data.tasks import Sample

Box = tuple[int, int, int, int]
THUMB_WIDTH = 640
# verdict -> (label, CSS class): good, wrong (misread or wrong action), miss
VERDICTS = {
    "inside": ("click inside", "good"),
    "elsewhere": ("on another element", "wrong"),
    "missed": ("click on nothing named", "miss"),
    "false_click": ("false click", "miss"),
    "declined": ("declined (not on the screen)", "good"),
    "typed": ("typed exactly", "good"),
    "mistyped": ("typed other text", "wrong"),
    "right_action": ("right action", "good"),
    "wrong_action": ("wrong action", "wrong"),
    "invalid": ("invalid call", "miss"),
}

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
header{background:#1d2330;color:#fff;padding:16px 24px}h1{margin:0;font-size:20px}
main{padding:16px 24px}h2{font-size:18px;margin:24px 0 8px}h3{font-size:15px;margin:16px 0 8px}
table{border-collapse:collapse;background:#fff}th,td{padding:3px 8px;border:1px solid #d0d4dc}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:12px}
.card{background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002;padding:8px}
.shot{position:relative}.shot img,.shot svg{display:block;width:100%;height:auto}
.shot svg{position:absolute;inset:0}.task{font-weight:600;word-break:break-word}
code{font-size:12px;word-break:break-all}.tag{border-radius:4px;padding:0 6px;font-size:12px}
.good{background:#d8f3dc;color:#1b4332}.wrong{background:#fff3bf;color:#6b4e00}
.miss{background:#ffd6d6;color:#7a0010}
"""


@dataclass(frozen=True, kw_only=True)
class Example:
    """One scored sample, kept for the picture report."""

    task: str
    size: tuple[int, int]  # the screen's size in pixels: the marks' space
    jpeg: bytes  # the screen, as a thumbnail at most THUMB_WIDTH wide
    target: Box | None
    elements: tuple[Box, ...]
    expected: str  # the tool the task wants
    call: dict[str, Any] | None  # what the model called (None: no valid call)
    point: tuple[int, int] | None  # where its click landed, in screen pixels
    verdict: str  # a key of VERDICTS


def example(
    sample: Sample, call: dict[str, Any] | None, point: tuple[int, int] | None, verdict: str
) -> Example:
    """An `Example` of ``sample`` scored as ``verdict``."""
    image = sample.image.convert("RGB")
    if image.width > THUMB_WIDTH:
        image = image.resize((THUMB_WIDTH, round(image.height * THUMB_WIDTH / image.width)))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return Example(
        task=sample.task,
        size=sample.image.size,
        jpeg=buffer.getvalue(),
        target=sample.box,
        elements=tuple(e.box for e in sample.elements),
        expected=str(sample.target["name"]),
        call=call,
        point=point,
        verdict=verdict,
    )


def _marks(item: Example) -> str:
    """SVG in screen pixels: the other elements dashed grey, the target green, the click red."""
    width, height = item.size
    stroke = max(2, width // 400)
    shapes = [
        f'<rect x="{b[0]}" y="{b[1]}" width="{b[2] - b[0]}" height="{b[3] - b[1]}" fill="none" '
        f'stroke="#8a93a6" stroke-width="{stroke}" stroke-dasharray="{3 * stroke}"/>'
        for b in item.elements
        if b != item.target
    ]
    if item.target:
        x0, y0, x1, y1 = item.target
        shapes.append(
            f'<rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" '
            f'fill="#2fbf5b33" stroke="#1b9e45" stroke-width="{stroke}"/>'
        )
    if item.point:
        x, y, r = item.point[0], item.point[1], 6 * stroke
        shapes.append(
            f'<circle cx="{x}" cy="{y}" r="{r}" fill="none" stroke="#e0002a" '
            f'stroke-width="{stroke}"/><path d="M{x - r} {y}h{2 * r}M{x} {y - r}'
            f'v{2 * r}" stroke="#e0002a" stroke-width="{stroke}"/>'
        )
    return f'<svg viewBox="0 0 {width} {height}" preserveAspectRatio="none">{"".join(shapes)}</svg>'


def _card(item: Example) -> str:
    label, kind = VERDICTS[item.verdict]
    picture = base64.b64encode(item.jpeg).decode()
    call = json.dumps(item.call, ensure_ascii=False) if item.call else "(no valid call)"
    return (
        f'<div class="card"><div class="shot"><img alt="screen" '
        f'src="data:image/jpeg;base64,{picture}">{_marks(item)}</div>'
        f'<div class="task">{html.escape(item.task) or "(empty task)"}</div>'
        f'<span class="tag {kind}">{html.escape(label)}</span> wanted '
        f"<code>{html.escape(item.expected)}</code><br><code>{html.escape(call)}</code></div>"
    )


def _table(rows: Sequence[dict[str, str]]) -> str:
    if not rows:
        return ""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row.values()) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def write_report(
    path: Path,
    title: str,
    rows: Sequence[dict[str, str]],
    examples: Sequence[tuple[str, str, Sequence[Example]]],
) -> Path:
    """Write the eval's table and each (model, suite, examples) as pictures to ``path``."""
    sections = []
    for model, suite, items in examples:
        cards = "".join(_card(item) for item in items)
        sections.append(
            f"<h3>{html.escape(model)}: {html.escape(suite)}</h3>"
            f'<div class="grid">{cards or "(no screens kept)"}</div>'
        )
    page = (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_CSS}</style></head><body><header><h1>{html.escape(title)}</h1>"
        "green: the named element; dashed: the other named elements; red: the model's click"
        f"</header><main>{_table(rows)}<h2>Screens</h2>{''.join(sections)}</main></body></html>"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
