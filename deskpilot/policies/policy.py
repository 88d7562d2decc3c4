"""The policy file: a TOML document validated by a pydantic model when it is loaded.

    default = "deny"            # for any action no rule covers ("deny" or "ask")
    on_deny = "stop"            # "stop": a denial ends the run; "continue": the model is told
    [budget]
    max_steps = 30
    [[rule]]
    tools = ["type_text"]       # tool names, or "*"
    text = "(?i)password"       # optional matchers: text, keys, regions, window_title/class
    decision = "deny"
    reason = "never type passwords"
    match = [{ name = "type_text", arguments = { text = "my Password" } }]

Rules never widen on their own: the strictest rule that covers an action wins (deny > ask > allow).
An invalid file is rejected with the line and the problem; rule examples are checked at load.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from deskpilot.errors import UsageError
from deskpilot.keys import parse_combo
from deskpilot.policies.decision import Verdict
from deskpilot.policies.redaction import Redactor
from deskpilot.policies.rules import Rule
from deskpilot.policies.shell import ShellSettings
from deskpilot.tomlfile import load_toml_model
from deskpilot.tomlfile import problem as problem_line

PRESETS = ("default", "strict", "trusted")


class Budget(BaseModel):
    """Limits on one run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_steps: int = Field(30, ge=1, le=10_000, description="model steps before the run stops")
    max_invalid: int = Field(3, ge=0, le=100, description="invalid outputs in a row before failing")
    max_seconds: float = Field(600, gt=0, le=86_400, description="wall time of a run")
    max_actions_per_second: float = Field(
        10, gt=0, le=1000, description="actions are throttled to this rate"
    )
    max_consecutive_errors: int = Field(
        5, ge=1, le=1000, description="failed actions in a row before the run stops"
    )


class KillSwitchSettings(BaseModel):
    """The kill-switch hotkey."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    hotkey: str = Field("ctrl+alt+k", description="a key combination, e.g. ctrl+alt+k")

    @field_validator("hotkey")
    @classmethod
    def _valid_hotkey(cls, value: str) -> str:
        parse_combo(value)
        return value


class Policy(BaseModel):
    """A whole policy file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default: Literal[Verdict.DENY, Verdict.ASK] = Verdict.DENY
    on_deny: Literal["stop", "continue"] = "stop"
    allow_auto_approve: bool = Field(False, description="whether --yes may approve every ask")
    budget: Budget = Budget()
    kill_switch: KillSwitchSettings = KillSwitchSettings()
    shell: ShellSettings = ShellSettings()
    redact: list[str] = Field(
        default_factory=list, description="regexes masked in logs, trajectories and reports"
    )
    rule: list[Rule] = Field(default_factory=list)

    @field_validator("redact")
    @classmethod
    def _valid_patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                Redactor([pattern], environ={})  # compiled exactly as every run will use it
            except re.error as exc:
                raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
            if re.fullmatch(pattern, ""):
                raise ValueError(f"redact pattern {pattern!r} matches empty text")
        return value


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    """Parse and validate a policy document, and check every rule's examples.

    Raises:
        UsageError: Malformed TOML, a value that does not fit the schema, or a rule whose
            ``match`` / ``not_match`` examples do not hold; each problem with its line.
    """
    policy = load_toml_model(text, Policy, f"policy {source}")
    problems = []
    for index, rule in enumerate(policy.rule):
        for problem in rule.check_examples():
            problems.append(problem_line(text, ("rule", index), problem))
    if problems:
        raise UsageError(f"policy {source} is invalid:\n" + "\n".join(problems))
    return policy


def load_policy(path: str | Path | None = None, presets: dict[str, str] | None = None) -> Policy:
    """Load a policy file, or a preset by name (``default``, ``strict``, ``trusted``, or one a
    plugin registered in ``presets``).

    Raises:
        UsageError: The file cannot be read or is invalid.
    """
    if path is not None and presets and str(path) in presets and not Path(path).exists():
        return parse_policy(presets[str(path)], f"plugin preset {str(path)!r}")
    if path is None or str(path) in PRESETS:
        name = "default" if path is None else str(path)
        text = resources.files("deskpilot.policies").joinpath(f"presets/{name}.toml").read_text()
        return parse_policy(text, f"preset {name!r}")
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read policy file {file}: {exc}") from None
    return parse_policy(text, str(file))
