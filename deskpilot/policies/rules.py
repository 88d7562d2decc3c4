"""One policy rule: which actions it covers (tool, argument patterns, screen regions, key
combinations, the active window), its decision, and examples that are checked when the policy loads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from deskpilot.policies.decision import Verdict
from deskpilot.tools.keys import parse_combo


@dataclass(frozen=True, kw_only=True)
class ActionContext:
    """What a rule may look at besides the call: resolved screen targets and the active window."""

    targets: tuple[tuple[int, int], ...] = ()
    window_title: str | None = None
    window_class: str | None = None


class Example(BaseModel):
    """An action a rule must (``match``) or must not (``not_match``) cover; checked at load."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    targets: list[tuple[int, int]] = Field(default_factory=list)
    window: str | None = None


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
    window_title: str | None = Field(None, description="regex on the active window's title")
    window_class: str | None = Field(None, description="regex on the active window's class")
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
            wanted = {frozenset(parse_combo(k)) for k in self.keys}
            if not isinstance(combo, str) or _combo_set(combo) not in wanted:
                return False
        if self.regions is not None and not any(
            x <= px < x + w and y <= py < y + h
            for px, py in context.targets
            for x, y, w, h in self.regions
        ):
            return False
        if self.window_title is not None and not re.search(
            self.window_title, context.window_title or ""
        ):
            return False
        return self.window_class is None or bool(
            re.search(self.window_class, context.window_class or "")
        )

    def check_examples(self) -> list[str]:
        """The examples this rule gets wrong, described (empty when all hold)."""
        problems = []
        for example, expected in [(e, True) for e in self.match] + [
            (e, False) for e in self.not_match
        ]:
            context = ActionContext(targets=tuple(example.targets), window_title=example.window)
            if self.covers(example.name, example.arguments, context) != expected:
                verb = "should match but does not" if expected else "should not match but does"
                problems.append(f"example {example.model_dump(exclude_defaults=True)} {verb}")
        return problems


def _combo_set(combo: str) -> frozenset[str] | None:
    try:
        return frozenset(parse_combo(combo))
    except ValueError:
        return None
