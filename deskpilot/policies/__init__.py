"""The safety layer every action passes: policy files, decisions and the gate."""

from deskpilot.policies.decision import Decision, Verdict
from deskpilot.policies.gate import PolicyGate, effective_max_steps
from deskpilot.policies.policy import PRESETS, Budget, Policy, load_policy, parse_policy
from deskpilot.policies.rules import ActionContext, Rule

__all__ = [
    "PRESETS",
    "ActionContext",
    "Budget",
    "Decision",
    "Policy",
    "PolicyGate",
    "Rule",
    "Verdict",
    "effective_max_steps",
    "load_policy",
    "parse_policy",
]
