"""Exceptions, split by who must act on them.

- `ToolCallError`: the model produced something unusable; it goes back to the model, which retries.
- `ActionFailed`: a valid, allowed action could not be carried out (e.g. off-screen target).
- `PolicyDenied`: the policy refused the action; the model is told why.
- `BudgetExhausted`: the session's budget (steps, time, failures in a row) is used up; it stops.
- `UsageError`: the user must fix something (bad file, missing display, unknown model spec).
- `ModelError`: the model backend itself failed; the run stops.
"""

from __future__ import annotations


class DeskpilotError(Exception):
    """Base class of every error deskpilot raises on purpose."""


class ToolCallError(DeskpilotError):
    """The model's output is not a valid tool call. The message tells the model what to fix."""


class ActionFailed(DeskpilotError):
    """A valid action could not be executed; the run records it and the model sees it."""


class PolicyDenied(DeskpilotError):
    """The policy refused an action."""


class BudgetExhausted(DeskpilotError):
    """The session's budget is used up: nothing more runs in it."""


class UsageError(DeskpilotError):
    """Something the user gave (a file, an option, the environment) is wrong."""


class ModelError(DeskpilotError):
    """The model backend failed; the run stops and keeps its trajectory so far."""
