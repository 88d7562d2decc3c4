"""qwen3_vl-tiny: a Qwen3-VL model with a one-block vision tower, random weights.

Laid out like onnxruntime-genai's own ``qwen3_vl`` test folder (``test/models/qwen3-vl``): the
qwen2_5_vl layout (``vision.onnx``, ``embedding.onnx``, the builder's decoder with 3-D
``position_ids`` that genai fills from ``image_grid_thw``) with Qwen3-VL's geometry: 16x16
patches, so the smart resize goes to multiples of 32; mean/std 0.5 (``qwen3_vl_image_processor``);
a decoder with QK norms and interleaved mRoPE (genai's builder, ``Qwen3VLTextModel``).

``vision.onnx``: ``pixel_values`` [P, 3 * 2 * 16 * 16] + ``image_grid_thw`` [1, 3] ->
``image_features`` [P / 4, H]. HF's tower written so the patch count stays dynamic: the learned
position table's bilinear resampling and the rotary positions come from ``image_grid_thw`` in the
graph. No DeepStack (``deepstack_visual_indexes=[]``): genai 0.18's qwen3_vl pipeline has no
input for features injected into the decoder's early layers, so the HF reference is built without
them and the two compute the same thing.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

from training.tinymodels import qwen2_5_vl, text
from training.tinymodels.common import seed_everything

PATCH = 16
MERGE = 2
TEMPORAL = 2
PATCH_DIM = 3 * TEMPORAL * PATCH * PATCH  # 1536
FACTOR = PATCH * MERGE  # 32: the smart resize's multiple
MAX_PIXELS = 256 * FACTOR * FACTOR  # at most 256 image tokens per screenshot
MIN_PIXELS = 4 * FACTOR * FACTOR
POSITION_SIDE = 8  # the learned position table is 8x8, resampled to each image's patch grid

# Qwen3-VL's chat tokens are Qwen2.5-VL's
CHAT = qwen2_5_vl.QWEN2_5_VL
IMAGE_PAD_ID = CHAT.special_tokens.index("<|image_pad|>")  # the tiny tokenizer adds them in order


VOCAB_SIZE = 1536
TEXT = {  # HF's Qwen3VLTextConfig, less what the tokenizer decides
    "hidden_size": 128,
    "intermediate_size": 256,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 32,
    "max_position_embeddings": 4096,
    "initializer_range": 0.02,
    # interleaved over head_dim 32's 16 frequencies: t takes 0, 3, ..., h 1, 4, ..., w 2, 5, ...
    "rope_parameters": {
        "rope_type": "default",
        "rope_theta": 5000000.0,
        "mrope_section": [6, 5, 5],
        "mrope_interleaved": True,
    },
}
VISION = {  # HF's Qwen3VLVisionConfig: one block, no DeepStack mergers
    "depth": 1,
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_heads": 2,
    "out_hidden_size": TEXT["hidden_size"],
    "patch_size": PATCH,
    "spatial_merge_size": MERGE,
    "temporal_patch_size": TEMPORAL,
    "num_position_embeddings": POSITION_SIDE * POSITION_SIDE,
    "deepstack_visual_indexes": [],
    "initializer_range": 0.02,
}


def hf_model(seed: int) -> tuple[Any, Any]:
    """(tokenizer, Qwen3VLForConditionalGeneration) for a seed; same seed, same weights."""
    from transformers import Qwen3VLConfig, Qwen3VLForConditionalGeneration

    tokenizer = text.train_tokenizer(seed, VOCAB_SIZE, CHAT)
    ids = text.token_ids(tokenizer, CHAT)
    text_config = {**TEXT, "vocab_size": tokenizer.get_vocab_size(), "pad_token_id": ids["<pad>"]}
    config = Qwen3VLConfig(
        text_config=text_config,
        vision_config=copy.deepcopy(VISION),
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=False,
    )
    config.architectures = ["Qwen3VLForConditionalGeneration"]
    config.bos_token_id = ids["<bos>"]
    config.eos_token_id = [ids["<eos>"], ids["<|im_end|>"]]
    seed_everything(seed)
    model = Qwen3VLForConditionalGeneration(config).eval()  # type: ignore[no-untyped-call]
    return tokenizer, model


def _bilinear_taps(index: Any, size: Any) -> tuple[Any, Any]:
    """The two rows of the learned position table that patch ``index`` of ``size`` falls between,
    and their weights (HF's ``F.interpolate(mode="bilinear", align_corners=True)``)."""
    import torch

    src = index.to(torch.float32) * (POSITION_SIDE - 1) / torch.clamp(size - 1, min=1)
    floor = torch.floor(src)
    offsets = torch.arange(0, 2, device=index.device)
    taps = (floor.long()[:, None] + offsets).clamp(0, POSITION_SIDE - 1)
    weights = (1 - (src[:, None] - floor[:, None] - offsets).abs()).clamp(min=0)
    return taps, weights


def _vision_module(model: Any) -> Any:
    import torch
    from transformers.models.qwen3_vl.modeling_qwen3_vl import apply_rotary_pos_emb_vision

    visual = model.model.visual

    def attend(block: Any, x: Any, cos: Any, sin: Any) -> Any:
        """One block on one image: full attention over all its patches (HF's single chunk)."""
        attn, n = block.attn, x.shape[0]
        qkv = attn.qkv(block.norm1(x)).reshape(n, 3, attn.num_heads, -1).permute(1, 0, 2, 3)
        q, k = apply_rotary_pos_emb_vision(qkv[0], qkv[1], cos, sin)
        q, k, v = (t.transpose(0, 1) for t in (q, k, qkv[2]))
        out = torch.nn.functional.scaled_dot_product_attention(q, k, v, scale=attn.scaling)
        x = x + attn.proj(out.transpose(0, 1).reshape(n, -1))
        return x + block.mlp(block.norm2(x))

    class Vision(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.visual = visual

        def forward(self, pixel_values: Any, image_grid_thw: Any) -> Any:
            x = self.visual.patch_embed(pixel_values)
            # HF's patch order: 2x2 merge blocks, row-major over the merged grid, frame by frame
            grid_h, grid_w = image_grid_thw[0, 1], image_grid_thw[0, 2]
            within = torch.arange(x.shape[0], device=x.device) % (grid_h * grid_w)
            blocks_w = grid_w // MERGE
            rows = (within // (MERGE * MERGE * blocks_w)) * MERGE + (within // MERGE) % MERGE
            cols = ((within // (MERGE * MERGE)) % blocks_w) * MERGE + within % MERGE
            h_taps, h_weights = _bilinear_taps(rows, grid_h)
            w_taps, w_weights = _bilinear_taps(cols, grid_w)
            table = (h_taps[:, :, None] * POSITION_SIDE + w_taps[:, None, :]).reshape(-1, 4)
            weights = (h_weights[:, :, None] * w_weights[:, None, :]).reshape(-1, 4)
            x = x + (self.visual.pos_embed(table) * weights[:, :, None]).sum(1)
            cos, sin = self.visual.rotary_pos_emb(x, torch.stack([rows, cols], dim=-1))
            for block in self.visual.blocks:
                x = attend(block, x, cos, sin)
            return self.visual.merger(x)

    return Vision().eval()


def export_vision(model: Any, path: Path) -> None:
    qwen2_5_vl.export_grid_vision(_vision_module(model), PATCH_DIM, path)


def _processor_config() -> dict[str, Any]:
    """genai's qwen3-vl test folder's processor_config.json, with this model's pixel budget."""
    config: dict[str, Any] = copy.deepcopy(qwen2_5_vl.PROCESSOR_CONFIG)
    processor: dict[str, Any] = config["processor"]
    processor["name"] = "qwen3_vl_image_processor"
    for transform in processor["transforms"]:
        kind, attrs = transform["operation"]["type"], transform["operation"].get("attrs", {})
        if kind in ("Resize", "PatchImage"):
            attrs["patch_size"] = PATCH
        if kind == "Resize":
            attrs.update(min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS)
        if kind == "Normalize":
            transform["operation"]["attrs"] = {"mean": [0.5] * 3, "std": [0.5] * 3, "qwen3_vl": 1}
    return config


PROCESSOR_CONFIG = _processor_config()


def genai_extras(ids: dict[str, int]) -> dict[str, Any]:
    """Qwen2.5-VL's extra genai_config keys with Qwen3-VL's 16-pixel patches."""
    extras = qwen2_5_vl.genai_extras(ids)
    extras["vision"] = {"spatial_merge_size": MERGE, "tokens_per_second": 2.0, "patch_size": PATCH}
    return extras


def _hf_image_kwargs(inputs: Any) -> dict[str, Any]:
    """HF's forward also wants which tokens are image tokens (for its 3-D positions)."""
    import torch

    ids = torch.from_numpy(inputs["input_ids"].as_numpy().astype("int64"))
    kwargs: dict[str, Any] = qwen2_5_vl._hf_image_kwargs(inputs)
    kwargs["mm_token_type_ids"] = (ids == IMAGE_PAD_ID).to(torch.int32)
    return kwargs


def _vision_reference(model: Any, inputs: Any) -> Any:
    import torch

    image = qwen2_5_vl._hf_image_kwargs(inputs)
    features = model.model.get_image_features(image["pixel_values"], image["image_grid_thw"])
    return torch.cat(list(features.pooler_output))


# the qwen2_5_vl folder's layout (chat, vision inputs, processor file), Qwen3-VL's model and pixels
FAMILY = dataclasses.replace(
    qwen2_5_vl.FAMILY,
    name="qwen3_vl-tiny",
    model_type="qwen3_vl",
    hf_model=hf_model,
    export_vision=export_vision,
    image_processor=PROCESSOR_CONFIG,
    hf_image_kwargs=_hf_image_kwargs,
    vision_reference=_vision_reference,
    genai_extras=genai_extras,
)
