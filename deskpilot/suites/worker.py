"""A suite worker: one private desktop (its own Xvfb and window manager), the model loaded once,
and tasks run one after another on it, each through the normal session (policy gate, approvals,
audit, trajectory) and then judged by its checker.

The same class runs in a local worker process and inside a Ray actor. It points ``DISPLAY`` at its
own display for the whole process: a worker never touches the user's screen.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deskpilot.agent.records import Outcome, RunResult
from deskpilot.recipes.schema import Scalar
from deskpilot.runtime.base import Model
from deskpilot.suites.checkers import CheckContext, CheckResult, run_checks, window_titles
from deskpilot.suites.results import TaskResult, run_stats
from deskpilot.suites.schema import REFERENCE, LoadedSuite, SuiteTask, fill, task_values
from deskpilot.xvfb import VirtualDisplay, die_with_parent, stop_process


class SetupFailed(Exception):
    """A task's desktop could not be set up (a program did not start, no window came)."""


@dataclass(frozen=True, kw_only=True)
class WorkerConfig:
    """What every worker of a suite run shares."""

    suite: LoadedSuite
    files: dict[str, str]  # the suite file and its recipes, by path relative to the suite's folder
    model: str | None
    driver: str = "pyautogui"
    yes: bool = False
    width: int = 1280
    height: int = 800


def suite_files(loaded: LoadedSuite) -> dict[str, str]:
    """The suite file and every recipe it names, as text: what a worker on another machine needs
    to run the suite (a worker writes them into a folder of its own)."""
    names = {loaded.path.name, *(t.recipe_file for t in loaded.suite.task if t.recipe_file)}
    return {name: (loaded.root / name).read_text(encoding="utf-8") for name in sorted(names)}


class SuiteWorker:
    """One desktop and one model; `run` runs a task on them. Call `start` first, `close` last."""

    def __init__(self, config: WorkerConfig) -> None:
        self.config = config
        self.display = VirtualDisplay(config.width, config.height, with_parent=True)
        self.model: Model | None = None
        self._suite_dir: tempfile.TemporaryDirectory[str] | None = None

    def start(self) -> SuiteWorker:
        """Start the desktop, point this process's DISPLAY at it and load the model."""
        self.display.start()
        os.environ["DISPLAY"] = self.display.display
        self._suite_dir = tempfile.TemporaryDirectory(prefix="deskpilot-suite-")
        for name, text in self.config.files.items():
            path = Path(self._suite_dir.name) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        spec = self.config.model
        if spec is not None and spec != REFERENCE and not spec.startswith("script:"):
            from deskpilot.runtime import load_model

            self.model = load_model(spec)
        return self

    @property
    def suite_dir(self) -> Path:
        """This worker's copy of the suite's folder (the suite file and its recipes)."""
        assert self._suite_dir is not None, "start() the worker first"
        return Path(self._suite_dir.name)

    def info(self) -> dict[str, Any]:
        """Which worker this is: process, host, display (and its Xvfb and window manager)."""
        return {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "display": self.display.display,
            "desktop_pids": self.display.pids,
        }

    def close(self) -> None:
        """Release the model and stop the desktop."""
        if self.model is not None:
            self.model.close()
        self.display.stop()
        if self._suite_dir is not None:
            self._suite_dir.cleanup()

    # -- one task -----------------------------------------------------------------------------
    def mode(self, task: SuiteTask) -> str:
        """``recipe`` (the task is one), ``reference`` (its reference recipe) or ``agent``."""
        if task.recipe is not None:
            return "recipe"
        return "reference" if self.config.model == REFERENCE else "agent"

    def run(self, task: SuiteTask, out_dir: Path) -> TaskResult:
        """Set the desktop up, run the task, check the state, tear the set-up down. The folder
        ``out_dir`` is emptied first (a retried task starts clean): ``run/`` gets the trajectory
        and report, ``work/`` the task's files (the run's current folder, where the programs
        start), ``log.txt`` what the run printed."""
        out_dir = out_dir.resolve()
        shutil.rmtree(out_dir, ignore_errors=True)
        workdir = out_dir / "work"
        workdir.mkdir(parents=True)
        values = task_values(workdir.resolve(), self.suite_dir)
        started = time.monotonic()
        mode = self.mode(task)
        procs: list[subprocess.Popen[bytes]] = []
        base: dict[str, Any] = {"task": task.id, "mode": mode, "worker": self.info(), "run_dir": ""}
        with (out_dir / "log.txt").open("w", encoding="utf-8") as log:
            try:
                self._setup(task, values, workdir, log, procs)
            except SetupFailed as exc:
                for proc in procs:
                    stop_process(proc)
                return TaskResult(
                    **base,
                    passed=False,
                    check="not checked",
                    outcome="setup",
                    reason=str(exc),
                    error=f"set-up failed: {exc}",
                )
            run_started = time.monotonic()
            try:
                with contextlib.redirect_stderr(log), contextlib.chdir(workdir):
                    result = self._execute(task, mode, values, (out_dir / "run").resolve())
            except Exception as exc:  # a usage error (the CLI's exit on one too), a model error
                log.flush()
                said = (out_dir / "log.txt").read_text(encoding="utf-8").strip().splitlines()
                why = said[-1] if said and type(exc).__name__ == "Exit" else f"crashed: {exc!r}"
                result = RunResult(outcome=Outcome.FAILED, reason=why, steps=0)
            run_seconds = time.monotonic() - run_started
            ctx = CheckContext(workdir=workdir, values=values, display=self.display.display)
            try:
                verdict = run_checks(list(task.check), ctx)
            except Exception as exc:
                verdict = CheckResult(passed=False, detail=f"the checker crashed: {exc!r}")
            finally:
                for proc in procs:
                    stop_process(proc)
        stats = run_stats(out_dir / "run")
        base["run_dir"] = f"tasks/{task.id}/run"
        return TaskResult(
            **base,
            passed=verdict.passed,
            check=verdict.detail,
            outcome=result.outcome.value,
            reason=result.reason,
            steps=stats.steps,
            invalid=stats.invalid,
            denials=stats.denials,
            seconds=round(time.monotonic() - started, 3),
            step_ms=round(1000 * run_seconds / stats.steps, 1) if stats.steps else 0.0,
        )

    def _setup(
        self,
        task: SuiteTask,
        values: dict[str, Scalar],
        workdir: Path,
        log: Any,
        procs: list[subprocess.Popen[bytes]],
    ) -> None:
        """Put the files in place, start the programs (into ``procs``), wait for the window."""
        setup = task.setup
        for name, text in setup.files.items():
            path = workdir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(fill(text, values), encoding="utf-8")
        for command in setup.start:
            argv = shlex.split(fill(command, values))
            try:
                procs.append(
                    subprocess.Popen(
                        argv,
                        env=self.display.env(),
                        cwd=workdir,
                        stdout=log,
                        stderr=log,
                        preexec_fn=die_with_parent,
                        process_group=0,  # as the desktop: Ctrl-C is for the CLI, not the apps
                    )
                )
            except OSError as exc:
                raise SetupFailed(f"cannot start {argv[0]!r}: {exc}") from None
        if setup.wait_window is not None:
            pattern = fill(setup.wait_window, values)
            deadline = time.monotonic() + setup.timeout
            while not any(re.search(pattern, t) for t in window_titles(self.display.display)):
                if time.monotonic() > deadline:
                    seen = window_titles(self.display.display)
                    raise SetupFailed(
                        f"no window titled /{pattern}/ after {setup.timeout:g} s (windows: {seen})"
                    )
                time.sleep(0.1)
            time.sleep(0.5)  # the window manager's placement and focus

    def _execute(
        self, task: SuiteTask, mode: str, values: dict[str, Scalar], run_dir: Path
    ) -> RunResult:
        from deskpilot.agent.report import write_report
        from deskpilot.cli.session import SessionOptions, open_session
        from deskpilot.policies.approval import approve_all, refuse_all

        suite = self.config.suite.suite
        if mode == "reference" and task.reference is None:
            return RunResult(
                outcome=Outcome.FAILED, reason="the task has no reference recipe", steps=0
            )
        model = None if mode == "reference" else self._model_for(task, needed=mode == "agent")
        if mode == "agent" and model is None:
            return RunResult(
                outcome=Outcome.FAILED,
                reason="an instruction needs a model: --model SPEC (or --model reference)",
                steps=0,
            )
        options = SessionOptions(
            policy=task.policy or suite.policy,
            run_dir=run_dir,
            driver=self.config.driver,
            yes=self.config.yes,
            approver=approve_all if self.config.yes else refuse_all,
        )
        session = open_session(options)
        timeout = task.timeout or suite.timeout
        timer = threading.Timer(
            timeout, session.actuator.stop.set, (f"the task's {timeout:g} s ran out",)
        )
        timer.start()
        try:
            if mode == "agent":
                assert model is not None
                result = self._agent(session, model, fill(task.instruction, values), task)
            else:
                result = self._recipe(session, model, task, values)
        finally:
            timer.cancel()
            session.close()
            if model is not None and model is not self.model:
                model.close()
        write_report(run_dir)
        return result

    def _model_for(self, task: SuiteTask, *, needed: bool) -> Model | None:
        """The worker's model; a scripted plan is read afresh for each task (``script:DIR``:
        the plan ``DIR/<task id>.jsonl``, which a recipe task may lack: it has no agent step)."""
        spec = self.config.model
        if spec is None or not spec.startswith("script:"):
            return self.model
        from deskpilot.runtime.scripted import ScriptedModel

        plan = Path(spec.removeprefix("script:"))
        plan = plan / f"{task.id}.jsonl" if plan.is_dir() else plan
        return ScriptedModel.from_file(plan) if needed or plan.is_file() else None

    def _agent(self, session: Any, model: Model, instruction: str, task: SuiteTask) -> RunResult:
        from deskpilot.policies import effective_max_steps

        steps = effective_max_steps(
            session.policy, task.max_steps or self.config.suite.suite.max_steps
        )
        agent = session.agent(
            model,
            steps,
            {"suite_task": task.id, "policy": session.options.policy, "driver": self.config.driver},
        )
        result: RunResult = agent.run(instruction)
        return result

    def _recipe(
        self, session: Any, model: Model | None, task: SuiteTask, values: dict[str, Scalar]
    ) -> RunResult:
        from deskpilot.recipes import RecipeContext, resolve_params, run_python_recipe, run_recipe
        from deskpilot.recipes.runner import load_python_recipe
        from deskpilot.recipes.schema import load_recipe

        assert task.recipe_file is not None
        path = self.suite_dir / task.recipe_file
        func = None
        if path.suffix == ".py":
            func, recipe = load_python_recipe(path)
        else:
            recipe = load_recipe(path, session.registry)
        given = {name: str(fill(value, values)) for name, value in task.params.items()}
        params = resolve_params(recipe, given)
        ctx = RecipeContext(
            actuator=session.actuator,
            trajectory=session.trajectory,
            model_factory=(lambda: model) if model else None,
            recipe_file=path,
            on_step=session.print_step,
        )
        session.trajectory.start(
            task=f"{task.id}: recipe {recipe.name or path.name}",
            recipe=task.recipe_file,
            params=params,
            policy=session.options.policy,
        )
        try:
            result = (
                run_python_recipe(func, params, ctx) if func else run_recipe(recipe, params, ctx)
            )
        except Exception as exc:
            result = RunResult(outcome=Outcome.FAILED, reason=f"crashed: {exc!r}", steps=ctx.steps)
        session.trajectory.finish(result)
        return result
