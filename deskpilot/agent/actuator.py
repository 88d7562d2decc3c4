"""The session: the one path from a tool call to the OS, shared by every entry point (agent runs,
recipes and their sub-agents, the MCP server): budget -> resolve targets -> policy -> approval ->
audit -> execute -> audit.

Nothing reaches a driver without a decision of the gate, an approval bound to the exact action and
screen where the policy asks for one (and still true of the screen when the person has answered),
and an audit record written before the driver is called. The actuator owns the session's budget
and keeps the executor to itself: whatever drives it, every step and action counts against the
same budget and passes the same gate.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from deskpilot.coords import CoordinateSpace
from deskpilot.errors import ActionFailed, BudgetExhausted, PolicyDenied
from deskpilot.policies.approval import (
    MAX_ASKS,
    ApprovalAnswer,
    ApprovalBook,
    ApprovalRequest,
    Approver,
    refuse_all,
    screen_moved,
)
from deskpilot.policies.audit import AuditLog
from deskpilot.policies.budget import BudgetTracker
from deskpilot.policies.decision import Decision, Verdict
from deskpilot.policies.gate import PolicyGate
from deskpilot.policies.rules import ActionContext
from deskpilot.screen import Frame, ScreenSource, grab_settled
from deskpilot.stopflag import StopFlag
from deskpilot.tools.executor import Executor, resolve_targets
from deskpilot.tools.registry import ToolCall, ToolRegistry
from deskpilot.tools.result import ToolResult
from deskpilot.windows import NO_WINDOWS, WindowLookup

Targets = tuple[tuple[int, int], ...]


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
        return {
            "verdict": self.decision.verdict.value,
            "reason": self.decision.reason,
            "rule": self.decision.rule,
        }


@dataclass(frozen=True, kw_only=True)
class _Decided:
    decision: Decision
    call: ToolCall
    targets: Targets
    frame: Frame
    asked: bool = False


class Actuator:
    """The session: budget, gate, approvals, audit and executor, in that order, one call at a time.

    Args:
        gate: The policy gate; its policy's budget becomes the session's unless ``budget`` is given.
        executor: Carries out allowed calls; only the actuator calls it.
        registry: The tools `call` validates against.
        screen: What `capture` and `observe` grab, and what is grabbed again after an approval to
            check that the approved screen still holds.
        approve: Who answers `ask` decisions (no one by default: they are denials).
        windows: Which windows an action reaches, for window rules.
        audit: Where every decision, approval, execution and result is written.
        budget: The session's budget tracker.
    """

    def __init__(
        self,
        *,
        gate: PolicyGate,
        executor: Executor,
        registry: ToolRegistry,
        screen: ScreenSource,
        approve: Approver = refuse_all,
        windows: WindowLookup = NO_WINDOWS,
        audit: AuditLog | None = None,
        budget: BudgetTracker | None = None,
    ) -> None:
        self.gate = gate
        self.registry = registry
        self.screen = screen
        self.approve = approve
        self.windows = windows
        self.audit = audit
        self.tracker = budget or BudgetTracker(gate.policy.budget)
        self.approvals = ApprovalBook()
        self.last_frame: Frame | None = None  # what `capture` grabbed last
        self._executor = executor

    @property
    def stop(self) -> StopFlag:
        """The session's stop flag (the kill switch raises it; drivers check it)."""
        return self._executor.stop

    @property
    def dry_run(self) -> bool:
        """Whether nothing is executed: calls are decided and audited, then only described."""
        return self._executor.dry_run

    def take_step(self) -> None:
        """Count one step against the budget, or raise `BudgetExhausted` when none is left."""
        if exhausted := self.tracker.exhausted():
            raise BudgetExhausted(exhausted)
        self.tracker.take_step()

    def capture(self, *, settle: float = 0.0) -> Frame:
        """The screen now (when ``settle`` > 0, once it has stopped changing, up to ``settle``
        seconds): what the next call is decided on. Not a tool call: see `observe`."""
        if settle > 0 and not self.dry_run:
            frame = grab_settled(self.screen, timeout=settle)
        else:
            frame = self.screen.grab()
        self.last_frame = frame
        return frame

    def call(
        self, name: str, arguments: dict[str, Any], *, step: int | None = None, settle: float = 0.0
    ) -> Acted:
        """Run one tool call (coordinates in screen pixels of the captured monitor) as one step
        of the session: count it, capture the screen (`last_frame`), validate, act. Denials and
        failures come back in the `Acted`; ``step`` numbers the audit records (by default the
        session's step count).

        Raises:
            BudgetExhausted: No step is left (nothing was captured or done).
            ToolCallError: The call is not valid (the step was counted, the screen captured).
        """
        self.take_step()
        frame = self.capture(settle=settle)
        call = self.registry.validate({"name": name, "arguments": arguments})
        space = CoordinateSpace.screen(frame.width, frame.height)
        return self.act(call, frame, space, step=self.tracker.steps if step is None else step)

    def observe(self, *, step: int | None = None, settle: float = 0.0) -> Frame:
        """A screenshot through the gate and the audit, as one step: a policy that denies
        `screenshot` denies it here too.

        Raises:
            PolicyDenied: The policy (or the approver) refused the screenshot.
            BudgetExhausted: No step is left.
        """
        acted = self.call("screenshot", {}, step=step, settle=settle)
        if acted.denied:
            raise PolicyDenied(acted.result.error)
        assert self.last_frame is not None
        return self.last_frame

    def act(self, call: ToolCall, frame: Frame, space: CoordinateSpace, *, step: int) -> Acted:
        """Decide on ``call`` (seen on ``frame``, coordinates in ``space``) and run it if allowed.

        The caller counts the step (`take_step`); an action is denied when the time budget or the
        error streak is used up."""
        if exhausted := self.tracker.exhausted(steps=False):
            decision = Decision(verdict=Verdict.DENY, reason=exhausted, rule="budget")
            self._audit(
                "decision",
                step,
                call=call.to_wire(),
                targets=(),
                verdict="deny",
                reason=exhausted,
                rule="budget",
            )
            return Acted(
                call=call,
                decision=decision,
                targets=(),
                executed=False,
                result=ToolResult(error=f"denied by policy: {exhausted}"),
            )
        try:
            targets = resolve_targets(call, space, frame.monitor)
        except ActionFailed as exc:
            self.tracker.record(ok=False)
            return Acted(
                call=call,
                decision=None,
                targets=(),
                result=ToolResult(error=str(exc)),
                executed=False,
            )
        decided = self._decide(call, targets, frame, space, step)
        decision, call, targets = decided.decision, decided.call, decided.targets
        self._audit(
            "decision",
            step,
            call=call.to_wire(),
            targets=targets,
            verdict=decision.verdict.value,
            reason=decision.reason,
            rule=decision.rule,
        )
        if decision.allowed and decided.asked and not self.approvals.consume(call, decided.frame):
            decision = Decision(
                verdict=Verdict.DENY,
                rule="approval",
                reason="no valid approval for this exact action and screen",
            )
        if not decision.allowed:
            denied = ToolResult(error=f"denied by policy: {decision.reason}")
            return Acted(
                call=call, decision=decision, targets=targets, result=denied, executed=False
            )
        self.tracker.throttle(self._executor.stop)
        self._audit(
            "execute", step, tool=call.name, targets=targets, dry_run=self._executor.dry_run
        )
        started = time.perf_counter()
        self._executor.shell_deadline = self.tracker.deadline()  # a command ends with the budget
        result = self._executor.execute(call, targets)
        self.tracker.record(ok=result.ok)
        self._audit(
            "result",
            step,
            tool=call.name,
            ok=result.ok,
            error=result.error,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            data=result.data,
        )
        return Acted(call=call, decision=decision, targets=targets, result=result, executed=True)

    def _decide(
        self, call: ToolCall, targets: Targets, frame: Frame, space: CoordinateSpace, step: int
    ) -> _Decided:
        """The gate's decision; an `ask` goes to the approver, who may approve, edit or deny, and
        whose yes holds only if the screen and the windows reached are still the ones approved."""
        context = self._context(targets)
        decision = self.gate.decide(call, context)
        note = ""
        for _ in range(MAX_ASKS):
            if decision.verdict is not Verdict.ASK:
                return _Decided(decision=decision, call=call, targets=targets, frame=frame)
            self._audit(
                "ask", step, call=call.to_wire(), reason=decision.reason, rule=decision.rule
            )
            request = ApprovalRequest(
                step=step, call=call, decision=decision, frame=frame, targets=targets, note=note
            )
            answer = self._ask(request)
            edited = answer.call.to_wire() if answer.call else None
            self._audit(
                "approval",
                step,
                approved=answer.approved,
                approver=answer.approver,
                reason=answer.reason,
                edited=edited,
            )
            if not answer.approved:
                refused = Decision(verdict=Verdict.DENY, reason=answer.reason, rule=decision.rule)
                return _Decided(decision=refused, call=call, targets=targets, frame=frame)
            if answer.call is not None and answer.call != call:
                call = answer.call
                try:
                    targets = resolve_targets(call, space, frame.monitor)
                except ActionFailed as exc:
                    bad = Decision(
                        verdict=Verdict.DENY, reason=f"edited action: {exc}", rule="approval"
                    )
                    return _Decided(decision=bad, call=call, targets=(), frame=frame)
                context = self._context(targets)
                again = self.gate.decide(call, context)
                if again.verdict is Verdict.DENY:  # an edit cannot get around the policy
                    return _Decided(decision=again, call=call, targets=targets, frame=frame)
            changed, now, now_context = self._changed(frame, targets, context)
            if changed is None:
                self.approvals.grant(call, frame)
                allowed = Decision(
                    verdict=Verdict.ALLOW,
                    rule=decision.rule,
                    reason=f"{answer.reason} (asked: {decision.reason})",
                )
                return _Decided(
                    decision=allowed, call=call, targets=targets, frame=frame, asked=True
                )
            self._audit("approval_stale", step, reason=changed)
            if not targets and now_context.focused != context.focused:
                # keys go to the focused window: asking again would send them where the person
                # typed the answer (a terminal, perhaps this one), not where they were approved
                moved = Decision(
                    verdict=Verdict.DENY,
                    rule="approval",
                    reason=f"{changed} while the approval was asked: keys would go "
                    "to another window than the one approved",
                )
                return _Decided(decision=moved, call=call, targets=targets, frame=now)
            note = f"{changed} while you were deciding: asked again on the screen as it is now"
            frame, context = now, now_context
            decision = self.gate.decide(call, context)
            if decision.verdict is Verdict.ALLOW:  # allowed without asking on the new screen
                decision = Decision(verdict=Verdict.ASK, reason=decision.reason, rule=decision.rule)
        stale = Decision(
            verdict=Verdict.DENY,
            rule="approval",
            reason=f"the screen kept changing while the approval was asked ({note})",
        )
        return _Decided(decision=stale, call=call, targets=targets, frame=frame)

    def _ask(self, request: ApprovalRequest) -> ApprovalAnswer:
        try:
            return self.approve(request)
        except Exception as exc:  # an approver that fails means deny (fail closed)
            return ApprovalAnswer(
                approved=False, approver="error", reason=f"approval failed: {exc}"
            )

    def _changed(
        self, frame: Frame, targets: Targets, context: ActionContext
    ) -> tuple[str | None, Frame, ActionContext]:
        """Whether the approved screen still holds: the pixels around the targets, and the
        windows the action reaches. Returns (why not or None, the screen now, its context)."""
        now = self.screen.grab() if self.screen is not None else frame
        changed = screen_moved(frame, now, targets)
        now_context = self._context(targets)
        if changed is None and now_context.reached != context.reached:
            before = ", ".join(repr(w.title) for w in context.reached)
            after = ", ".join(repr(w.title) for w in now_context.reached)
            changed = f"the window the action reaches changed ({before} -> {after})"
        return changed, now, now_context

    def _context(self, targets: Targets) -> ActionContext:
        if not self.gate.needs_window:
            return ActionContext(targets=targets)
        return ActionContext(
            targets=targets, focused=self.windows.focused(), under_targets=self.windows.at(targets)
        )

    def _audit(self, event: str, step: int, **fields: Any) -> None:
        if self.audit:
            self.audit.record(event, step=step, **fields)
