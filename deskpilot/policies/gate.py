"""The policy gate: every tool call passes here before any driver sees it."""

from __future__ import annotations

from collections.abc import Callable

from deskpilot.errors import UsageError
from deskpilot.policies.decision import Decision, Verdict
from deskpilot.policies.policy import Policy
from deskpilot.policies.rules import ActionContext
from deskpilot.policies.shell import parse_command
from deskpilot.tools.registry import ToolCall, ToolRegistry


class PolicyGate:
    """Decides allow / ask / deny for each call; the strictest matching rule wins."""

    def __init__(
        self,
        policy: Policy,
        registry: ToolRegistry,
        veto: Callable[..., str | None] | None = None,
    ) -> None:
        for index, rule in enumerate(policy.rule):
            unknown = [t for t in rule.tools if t != "*" and t not in registry]
            if unknown:
                raise UsageError(
                    f"policy rule {index + 1} names unknown tool(s) {unknown}; "
                    f"known: {', '.join(registry.names())}"
                )
        self.policy = policy
        self.veto = veto

    def may_allow(self, tool: str) -> bool:
        """Whether some rule could allow (or ask for) ``tool``: e.g. whether a shell is needed."""
        return self.policy.default is Verdict.ASK or any(
            r.decision is not Verdict.DENY and ("*" in r.tools or tool in r.tools)
            for r in self.policy.rule
        )

    @property
    def needs_window(self) -> bool:
        """Whether any rule looks at the active window (so the loop must ask the window manager)."""
        return any(
            r.window_title is not None or r.window_class is not None for r in self.policy.rule
        )

    def decide(self, call: ToolCall, context: ActionContext | None = None) -> Decision:
        """The decision for one validated call, given its screen targets and the active window."""
        context = context or ActionContext()
        best: Decision | None = None
        for index, rule in enumerate(self.policy.rule):
            if not rule.covers(call.name, call.arguments, context):
                continue
            if best is None or rule.decision.strictness > best.verdict.strictness:
                best = Decision(verdict=rule.decision, reason=rule.reason, rule=f"rule {index + 1}")
        if best is not None and best.verdict is not Verdict.DENY and call.name == "shell":
            try:
                parse_command(str(call.arguments.get("command", "")), self.policy.shell)
            except ValueError as exc:
                return Decision(verdict=Verdict.DENY, reason=f"shell: {exc}", rule="shell")
        if best is not None and best.verdict is not Verdict.DENY and self.veto is not None:
            try:
                vetoed = self.veto(call=call, context=context)
            except Exception as exc:  # a failing veto hook blocks (fail closed)
                vetoed = f"the veto hook failed: {exc!r}"
            if vetoed:
                return Decision(verdict=Verdict.DENY, reason=str(vetoed), rule="plugin veto")
        if best is not None:
            return best
        verdict = self.policy.default
        return Decision(
            verdict=verdict,
            reason=f"no rule names {call.name!r} ({verdict.value} by default)",
            rule="default",
        )

    def explain(self, call: ToolCall, context: ActionContext | None = None) -> str:
        """A one-line explanation, for `deskpilot policy explain` and approvals."""
        decision = self.decide(call, context)
        return f"{decision.verdict.value.upper()} {call.name}: {decision.reason} [{decision.rule}]"


def effective_max_steps(policy: Policy, requested: int | None) -> int:
    """The step budget: the CLI may lower the policy's budget, never raise it."""
    if requested is None:
        return policy.budget.max_steps
    if requested < 1:
        raise UsageError("--max-steps must be at least 1")
    return min(requested, policy.budget.max_steps)


__all__ = ["ActionContext", "PolicyGate", "Verdict", "effective_max_steps"]
