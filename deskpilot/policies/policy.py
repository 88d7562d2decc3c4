"""The policy file: a TOML document validated by a pydantic model when it is loaded.

    default = "deny"            # for any tool no rule names
    on_deny = "stop"            # "stop": a denial ends the run; "continue": the model is told
    [budget]
    max_steps = 30
    max_invalid = 3             # invalid model outputs in a row before the run fails
    [[rule]]
    tools = ["click", "type_text"]   # tool names, or "*"
    decision = "allow"
    reason = "GUI actions"

Rules never widen on their own: the strictest matching rule wins (deny > ask > allow).
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from deskpilot.errors import UsageError
from deskpilot.policies.decision import Verdict

PRESETS = ("default", "strict", "trusted")


class Budget(BaseModel):
    """Limits on one run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_steps: int = Field(30, ge=1, le=10_000, description="model steps before the run stops")
    max_invalid: int = Field(3, ge=0, le=100, description="invalid outputs in a row before failing")


class Rule(BaseModel):
    """One rule: which tools it covers, its decision and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tools: list[str] = Field(min_length=1, description='tool names, or "*" for every tool')
    decision: Verdict
    reason: str = Field(min_length=1)

    def covers(self, tool: str) -> bool:
        """Whether this rule applies to ``tool``."""
        return "*" in self.tools or tool in self.tools


class Policy(BaseModel):
    """A whole policy file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default: Literal[Verdict.DENY, Verdict.ASK] = Verdict.DENY
    on_deny: Literal["stop", "continue"] = "stop"
    budget: Budget = Budget()
    rule: list[Rule] = Field(default_factory=list)


def _describe(error: ValidationError) -> str:
    lines = []
    for err in error.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        lines.append(f"  {where}: {err['msg']}")
    return "\n".join(lines)


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    """Parse and validate a policy document.

    Raises:
        UsageError: The TOML is malformed (with line and column) or does not fit the schema.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"policy {source}: invalid TOML: {exc}") from None
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise UsageError(f"policy {source} is invalid:\n{_describe(exc)}") from None


def load_policy(path: str | Path | None = None) -> Policy:
    """Load a policy file, or a preset by name (``default``, ``strict``, ``trusted``).

    Raises:
        UsageError: The file cannot be read or is invalid.
    """
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
