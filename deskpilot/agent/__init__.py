"""The agent: its loop, what it records, and the report of a run."""

from deskpilot.agent.loop import Agent, Approver, refuse_asks
from deskpilot.agent.records import Outcome, RunResult, StepRecord
from deskpilot.agent.trajectory import Trajectory, default_run_dir, read_trajectory

__all__ = [
    "Agent",
    "Approver",
    "Outcome",
    "RunResult",
    "StepRecord",
    "Trajectory",
    "default_run_dir",
    "read_trajectory",
    "refuse_asks",
]
