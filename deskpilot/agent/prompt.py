"""The tools described in words, for models that read a prompt (docstrings become prompt text)."""

from __future__ import annotations

from deskpilot.tools.registry import ToolRegistry


def tools_prompt(registry: ToolRegistry) -> str:
    """One line per tool: name, arguments with their types, and the tool's docstring."""
    lines = []
    for tool in registry:
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
