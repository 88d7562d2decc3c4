"""Task suites: many desktop tasks, each judged by a checker on the real state afterwards, run on
private desktops by local worker processes or Ray actors (``deskpilot suite run``)."""

from deskpilot.suites.results import ResultsFolder, TaskResult, totals
from deskpilot.suites.runner import SuiteRun, run_suite
from deskpilot.suites.schema import BUILTIN, REFERENCE, LoadedSuite, Suite, SuiteTask, load_suite

__all__ = [
    "BUILTIN", "REFERENCE", "LoadedSuite", "ResultsFolder", "Suite", "SuiteRun", "SuiteTask",
    "TaskResult", "load_suite", "run_suite", "totals",
]  # fmt: skip
