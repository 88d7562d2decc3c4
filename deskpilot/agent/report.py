"""A self-contained HTML report of a run: each step's screenshot with its click / drag drawn on it."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

from deskpilot.agent.trajectory import read_trajectory
from deskpilot.coords import MonitorGeometry, to_capture_pixels
from deskpilot.errors import UsageError

REPORT_FILE = "report.html"

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
header{background:#1d2330;color:#fff;padding:16px 24px}header h1{margin:0 0 4px;font-size:20px}
.meta{opacity:.85}main{padding:16px 24px;max-width:1400px}
.step{background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002;margin:0 0 18px;padding:14px}
.step h2{font-size:16px;margin:0 0 8px}.shot{position:relative;max-width:100%}
.shot img,.shot svg{display:block;width:100%;height:auto}.shot svg{position:absolute;inset:0}
.tag{display:inline-block;border-radius:4px;padding:0 6px;font-size:12px;font-weight:600}
.allow{background:#d8f3dc;color:#1b4332}.ask{background:#fff3bf;color:#6b4e00}
.deny,.invalid{background:#ffd6d6;color:#7a0010}
pre{background:#f0f1f4;padding:8px;border-radius:6px;white-space:pre-wrap;word-break:break-all}
table{border-collapse:collapse}td{padding:2px 10px 2px 0;vertical-align:top}
.outcome-done{color:#1b7a3a}.outcome-failed,.outcome-denied{color:#b00020}
"""


def _overlay(step: dict[str, Any], width: int, height: int) -> str:
    """SVG marks at the step's targets, in capture pixels (the viewBox scales with the image)."""
    result = step.get("result") or {}
    targets = result.get("targets") or []
    call = step.get("call") or {}
    if not targets:
        return ""
    monitor = MonitorGeometry(**step["monitor"])
    points = [to_capture_pixels(x, y, monitor) for x, y in targets]
    r = max(width, height) / 90
    marks = []
    if call.get("name") == "drag" and len(points) == 2:
        (x1, y1), (x2, y2) = points
        marks.append(
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#e8590c" '
            f'stroke-width="{r / 3}" marker-end="url(#arrow)"/>'
        )
    for x, y in points:
        marks.append(
            f'<circle cx="{x}" cy="{y}" r="{r}" fill="none" stroke="#e8590c" stroke-width="{r / 4}"/>'
            f'<line x1="{x - 2 * r}" y1="{y}" x2="{x + 2 * r}" y2="{y}" stroke="#e8590c" '
            f'stroke-width="{r / 6}"/><line x1="{x}" y1="{y - 2 * r}" x2="{x}" y2="{y + 2 * r}" '
            f'stroke="#e8590c" stroke-width="{r / 6}"/>'
        )
    arrow = (
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="4" '
        'markerHeight="4" orient="auto"><path d="M0,0L10,5L0,10z" fill="#e8590c"/></marker></defs>'
    )
    return (
        f'<svg viewBox="0 0 {width} {height}" preserveAspectRatio="none" '
        f'class="overlay">{arrow}{"".join(marks)}</svg>'
    )


def _image_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (no decoding needed)."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _step_html(run_dir: Path, step: dict[str, Any]) -> str:
    esc = html.escape
    decision = step.get("decision") or {}
    verdict = decision.get("verdict", "invalid")
    call = step.get("call")
    title = call["name"] if call else "invalid output"
    result = step.get("result") or {}
    outcome = result.get("error") or result.get("output") or step.get("error", "")
    timings = ", ".join(f"{k} {v:.1f} ms" for k, v in (step.get("timings_ms") or {}).items())
    model_stats = ", ".join(f"{k} {v:g}" for k, v in (step.get("model_stats") or {}).items())
    shot = ""
    name = step.get("screenshot")
    if name and (run_dir / name).is_file():
        png = (run_dir / name).read_bytes()
        width, height = _image_size(png)
        data = base64.b64encode(png).decode()
        shot = (
            f'<div class="shot"><img alt="screen at step {step["step"]}" '
            f'src="data:image/png;base64,{data}">{_overlay(step, width, height)}</div>'
        )
    rows = [
        ("model output", f"<pre>{esc(step.get('raw_output', ''))}</pre>"),
        ("decision", esc(f"{verdict}: {decision.get('reason', step.get('error', ''))}")),
        ("result", esc(str(outcome))),
        ("coordinates", esc(step.get("coordinate_space", ""))),
        ("timings", esc(timings)),
        ("model", esc(model_stats)),
    ]
    table = "".join(f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in rows)
    return (
        f'<section class="step"><h2>Step {step["step"]}: {esc(title)} '
        f'<span class="tag {esc(verdict)}">{esc(verdict)}</span></h2>'
        f"<table>{table}</table>{shot}</section>"
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
    steps = [r for r in records if r.get("type") == "step"]
    esc = html.escape
    outcome = end["outcome"] if end else "unfinished"
    summary = esc(end["reason"]) if end else "the run did not record an end"
    info = {k: v for k, v in header.items() if k not in ("type", "task")}
    body = "".join(_step_html(run_dir, s) for s in steps) or "<p>No steps were recorded.</p>"
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>deskpilot: "
        f"{esc(header.get('task', ''))}</title><style>{_CSS}</style></head><body><header>"
        f"<h1>{esc(header.get('task', '(no task)'))}</h1><div class='meta'>outcome "
        f"<b class='outcome-{esc(outcome)}'>{esc(outcome)}</b>: {summary} · {len(steps)} "
        f"step{'' if len(steps) == 1 else 's'}"
        f"</div><div class='meta'>{esc(json.dumps(info, ensure_ascii=False))}</div></header>"
        f"<main>{body}</main></body></html>"
    )
    path = run_dir / REPORT_FILE
    path.write_text(page, encoding="utf-8")
    return path
