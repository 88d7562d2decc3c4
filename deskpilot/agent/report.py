"""A self-contained HTML report of a run.

At the top a summary (outcome, steps, time, a dry-run banner) and a strip of thumbnails, one per step,
each with its click drawn on it and linking to its step; below, each step with its screenshot
(collapsible) and its click / drag / typing marked on it. Images are embedded as data URIs.
"""

from __future__ import annotations

import base64
import html
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import Image

from deskpilot.agent.trajectory import read_trajectory
from deskpilot.coords import MonitorGeometry, to_capture_pixels
from deskpilot.errors import UsageError

REPORT_FILE = "report.html"
THUMB_WIDTH = 160

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
header{background:#1d2330;color:#fff;padding:16px 24px}header h1{margin:0 0 4px;font-size:20px}
.meta{opacity:.85}main{padding:16px 24px;max-width:1400px}
.banner{background:#fff3bf;color:#6b4e00;font-weight:600;padding:8px 24px}
.strip{display:flex;gap:8px;overflow-x:auto;padding:12px 24px;background:#fff;box-shadow:0 1px 3px #0002}
.thumb{flex:none;width:160px;color:inherit;text-decoration:none;font-size:12px}
.thumb .shot{border:2px solid #d0d4dc;border-radius:4px;overflow:hidden}
.v-deny .shot,.v-invalid .shot{border-color:#b00020}.v-ask .shot{border-color:#e0a800}
.noshot{height:90px;background:#e4e6eb}
.step{background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002;margin:0 0 18px;padding:14px}
.step h2{font-size:16px;margin:0 0 8px}.shot{position:relative;max-width:100%}
.shot img,.shot svg{display:block;width:100%;height:auto}.shot svg{position:absolute;inset:0}
.keys-mark{position:absolute;left:6px;bottom:6px;background:#e8590cdd;color:#fff;border-radius:4px;
padding:1px 6px;font-weight:600;max-width:90%;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
summary{cursor:pointer;color:#44506a;margin:6px 0}
.tag{display:inline-block;border-radius:4px;padding:0 6px;font-size:12px;font-weight:600}
.allow{background:#d8f3dc;color:#1b4332}.ask{background:#fff3bf;color:#6b4e00}
.deny,.invalid{background:#ffd6d6;color:#7a0010}
pre{background:#f0f1f4;padding:8px;border-radius:6px;white-space:pre-wrap;word-break:break-all}
table{border-collapse:collapse}td{padding:2px 10px 2px 0;vertical-align:top}
.outcome-done{color:#1b7a3a}.outcome-failed,.outcome-denied{color:#b00020}
"""
# A thumbnail's link opens its step's screenshot (a closed <details> hides it otherwise).
_SCRIPT = (
    "function openStep(){var s=document.getElementById(location.hash.slice(1));"
    "var d=s&&s.querySelector('details');if(d)d.open=true}"
    "addEventListener('hashchange',openStep);openStep()"
)
_COLOR = "#e8590c"
_ARROW = (
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="4" '
    f'markerHeight="4" orient="auto"><path d="M0,0L10,5L0,10z" fill="{_COLOR}"/></marker></defs>'
)


def duration(seconds: float) -> str:
    """``340 ms``, ``2.3 s``, ``4 min 05 s`` or ``1 h 02 min``: a time a person reads at a glance."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def clock_time(stamp: float) -> str:
    """A Unix time as local date and time with its zone, e.g. ``2026-12-06 03:16:47 UTC``."""
    return datetime.fromtimestamp(stamp).astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def _points(step: dict[str, Any]) -> list[tuple[float, float]]:
    """The step's targets in capture pixels (the screenshot's own pixels)."""
    targets = (step.get("result") or {}).get("targets") or []
    if not targets:
        return []
    monitor = MonitorGeometry(**step["monitor"])
    return [to_capture_pixels(x, y, monitor) for x, y in targets]


def _keys_label(step: dict[str, Any]) -> str:
    """What a typing or key step sent (``type "Ada"``, ``key ctrl+s``); "" for any other step."""
    call = step.get("call") or {}
    arguments = call.get("arguments") or {}
    if call.get("name") == "type_text":
        return f"type {arguments.get('text', '')!r}"
    if call.get("name") == "key":
        return f"key {arguments.get('keys', '')}"
    return ""


def _overlay(step: dict[str, Any], width: int, height: int, *, thumb: bool = False) -> str:
    """SVG marks at the step's targets, in capture pixels (the viewBox scales with the image).

    On the screenshot a crosshair in a ring, on a thumbnail a dot large enough to see; a drag gets
    an arrow from its start to its end on both.
    """
    points = _points(step)
    if not points:
        return ""
    r = max(width, height) / (30 if thumb else 90)
    marks = []
    if (step.get("call") or {}).get("name") == "drag" and len(points) == 2:
        (x1, y1), (x2, y2) = points
        marks.append(_ARROW)
        marks.append(
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{_COLOR}" '
            f'stroke-width="{r / 3}" marker-end="url(#arrow)"/>'
        )
    for x, y in points:
        if thumb:
            marks.append(
                f'<circle class="dot" cx="{x}" cy="{y}" r="{r}" fill="{_COLOR}" '
                f'fill-opacity=".6" stroke="#fff" stroke-width="{r / 4}"/>'
            )
            continue
        marks.append(
            f'<circle cx="{x}" cy="{y}" r="{r}" fill="none" stroke="{_COLOR}" stroke-width="{r / 4}"/>'
            f'<line x1="{x - 2 * r}" y1="{y}" x2="{x + 2 * r}" y2="{y}" stroke="{_COLOR}" '
            f'stroke-width="{r / 6}"/><line x1="{x}" y1="{y - 2 * r}" x2="{x}" y2="{y + 2 * r}" '
            f'stroke="{_COLOR}" stroke-width="{r / 6}"/>'
        )
    kind = "thumb-overlay" if thumb else "overlay"
    return (
        f'<svg viewBox="0 0 {width} {height}" preserveAspectRatio="none" '
        f'class="{kind}">{"".join(marks)}</svg>'
    )


def _image_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (no decoding needed)."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _thumbnail(png: bytes) -> str:
    """A small JPEG of the screenshot, THUMB_WIDTH pixels wide, base64-encoded."""
    with Image.open(io.BytesIO(png)) as image:
        small = image.convert("RGB")
        small.thumbnail((THUMB_WIDTH, THUMB_WIDTH * 4))
    out = io.BytesIO()
    small.save(out, "JPEG", quality=75)
    return base64.b64encode(out.getvalue()).decode()


def _shot(step: dict[str, Any], png: bytes | None, *, thumb: bool) -> str:
    """The screenshot (or its thumbnail) with the step's marks over it."""
    if png is None:
        return '<div class="noshot"></div>' if thumb else ""
    width, height = _image_size(png)
    if thumb:
        src = f"data:image/jpeg;base64,{_thumbnail(png)}"
    else:
        src = f"data:image/png;base64,{base64.b64encode(png).decode()}"
    keys = html.escape(_keys_label(step), quote=True)
    mark = f'<span class="keys-mark" title="{keys}">{"⌨" if thumb else "⌨ " + keys}</span>'
    return (
        f'<div class="shot"><img alt="screen at step {step["step"]}" src="{src}">'
        f"{_overlay(step, width, height, thumb=thumb)}{mark if keys else ''}</div>"
    )


def _screenshot(run_dir: Path, step: dict[str, Any]) -> bytes | None:
    name = step.get("screenshot")
    return (run_dir / name).read_bytes() if name and (run_dir / name).is_file() else None


def _title(step: dict[str, Any]) -> str:
    call = step.get("call")
    return str(call["name"]) if call else "invalid output"


def _verdict(step: dict[str, Any]) -> str:
    return str((step.get("decision") or {}).get("verdict", "invalid"))


def _thumb_html(step: dict[str, Any], png: bytes | None) -> str:
    esc = html.escape
    n, title, verdict = step["step"], _title(step), _verdict(step)
    return (
        f'<a class="thumb v-{esc(verdict)}" href="#step-{n}" title="step {n}: {esc(title)}, '
        f'{esc(verdict)}">{_shot(step, png, thumb=True)}<span>{n} {esc(title)}</span></a>'
    )


def _step_html(step: dict[str, Any], png: bytes | None) -> str:
    esc = html.escape
    decision = step.get("decision") or {}
    verdict = _verdict(step)
    result = step.get("result") or {}
    outcome = result.get("error") or result.get("output") or step.get("error", "")
    laps = dict(step.get("timings_ms") or {})
    total = laps.pop("total", None)
    timings = ", ".join(f"{k} {duration(v / 1000)}" for k, v in laps.items())
    model_stats = ", ".join(f"{k} {v:g}" for k, v in (step.get("model_stats") or {}).items())
    rows = [
        ("model output", f"<pre>{esc(step.get('raw_output', ''))}</pre>"),
        ("decision", esc(f"{verdict}: {decision.get('reason', step.get('error', ''))}")),
        ("result", esc(str(outcome))),
        ("coordinates", esc(step.get("coordinate_space", ""))),
        ("timings", esc(timings)),
        ("model", esc(model_stats)),
    ]
    table = "".join(f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in rows)
    took = f" · {duration(total / 1000)}" if total is not None else ""
    shot = _shot(step, png, thumb=False)
    screen = f"<details><summary>screenshot</summary>{shot}</details>" if shot else ""
    return (
        f'<section class="step" id="step-{step["step"]}"><h2>Step {step["step"]}: '
        f'{esc(_title(step))} <span class="tag {esc(verdict)}">{esc(verdict)}</span>{took}</h2>'
        f"<table>{table}</table>{screen}</section>"
    )


def _summary(header: dict[str, Any], end: dict[str, Any] | None, steps: int) -> str:
    """The header's lines: outcome and reason, steps, when it started and how long it took, the rest."""
    esc = html.escape
    outcome = end["outcome"] if end else "unfinished"
    reason = esc(end["reason"]) if end else "the run did not record an end"
    parts = [f"{steps} step{'' if steps == 1 else 's'}"]
    started = header.get("started")
    if started is not None:
        parts.append(f"started {clock_time(started)}")
        if end and end.get("finished") is not None:
            parts.append(f"took {duration(end['finished'] - started)}")
    skip = ("type", "task", "started", "dry_run")
    info = " · ".join(
        f"{esc(k)} {esc(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))}"
        for k, v in header.items()
        if k not in skip
    )
    return (
        f"<div class='meta'>outcome <b class='outcome-{esc(outcome)}'>{esc(outcome)}</b>: "
        f"{reason}</div><div class='meta'>{' · '.join(parts)}</div><div class='meta'>{info}</div>"
    )


def write_report(run_dir: Path) -> Path:
    """Write ``report.html`` into ``run_dir`` and return its path.

    Raises:
        UsageError: ``run_dir`` holds no trajectory.
    """
    if not (run_dir / "steps.jsonl").is_file():
        raise UsageError(f"{run_dir} is not a run directory (no steps.jsonl)")
    records = read_trajectory(run_dir)
    header = next((r for r in records if r.get("type") == "run"), {})
    end = next((r for r in records if r.get("type") == "end"), None)
    steps = [(r, _screenshot(run_dir, r)) for r in records if r.get("type") == "step"]
    esc = html.escape
    banner = (
        "<div class='banner dry-run'>Dry run: nothing was clicked, typed or run; the marks show "
        "what would have been done.</div>"
        if header.get("dry_run")
        else ""
    )
    strip = "".join(_thumb_html(s, png) for s, png in steps)
    strip = f"<nav class='strip'>{strip}</nav>" if strip else ""
    body = "".join(_step_html(s, png) for s, png in steps) or "<p>No steps were recorded.</p>"
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>deskpilot: "
        f"{esc(header.get('task', ''))}</title><style>{_CSS}</style></head><body><header>"
        f"<h1>{esc(header.get('task', '(no task)'))}</h1>{_summary(header, end, len(steps))}"
        f"</header>{banner}{strip}<main>{body}</main><script>{_SCRIPT}</script></body></html>"
    )
    path = run_dir / REPORT_FILE
    path.write_text(page, encoding="utf-8")
    return path
