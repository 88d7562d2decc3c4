"""The agent loop: observe -> ask the model -> parse -> validate -> policy -> execute -> record.

It ends on `done` / `fail`, a denial (when the policy says so), the stop flag, a budget (steps, wall
time, failed actions in a row), too many invalid outputs in a row, or a model error. Parse,
validation, policy and tool errors go back to the model as observations; the trajectory keeps every
step, whatever ends the run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from deskpilot.agent.actuator import Actuator
from deskpilot.agent.prompt import tools_prompt
from deskpilot.agent.records import Outcome, RunResult, StepRecord
from deskpilot.agent.trajectory import Trajectory
from deskpilot.errors import ModelError, ToolCallError
from deskpilot.policies.redaction import Redactor
from deskpilot.runtime.base import HistoryEntry, Model, ModelRequest, TaskAudio, require_audio
from deskpilot.screen import Frame
from deskpilot.tools.result import ToolResult

__all__ = ["Agent"]


class _Clock:
    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round((now - self.last) * 1000, 3)
        self.last = now

    def total(self) -> dict[str, float]:
        return {**self.laps, "total": round((time.perf_counter() - self.start) * 1000, 3)}


@dataclass(kw_only=True)
class Agent:
    """A model driving one session; `run` is the loop.

    ``actuator`` is the session (its screen, tools, gate, budget, approvals and audit): a recipe's
    sub-task and the CLI pass theirs, so that all of it is shared with every other entry point.
    """

    model: Model
    actuator: Actuator
    trajectory: Trajectory | None = None
    redactor: Redactor = field(default_factory=Redactor)
    max_steps: int = 30
    max_invalid: int = 3
    on_step: Callable[[StepRecord], None] | None = None
    run_info: dict[str, Any] = field(default_factory=dict)
    settle_timeout: float = 1.0
    first_step: int = 0
    nested: bool = False
    _audio: TaskAudio | None = field(default=None, init=False, repr=False)  # `run`'s spoken task

    def run(self, task: str, audio: TaskAudio | None = None) -> RunResult:
        """Run ``task`` to its end; the trajectory gets an end line whatever happens. With
        ``audio``, the task is spoken: it goes to the model with every screenshot (``task`` may
        then be empty, or add written words to it).

        Raises:
            UsageError: ``audio`` is given and the model takes none (before anything starts).
        """
        if audio is not None:
            require_audio(self.model, audio.source)
        self._audio = audio
        self._step = self.first_step
        dry_run = self.actuator.dry_run
        if self.trajectory and not self.nested:
            self.trajectory.start(
                task=task,
                model=self.model.name,
                max_steps=self.max_steps,
                dry_run=dry_run,
                **self.run_info,
            )
        self._audit("run", task=task, model=self.model.name, dry_run=dry_run)
        try:
            result = self._loop(task)
        except KeyboardInterrupt:
            result = self._end(Outcome.STOPPED, "interrupted")
        except BaseException as exc:
            self._finish(self._end(Outcome.FAILED, f"crashed: {exc!r}"))
            raise
        self._finish(result)
        return result

    def _loop(self, task: str) -> RunResult:
        actuator = self.actuator
        stop, history, invalid, settle = actuator.stop, list[HistoryEntry](), 0, False
        budget, registry, gate = actuator.tracker, actuator.registry, actuator.gate
        names = registry.names()
        enabled = [name for name in names if gate.may_allow(name)] or names
        schema = registry.call_schema(enabled)
        prompt = tools_prompt(registry, enabled)
        while True:
            if stop.is_set():
                return self._end(Outcome.STOPPED, stop.reason)
            if self._step - self.first_step >= self.max_steps:
                return self._end(Outcome.BUDGET, f"the step budget of {self.max_steps} is used up")
            if exhausted := budget.exhausted():
                return self._end(Outcome.BUDGET, exhausted)
            self._step += 1
            budget.take_step()
            clock = _Clock()
            frame = actuator.capture(settle=self.settle_timeout if settle else 0.0)
            clock.lap("capture")
            space = self.model.coordinate_space(frame)
            rec = StepRecord(
                step=self._step,
                screenshot=self._save(frame),
                monitor=frame.monitor,
                coordinate_space=space.describe(),
                raw_output="",
            )
            clock.lap("save")
            request = ModelRequest(
                task=task,
                frame=frame,
                history=tuple(history),
                tool_schema=schema,
                tool_prompt=prompt,
                audio=self._audio,
            )
            try:
                reply = self.model.next_action(request)
            except ModelError as exc:
                rec.error = f"model error: {exc}"
                self._record(rec, clock)
                return self._end(Outcome.FAILED, rec.error)
            clock.lap("model")
            rec.raw_output, rec.model_stats = reply.native or reply.text, reply.stats
            try:
                if reply.error:  # a native answer its adapter could not read
                    raise ToolCallError(reply.error)
                call = registry.parse(reply.text)
            except ToolCallError as exc:
                invalid, rec.error = invalid + 1, str(exc)
                self._note(
                    rec,
                    clock,
                    history,
                    (reply.native or reply.text)[:500],
                    f"Error: {exc}",
                    "validate",
                )
                if invalid > self.max_invalid:
                    return self._end(
                        Outcome.FAILED, f"{invalid} invalid tool calls in a row: {exc}"
                    )
                continue
            clock.lap("validate")
            invalid, rec.call = 0, call.to_wire()
            call_text = json.dumps(rec.call, ensure_ascii=False)
            acted = actuator.act(call, frame, space, step=self._step)
            rec.call, rec.decision = acted.call.to_wire(), acted.decision_json()
            rec.result = _result_json(acted.result)
            self._note(rec, clock, history, call_text, acted.result.as_observation(), "act")
            if acted.denied and gate.policy.on_deny == "stop":
                reason = acted.decision.reason if acted.decision else ""
                return self._end(Outcome.DENIED, f"{acted.call.name} denied: {reason}")
            settle = acted.executed and acted.result.ok
            result = acted.result
            if result.final:
                outcome = Outcome.DONE if result.ok else Outcome.FAILED
                return self._end(outcome, result.output or result.error, answer=result.output)

    def _note(
        self,
        rec: StepRecord,
        clock: _Clock,
        history: list[HistoryEntry],
        call: str,
        observation: str,
        lap: str,
    ) -> None:
        """Close a step: time it, record it, and add it to the model's history."""
        clock.lap(lap)
        self._record(rec, clock)
        redact = self.redactor.redact
        entry = HistoryEntry(step=self._step, call=redact(call), observation=redact(observation))
        history.append(entry)

    def _audit(self, event: str, **fields: Any) -> None:
        if self.actuator.audit:
            self.actuator.audit.record(event, step=self._step, **fields)

    def _end(self, outcome: Outcome, reason: str, answer: str = "") -> RunResult:
        return RunResult(outcome=outcome, reason=reason, steps=self._step, answer=answer)

    def _save(self, frame: Frame) -> str | None:
        return self.trajectory.save_frame(self._step, frame) if self.trajectory else None

    def _record(self, rec: StepRecord, clock: _Clock) -> None:
        rec.timings_ms = clock.total()
        if self.trajectory:
            self.trajectory.step(rec)
        if self.on_step:
            self.on_step(rec)

    def _finish(self, result: RunResult) -> None:
        self._audit("end", outcome=result.outcome.value, reason=result.reason)
        if self.trajectory and not self.nested:
            self.trajectory.finish(result)


def _result_json(result: ToolResult) -> dict[str, Any]:
    return {
        "output": result.output,
        "error": result.error,
        "targets": [list(t) for t in result.targets],
        **result.data,
    }
