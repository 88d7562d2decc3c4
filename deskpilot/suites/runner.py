"""`run_suite`: a suite's unfinished tasks on local worker processes or Ray actors, results
streamed to the results folder as they finish, and the HTML summary at the end."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from deskpilot.errors import UsageError
from deskpilot.suites.local import OnEvent, run_local
from deskpilot.suites.ray_runner import RayOptions, run_ray
from deskpilot.suites.results import ResultsFolder, TaskResult, write_summary
from deskpilot.suites.schema import REFERENCE, LoadedSuite, SuiteTask
from deskpilot.suites.worker import WorkerConfig, suite_files


@dataclass(frozen=True, kw_only=True)
class SuiteRun:
    """What a suite run leaves: every selected task's result (resumed ones included)."""

    results: list[TaskResult]
    resumed: int  # tasks finished by an earlier run on the same folder, not run again
    folder: Path
    summary: Path

    @property
    def passed(self) -> bool:
        """Whether every task's checker passed."""
        return all(r.passed for r in self.results)


def selected_tasks(loaded: LoadedSuite, only: list[str] | None) -> list[SuiteTask]:
    """The suite's tasks, or the ones ``only`` names (in the suite's order).

    Raises:
        UsageError: ``only`` names a task the suite has not.
    """
    if not only:
        return list(loaded.suite.task)
    ids = {t.id for t in loaded.suite.task}
    unknown = sorted(set(only) - ids)
    if unknown:
        raise UsageError(f"no task(s) {unknown} in the suite; it has {', '.join(sorted(ids))}")
    return [t for t in loaded.suite.task if t.id in only]


def check_model(model: str | None, tasks: list[SuiteTask]) -> None:
    """Fail early when instruction tasks have no model, or a scripted plan is missing.

    Raises:
        UsageError: Saying what to pass instead.
    """
    agents = [t.id for t in tasks if t.recipe is None]
    if model is None and agents:
        raise UsageError(
            f"{len(agents)} task(s) are instructions for a model ({agents[0]}, ...): "
            "give --model SPEC (text-match, script:PLAN.jsonl or script:DIR, a model "
            f"folder, a URL) or --model {REFERENCE} (their reference recipes)"
        )
    if model is not None and model.startswith("script:"):
        plan = Path(model.removeprefix("script:"))
        if not plan.exists():
            raise UsageError(f"no plan file or folder {plan}")


def run_suite(
    loaded: LoadedSuite,
    *,
    model: str | None,
    out: Path,
    workers: int = 1,
    ray: RayOptions | None = None,
    only: list[str] | None = None,
    driver: str = "pyautogui",
    yes: bool = False,
    on_event: OnEvent | None = None,
) -> SuiteRun:
    """Run the tasks of ``loaded`` that ``out`` has no result for yet, on ``workers`` local
    processes (or Ray actors when ``ray`` is given); each result is appended to
    ``out/results.jsonl`` as it finishes. Interrupted, it resumes on the same ``out``.

    Raises:
        UsageError: A bad option, a results folder of another suite or model, Ray missing.
    """
    if workers < 1:
        raise UsageError("--workers must be at least 1")
    tasks = selected_tasks(loaded, only)
    folder = ResultsFolder(out)
    meta = {
        "suite": str(loaded.path),
        "name": loaded.suite.name or loaded.path.stem,
        "model": model,
    }
    folder.begin(meta)
    earlier = folder.finished()
    todo = [t for t in tasks if t.id not in earlier]
    check_model(model, todo)
    collected = dict(earlier)

    def record(result: TaskResult) -> None:
        folder.append(result)
        collected[result.task] = result

    if todo:
        config = WorkerConfig(
            suite=loaded, files=suite_files(loaded), model=model, driver=driver, yes=yes
        )
        if ray is None:
            run_local(
                config,
                todo,
                workers=workers,
                task_dir=folder.task_dir,
                record=record,
                on_event=on_event,
            )
        else:
            run_ray(
                config,
                todo,
                workers=workers,
                options=ray,
                task_dir=folder.task_dir,
                record=record,
                on_event=on_event,
            )
    results = [collected[t.id] for t in tasks if t.id in collected]
    summary = write_summary(out, results, meta)
    return SuiteRun(results=results, resumed=len(tasks) - len(todo), folder=out, summary=summary)
