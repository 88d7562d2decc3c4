"""gemma4-tiny: a Gemma 4 (E2B/E4B style) model with a one-layer vision encoder, random weights.

Laid out like onnxruntime-genai's own ``gemma4`` test folder (``test/models/gemma4``): model type
``gemma4``, ``processor_config.json`` with ``Gemma4ImageTransform`` (16-pixel patches pooled 3x3,
so one soft token per 48x48 pixels, at most ``max_soft_tokens``: Gemma 4's budgets are 70, 140,
280, 560 and 1120), ``vision.onnx`` taking the unpadded ``pixel_values`` [1, P, 768] and
``pixel_position_ids`` [1, P, 2] (genai trims the transform's padding to 9 patches per soft token)
and returning ``image_features`` [P / 9, H]: HF's encoder, 2-D average pooling and projector.

The decoder comes from genai 0.18's builder, which writes Gemma 4's dense text layers (its
``Gemma4Model``, built from a ``gemma4_unified`` view of the same text weights: for
``Gemma4ForConditionalGeneration`` it picks its MoE builder, 26B-A4B's). What it does not write,
the tiny model does not have: no per-layer embeddings (``hidden_size_per_layer_input=0``; genai's
runtime has a ``per_layer_inputs`` slot, its builder no graph for it) and no KV sharing across
layers (``num_kv_shared_layers=0``). A real E2B/E4B has both; see README "Using a real model".

It hears, too: a one-layer HF ``Gemma4AudioModel`` and projector as genai's ``speech.onnx``
(`gemma4_audio`), fed the log-mel spectrogram genai computes from a WAV.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from training.tinymodels import gemma4_audio, gemma4_unified, text
from training.tinymodels.common import seed_everything
from training.tinymodels.family import AudioPart, TinyFamily

PATCH = 16  # pixels per patch side
POOL = 3  # patches per soft token side: one soft token per 48x48 pixels
PATCH_DIM = 3 * PATCH * PATCH  # 768
SOFT_TOKEN_BUDGETS = (70, 140, 280, 560, 1120)  # Gemma 4's image-token budgets
MAX_SOFT_TOKENS = 280  # the real models' default
POSITIONS = 256  # the learned x / y position tables: images up to 4096 pixels a side

TEXT: dict[str, Any] = {  # HF's Gemma4TextConfig, less what the tokenizer decides
    "hidden_size": 128,
    "intermediate_size": 256,
    "num_hidden_layers": 2,
    "layer_types": ["sliding_attention", "full_attention"],
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 32,
    "global_head_dim": 64,
    "sliding_window": 512,
    "max_position_embeddings": 4096,
    "initializer_range": 0.02,
    "hidden_size_per_layer_input": 0,  # no per-layer embeddings: genai's builder has no graph for them
    "num_kv_shared_layers": 0,
    # genai's decoder is causal only: image tokens must not attend both ways in HF either
    "use_bidirectional_attention": None,
    "tie_word_embeddings": True,
}
VISION: dict[str, Any] = {  # HF's Gemma4VisionConfig: one encoder layer
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "num_key_value_heads": 2,
    "head_dim": 16,
    "patch_size": PATCH,
    "pooling_kernel_size": POOL,
    "position_embedding_size": POSITIONS,
    "initializer_range": 0.02,
}


def hf_model(seed: int) -> tuple[Any, Any]:
    """(tokenizer, Gemma4ForConditionalGeneration) for a seed; same seed, same weights."""
    from transformers import (
        Gemma4Config,
        Gemma4ForConditionalGeneration,
        Gemma4TextConfig,
        Gemma4VisionConfig,
    )

    tokenizer = text.train_tokenizer(seed, 1536, text.GEMMA4)
    ids = text.token_ids(tokenizer, text.GEMMA4)
    vocab = tokenizer.get_vocab_size()
    text_config = Gemma4TextConfig(
        **TEXT,
        vocab_size=vocab,
        vocab_size_per_layer_input=vocab,
        pad_token_id=ids["<pad>"],
        bos_token_id=ids["<bos>"],
        eos_token_id=[ids["<eos>"], ids["<turn|>"]],
    )
    config = Gemma4Config(
        text_config=text_config,
        vision_config=Gemma4VisionConfig(**VISION),
        audio_config=None,
        boi_token_id=ids["<|image>"],
        eoi_token_id=ids["<image|>"],
        image_token_id=ids["<|image|>"],
        video_token_id=ids["<|video|>"],
        boa_token_id=ids["<|audio>"],
        eoa_token_index=ids["<audio|>"],
        audio_token_id=ids["<|audio|>"],
        initializer_range=0.02,
        tie_word_embeddings=True,
    )
    config.architectures = ["Gemma4ForConditionalGeneration"]
    seed_everything(seed)
    model = Gemma4ForConditionalGeneration(config).eval()  # type: ignore[no-untyped-call]
    gemma4_unified.unit_variance_attention(model)  # so that int4 keeps HF's argmax
    return tokenizer, model


def _pool(hidden: Any, positions: Any) -> Any:
    """HF's 2-D average pooling (``Gemma4VisionPooler``) over an unpadded image, with the soft
    token count taken from the patch count in the graph (HF's one-hot has a Python length)."""
    import torch

    tokens = torch.div(hidden.shape[1], POOL * POOL, rounding_mode="floor")
    cells = torch.div(positions, POOL, rounding_mode="floor")
    columns = torch.div(
        positions[..., 0].max(dim=-1, keepdim=True)[0] + 1, POOL, rounding_mode="floor"
    )
    index = cells[..., 0] + columns * cells[..., 1]  # [1, P]
    slots = torch.arange(tokens, device=hidden.device)  # type: ignore[call-overload]
    weights = (index[:, :, None] == slots[None, None, :]).to(hidden.dtype) / (POOL * POOL)
    return weights.transpose(1, 2) @ hidden


def _vision_module(model: Any) -> Any:
    import torch

    tower, embed = model.model.vision_tower, model.model.embed_vision
    tower.config._attn_implementation = "eager"

    class Vision(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.tower, self.embed = tower, embed

        def forward(self, pixel_values: Any, pixel_position_ids: Any) -> Any:
            padding = pixel_position_ids[..., 0] < 0  # none once genai has trimmed the padding
            x = self.tower.patch_embedder(pixel_values, pixel_position_ids, padding)
            position_embeddings = self.tower.encoder.rotary_emb(x, pixel_position_ids)
            for layer in self.tower.encoder.layers:
                x = layer(
                    x,
                    attention_mask=None,
                    position_embeddings=position_embeddings,
                    position_ids=pixel_position_ids,
                )
            pooled = _pool(x, pixel_position_ids).float() * self.tower.pooler.root_hidden_size
            return self.embed(inputs_embeds=pooled.to(x.dtype))[0]

    return Vision().eval()


def export_vision(model: Any, path: Path) -> None:
    import torch

    columns, rows = 12, 9  # a 4x3-token image: 108 patches
    positions = torch.stack(
        [torch.arange(columns * rows) % columns, torch.arange(columns * rows) // columns], dim=-1
    )
    torch.onnx.export(
        _vision_module(model),
        (torch.rand(1, columns * rows, PATCH_DIM), positions[None]),
        str(path),
        input_names=["pixel_values", "pixel_position_ids"],
        output_names=["image_features"],
        dynamic_axes={
            "pixel_values": {0: "num_images", 1: "num_patches"},
            "pixel_position_ids": {0: "num_images", 1: "num_patches"},
            "image_features": {0: "num_image_tokens"},
        },
        opset_version=17,
        dynamo=False,
    )


def processor_config(soft_tokens: int = MAX_SOFT_TOKENS) -> dict[str, Any]:
    """processor_config.json as genai's gemma4 test folder writes it, with a soft-token budget
    (one of `SOFT_TOKEN_BUDGETS`; 280 takes a 1280x800 screen at ~0.79x): gemma4_unified's
    pipeline with 16-pixel patches pooled 3x3 instead of 48-pixel ones."""
    if soft_tokens not in SOFT_TOKEN_BUDGETS:
        raise ValueError(
            f"Gemma 4's image-token budgets are {SOFT_TOKEN_BUDGETS}, not {soft_tokens}"
        )
    config = gemma4_unified.image_processor(soft_tokens)
    transform = config["processor"]["transforms"][1]["operation"]["attrs"]
    transform.update(patch_size=PATCH, pooling_kernel_size=POOL)
    return config


def _as_unified_text(hf_dir: Path) -> None:
    """Point genai's builder at its dense Gemma 4 text builder: the saved config becomes a
    ``gemma4_unified`` one with the same text config (the builder loads only the
    ``model.language_model.*`` weights, the same names in both)."""
    path = hf_dir / "config.json"
    config = json.loads(path.read_text())
    text_config = {**config["text_config"], "model_type": "gemma4_unified_text"}
    unified = {
        key: value
        for key, value in config.items()
        if key not in ("vision_config", "audio_config", "text_config")
    }
    unified.update(
        model_type="gemma4_unified",
        architectures=["Gemma4UnifiedForConditionalGeneration"],
        text_config=text_config,
    )
    path.write_text(json.dumps(unified, indent=2))


FAMILY = TinyFamily(
    name="gemma4-tiny",
    model_type="gemma4",
    chat=text.GEMMA4,
    hf_model=hf_model,
    export_vision=export_vision,
    image_processor=processor_config(),
    vision_inputs={"pixel_values": "pixel_values", "pixel_position_ids": "pixel_position_ids"},
    features_rank=2,
    speech_block=True,
    # the same inputs as gemma4_unified's (genai's gemma4 processor feeds both)
    vision_feeds=gemma4_unified.FAMILY.vision_feeds,
    hf_image_kwargs=gemma4_unified.FAMILY.hf_image_kwargs,
    vision_reference=gemma4_unified.FAMILY.vision_reference,
    processor_file="processor_config.json",
    # genai's builder takes Gemma4ForConditionalGeneration for its MoE model: build the dense
    # text decoder from a gemma4_unified view of the same weights
    builder_view=_as_unified_text,
    # a one-layer audio encoder (gemma4_audio.py): speech.onnx + Gemma4LogMel features
    audio=AudioPart(
        attach=gemma4_audio.add_audio,
        export=gemma4_audio.export_speech,
        feature_file=gemma4_audio.FEATURE_FILE,
        feature_config=gemma4_audio.FEATURE_EXTRACTION,
        speech_block=gemma4_audio.speech_block,
        token="<|audio|>",
    ),
)
