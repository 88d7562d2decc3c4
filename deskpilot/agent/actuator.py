"""The one path from a validated tool call to the OS, shared by every entry point (agent runs,
recipes, the MCP server): resolve targets -> policy -> approval -> audit -> execute -> audit.

Nothing reaches a driver without a decision of the gate, an approval bound to the exact action and
screen where the policy asks for one, and an audit record written before the driver is called.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from deskpilot.coords import CoordinateSpace
from deskpilot.errors import ActionFailed
from deskpilot.policies.approval import (
    ApprovalAnswer,
    ApprovalBook,
    ApprovalRequest,
    Approver,
    refuse_all,
)
from deskpilot.policies.audit import AuditLog
from deskpilot.policies.budget import BudgetTracker
from deskpilot.policies.decision import Decision, Verdict
from deskpilot.policies.gate import PolicyGate
from deskpilot.policies.rules import ActionContext
from deskpilot.screen import Frame
from deskpilot.tools.executor import Executor, resolve_targets
from deskpilot.tools.registry import ToolCall
from deskpilot.tools.result import ToolResult

WindowInfo = Callable[[], tuple[str | None, str | None]]
Targets = tuple[tuple[int, int], ...]


def no_window() -> tuple[str | None, str | None]:
    """Window information when none is available (window rules then never match)."""
    return None, None


@dataclass(frozen=True, kw_only=True)
class Acted:
    """What became of one call: the (possibly edited) call, the decision, and the result."""

    call: ToolCall
    decision: Decision | None
    targets: Targets
    result: ToolResult
    executed: bool

    @property
    def denied(self) -> bool:
        """Whether the policy (or the user) refused it."""
        return self.decision is not None and not self.decision.allowed

    def decision_json(self) -> dict[str, str] | None:
        """The decision for records."""
        if self.decision is None:
            return None
        return {"verdict": self.decision.verdict.value, "reason": self.decision.reason,
                "rule": self.decision.rule}  # fmt: skip


@dataclass(kw_only=True)
class Actuator:
    """Gate, approvals, audit and executor, in that order, for one call at a time."""

    gate: PolicyGate
    executor: Executor
    approve: Approver = refuse_all
    window_info: WindowInfo = no_window
    audit: AuditLog | None = None
    approvals: ApprovalBook = field(default_factory=ApprovalBook)

    def act(
        self, call: ToolCall, frame: Frame, space: CoordinateSpace, *, step: int,
        budget: BudgetTracker | None = None,
    ) -> Acted:  # fmt: skip
        """Decide on ``call`` (seen on ``frame``, coordinates in ``space``) and run it if allowed."""
        try:
            targets = resolve_targets(call, space, frame.monitor)
        except ActionFailed as exc:
            return Acted(call=call, decision=None, targets=(), result=ToolResult(error=str(exc)),
                         executed=False)  # fmt: skip
        decision, call, targets, asked = self._decide(call, targets, frame, space, step)
        self._audit("decision", step, call=call.to_wire(), targets=targets,
                    verdict=decision.verdict.value, reason=decision.reason, rule=decision.rule)  # fmt: skip
        if decision.allowed and asked and not self.approvals.consume(call, frame):
            decision = Decision(verdict=Verdict.DENY, rule="approval",
                                reason="no valid approval for this exact action and screen")  # fmt: skip
        if not decision.allowed:
            denied = ToolResult(error=f"denied by policy: {decision.reason}")
            return Acted(
                call=call, decision=decision, targets=targets, result=denied, executed=False
            )
        if budget is not None:
            budget.throttle(self.executor.stop)
        self._audit("execute", step, tool=call.name, targets=targets, dry_run=self.executor.dry_run)
        started = time.perf_counter()
        result = self.executor.execute(call, targets)
        self._audit("result", step, tool=call.name, ok=result.ok, error=result.error,
                    duration_ms=round((time.perf_counter() - started) * 1000, 3), data=result.data)  # fmt: skip
        return Acted(call=call, decision=decision, targets=targets, result=result, executed=True)

    def _decide(
        self, call: ToolCall, targets: Targets, frame: Frame, space: CoordinateSpace, step: int
    ) -> tuple[Decision, ToolCall, Targets, bool]:
        """The gate's decision; an `ask` goes to the approver, who may approve, edit or deny."""
        decision = self.gate.decide(call, self._context(targets))
        if decision.verdict is not Verdict.ASK:
            return decision, call, targets, False
        self._audit("ask", step, call=call.to_wire(), reason=decision.reason, rule=decision.rule)
        request = ApprovalRequest(step=step, call=call, decision=decision, frame=frame,
                                  targets=targets)  # fmt: skip
        try:
            answer = self.approve(request)
        except Exception as exc:  # an approver that fails means deny (fail closed)
            answer = ApprovalAnswer(
                approved=False, approver="error", reason=f"approval failed: {exc}"
            )
        edited = answer.call.to_wire() if answer.call else None
        self._audit("approval", step, approved=answer.approved, approver=answer.approver,
                    reason=answer.reason, edited=edited)  # fmt: skip
        if not answer.approved:
            refused = Decision(verdict=Verdict.DENY, reason=answer.reason, rule=decision.rule)
            return refused, call, targets, False
        if answer.call is not None and answer.call != call:
            call = answer.call
            try:
                targets = resolve_targets(call, space, frame.monitor)
            except ActionFailed as exc:
                bad = Decision(
                    verdict=Verdict.DENY, reason=f"edited action: {exc}", rule="approval"
                )
                return bad, call, (), False
            again = self.gate.decide(call, self._context(targets))
            if again.verdict is Verdict.DENY:  # an edit cannot get around the policy
                return again, call, targets, False
        self.approvals.grant(call, frame)
        allowed = Decision(verdict=Verdict.ALLOW, rule=decision.rule,
                           reason=f"{answer.reason} (asked: {decision.reason})")  # fmt: skip
        return allowed, call, targets, True

    def _context(self, targets: Targets) -> ActionContext:
        title, wm_class = self.window_info()
        return ActionContext(targets=targets, window_title=title, window_class=wm_class)

    def _audit(self, event: str, step: int, **fields: Any) -> None:
        if self.audit:
            self.audit.record(event, step=step, **fields)
