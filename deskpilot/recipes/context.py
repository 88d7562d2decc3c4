"""`RecipeContext`: the Python API of recipes, on a session (`Actuator`). Every step goes through
the session's actuator (budget, policy, approval, audit) like an agent run's and is recorded in
the trajectory like one.

Literal tool calls use screen pixels of the captured monitor, like the scripted model.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from deskpilot.agent.actuator import Actuator
from deskpilot.agent.loop import Agent
from deskpilot.agent.records import Outcome, RunResult, StepRecord
from deskpilot.agent.trajectory import Trajectory
from deskpilot.coords import CoordinateSpace
from deskpilot.errors import (
    ActionFailed,
    BudgetExhausted,
    PolicyDenied,
    ToolCallError,
    UsageError,
)
from deskpilot.perception import ScreenReader, ScreenText, TextNotFound, default_engine
from deskpilot.recipes.grounding import (
    MATCH_THRESHOLD,
    Regrounded,
    Regrounder,
    TemplateRegrounder,
    difference,
    load_crop,
)
from deskpilot.runtime.base import Model
from deskpilot.screen import Frame, ScreenSource, grab_settled
from deskpilot.tools.registry import ToolRegistry
from deskpilot.tools.result import ToolResult


class StepFailed(ActionFailed):
    """A recipe step did not succeed (a tool error, a failed check, a wait that timed out)."""


@dataclass(kw_only=True)
class RecipeContext:
    """What a recipe step can do on the session ``actuator``; each method is one recorded step."""

    actuator: Actuator
    trajectory: Trajectory | None = None
    model_factory: Callable[[], Model] | None = None
    settle_timeout: float = 1.0
    poll_interval: float = 0.1
    steps: int = 0
    recipe_file: Path | None = None
    regrounder: Regrounder = field(default_factory=TemplateRegrounder)
    checked: int = 0
    regrounded: dict[str, int] = field(default_factory=dict)
    reader: ScreenReader | None = None  # the screen's text; made with the default engine if unset
    on_step: Callable[[StepRecord], None] | None = None  # called with each finished step

    @property
    def dry_run(self) -> bool:
        """Whether nothing is executed: waits and checks then say what they would do."""
        return self.actuator.dry_run

    @property
    def screen(self) -> ScreenSource:
        """The session's screen."""
        return self.actuator.screen

    @property
    def registry(self) -> ToolRegistry:
        """The session's tools."""
        return self.actuator.registry

    @property
    def last_frame(self) -> Frame | None:
        """The screen the last call was decided on."""
        return self.actuator.last_frame

    # -- literal tool calls -------------------------------------------------------------------
    def call(self, name: str, **arguments: Any) -> ToolResult:
        """Run one tool call (screen-pixel coordinates). Raise on denial or failure, and
        `BudgetExhausted` when the session's budget is used up (each call is one step of it)."""
        wire = {"name": name, "arguments": arguments}
        try:
            acted = self.actuator.call(name, arguments, step=self.steps + 1, settle=self._settle())
        except ToolCallError as exc:
            assert self.actuator.last_frame is not None
            record = self._record_start(self.actuator.last_frame, wire)
            self._record_end(record, error=str(exc))
            raise StepFailed(str(exc)) from None
        assert self.actuator.last_frame is not None
        record = self._record_start(self.actuator.last_frame, wire)
        record.call, record.decision = acted.call.to_wire(), acted.decision_json()
        self._record_end(record, result=acted.result)
        if acted.denied:
            raise PolicyDenied(acted.result.error)
        if not acted.result.ok:
            raise StepFailed(acted.result.error)
        return acted.result

    def click(self, x: int, y: int, **options: Any) -> ToolResult:
        """Click at screen pixel (x, y)."""
        return self.call("click", x=x, y=y, **options)

    def type_text(self, text: str) -> ToolResult:
        """Type text into the focused element."""
        return self.call("type_text", text=text)

    def key(self, keys: str) -> ToolResult:
        """Press a key or combination such as ctrl+s."""
        return self.call("key", keys=keys)

    # -- the screen's text --------------------------------------------------------------------
    def screen_text(self, frame: Frame | None = None) -> ScreenText:
        """What the screen (or ``frame``) says: text lines and words with boxes (capture pixels)."""
        if self.reader is None:
            self.reader = ScreenReader(default_engine())
        return self.reader.read(frame if frame is not None else self.screen.grab())

    def click_text(self, text: str, *, tool: str = "click") -> ToolResult:
        """Click (``tool``: click, double_click, right_click) where the screen says ``text``.

        Raises:
            StepFailed: The text is not on the screen, or it is there more than once (the
                message lists what the screen says).
        """
        frame = self._observe()
        try:
            match = self.screen_text(frame).find(text)
        except TextNotFound as exc:
            record = self._record_start(frame, {"name": tool, "arguments": {"text": text}})
            if self.dry_run:  # the steps before it did not run: the text may come later
                said = ToolResult(
                    output=f"dry run: would {tool} where the screen says {text!r} "
                    f"(it does not now: {exc})"
                )
                self._record_end(record, result=said)
                return said
            self._record_end(record, error=str(exc))
            raise StepFailed(str(exc)) from None
        x, y = match.box.center
        return self.call(tool, x=x, y=y)

    def grounded(
        self,
        name: str,
        arguments: dict[str, Any],
        crop_file: str,
        description: str,
        *,
        target_text: str | None = None,
    ) -> dict[str, Any]:
        """The arguments of a recorded pointer step, re-grounded if the screen changed there: by
        the recorded text under the target first (when it stands once on the screen), then by
        the regrounder (the model, or the recorded crop)."""
        crop = load_crop(self.recipe_file or Path("."), crop_file)
        frame = self._observe()
        self.checked += 1
        x, y = int(arguments["x"]), int(arguments["y"])
        if difference(frame, crop, x, y) <= MATCH_THRESHOLD:
            return arguments
        found = self._by_text(frame, target_text) if target_text else None
        found = found or self.regrounder.locate(frame, crop, description or name, (x, y))
        if found is None and self.dry_run:  # the screen may not be there yet: the recorded point
            return arguments
        if found is None:
            problem = f"{name}: {description or 'the recorded target'} is not on the screen"
            record = self._record_start(frame, {"name": name, "arguments": arguments})
            self._record_end(record, error=problem)
            raise StepFailed(problem)
        self.regrounded[found.by] = self.regrounded.get(found.by, 0) + 1
        return {**arguments, "x": found.x, "y": found.y}

    def _by_text(self, frame: Frame, text: str) -> Regrounded | None:
        try:
            match = self.screen_text(frame).find(text)
        except (TextNotFound, UsageError):  # not there, twice, or no OCR engine: the regrounder
            return None
        return Regrounded(x=match.box.center[0], y=match.box.center[1], by="text")

    def replay_summary(self) -> str:
        """How many checked steps needed re-grounding, and by whom."""
        by = ", ".join(f"{who}: {n}" for who, n in sorted(self.regrounded.items())) or "none"
        return (
            f"{sum(self.regrounded.values())} of {self.checked} recorded targets re-grounded ({by})"
        )

    # -- waits and checks ---------------------------------------------------------------------
    def wait_for(
        self,
        *,
        window_title: str | None = None,
        file: str | None = None,
        screen: str | None = None,
        text: str | None = None,
        timeout: float = 10,
    ) -> None:
        """Wait for a window title (regex), a file, the screen to settle / change, or the screen
        to say ``text``."""
        frame = self._observe()
        what = {
            "window_title": window_title,
            "file": file,
            "screen": screen,
            "text": text,
            "timeout": timeout,
        }
        record = self._record_start(frame, {"name": "wait_for", "arguments": _given(what)})
        if self.dry_run:  # nothing ran, so nothing would come: say what it would wait for
            output = f"dry run: would wait up to {timeout:g} s for {_describe(what)}"
            self._record_end(record, result=ToolResult(output=output))
            return
        deadline = time.monotonic() + timeout
        first = frame.pixels.copy() if screen == "change" else None
        while True:
            if window_title is not None and re.search(window_title, self._title() or ""):
                break
            if file is not None and Path(file).exists():
                break
            if text is not None and self.screen_text().matches(text):
                break
            if screen == "settle":
                grab_settled(self.screen, timeout=timeout)
                break
            if first is not None and not np.array_equal(self.screen.grab().pixels, first):
                break
            if time.monotonic() > deadline or self.actuator.stop.wait(self.poll_interval):
                problem = f"timed out after {timeout:g} s"
                if window_title is not None:
                    seen = f"; the active window is {self._shown_title()}"
                    problem += self._title_hint(window_title) or seen
                self._record_end(record, error=problem)
                raise StepFailed(f"wait_for {_given(what)} {problem}")
        self._record_end(record, result=ToolResult(output="condition met"))

    def check(
        self,
        *,
        window_title: str | None = None,
        file_exists: str | None = None,
        file_contains: tuple[str, str] | list[str] | None = None,
        screen_text: str | None = None,
    ) -> None:
        """Assert something about the world; raise `StepFailed` if it does not hold."""
        frame = self._observe()
        what = {
            "window_title": window_title,
            "file_exists": file_exists,
            "file_contains": file_contains,
            "screen_text": screen_text,
        }
        record = self._record_start(frame, {"name": "assert", "arguments": _given(what)})
        if self.dry_run:  # the steps before it did not run: it cannot hold or fail yet
            output = f"dry run: would check {_describe(what)}"
            self._record_end(record, result=ToolResult(output=output))
            return
        problem = ""
        if window_title is not None and not re.search(window_title, self._title() or ""):
            problem = f"the active window is {self._shown_title()}, not /{window_title}/"
            problem += self._title_hint(window_title)
        if file_exists is not None and not Path(file_exists).exists():
            problem = f"{file_exists} does not exist"
        if file_contains is not None:
            path, text = file_contains
            content = Path(path).read_text(errors="replace") if Path(path).is_file() else None
            if content is None or text not in content:
                problem = f"{path} does not contain {text!r}"
        if screen_text is not None:
            said = self.screen_text(frame)
            if not said.matches(screen_text):
                problem = f"the screen does not say {screen_text!r}; it says: {said.summary()}"
        if problem:
            self._record_end(record, error=problem)
            raise StepFailed(problem)
        self._record_end(record, result=ToolResult(output="holds"))

    # -- model sub-tasks ----------------------------------------------------------------------
    def agent(self, task: str, *, max_steps: int = 10) -> RunResult:
        """Hand a sub-task to the model, with its own step budget; raise unless it ends `done`."""
        if self.model_factory is None:
            raise StepFailed("an agent step needs a model (--model, or model = ... in the recipe)")
        sub = Agent(
            model=self.model_factory(),
            actuator=self.actuator,
            trajectory=self.trajectory,
            max_steps=max_steps,
            settle_timeout=self.settle_timeout,
            first_step=self.steps,
            nested=True,
        )
        result = sub.run(task)
        self.steps = result.steps
        if result.outcome is Outcome.DENIED:
            raise PolicyDenied(result.reason)
        if result.outcome is Outcome.BUDGET and self.actuator.tracker.exhausted():
            raise BudgetExhausted(result.reason)
        if result.outcome is not Outcome.DONE:
            raise StepFailed(f"agent step {task!r} ended {result.outcome.value}: {result.reason}")
        return result

    # -- recording ----------------------------------------------------------------------------
    def _settle(self) -> float:
        """How long to let the screen settle before a step: not before the first."""
        return self.settle_timeout if self.steps else 0.0

    def _observe(self) -> Frame:
        return self.actuator.capture(settle=self._settle())

    def _title(self) -> str | None:
        return _active_title()[0]

    def _shown_title(self) -> str:
        title = self._title()
        return "unknown" if title is None else repr(title)

    def _title_hint(self, window_title: str | None) -> str:
        """Why a window title cannot match, when the display has no window manager."""
        if window_title is None:
            return ""
        from deskpilot.desktop import active_window_hint

        hint = active_window_hint()
        return f" ({hint})" if hint else ""

    def _record_start(self, frame: Frame, call: dict[str, Any]) -> StepRecord:
        self.steps += 1
        shot = self.trajectory.save_frame(self.steps, frame) if self.trajectory else None
        space = CoordinateSpace.screen(frame.width, frame.height)
        return StepRecord(
            step=self.steps,
            screenshot=shot,
            monitor=frame.monitor,
            call=call,
            coordinate_space=space.describe(),
            raw_output=json.dumps(call),
        )

    def _record_end(
        self, record: StepRecord, *, result: ToolResult | None = None, error: str = ""
    ) -> None:
        if result is not None:
            record.result = {
                "output": result.output,
                "error": result.error,
                "targets": [list(t) for t in result.targets],
                **result.data,
            }
        else:
            record.error, record.result = error, {"error": error}
        if self.trajectory:
            self.trajectory.step(record)
        if self.on_step:
            self.on_step(record)


_SAYS = {
    "window_title": "a window titled /{}/",
    "file": "the file {}",
    "screen": "the screen to {}",
    "text": "the screen to say {!r}",
    "file_exists": "that the file {} exists",
    "file_contains": "that {0[0]} contains {0[1]!r}",
    "screen_text": "that the screen says {!r}",
}


def _describe(fields: dict[str, Any]) -> str:
    """What a wait or a check looks for, in words."""
    return " and ".join(_SAYS[k].format(v) for k, v in _given(fields).items())


def _given(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None and k != "timeout"}


def _active_title() -> tuple[str | None, str | None]:
    from deskpilot.windows import active_window

    return active_window()
