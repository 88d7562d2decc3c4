"""Pieces every family needs: the embedding graph, int8 quantization, the genai_config blocks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any


def export_embedding(
    embed_tokens: Any,
    image_token_id: int,
    pad_id: int,
    path: Path,
    features_rank: int = 2,
    audio_token_id: int | None = None,
) -> None:
    """``embedding.onnx``: int64 ``input_ids`` [B, S] + float ``image_features`` ([T, H], or
    [N, T, H] when ``features_rank`` is 3) -> ``inputs_embeds`` [B, S, H]; with
    ``audio_token_id``, also float ``audio_features`` [A, H] for the audio soft tokens.

    ``embed_tokens`` is the HF scaled embedding (it multiplies by sqrt(H) itself). Image-token rows
    are replaced, in order, by the feature rows (audio-token rows by the audio rows). Zero feature
    rows (text-only prompts and every decode step) must work: the k-th soft token takes row k of
    the features with one zero row appended, every other token points at that zero row and keeps
    its own embedding.
    """
    import torch

    hidden = int(embed_tokens.weight.shape[1])

    def place(is_soft: Any, embeds: Any, features: Any) -> Any:
        rows_in = features.reshape(-1, hidden)
        flat = is_soft.reshape(-1)
        rows = torch.cumsum(flat.to(torch.int64), 0) - 1
        rows = torch.where(flat, rows, torch.full_like(rows, rows_in.shape[0]))
        padded = torch.cat([rows_in, rows_in.new_zeros(1, hidden)])
        picked = padded.index_select(0, rows).reshape(embeds.shape)
        return torch.where(is_soft.unsqueeze(-1), picked, embeds)

    class Embedding(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed_tokens = embed_tokens

        def forward(self, input_ids: Any, image_features: Any, *audio: Any) -> Any:
            is_image = input_ids == image_token_id
            if audio_token_id is None:
                embeds = self.embed_tokens(torch.where(is_image, pad_id, input_ids))
                return place(is_image, embeds, image_features)
            is_audio = input_ids == audio_token_id
            embeds = self.embed_tokens(torch.where(is_image | is_audio, pad_id, input_ids))
            return place(is_audio, place(is_image, embeds, image_features), audio[0])

    ids = torch.tensor([[2, image_token_id, 5, image_token_id]], dtype=torch.int64)
    if features_rank == 3:
        features = torch.randn(1, 2, hidden)
        feature_axes = {0: "num_images", 1: "num_image_tokens"}
    else:
        features = torch.randn(2, hidden)
        feature_axes = {0: "num_image_tokens"}
    args: tuple[Any, ...] = (ids, features)
    names = ["input_ids", "image_features"]
    axes: dict[str, dict[int, str]] = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "image_features": feature_axes,
        "inputs_embeds": {0: "batch_size", 1: "sequence_length"},
    }
    if audio_token_id is not None:
        ids = torch.tensor([[2, image_token_id, audio_token_id, 5, image_token_id]])
        args = (ids, features, torch.randn(1, hidden))
        names.append("audio_features")
        axes["audio_features"] = {0: "num_audio_tokens"}
    torch.onnx.export(
        Embedding().eval(),
        args,
        str(path),
        input_names=names,
        output_names=["inputs_embeds"],
        dynamic_axes=axes,
        opset_version=17,
        dynamo=False,
    )


def quantize_int8(path: Path) -> None:
    """Dynamic int8 quantization of a graph's weights, in place."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().setLevel(logging.ERROR)  # its "please run pre-processing" chatter
    quantized = path.with_suffix(".int8.onnx")
    # unsigned weights: u8 x s8 products are summed in int16 by AVX2 without VNNI (vpmaddubsw),
    # which saturates and wrecks the graph there (seen on an AMD EPYC); u8 x u8 does not
    quantize_dynamic(str(path), str(quantized), weight_type=QuantType.QUInt8)
    quantized.replace(path)


def multimodal_genai_config(
    built: dict[str, Any],
    model_type: str,
    eos: list[int],
    vision_inputs: dict[str, str],
    speech_block: bool,
    processor_file: str = "image_processor.json",
    speech: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The builder's genai_config.json turned into a vision pipeline: vision -> embedding -> decoder
    (with ``speech``, session options -> the ``model.speech`` block: speech -> embedding too)."""
    config = dict(built)
    model = dict(config["model"])
    model["type"] = model_type
    model["eos_token_id"] = eos
    session = model["decoder"].get(
        "session_options", {"log_id": "onnxruntime-genai", "provider_options": []}
    )
    model["embedding"] = {
        "filename": "embedding.onnx",
        "inputs": {"input_ids": "input_ids", "image_features": "image_features"},
        "outputs": {"inputs_embeds": "inputs_embeds"},
        "session_options": session,
    }
    model["vision"] = {
        "filename": "vision.onnx",
        "config_filename": processor_file,
        "inputs": vision_inputs,
        "outputs": {"image_features": "image_features"},
        "session_options": session,
    }
    if speech is not None:
        model["embedding"]["inputs"]["audio_features"] = "audio_features"
        model["speech"] = speech(session)
    elif speech_block:
        # gemma4(_unified) in 0.18.0 refuses a config without it ("speech.config_filename is set
        # but speech.filename is missing"); an empty config_filename means "no audio".
        model["speech"] = {"config_filename": ""}
    config["model"] = model
    return config
