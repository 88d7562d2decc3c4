"""gemma3-tiny: a Gemma 3 model with a tiny SigLIP vision tower, random weights.

``vision.onnx`` is the SigLIP tower + Gemma 3's projector (average pool to 16x16, RMSNorm,
projection): ``pixel_values`` [N, 3, 896, 896] -> ``image_features`` [N * 256, H]. genai's gemma3
processor resizes every image to 896x896 (no aspect ratio kept) and always expands the prompt's
``<start_of_image>`` to 256 ``<image_soft_token>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training.tinymodels import text
from training.tinymodels.common import seed_everything
from training.tinymodels.family import TinyFamily

IMAGE_SIZE = 896
TOKENS_PER_IMAGE = 256


@dataclass(frozen=True)
class Geometry:
    hidden_size: int = 128
    intermediate_size: int = 256
    layer_types: tuple[str, ...] = ("sliding_attention", "full_attention")
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    head_dim: int = 32
    sliding_window: int = 512
    max_position_embeddings: int = 4096
    vision_hidden_size: int = 32
    vision_intermediate_size: int = 64
    vision_layers: int = 1
    vision_heads: int = 2
    patch_size: int = 28  # 32x32 patches, average-pooled 2x2 to 16x16 = 256 tokens
    vocab_size: int = 1536
    initializer_range: float = 0.02


def hf_model(seed: int) -> tuple[Any, Any]:
    """(tokenizer, Gemma3ForConditionalGeneration) for a seed; same seed, same weights."""
    import torch
    from transformers import (
        Gemma3Config,
        Gemma3ForConditionalGeneration,
        Gemma3TextConfig,
        SiglipVisionConfig,
    )

    g = Geometry()
    tokenizer = text.train_tokenizer(seed, g.vocab_size, text.GEMMA3)
    ids = text.token_ids(tokenizer, text.GEMMA3)
    text_config = Gemma3TextConfig(
        vocab_size=tokenizer.get_vocab_size(),
        hidden_size=g.hidden_size,
        intermediate_size=g.intermediate_size,
        num_hidden_layers=len(g.layer_types),
        layer_types=list(g.layer_types),
        num_attention_heads=g.num_attention_heads,
        num_key_value_heads=g.num_key_value_heads,
        head_dim=g.head_dim,
        query_pre_attn_scalar=g.head_dim,
        sliding_window=g.sliding_window,
        max_position_embeddings=g.max_position_embeddings,
        initializer_range=g.initializer_range,
        pad_token_id=ids["<pad>"],
        bos_token_id=ids["<bos>"],
        eos_token_id=[ids["<eos>"], ids["<end_of_turn>"]],
    )
    vision_config = SiglipVisionConfig(
        hidden_size=g.vision_hidden_size,
        intermediate_size=g.vision_intermediate_size,
        num_hidden_layers=g.vision_layers,
        num_attention_heads=g.vision_heads,
        image_size=IMAGE_SIZE,
        patch_size=g.patch_size,
    )
    config = Gemma3Config(
        text_config=text_config,
        vision_config=vision_config,
        mm_tokens_per_image=TOKENS_PER_IMAGE,
        boi_token_index=ids["<start_of_image>"],
        eoi_token_index=ids["<end_of_image>"],
        image_token_index=ids["<image_soft_token>"],
        initializer_range=g.initializer_range,
    )
    config.architectures = ["Gemma3ForConditionalGeneration"]
    seed_everything(seed)
    model = Gemma3ForConditionalGeneration(config).eval()  # type: ignore[no-untyped-call]
    # HF initialises the image projection to zeros: images would not reach the decoder at all.
    projector = model.model.multi_modal_projector
    with torch.no_grad():
        projector.mm_input_projection_weight.normal_(0.0, 0.05)
    return tokenizer, model


def export_vision(model: Any, path: Path) -> None:
    import torch

    inner = model.model

    class Vision(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.vision_tower = inner.vision_tower
            self.projector = inner.multi_modal_projector

        def forward(self, pixel_values: Any) -> Any:
            hidden = self.vision_tower(pixel_values=pixel_values).last_hidden_state
            features = self.projector(hidden)
            return features.reshape(-1, features.shape[-1])

    pixels = torch.randn(1, 3, IMAGE_SIZE, IMAGE_SIZE)
    torch.onnx.export(
        Vision().eval(),
        (pixels,),
        str(path),
        input_names=["pixel_values"],
        output_names=["image_features"],
        dynamic_axes={"pixel_values": {0: "num_images"}, "image_features": {0: "num_image_tokens"}},
        opset_version=17,
        dynamo=False,
    )


IMAGE_PROCESSOR = {
    "processor": {
        "name": "gemma_3_image_processing",
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
                    "name": "resize",
                    "type": "Resize",
                    "attrs": {
                        "interpolation": "CUBIC",
                        "width": IMAGE_SIZE,
                        "height": IMAGE_SIZE,
                        "keep_aspect_ratio": 0,
                    },
                }
            },
            {"operation": {"name": "re-scale", "type": "Rescale"}},
            {
                "operation": {
                    "name": "normalize",
                    "type": "Normalize",
                    "attrs": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]},
                }
            },
            {
                "operation": {
                    "name": "to_channel_first",
                    "type": "Permute3D",
                    "attrs": {"dims": [2, 0, 1]},
                }
            },
        ],
    }
}


def _vision_feeds(inputs: Any) -> dict[str, Any]:
    return {"pixel_values": inputs["pixel_values"].as_numpy()}


def _hf_image_kwargs(inputs: Any) -> dict[str, Any]:
    import torch

    # No token_type_ids: with them HF lets image tokens attend both ways; genai is causal only.
    return {"pixel_values": torch.from_numpy(inputs["pixel_values"].as_numpy())}


def _vision_reference(model: Any, inputs: Any) -> Any:
    features = model.model.get_image_features(**_hf_image_kwargs(inputs)).pooler_output
    return features.reshape(-1, features.shape[-1])


FAMILY = TinyFamily(
    name="gemma3-tiny",
    model_type="gemma3",
    chat=text.GEMMA3,
    hf_model=hf_model,
    export_vision=export_vision,
    image_processor=IMAGE_PROCESSOR,
    vision_inputs={"pixel_values": "pixel_values"},
    # Rank 2 ([T, H]) on both sides: genai gives a text-only prompt a rank-2 empty image_features
    # ("Invalid rank for input: image_features Got: 2 Expected: 3" with rank 3).
    features_rank=2,
    speech_block=False,
    vision_feeds=_vision_feeds,
    hf_image_kwargs=_hf_image_kwargs,
    vision_reference=_vision_reference,
)
