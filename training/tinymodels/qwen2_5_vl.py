"""qwen2_5_vl-tiny: a Qwen2.5-VL model with a one-block vision tower, random weights.

Laid out like onnxruntime-genai's own ``qwen2_5_vl`` folders (its test folder
``test/models/qwen2-5-vl``): ``genai_config.json`` with the image/video/vision-start token ids and
the vision geometry (``spatial_merge_size``, ``patch_size``, ``window_size``,
``tokens_per_second``), ``processor_config.json`` (the ``qwen2_5_image_processor`` pipeline:
smart resize to multiples of 28, then 14x14 patches, two frames each), ``vision.onnx``,
``embedding.onnx`` and the builder's decoder with 3-D ``position_ids`` [3, B, S] (mRoPE, which
genai computes from ``image_grid_thw`` as HF's ``get_rope_index`` does).

``vision.onnx``: ``pixel_values`` [P, 3 * 2 * 14 * 14] + ``image_grid_thw`` [1, 3] ->
``image_features`` [P / 4, H]. It is HF's tower with every block on full attention (no windows:
the window permutation then cancels out), written so the patch count stays dynamic: the rotary
positions come from ``image_grid_thw`` in the graph, not from a traced Python loop. genai runs it
once per image (``image_grid_thw``'s first axis is fixed at 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training.tinymodels import text
from training.tinymodels.common import seed_everything
from training.tinymodels.family import TinyFamily

PATCH = 14
MERGE = 2
TEMPORAL = 2
PATCH_DIM = 3 * TEMPORAL * PATCH * PATCH  # 1176
MAX_PIXELS = 256 * 28 * 28  # at most 256 image tokens per screenshot
MIN_PIXELS = 4 * 28 * 28

QWEN_TEMPLATE = """{%- for message in messages -%}
{{- '<|im_start|>' + message['role'] + '\\n' -}}
{%- if message['content'] is string -%}
{{- message['content'] | trim -}}
{%- else -%}
{%- for item in message['content'] -%}
{%- if item['type'] == 'image' -%}
{{- '<|vision_start|><|image_pad|><|vision_end|>' -}}
{%- elif item['type'] == 'text' -%}
{{- item['text'] | trim -}}
{%- endif -%}
{%- endfor -%}
{%- endif -%}
{{- '<|im_end|>\\n' -}}
{%- endfor -%}
{%- if add_generation_prompt -%}
{{- '<|im_start|>assistant\\n' -}}
{%- endif -%}
"""


class QwenChat(text.ChatFormat):
    """Qwen's turns: no bos, the answer's role is ``assistant``."""

    @property
    def chat_template(self) -> str:
        return QWEN_TEMPLATE

    def turns(self, system: str, user: str, answer: str) -> str:
        o, c = self.turn_open, self.turn_close
        return f"{o}system\n{system}{c}\n{o}user\n{user}{c}\n{o}assistant\n{answer}{c}"


# Qwen's control tokens, spelled as the real tokenizer and genai's qwen processor spell them (the
# processor expands "<|vision_start|>...<|vision_end|>" to one "<|image_pad|>" per merged patch).
# <pad>/<eos>/<bos>/<unk> are the tiny tokenizers' shared housekeeping tokens.
QWEN2_5_VL = QwenChat(
    special_tokens=(
        "<pad>", "<eos>", "<bos>", "<unk>", "<mask>",
        "<|endoftext|>", "<|im_start|>", "<|im_end|>",
        "<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>",
    ),
    turn_open="<|im_start|>",
    turn_close="<|im_end|>",
    image_tag="<|vision_start|><|image_pad|><|vision_end|>",
    system_turn=True,
    named_tokens={
        "image_token": "<|image_pad|>", "video_token": "<|video_pad|>",
        "vision_start_token": "<|vision_start|>", "vision_end_token": "<|vision_end|>",
    },
)  # fmt: skip


@dataclass(frozen=True)
class Geometry:
    hidden_size: int = 128
    intermediate_size: int = 256
    num_hidden_layers: int = 2
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    mrope_section: tuple[int, int, int] = (4, 6, 6)  # halves of head_dim 32: t, h, w
    max_position_embeddings: int = 4096
    vision_hidden_size: int = 32
    vision_intermediate_size: int = 64
    vision_depth: int = 1
    vision_heads: int = 2
    vocab_size: int = 1536
    initializer_range: float = 0.02


def hf_model(seed: int) -> tuple[Any, Any]:
    """(tokenizer, Qwen2_5_VLForConditionalGeneration) for a seed; same seed, same weights."""
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    g = Geometry()
    tokenizer = text.train_tokenizer(seed, g.vocab_size, QWEN2_5_VL)
    ids = text.token_ids(tokenizer, QWEN2_5_VL)
    text_config = {
        "vocab_size": tokenizer.get_vocab_size(),
        "hidden_size": g.hidden_size,
        "intermediate_size": g.intermediate_size,
        "num_hidden_layers": g.num_hidden_layers,
        "num_attention_heads": g.num_attention_heads,
        "num_key_value_heads": g.num_key_value_heads,
        "max_position_embeddings": g.max_position_embeddings,
        "initializer_range": g.initializer_range,
        "rope_parameters": {
            "rope_type": "default",
            "rope_theta": 1000000.0,
            "mrope_section": list(g.mrope_section),
        },
        "pad_token_id": ids["<pad>"],
        "bos_token_id": ids["<bos>"],
        "eos_token_id": [ids["<eos>"], ids["<|im_end|>"]],
        "tie_word_embeddings": False,
    }
    vision_config = {
        "depth": g.vision_depth,
        "hidden_size": g.vision_hidden_size,
        "intermediate_size": g.vision_intermediate_size,
        "num_heads": g.vision_heads,
        "out_hidden_size": g.hidden_size,
        "patch_size": PATCH,
        "spatial_merge_size": MERGE,
        "temporal_patch_size": TEMPORAL,
        "window_size": 112,
        "fullatt_block_indexes": list(range(g.vision_depth)),
        "initializer_range": g.initializer_range,
    }
    config = Qwen2_5_VLConfig(
        text_config=text_config,
        vision_config=vision_config,
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=False,
    )
    config.architectures = ["Qwen2_5_VLForConditionalGeneration"]
    seed_everything(seed)
    model = Qwen2_5_VLForConditionalGeneration(config).eval()  # type: ignore[no-untyped-call]
    return tokenizer, model


def _vision_module(model: Any) -> Any:
    import torch
    from transformers.models.qwen2_5_vl.modeling_qwen2_5_vl import apply_rotary_pos_emb_vision

    visual = model.model.visual

    class Vision(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.visual = visual

        def forward(self, pixel_values: Any, image_grid_thw: Any) -> Any:
            x = self.visual.patch_embed(pixel_values)
            n = x.shape[0]
            # HF's patch order: 2x2 merge blocks, row-major over the merged grid, one frame after
            # the other; each patch's (row, column) from its index and the grid's width.
            index = torch.arange(n, device=x.device)
            grid_h, grid_w = image_grid_thw[0, 1], image_grid_thw[0, 2]
            block = (index // (MERGE * MERGE)) % ((grid_h // MERGE) * (grid_w // MERGE))
            inner = index % (MERGE * MERGE)
            rows = (block // (grid_w // MERGE)) * MERGE + inner // MERGE
            cols = (block % (grid_w // MERGE)) * MERGE + inner % MERGE
            cos, sin = self.visual.rotary_pos_emb(x, torch.stack([rows, cols], dim=-1))
            for block_module in self.visual.blocks:
                attn = block_module.attn
                h = block_module.norm1(x)
                q, k, v = (
                    attn.qkv(h).reshape(n, 3, attn.num_heads, -1).permute(1, 0, 2, 3).unbind(0)
                )
                q, k = apply_rotary_pos_emb_vision(q, k, cos, sin)
                out = torch.nn.functional.scaled_dot_product_attention(
                    q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)
                )
                x = x + attn.proj(out.transpose(0, 1).reshape(n, -1))
                x = x + block_module.mlp(block_module.norm2(x))
            return self.visual.merger(x)

    return Vision().eval()


def export_vision(model: Any, path: Path) -> None:
    export_grid_vision(_vision_module(model), PATCH_DIM, path)


def export_grid_vision(module: Any, patch_dim: int, path: Path) -> None:
    """Export a Qwen-style vision module (flat patches + ``image_grid_thw`` -> merged features)
    with the patch count dynamic, traced on an 8 x 12 grid."""
    import torch

    grid = torch.tensor([[1, 8, 12]], dtype=torch.int64)
    pixels = torch.randn(8 * 12, patch_dim)
    torch.onnx.export(
        module,
        (pixels, grid),
        str(path),
        input_names=["pixel_values", "image_grid_thw"],
        output_names=["image_features"],
        dynamic_axes={
            "pixel_values": {0: "num_patches"},
            "image_features": {0: "num_image_tokens"},
        },
        opset_version=17,
        dynamo=False,
    )


PROCESSOR_CONFIG = {
    "processor": {
        "name": "qwen2_5_image_processor",
        "transforms": [
            {
                "operation": {
                    "name": "decode_image",
                    "type": "DecodeImage",
                    "attrs": {"color_space": "RGB"},
                }
            },
            {"operation": {"name": "convert_to_rgb", "type": "ConvertRGB"}},
            {
                "operation": {
                    "name": "resize",
                    "type": "Resize",
                    "attrs": {
                        "width": 540,
                        "height": 360,
                        "smart_resize": 1,
                        "min_pixels": MIN_PIXELS,
                        "max_pixels": MAX_PIXELS,
                        "patch_size": PATCH,
                        "merge_size": MERGE,
                    },
                }
            },
            {
                "operation": {
                    "name": "rescale",
                    "type": "Rescale",
                    "attrs": {"rescale_factor": 1 / 255},
                }
            },
            {
                "operation": {
                    "name": "normalize",
                    "type": "Normalize",
                    "attrs": {
                        "mean": [0.48145466, 0.4578275, 0.40821073],
                        "std": [0.26862954, 0.26130258, 0.27577711],
                        "qwen2_5_vl": 1,
                    },
                }
            },
            {
                "operation": {
                    "name": "patch_image",
                    "type": "PatchImage",
                    "attrs": {
                        "patch_size": PATCH,
                        "temporal_patch_size": TEMPORAL,
                        "merge_size": MERGE,
                    },
                }
            },
        ],
    }
}


def genai_extras(ids: dict[str, int]) -> dict[str, Any]:
    """What genai's qwen2_5_vl type reads beyond the common blocks: the token ids its 3-D position
    ids look for, and the vision geometry."""
    return {
        "image_token_id": ids["<|image_pad|>"],
        "video_token_id": ids["<|video_pad|>"],
        "vision_start_token_id": ids["<|vision_start|>"],
        "vision": {
            "spatial_merge_size": MERGE,
            "tokens_per_second": 2.0,
            "patch_size": PATCH,
            "window_size": 112,
        },
    }


def _vision_feeds(inputs: Any) -> dict[str, Any]:
    return {
        "pixel_values": inputs["pixel_values"].as_numpy(),
        "image_grid_thw": inputs["image_grid_thw"].as_numpy(),
    }


def _hf_image_kwargs(inputs: Any) -> dict[str, Any]:
    import torch

    return {k: torch.from_numpy(v) for k, v in _vision_feeds(inputs).items()}


def _vision_reference(model: Any, inputs: Any) -> Any:
    import torch

    features = model.model.get_image_features(**_hf_image_kwargs(inputs)).pooler_output
    return torch.cat(list(features)) if isinstance(features, tuple | list) else features


FAMILY = TinyFamily(
    name="qwen2_5_vl-tiny",
    model_type="qwen2_5_vl",
    chat=QWEN2_5_VL,
    hf_model=hf_model,
    export_vision=export_vision,
    image_processor=PROCESSOR_CONFIG,
    vision_inputs={"pixel_values": "pixel_values", "image_grid_thw": "image_grid_thw"},
    features_rank=2,
    speech_block=False,
    vision_feeds=_vision_feeds,
    hf_image_kwargs=_hf_image_kwargs,
    vision_reference=_vision_reference,
    processor_file="processor_config.json",
    genai_extras=genai_extras,
)
