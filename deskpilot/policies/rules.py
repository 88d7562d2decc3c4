"""One policy rule: which actions it covers (tool, argument patterns, screen regions, key
combinations, the window the action reaches), its decision, and examples checked when the policy loads.

Window matchers judge the window an action reaches: for a pointer action the top-level window under
each of its points, for keys and typing the focused window. A deny or ask rule covers the action when
any of those windows matches (and when a window is unknown: fail closed); an allow rule only when all
of them match (an unknown window never matches an allow).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from deskpilot.keys import parse_combo, pressed_keys
from deskpilot.policies.decision import Verdict
from deskpilot.windows import UNKNOWN, Window


@dataclass(frozen=True, kw_only=True)
class ActionContext:
    """What a rule may look at besides the call: resolved screen targets and the windows reached.

    Attributes:
        targets: The action's points in driver pixels.
        focused: The window that receives keys.
        under_targets: The top-level window under each target (same order as ``targets``).
    """

    targets: tuple[tuple[int, int], ...] = ()
    focused: Window = UNKNOWN
    under_targets: tuple[Window, ...] = ()

    @property
    def reached(self) -> tuple[Window, ...]:
        """The windows the action reaches: under its targets if it has any, else the focused one."""
        if self.targets:
            return self.under_targets or tuple(UNKNOWN for _ in self.targets)
        return (self.focused,)


class Example(BaseModel):
    """An action a rule must (``match``) or must not (``not_match``) cover; checked at load."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    targets: list[tuple[int, int]] = Field(default_factory=list)
    window: str = Field("", description="the title of the window the action reaches")
    window_class: str = Field("", description="the class of the window the action reaches")

    def context(self) -> ActionContext:
        """The context this example describes: every window it reaches has its title and class."""
        window = Window(title=self.window, wm_class=self.window_class)
        return ActionContext(
            targets=tuple(self.targets),
            focused=window,
            under_targets=tuple(window for _ in self.targets),
        )


def _compile(pattern: str | None) -> re.Pattern[str] | None:
    return re.compile(pattern) if pattern is not None else None


class Rule(BaseModel):
    """A rule. Every matcher given must match for the rule to apply (tools, text, keys, ...)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tools: list[str] = Field(min_length=1, description='tool names, or "*" for every tool')
    decision: Verdict
    reason: str = Field(min_length=1)
    text: str | None = Field(None, description="regex searched in the call's string arguments")
    keys: list[str] | None = Field(None, description="key combinations, e.g. ctrl+alt+delete")
    regions: list[tuple[int, int, int, int]] | None = Field(
        None, description="screen rectangles [x, y, width, height] in driver pixels"
    )
    window_title: str | None = Field(
        None, description="regex on the title of the window the action reaches"
    )
    window_class: str | None = Field(
        None, description="regex on the class of the window the action reaches"
    )
    match: list[Example] = Field(default_factory=list)
    not_match: list[Example] = Field(default_factory=list)

    @field_validator("text", "window_title", "window_class")
    @classmethod
    def _valid_regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {value!r}: {exc}") from None
        return value

    @field_validator("keys")
    @classmethod
    def _valid_keys(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            for combo in value:
                parse_combo(combo)  # raises ValueError naming the bad key
        return value

    @field_validator("regions")
    @classmethod
    def _valid_regions(
        cls, value: list[tuple[int, int, int, int]] | None
    ) -> list[tuple[int, int, int, int]] | None:
        for region in value or []:
            if region[2] <= 0 or region[3] <= 0:
                raise ValueError(f"region {list(region)} must have a positive width and height")
        return value

    def covers(self, tool: str, arguments: dict[str, Any], context: ActionContext) -> bool:
        """Whether this rule applies to the action."""
        if "*" not in self.tools and tool not in self.tools:
            return False
        if self.text is not None:
            strings = [v for v in arguments.values() if isinstance(v, str)]
            if not any(re.search(self.text, s) for s in strings):
                return False
        if self.keys is not None:
            combo = arguments.get("keys")
            wanted = {pressed_keys(k) for k in self.keys}
            if not isinstance(combo, str) or _pressed(combo) not in wanted:
                return False
        if self.regions is not None and not any(
            x <= px < x + w and y <= py < y + h
            for px, py in context.targets
            for x, y, w, h in self.regions
        ):
            return False
        if self.window_title is None and self.window_class is None:
            return True
        matches = [self._matches_window(window) for window in context.reached]
        return all(matches) if self.decision is Verdict.ALLOW else any(matches)

    def _matches_window(self, window: Window) -> bool:
        if not window.known:  # never widens an allow; always meets a deny or an ask
            return self.decision is not Verdict.ALLOW
        title_ok = self.window_title is None or re.search(self.window_title, window.title)
        return bool(title_ok) and (
            self.window_class is None or bool(re.search(self.window_class, window.wm_class))
        )

    def check_examples(self) -> list[str]:
        """The examples this rule gets wrong, described (empty when all hold)."""
        problems = []
        for example, expected in [(e, True) for e in self.match] + [
            (e, False) for e in self.not_match
        ]:
            if self.covers(example.name, example.arguments, example.context()) != expected:
                verb = "should match but does not" if expected else "should not match but does"
                problems.append(f"example {example.model_dump(exclude_defaults=True)} {verb}")
        return problems


def _pressed(combo: str) -> frozenset[str] | None:
    try:
        return pressed_keys(combo)
    except ValueError:
        return None
