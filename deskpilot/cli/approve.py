"""Approving `ask` actions on the controlling terminal: a preview of where the action lands, then
approve, edit or deny.

An approval must come from a person, not from the agent: when deskpilot runs in a terminal on the
display it controls, the agent can click that terminal and type an answer ahead of time. So the
answer is read from the controlling terminal (``/dev/tty``, never stdin), input typed before the
prompt is discarded, and approving means typing back a random code shown in the prompt, which no
one can know before the prompt appears (the agent is blocked while it is shown). No terminal, no
answer within the time limit, or anything but the code: denied.
"""

from __future__ import annotations

import os
import secrets
import select
import termios
import time
from pathlib import Path

from PIL import ImageDraw

from deskpilot.coords import to_capture_pixels
from deskpilot.errors import ToolCallError
from deskpilot.policies.approval import ApprovalAnswer, ApprovalRequest
from deskpilot.tools.registry import ToolRegistry

CODE_ALPHABET = "ACDEFHJKMNPRTUVWXY34679"  # no look-alikes (0/O, 1/I/L, 5/S, 8/B)
CODE_LENGTH = 4
ANSWER_TIMEOUT_S = 300.0


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


def new_code(length: int = CODE_LENGTH) -> str:
    """A random approval code."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


class Terminal:
    """The controlling terminal, opened for one approval."""

    def __init__(self, path: str = "/dev/tty") -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        if not os.isatty(self.fd):
            os.close(self.fd)
            raise OSError(f"{path} is not a terminal")

    def write(self, text: str) -> None:
        """Show ``text`` on the terminal."""
        os.write(self.fd, text.encode("utf-8", "replace"))

    def ask(self, prompt: str, timeout: float) -> str | None:
        """Discard whatever was typed before, show ``prompt``, read one line; None on timeout."""
        termios.tcflush(self.fd, termios.TCIFLUSH)
        self.write(prompt)
        deadline, data = time.monotonic() + timeout, b""
        while b"\n" not in data:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                return None
            chunk = os.read(self.fd, 4096)
            if not chunk:
                return None
            data += chunk
        return data.split(b"\n", 1)[0].decode("utf-8", "replace").strip()

    def close(self) -> None:
        """Close the terminal."""
        os.close(self.fd)


class TerminalApprover:
    """Asks on the controlling terminal; previews go to ``preview_dir``."""

    def __init__(
        self,
        registry: ToolRegistry,
        preview_dir: Path,
        *,
        terminal: str = "/dev/tty",
        timeout: float = ANSWER_TIMEOUT_S,
    ) -> None:
        self.registry = registry
        self.preview_dir = preview_dir
        self.terminal = terminal
        self.timeout = timeout

    def __call__(self, request: ApprovalRequest) -> ApprovalAnswer:
        """Show the action and its preview; approve only when the code shown is typed back."""
        try:
            tty = Terminal(self.terminal)
        except OSError as exc:
            reason = f"needs approval ({request.decision.reason}) but there is no terminal: {exc}"
            return ApprovalAnswer(approved=False, approver="none", reason=reason)
        try:
            return self._ask(tty, request)
        finally:
            tty.close()

    def _ask(self, tty: Terminal, request: ApprovalRequest) -> ApprovalAnswer:
        self.preview_dir.mkdir(parents=True, exist_ok=True)
        preview = save_preview(request, self.preview_dir / f"approval-step-{request.step:04d}.png")
        code = new_code()
        note = f"  ({request.note})\n" if request.note else ""
        answer = tty.ask(
            f"\napproval needed ({request.decision.reason}): {request.call.to_wire()}\n{note}"
            f"  targets {list(request.targets)}; preview: {preview}\n"
            f"  type {code} to approve, 'edit {code}' to change the action, anything else denies: ",
            self.timeout,
        )
        if answer is None:
            return _denied(f"no answer within {self.timeout:g} s")
        words = answer.split()
        if words == [code]:
            return ApprovalAnswer(approved=True, approver="terminal", reason="approved by the user")
        if words == ["edit", code]:
            text = tty.ask("  the action as JSON: ", self.timeout)
            if text is None:
                return _denied("no edited action given")
            try:
                edited = self.registry.parse(text)
            except ToolCallError as exc:
                return _denied(f"the edited action is invalid: {exc}")
            return ApprovalAnswer(
                approved=True,
                approver="terminal",
                call=edited,
                reason="edited and approved by the user",
            )
        return _denied(
            "denied by the user" if not answer else "denied: the answer was not the code"
        )


def _denied(reason: str) -> ApprovalAnswer:
    return ApprovalAnswer(approved=False, approver="terminal", reason=reason)
