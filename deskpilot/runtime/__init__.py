"""Model backends behind one small protocol."""

from deskpilot.runtime.base import HistoryEntry, Model, ModelReply, ModelRequest
from deskpilot.runtime.loader import load_model
from deskpilot.runtime.scripted import FunctionModel, ScriptedModel

__all__ = [
    "FunctionModel",
    "HistoryEntry",
    "Model",
    "ModelReply",
    "ModelRequest",
    "ScriptedModel",
    "load_model",
]
