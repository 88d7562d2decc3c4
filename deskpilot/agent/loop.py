"""The agent loop: observe -> ask the model -> parse -> validate -> policy -> execute -> record.

It ends on `done` / `fail`, a denial (when the policy says so), the stop flag, the step budget, too
many invalid outputs in a row, or a model error. Parse, validation, policy and tool errors go back to
the model as observations; the trajectory keeps every step, whatever ends the run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from deskpilot.agent.prompt import tools_prompt
from deskpilot.agent.records import Outcome, RunResult, StepRecord
from deskpilot.agent.trajectory import Trajectory
from deskpilot.errors import ModelError, ToolCallError
from deskpilot.policies.decision import Decision, Verdict
from deskpilot.policies.gate import PolicyGate
from deskpilot.runtime.base import HistoryEntry, Model, ModelRequest
from deskpilot.screen import Frame, ScreenSource, grab_settled
from deskpilot.tools.executor import Executor
from deskpilot.tools.registry import ToolCall, ToolRegistry

Approver = Callable[[ToolCall, Decision, Frame], Decision]


def refuse_asks(call: ToolCall, decision: Decision, frame: Frame) -> Decision:
    """The approver when no one can be asked: an `ask` becomes a `deny` (fail closed)."""
    return Decision(
        verdict=Verdict.DENY,
        rule=decision.rule,
        reason=f"needs approval ({decision.reason}) but no one can be asked",
    )


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
    """Everything one run needs; `run` is the loop."""

    model: Model
    screen: ScreenSource
    executor: Executor
    gate: PolicyGate
    registry: ToolRegistry
    trajectory: Trajectory | None = None
    approve: Approver = refuse_asks
    max_steps: int = 30
    max_invalid: int = 3
    on_step: Callable[[StepRecord], None] | None = None
    run_info: dict[str, Any] = field(default_factory=dict)
    settle_timeout: float = 1.0

    def run(self, task: str) -> RunResult:
        """Run ``task`` to its end; the trajectory gets an end line whatever happens."""
        self._step = 0
        if self.trajectory:
            self.trajectory.start(
                task=task,
                model=self.model.name,
                max_steps=self.max_steps,
                dry_run=self.executor.dry_run,
                **self.run_info,
            )
        try:
            result = self._loop(task)
        except KeyboardInterrupt:
            result = RunResult(outcome=Outcome.STOPPED, reason="interrupted", steps=self._step)
        except BaseException as exc:
            self._finish(
                RunResult(outcome=Outcome.FAILED, reason=f"crashed: {exc!r}", steps=self._step)
            )
            raise
        self._finish(result)
        return result

    def _loop(self, task: str) -> RunResult:
        stop, history, invalid, acted = self.executor.stop, list[HistoryEntry](), 0, False
        schema, prompt = self.registry.call_schema(), tools_prompt(self.registry)
        while True:
            if stop.is_set():
                return self._end(Outcome.STOPPED, stop.reason)
            if self._step >= self.max_steps:
                return self._end(Outcome.BUDGET, f"the step budget of {self.max_steps} is used up")
            self._step += 1
            clock = _Clock()
            frame = self._observe(settle=acted)
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
            )
            try:
                reply = self.model.next_action(request)
            except ModelError as exc:
                rec.error = f"model error: {exc}"
                self._record(rec, clock)
                return self._end(Outcome.FAILED, rec.error)
            clock.lap("model")
            rec.raw_output, rec.model_stats = reply.text, reply.stats
            try:
                call = self.registry.parse(reply.text)
            except ToolCallError as exc:
                clock.lap("validate")
                invalid, rec.error = invalid + 1, str(exc)
                self._record(rec, clock)
                history.append(
                    HistoryEntry(
                        step=self._step, call=reply.text[:500], observation=f"Error: {exc}"
                    )
                )
                if invalid > self.max_invalid:
                    return self._end(
                        Outcome.FAILED, f"{invalid} invalid tool calls in a row: {exc}"
                    )
                continue
            clock.lap("validate")
            invalid, rec.call = 0, call.to_wire()
            decision = self.gate.decide(call)
            if decision.verdict is Verdict.ASK:
                decision = self.approve(call, decision, frame)
            clock.lap("policy")
            rec.decision = {
                "verdict": decision.verdict.value,
                "reason": decision.reason,
                "rule": decision.rule,
            }
            call_text = json.dumps(call.to_wire(), ensure_ascii=False)
            if not decision.allowed:
                observation = f"Error: denied by policy: {decision.reason}"
                rec.result = {"error": observation}
                self._record(rec, clock)
                history.append(
                    HistoryEntry(step=self._step, call=call_text, observation=observation)
                )
                if self.gate.policy.on_deny == "stop":
                    return self._end(Outcome.DENIED, f"{call.name} denied: {decision.reason}")
                continue
            result = self.executor.execute(call, space, frame.monitor)
            acted = bool(result.targets or call.action.category == "gui") and result.ok
            clock.lap("execute")
            rec.result = {
                "output": result.output,
                "error": result.error,
                "targets": [list(t) for t in result.targets],
                **result.data,
            }
            self._record(rec, clock)
            history.append(
                HistoryEntry(step=self._step, call=call_text, observation=result.as_observation())
            )
            if result.final:
                outcome = Outcome.DONE if result.ok else Outcome.FAILED
                return self._end(outcome, result.output or result.error, answer=result.output)

    def _observe(self, *, settle: bool) -> Frame:
        """The next screenshot; after an action, once the screen has stopped changing."""
        if settle and not self.executor.dry_run and self.settle_timeout > 0:
            return grab_settled(self.screen, timeout=self.settle_timeout)
        return self.screen.grab()

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
        if self.trajectory:
            self.trajectory.finish(result)
