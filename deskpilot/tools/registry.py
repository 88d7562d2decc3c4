"""The tool registry: JSON Schemas generated from the action models, and validation of tool calls.

Validation is two-stage: jsonschema on the raw JSON (the same schema that drives constrained
decoding), then pydantic for the typed object. Every rejection names the field and the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, Union, cast

import jsonschema
from pydantic import ConfigDict, TypeAdapter, ValidationError, create_model

from deskpilot.errors import ToolCallError, UsageError
from deskpilot.keys import parse_combo
from deskpilot.tools.actions import BUILTIN_ACTIONS, FORBIDDEN_CHARS, Action
from deskpilot.tools.parsing import load_tool_call_json

_FORBIDDEN = f"[{FORBIDDEN_CHARS}]".encode().decode("unicode_escape")


@dataclass(frozen=True, kw_only=True)
class ToolCall:
    """A validated tool call: the wire object and the typed action."""

    name: str
    arguments: dict[str, Any]
    action: Action

    def to_wire(self) -> dict[str, Any]:
        """The call as ``{"name": ..., "arguments": ...}``."""
        return {"name": self.name, "arguments": self.arguments}


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _explain(error: jsonschema.ValidationError) -> str:
    """One line naming the field and the reason, readable by a model and a person."""
    path = ".".join(["arguments", *(str(p) for p in error.absolute_path)])
    kind, value = error.validator, cast(Any, error.instance)
    if kind == "required":
        missing = [f for f in cast(list[str], error.validator_value) if f not in value]
        return f"{path}: missing required field {', '.join(map(repr, missing))}"
    if kind == "additionalProperties":
        allowed = set(cast(dict[str, Any], error.schema).get("properties", {}))
        extra = sorted(k for k in value if k not in allowed)
        return f"{path}: unexpected field {', '.join(map(repr, extra))}; allowed: {sorted(allowed)}"
    if kind == "type":
        return (
            f"{path}: expected {error.validator_value}, got {type(value).__name__} {_short(value)}"
        )
    if kind == "pattern" and isinstance(value, str):
        if error.absolute_path and error.absolute_path[-1] == "keys":
            try:
                parse_combo(value)
            except ValueError as exc:
                return f"{path}: {exc}"
            return f"{path}: {_short(value)} is not a key combination such as 'ctrl+s'"
        bad = re.search(_FORBIDDEN, value)
        if bad:
            return (
                f"{path}: forbidden character U+{ord(bad.group()):04X} at index {bad.start()} "
                "(control, zero-width and bidirectional characters are not allowed)"
            )
    return f"{path}: {_short(error.message, 200)}"


class ToolRegistry:
    """The enabled tools by name, their schemas, and the parser of tool calls."""

    def __init__(self, actions: Iterable[type[Action]] = BUILTIN_ACTIONS) -> None:
        self._tools: dict[str, type[Action]] = {}
        self._validators: dict[str, jsonschema.protocols.Validator] = {}
        for action in actions:
            self.register(action)

    def register(self, action: type[Action]) -> None:
        """Add a tool. Two tools with one name is an error: these tools move the real mouse."""
        if action.name in self._tools:
            raise UsageError(f"a tool named {action.name!r} is already registered")
        if not (action.__doc__ or "").strip():
            raise UsageError(
                f"tool {action.name!r} has no docstring: it is the model's description"
            )
        schema = action.model_json_schema()
        jsonschema.Draft202012Validator.check_schema(schema)
        self._tools[action.name] = action
        self._validators[action.name] = jsonschema.Draft202012Validator(schema)

    def __iter__(self) -> Iterator[type[Action]]:
        return iter(self._tools.values())

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def names(self) -> list[str]:
        """Tool names in registration order."""
        return list(self._tools)

    def get(self, name: str) -> type[Action]:
        """The action model for ``name``; raise `UsageError` listing the known tools."""
        try:
            return self._tools[name]
        except KeyError:
            raise UsageError(
                f"unknown tool {name!r}; known tools: {', '.join(self._tools)}"
            ) from None

    def tool_schema(self, name: str) -> dict[str, Any]:
        """The JSON Schema of one tool's arguments."""
        return self.get(name).model_json_schema()

    def call_schema(self, names: Iterable[str] | None = None) -> dict[str, Any]:
        """The JSON Schema of a whole tool call: a union of ``{"name": const, "arguments": ...}``."""
        chosen = [self.get(n) for n in (names if names is not None else self._tools)]
        wrappers = tuple(
            create_model(
                f"{tool.__name__}Call",
                __config__=ConfigDict(extra="forbid"),
                __doc__=tool.__doc__,
                name=(Literal[tool.name], ...),  # type: ignore[valid-type,arg-type,unused-ignore]
                arguments=(tool, ...),
            )
            for tool in chosen
        )
        union: Any = Union[wrappers] if len(wrappers) > 1 else wrappers[0]  # noqa: UP007
        schema: dict[str, Any] = TypeAdapter(union).json_schema()
        schema["title"] = "ToolCall"
        return schema

    def parse(self, text: str) -> ToolCall:
        """Parse and validate model output. Raise `ToolCallError` naming the field and the reason."""
        return self.validate(load_tool_call_json(text))

    def validate(self, raw: dict[str, Any]) -> ToolCall:
        """Validate a raw tool-call object (already decoded JSON)."""
        extra = sorted(set(raw) - {"name", "arguments"})
        if extra:
            raise ToolCallError(f"unexpected key(s) {extra} in the tool call; only name, arguments")
        name = raw.get("name")
        if not isinstance(name, str):
            raise ToolCallError(f"name: expected the tool name as a string, got {_short(name)}")
        if name not in self._tools:
            raise ToolCallError(
                f"name: unknown tool {_short(name)}; tools: {', '.join(self._tools)}"
            )
        if "arguments" not in raw:
            raise ToolCallError("arguments: missing (use {} for a tool without arguments)")
        arguments = raw["arguments"]
        if not isinstance(arguments, dict):
            raise ToolCallError(f"arguments: expected an object, got {type(arguments).__name__}")
        errors = sorted(self._validators[name].iter_errors(arguments), key=lambda e: e.path)
        if errors:
            if all(e.validator == "anyOf" and not e.absolute_path for e in errors):
                self._action(
                    name, arguments
                )  # a rule across fields: its validator says it in words
            raise ToolCallError(f"{name}: " + "; ".join(_explain(e) for e in errors[:5]))
        return ToolCall(name=name, arguments=arguments, action=self._action(name, arguments))

    def _action(self, name: str, arguments: dict[str, Any]) -> Action:
        """The tool's pydantic model of ``arguments``; its errors as a `ToolCallError`."""
        try:
            return self._tools[name].model_validate(arguments)
        except ValidationError as exc:
            details = "; ".join(
                f"arguments{''.join(f'.{p}' for p in err['loc'])}: {err['msg']}"
                for err in exc.errors()
            )
            raise ToolCallError(f"{name}: {details}") from None
