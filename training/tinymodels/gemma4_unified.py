"""gemma4_unified-tiny: an encoder-free Gemma 4 ("unified") model with random weights.

Images enter the decoder without a vision tower: each 48x48 patch (6912 values) goes through
HF's small embedder straight into the token stream. ``vision.onnx`` takes genai's padded
``pixel_values`` [N, 280, 6912] + ``pixel_position_ids`` [N, 280, 2] (padding = -1) and returns
``image_features`` [T, H] with the padding rows dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training.tinymodels import text
from training.tinymodels.common import seed_everything
from training.tinymodels.family import TinyFamily

PATCH = 48  # model patch side in pixels: patch_size 16 x pooling 3 in HF terms
MAX_SOFT_TOKENS = 280


@dataclass(frozen=True)
class Geometry:
    """The tiny model's shape. Parity with HF was verified for exactly this geometry."""

    hidden_size: int = 128
    intermediate_size: int = 256
    layer_types: tuple[str, ...] = ("sliding_attention", "full_attention")
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    head_dim: int = 32
    global_head_dim: int = 64  # the full-attention layer's head size (its KV heads stay 2)
    sliding_window: int = 512
    max_position_embeddings: int = 4096
    mm_embed_dim: int = 64
    mm_posemb_size: int = MAX_SOFT_TOKENS
    vocab_size: int = 1536  # the BPE trainer's target; the real size is what it produced
    initializer_range: float = 0.02


def hf_model(
    seed: int, geometry: Geometry | None = None, number_tokens: bool = False
) -> tuple[Any, Any]:
    """(tokenizer, Gemma4UnifiedForConditionalGeneration) for a seed; same seed, same weights.
    ``number_tokens`` gives every integer 0-1000 its own token (the default model's coordinates)."""
    from transformers import (
        Gemma4UnifiedConfig,
        Gemma4UnifiedForConditionalGeneration,
        Gemma4UnifiedTextConfig,
        Gemma4UnifiedVisionConfig,
    )

    g = geometry or Geometry()
    tokenizer = text.train_tokenizer(seed, g.vocab_size, text.GEMMA4, number_tokens=number_tokens)
    ids = text.token_ids(tokenizer, text.GEMMA4)
    text_config = Gemma4UnifiedTextConfig(  # type: ignore[call-arg]
        vocab_size=tokenizer.get_vocab_size(),
        hidden_size=g.hidden_size,
        intermediate_size=g.intermediate_size,
        num_hidden_layers=len(g.layer_types),
        layer_types=list(g.layer_types),
        num_attention_heads=g.num_attention_heads,
        num_key_value_heads=g.num_key_value_heads,
        head_dim=g.head_dim,
        global_head_dim=g.global_head_dim,
        sliding_window=g.sliding_window,
        max_position_embeddings=g.max_position_embeddings,
        initializer_range=g.initializer_range,
        # genai's decoder is causal only: image tokens must not attend both ways in HF either.
        use_bidirectional_attention=None,
        pad_token_id=ids["<pad>"],
        bos_token_id=ids["<bos>"],
        eos_token_id=[ids["<eos>"], ids["<turn|>"]],
        tie_word_embeddings=True,
    )
    vision_config = Gemma4UnifiedVisionConfig(
        patch_size=PATCH // 3,
        pooling_kernel_size=3,
        mm_embed_dim=g.mm_embed_dim,
        output_proj_dims=g.mm_embed_dim,
        mm_posemb_size=g.mm_posemb_size,
        initializer_range=g.initializer_range,
    )
    config = Gemma4UnifiedConfig(
        text_config=text_config,
        vision_config=vision_config,
        audio_config=None,
        boi_token_id=ids["<|image>"],
        eoi_token_id=ids["<image|>"],
        image_token_id=ids["<|image|>"],
        video_token_id=ids["<|video|>"],
        boa_token_id=ids["<|audio>"],
        eoa_token_index=ids["<audio|>"],
        audio_token_id=ids["<|audio|>"],
        initializer_range=g.initializer_range,
        tie_word_embeddings=True,
    )
    config.architectures = ["Gemma4UnifiedForConditionalGeneration"]
    seed_everything(seed)
    model = Gemma4UnifiedForConditionalGeneration(config).eval()  # type: ignore[no-untyped-call]
    unit_variance_attention(model)
    return tokenizer, model


def unit_variance_attention(model: Any) -> None:
    """Gemma 4 scales attention by 1.0 and leaves the temperature to the learned q/k norm weights;
    at their init (ones) a head's logits have std sqrt(head_dim), the softmax is near one-hot, and
    int4 weight noise flips which key wins (greedy parity with HF: 0/20 tokens). Scaling both
    norms by head_dim**-0.25 gives unit-variance logits, as a trained model has: int4 then matched
    HF 20/20 and int8 20/20 (fp32 is exact either way)."""
    import torch

    with torch.no_grad():
        for layer in model.model.language_model.layers:
            attention = layer.self_attn
            attention.q_norm.weight.mul_(attention.head_dim**-0.25)
            attention.k_norm.weight.mul_(attention.head_dim**-0.25)


def export_vision(model: Any, path: Path) -> None:
    import torch

    embedder = model.model.embed_vision

    class Vision(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedder = embedder

        def forward(self, pixel_values: Any, pixel_position_ids: Any) -> Any:
            out = self.embedder(pixel_values, pixel_position_ids, return_dict=True).pooler_output
            keep = (pixel_position_ids != -1).all(dim=-1)
            return out[keep]

    pixels = torch.randn(1, MAX_SOFT_TOKENS, PATCH * PATCH * 3)
    positions = torch.full((1, MAX_SOFT_TOKENS, 2), -1, dtype=torch.int64)
    positions[0, :273, 0] = torch.arange(273) % 21
    positions[0, :273, 1] = torch.arange(273) // 21
    torch.onnx.export(
        Vision().eval(),
        (pixels, positions),
        str(path),
        input_names=["pixel_values", "pixel_position_ids"],
        output_names=["image_features"],
        dynamic_axes={
            "pixel_values": {0: "num_images", 1: "max_patches"},
            "pixel_position_ids": {0: "num_images", 1: "max_patches"},
            "image_features": {0: "num_image_tokens"},
        },
        opset_version=17,
        dynamo=False,
    )


def image_processor(soft_tokens: int = MAX_SOFT_TOKENS) -> dict[str, Any]:
    """image_processor.json: a screenshot becomes at most ``soft_tokens`` patches of 48 px (scaled
    down to fit; 280 takes a 1280x800 screen at ~0.79x, 448 at ~0.975x)."""
    return {
        "processor": {
            "name": "gemma4_image_processor",
            "transforms": [
                {
                    "operation": {
                        "name": "decode_image",
                        "type": "DecodeImage",
                        "attrs": {"color_space": "RGB"},
                    }
                },
                {
                    "operation": {
                        "name": "gemma4_image_transform",
                        "type": "Gemma4ImageTransform",
                        "attrs": {
                            "patch_size": PATCH,
                            "max_soft_tokens": soft_tokens,
                            "pooling_kernel_size": 1,
                        },
                    }
                },
            ],
        }
    }


IMAGE_PROCESSOR = image_processor()


def _vision_feeds(inputs: Any) -> dict[str, Any]:
    return {k: inputs[k].as_numpy() for k in ("pixel_values", "pixel_position_ids")}


def _hf_image_kwargs(inputs: Any) -> dict[str, Any]:
    import torch

    return {
        "pixel_values": torch.from_numpy(inputs["pixel_values"].as_numpy()),
        "image_position_ids": torch.from_numpy(inputs["pixel_position_ids"].as_numpy()),
    }


def _vision_reference(model: Any, inputs: Any) -> Any:
    kwargs = _hf_image_kwargs(inputs)
    out = model.model.get_image_features(kwargs["pixel_values"], kwargs["image_position_ids"])
    return out.pooler_output[0]


FAMILY = TinyFamily(
    name="gemma4_unified-tiny",
    model_type="gemma4_unified",
    chat=text.GEMMA4,
    hf_model=hf_model,
    export_vision=export_vision,
    image_processor=IMAGE_PROCESSOR,
    vision_inputs={"pixel_values": "pixel_values", "pixel_position_ids": "pixel_position_ids"},
    features_rank=2,
    speech_block=True,
    vision_feeds=_vision_feeds,
    hf_image_kwargs=_hf_image_kwargs,
    vision_reference=_vision_reference,
)
