"""The agent: the session (`Actuator`), its loop, what it records, and the report of a run."""

from deskpilot.agent.actuator import Acted, Actuator
from deskpilot.agent.loop import Agent
from deskpilot.agent.records import Outcome, RunResult, StepRecord
from deskpilot.agent.trajectory import Trajectory, default_run_dir, read_trajectory

__all__ = [
    "Acted",
    "Actuator",
    "Agent",
    "Outcome",
    "RunResult",
    "StepRecord",
    "Trajectory",
    "default_run_dir",
    "read_trajectory",
]
