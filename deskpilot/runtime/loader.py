"""Turn a `--model` spec into a model backend."""

from __future__ import annotations

from deskpilot.errors import UsageError
from deskpilot.runtime.base import Model
from deskpilot.runtime.scripted import ScriptedModel

SCRIPT_PREFIX = "script:"


def load_model(spec: str | None) -> Model:
    """Load the model a spec names.

    Args:
        spec: ``script:PLAN.jsonl`` for a scripted plan; a model folder path; or None for the
            embedded default model.

    Raises:
        UsageError: The spec names nothing that can be loaded.
    """
    if spec is not None and spec.startswith(SCRIPT_PREFIX):
        return ScriptedModel.from_file(spec[len(SCRIPT_PREFIX) :])
    if spec is None:
        raise UsageError(
            "no embedded default model ships with this version yet; "
            "give a scripted plan with --model script:PLAN.jsonl"
        )
    from deskpilot.runtime.genai import GenaiModel

    return GenaiModel(spec)
