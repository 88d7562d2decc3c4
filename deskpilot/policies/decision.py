"""A policy decision: allow, ask or deny, with the reason and the rule that gave it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    """What happens to an action. Ordered by strictness: deny > ask > allow."""

    ALLOW = "allow"
    ASK = "ask"
    DENY = "deny"

    @property
    def strictness(self) -> int:
        """0 for allow, 1 for ask, 2 for deny."""
        return ("allow", "ask", "deny").index(self.value)


@dataclass(frozen=True, kw_only=True)
class Decision:
    """The gate's answer for one action.

    Attributes:
        verdict: allow, ask or deny.
        reason: Why, in words a user and a model can read.
        rule: Which rule decided ("default" when none matched; "budget" for budgets).
    """

    verdict: Verdict
    reason: str
    rule: str

    @property
    def allowed(self) -> bool:
        """Whether the action may run without asking."""
        return self.verdict is Verdict.ALLOW
