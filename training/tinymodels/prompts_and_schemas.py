"""What the checks give a built folder: the prompt deskpilot writes for its family and deskpilot's
tool-call schemas, raw, compact, with capped strings, and deskpilot's own decoding schema."""

from __future__ import annotations

from typing import Any

from training.tinymodels.common import say
from training.tinymodels.family import TinyFamily

TASKS = ("click the Save button", "type hello into the search field", "close the dialog")
# llguidance's own JSON-schema option: no free whitespace between JSON tokens (random weights
# otherwise fill the call with newlines and tabs until max_length).
COMPACT = {"whitespace_flexible": False}
MAX_TEXT = 120  # characters per string while decoding (deskpilot's MAX_GUIDED_TEXT)

# Used when deskpilot cannot be imported (the build needs only its own dependencies).
FALLBACK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "arguments"],
    "properties": {
        "name": {"const": "click"},
        "arguments": {
            "type": "object",
            "additionalProperties": False,
            "required": ["x", "y"],
            "properties": {
                "x": {"type": "integer", "minimum": 0, "maximum": 1000},
                "y": {"type": "integer", "minimum": 0, "maximum": 1000},
            },
        },
    },
}


def deskpilot_prompt_and_schemas(family: TinyFamily, task: str) -> tuple[str, dict[str, Any]]:
    """The prompt deskpilot's genai backend writes for this family (plus ``<bos>``: genai adds no
    special tokens) and deskpilot's tool-call schemas."""
    try:
        from PIL import Image

        from deskpilot.agent.prompt import tools_prompt
        from deskpilot.coords import CoordinateSpace
        from deskpilot.runtime.base import ModelRequest
        from deskpilot.runtime.families import family_for
        from deskpilot.runtime.prompting import system_text, user_text
        from deskpilot.screen import Frame
        from deskpilot.tools import ToolRegistry
    except ImportError as exc:
        say(f"deskpilot not importable ({exc}); using a built-in prompt and schema")
        user = f"Task: {task}\nScreen:\n{family.chat.image_tag}\nNext action:"
        turns = family.chat.turns("Answer with one JSON tool call.", user, "")
        prompt = "<bos>" + turns[: -len(family.chat.turn_close)]
        return prompt, {"fallback": FALLBACK_SCHEMA}
    registry = ToolRegistry()
    space = CoordinateSpace.normalized(1000)
    frame = Frame.from_image(Image.new("RGB", (1280, 800)))
    request = ModelRequest(
        task=task,
        frame=frame,
        history=(),
        tool_schema=registry.call_schema(),
        tool_prompt=tools_prompt(registry),
    )
    template = family_for(family.model_type)
    prompt = "<bos>" + template.render(
        system_text(request, space), user_text(request, template.image_tag)
    )
    schemas = {"call_schema": registry.call_schema()}
    # deskpilot's own decoding schema, when this version of deskpilot has it.
    try:
        from deskpilot.runtime.guidance import guided_schema

        schemas["deskpilot_guided_schema"] = guided_schema(
            schemas["call_schema"], space, max_text=MAX_TEXT
        )
    except (ImportError, TypeError):
        pass
    return prompt, schemas


def cap_strings(node: Any, limit: int) -> Any:
    """The schema with every free string capped at ``limit`` characters."""
    if isinstance(node, list):
        return [cap_strings(v, limit) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: cap_strings(v, limit) for k, v in node.items()}
    if node.get("type") == "string" and "enum" not in node and "const" not in node:
        out["maxLength"] = min(int(node.get("maxLength", limit)), limit)
    return out


def schema_variants(schemas: dict[str, Any]) -> dict[str, Any]:
    """The raw call schema (free whitespace), compact, compact + capped strings, deskpilot's."""
    raw = schemas.get("call_schema") or next(iter(schemas.values()))
    variants = {
        "raw": raw,
        "compact": {"x-guidance": COMPACT, **raw},
        "compact+capped": {"x-guidance": COMPACT, **cap_strings(raw, MAX_TEXT)},
    }
    if "deskpilot_guided_schema" in schemas:
        variants["deskpilot_guided_schema"] = schemas["deskpilot_guided_schema"]
    return variants
