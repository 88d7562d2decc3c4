"""Approvals for `ask` decisions: approve, edit or deny; bound to the action and the screen, used once.

An approval covers exactly one action (the SHA-256 of its canonical JSON) on exactly one screen (the
SHA-256 of the screenshot's pixels). The loop grants it when the approver says yes and consumes it
right before executing: an altered action, another screen or a second use finds no approval.

A person takes time to decide, and the screen can change meanwhile (a pop-up under the approved
click, another window focused). So after a yes the screen is grabbed again: when the screen around a
target changed (`screen_moved`), or the window the action reaches is another one, the approval does
not hold and the person is asked again on the new screen (at most `MAX_ASKS` times, then denied).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from deskpilot.coords import to_capture_pixels
from deskpilot.policies.decision import Decision
from deskpilot.screen import Frame
from deskpilot.tools.registry import ToolCall


def action_hash(call: ToolCall) -> str:
    """SHA-256 of the call's canonical JSON."""
    text = json.dumps(call.to_wire(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, kw_only=True)
class ApprovalRequest:
    """What an approver is shown."""

    step: int
    call: ToolCall
    decision: Decision
    frame: Frame
    targets: tuple[tuple[int, int], ...]
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class ApprovalAnswer:
    """The approver's answer. ``call`` is set when the user edited the action."""

    approved: bool
    reason: str
    approver: str
    call: ToolCall | None = None


Approver = Callable[[ApprovalRequest], ApprovalAnswer]


MAX_ASKS = 3
AROUND_TARGET = 48  # capture pixels on each side of a target that must still look the same
CHANGED_FRACTION = 0.02  # share of those pixels that may differ (a blinking caret, not a pop-up)


def screen_moved(before: Frame, after: Frame, targets: Sequence[tuple[int, int]]) -> str | None:
    """Why ``after`` is no longer the screen that was approved around ``targets``, or None."""
    if before.pixels.shape != after.pixels.shape:
        return "the screen's size changed"
    for x, y in targets:
        cx, cy = (int(v) for v in to_capture_pixels(x, y, before.monitor))
        box = (
            slice(max(0, cy - AROUND_TARGET), cy + AROUND_TARGET + 1),
            slice(max(0, cx - AROUND_TARGET), cx + AROUND_TARGET + 1),
        )
        old, new = before.pixels[box][..., :3], after.pixels[box][..., :3]
        if old.size and float(np.any(old != new, axis=-1).mean()) > CHANGED_FRACTION:
            return f"the screen around ({x}, {y}) changed"
    return None


def refuse_all(request: ApprovalRequest) -> ApprovalAnswer:
    """The approver when no one can be asked: every `ask` is a denial (fail closed)."""
    return ApprovalAnswer(
        approved=False,
        approver="none",
        reason=f"needs approval ({request.decision.reason}) but no one can be asked",
    )


def approve_all(request: ApprovalRequest) -> ApprovalAnswer:
    """``--yes``: approve every `ask` (only where the policy allows it)."""
    return ApprovalAnswer(approved=True, approver="--yes", reason="approved by --yes")


class ApprovalBook:
    """Single-use approvals keyed by (action hash, screen hash)."""

    def __init__(self) -> None:
        self._granted: set[tuple[str, str]] = set()

    def grant(self, call: ToolCall, frame: Frame) -> None:
        """Record an approval of ``call`` on ``frame``."""
        self._granted.add((action_hash(call), frame.digest()))

    def consume(self, call: ToolCall, frame: Frame) -> bool:
        """Use the approval of ``call`` on ``frame``; False if there is none (or it was used)."""
        key = (action_hash(call), frame.digest())
        if key in self._granted:
            self._granted.discard(key)
            return True
        return False
