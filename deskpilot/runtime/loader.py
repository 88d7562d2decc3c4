"""Turn a `--model` spec into a model backend; no spec means the embedded default model."""

from __future__ import annotations

import atexit
import contextlib
from importlib import resources
from pathlib import Path

from deskpilot.errors import UsageError
from deskpilot.runtime.base import Model
from deskpilot.runtime.scripted import ScriptedModel

SCRIPT_PREFIX = "script:"
TEXT_MATCH = "text-match"
HTTP_PREFIXES = ("http://", "https://")  # an OpenAI-compatible server
DEFAULT_MODEL = ("models", "default")  # inside the deskpilot package
_resources = contextlib.ExitStack()
atexit.register(_resources.close)


def has_default_model() -> bool:
    """Whether this installation carries the embedded default model."""
    return resources.files("deskpilot").joinpath(*DEFAULT_MODEL, "genai_config.json").is_file()


def default_model_folder() -> Path:
    """The folder of the embedded default model inside the package (``deskpilot/models/default``,
    read through importlib.resources).

    Raises:
        UsageError: This installation has none.
    """
    resource = resources.files("deskpilot").joinpath(*DEFAULT_MODEL)
    if not has_default_model():
        raise UsageError(
            "this installation has no embedded default model (deskpilot/models/default is "
            "missing; reinstall deskpilot to get it back); pass --model text-match (the baseline "
            "that reads the screen's text), --model FOLDER (an onnxruntime-genai model folder) "
            "or --model script:PLAN.jsonl"
        )
    if isinstance(resource, Path):
        return resource
    return _resources.enter_context(resources.as_file(resource))  # e.g. installed as a zip


def load_model(
    spec: str | None,
    *,
    screen_text: bool | None = None,
    text_targets: bool | None = None,
    model_name: str | None = None,
    coords: str | None = None,
    action_format: str | None = None,
) -> Model:
    """Load the model a spec names.

    Args:
        spec: ``script:PLAN.jsonl`` for a scripted plan; ``text-match`` for the text-match
            baseline; ``http(s)://HOST:PORT/v1`` for an OpenAI-compatible server; a model folder
            path; or None for the embedded default model.
        screen_text: For a model folder: read the screen's text into its prompt (True), or not
            (False), whatever its deskpilot.json says; None keeps the folder's choice.
        text_targets: For a model folder that reads the screen's text: decode its clicks as the
            places the task names (True) or freely (False); None keeps the folder's choice.
        model_name: For a server: the served model to ask (default: the first it lists).
        coords: For a server: its coordinate space, ``normalized``, ``image`` or ``screen``
            (default: what the served model's name implies).
        action_format: For a model folder or a server: ask it in its own action format
            (``fara``, ``ui_tars``; ``deskpilot``: JSON tool calls) and read its answers with that
            format's adapter; None keeps the folder's choice (its ``deskpilot.json``).

    Raises:
        UsageError: The spec names nothing that can be loaded, or an option does not apply to it.
    """
    if spec is not None and spec.lower().startswith(HTTP_PREFIXES):
        from deskpilot.runtime.openai_http import OpenAIModel

        served = OpenAIModel(spec, model_name=model_name, coords=coords)
        return _in_format(served, action_format)
    for option, value in (("--model-name", model_name), ("--coords", coords)):
        if value is not None:
            raise UsageError(
                f"{option} applies to a model behind a server (--model http://HOST:PORT/v1) only"
            )
    if action_format is not None and (spec == TEXT_MATCH or (spec or "").startswith(SCRIPT_PREFIX)):
        raise UsageError("--action-format applies to a model folder or a server only")
    if spec is not None and spec.startswith(SCRIPT_PREFIX):
        return ScriptedModel.from_file(spec[len(SCRIPT_PREFIX) :])
    if spec == TEXT_MATCH:
        from deskpilot.runtime.textmatch import TextMatchModel

        return TextMatchModel()
    from deskpilot.runtime.genai import GenaiModel

    folder = default_model_folder() if spec is None else spec
    model = GenaiModel(folder, screen_text=screen_text, text_targets=text_targets)
    return _in_format(model, model.folder.action_format if action_format is None else action_format)


def _in_format(model: Model, name: str | None) -> Model:
    """``model`` asked in the action format ``name`` (itself for deskpilot's own or None)."""
    from deskpilot.runtime.formats import action_format
    from deskpilot.runtime.native import NativeModel

    chosen = action_format(name) if name is not None else None
    return NativeModel(model, chosen) if chosen is not None else model
