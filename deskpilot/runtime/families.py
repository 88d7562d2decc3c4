"""Model families: from genai_config.json's ``model.type`` to a prompt template and a coordinate space.

A family says how a turn is written (chat template), which tag stands for the screenshot in the
prompt (the genai processor expands it into image tokens), and in which space its coordinates are.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from deskpilot.coords import CoordinateSpace
from deskpilot.errors import UsageError

SpaceFor = Callable[[int, int, dict[str, Any]], CoordinateSpace]


def _normalized(width: int, height: int, processor: dict[str, Any]) -> CoordinateSpace:
    return CoordinateSpace.normalized(1000)


def resize_attrs(processor: dict[str, Any]) -> dict[str, Any]:
    """The smart-resize settings of an image processor config.

    onnxruntime-genai (ort-extensions) nests them in the pipeline,
    ``{"processor": {"transforms": [{"operation": {"type": "Resize", "attrs": {...}}}, ...]}}``;
    the attrs of the first Resize operation found at any depth are returned. A config without one
    is taken as flat (``min_pixels`` / ``max_pixels`` at its top level).
    """
    found = _find_resize(processor)
    return found if found is not None else processor


def _find_resize(value: Any) -> dict[str, Any] | None:
    if isinstance(value, list):
        children: list[Any] = value
    elif isinstance(value, dict):
        attrs = value.get("attrs")
        if value.get("type") == "Resize" and isinstance(attrs, dict):
            return attrs
        children = list(value.values())
    else:
        return None
    for child in children:
        found = _find_resize(child)
        if found is not None:
            return found
    return None


def qwen_resized(width: int, height: int, processor: dict[str, Any]) -> tuple[int, int]:
    """Qwen's smart resize: sides multiples of patch x merge size (28 unless the config says
    otherwise; Qwen3-VL's patch_size 16 makes it 32), pixel count within the config's
    [min_pixels, max_pixels] (see `resize_attrs`)."""
    attrs = resize_attrs(processor)
    factor = int(attrs.get("patch_size", 14)) * int(attrs.get("merge_size", 2))
    min_pixels = int(attrs.get("min_pixels", 56 * 56))
    max_pixels = int(attrs.get("max_pixels", 1280 * 28 * 28))
    h = max(factor, round(height / factor) * factor)
    w = max(factor, round(width / factor) * factor)
    if h * w > max_pixels:
        beta = math.sqrt(height * width / max_pixels)
        h = max(factor, math.floor(height / beta / factor) * factor)
        w = max(factor, math.floor(width / beta / factor) * factor)
    elif h * w < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h = math.ceil(height * beta / factor) * factor
        w = math.ceil(width * beta / factor) * factor
    return w, h


def _qwen_image(width: int, height: int, processor: dict[str, Any]) -> CoordinateSpace:
    return CoordinateSpace.image(*qwen_resized(width, height, processor))


@dataclass(frozen=True, kw_only=True)
class Family:
    """How to talk to one model type.

    Attributes:
        model_type: genai_config.json's ``model.type``.
        template: The turn, with ``{system}`` and ``{user}`` placeholders. genai adds no special
            tokens itself, so the template starts with the family's ``<bos>``.
        image_tag: What stands for the screenshot in the prompt.
        required_tokens: Strings the tokenizer must know as single tokens.
        space: The coordinate space for a screenshot of the given size.
        end_markers: Text that ends a turn (cut from free-text output).
        action_format: The answers the family's models were trained to give
            (`deskpilot.runtime.formats`), unless a folder's deskpilot.json says otherwise.
        audio_tag: Where a spoken task's audio goes in the prompt (the processor expands it
            into the clip's soft tokens); empty for a family deskpilot gives no audio.
        audio_token: The soft token the processor expands ``audio_tag`` to, where that is not
            the tag itself (counted in a step's ``audio_tokens``); empty: the tag.
    """

    model_type: str
    template: str
    image_tag: str
    required_tokens: tuple[str, ...]
    space: SpaceFor = _normalized
    end_markers: tuple[str, ...] = ()
    image_tokens: int | None = (
        None  # fixed soft tokens per image, where the family has a fixed count
    )
    action_format: str = "deskpilot"
    audio_tag: str = ""
    audio_token: str = ""

    def render(self, system: str, user: str) -> str:
        """The whole prompt for one step."""
        return self.template.format(system=system, user=user)


GEMMA4_TURN = "<|turn>{role}\n{text}<turn|>\n"

QWEN2_5_VL = Family(
    model_type="qwen2_5_vl",
    template=(
        "<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n"
        "<|im_start|>assistant\n"
    ),
    image_tag="<|vision_start|><|image_pad|><|vision_end|>",
    required_tokens=("<|vision_start|>", "<|image_pad|>", "<|vision_end|>"),
    space=_qwen_image,
    end_markers=("<|im_end|>",),
)

GEMMA4_UNIFIED = Family(
    model_type="gemma4_unified",
    template="<bos><|turn>system\n{system}<turn|>\n<|turn>user\n{user}<turn|>\n<|turn>model\n",
    image_tag="<|image|>",
    required_tokens=("<|image>", "<|image|>", "<image|>"),
    end_markers=("<turn|>",),
    audio_tag="<|audio|>",  # genai's gemma4 processor expands it to the clip's soft tokens
)

FAMILIES: dict[str, Family] = {
    family.model_type: family
    for family in (
        GEMMA4_UNIFIED,
        # Gemma 4 E2B/E4B (a vision encoder; genai's type "gemma4"): the same turns and image tag,
        # genai's gemma4 processor expands <|image|> to as many soft tokens as the image needs
        # (processor_config.json's max_soft_tokens: 70, 140, 280, 560 or 1120); 0-1000 coordinates
        dataclasses.replace(GEMMA4_UNIFIED, model_type="gemma4"),
        Family(
            model_type="gemma3",
            template="<bos><start_of_turn>user\n{system}\n\n{user}<end_of_turn>\n<start_of_turn>model\n",
            image_tag="<start_of_image>",
            required_tokens=("<start_of_image>",),
            end_markers=("<end_of_turn>",),
            image_tokens=256,
        ),
        QWEN2_5_VL,
        # Qwen3-VL: Qwen2.5-VL's template and tags; 16-pixel patches (a smart resize to multiples of
        # 32, read from the processor config like Qwen2.5-VL's) and answers in 0-1000 on both axes
        dataclasses.replace(QWEN2_5_VL, model_type="qwen3_vl", space=_normalized),
        # Fara-7B: Qwen2.5-VL's layout, template and pixels, answering in its computer_use calls
        dataclasses.replace(QWEN2_5_VL, model_type="fara", action_format="fara"),
        # Phi-4-multimodal (genai's type "phi4mm"): <|role|>...<|end|> turns, no bos. genai's
        # phi4mm processor rewrites <|image_1|> to <|endoftext10|> and repeats that token (id 200010,
        # hard-coded) once per image token: 448-pixel crops (dynamic HD) plus a global view, so the
        # count follows the screenshot's size. Its model card sets no coordinate convention for
        # pointing at a screen, so it answers in the default 0-1000 on both axes. A spoken task's
        # <|audio_1|> becomes <|endoftext11|> (200011, hard-coded too), once per soft token of
        # the clip (ceil(log-mel frames / 8), the processor's audio_sizes).
        Family(
            model_type="phi4mm",
            template="<|system|>{system}<|end|><|user|>{user}<|end|><|assistant|>",
            image_tag="<|image_1|>",
            required_tokens=("<|endoftext10|>",),
            end_markers=("<|end|>",),
            audio_tag="<|audio_1|>",
            audio_token="<|endoftext11|>",
        ),
    )
}


def register_family(family: Family) -> None:
    """Add a family (from a plugin). Two families for one model type is an error."""
    if family.model_type in FAMILIES:
        raise UsageError(f"a family for model type {family.model_type!r} is already registered")
    FAMILIES[family.model_type] = family


def family_for(model_type: str) -> Family:
    """The family of a model type, or a `UsageError` listing the supported types."""
    try:
        return FAMILIES[model_type]
    except KeyError:
        supported = ", ".join(sorted(FAMILIES))
        raise UsageError(
            f"unsupported model type {model_type!r}; supported types: {supported}"
        ) from None
