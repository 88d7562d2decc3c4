"""The tools described in words, for models that read a prompt (docstrings become prompt text)."""

from __future__ import annotations

from collections.abc import Iterable

from deskpilot.tools.registry import ToolRegistry


def tools_prompt(registry: ToolRegistry, names: Iterable[str] | None = None) -> str:
    """One line per tool (``names``, or all): name, arguments with their types, and its docstring."""
    lines = []
    for tool in registry if names is None else [registry.get(n) for n in names]:
        schema = tool.model_json_schema()
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        args = ", ".join(
            f"{name}{'' if name in required else '?'}: {spec.get('type', 'enum')}"
            for name, spec in props.items()
        )
        doc = " ".join((tool.__doc__ or "").split())
        lines.append(f"- {tool.name}({args}): {doc}")
    return "\n".join(lines)
