"""Approving `ask` actions on the terminal: a preview of where the action lands, then approve,
edit or deny. No terminal means deny."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from PIL import ImageDraw

from deskpilot.cli.common import err
from deskpilot.coords import to_capture_pixels
from deskpilot.errors import ToolCallError
from deskpilot.policies.approval import ApprovalAnswer, ApprovalRequest, refuse_all
from deskpilot.tools.registry import ToolRegistry


def save_preview(request: ApprovalRequest, path: Path) -> Path:
    """The screenshot with a crosshair at each target, for the user to look at before deciding."""
    image = request.frame.to_image()
    draw = ImageDraw.Draw(image)
    radius = max(image.width, image.height) // 80
    for x, y in request.targets:
        cx, cy = to_capture_pixels(x, y, request.frame.monitor)
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), outline="red", width=3)
        draw.line((cx - 2 * radius, cy, cx + 2 * radius, cy), fill="red", width=2)
        draw.line((cx, cy - 2 * radius, cx, cy + 2 * radius), fill="red", width=2)
    image.save(path)
    return path


class TerminalApprover:
    """Asks on the terminal; previews go to ``preview_dir``."""

    def __init__(self, registry: ToolRegistry, preview_dir: Path) -> None:
        self.registry = registry
        self.preview_dir = preview_dir

    def __call__(self, request: ApprovalRequest) -> ApprovalAnswer:
        """Show the action and its preview; read approve / edit / deny."""
        if not sys.stdin.isatty():
            return refuse_all(request)
        self.preview_dir.mkdir(parents=True, exist_ok=True)
        preview = save_preview(request, self.preview_dir / f"approval-step-{request.step:04d}.png")
        err.print(f"[yellow]approval needed[/] ({request.decision.reason}): ", end="")
        err.print(str(request.call.to_wire()), markup=False)
        err.print(f"  targets {list(request.targets)}; preview: {preview}", highlight=False)
        choice = typer.prompt("[a]pprove, [e]dit or [d]eny?", default="d", err=True).strip().lower()
        if choice in ("a", "approve", "y", "yes"):
            return ApprovalAnswer(approved=True, approver="terminal", reason="approved by the user")
        if choice in ("e", "edit"):
            text = typer.prompt("the action as JSON", err=True)
            try:
                edited = self.registry.parse(text)
            except ToolCallError as exc:
                return ApprovalAnswer(approved=False, approver="terminal",
                                      reason=f"the edited action is invalid: {exc}")  # fmt: skip
            return ApprovalAnswer(approved=True, approver="terminal", call=edited,
                                  reason="edited and approved by the user")  # fmt: skip
        return ApprovalAnswer(approved=False, approver="terminal", reason="denied by the user")
