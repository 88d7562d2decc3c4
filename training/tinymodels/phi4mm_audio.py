"""phi4mm-tiny's audio part: HF's Phi-4-multimodal audio embedding (a one-block conformer, its
NeMo-style subsampling and the two speech projections), random weights, exported as genai 0.18's
phi4mm speech graph.

genai's phi4mm processor turns a WAV into a log-mel spectrogram (onnxruntime-extensions'
``Phi4AudioEmbed``, configured by ``speech_processor.json``: 80 mel bins, 25 ms Hamming frames
every 10 ms at 16 kHz; other rates are resampled to 16 kHz, or 8 kHz taken as is) and feeds
``speech.onnx``:

* ``audio_embeds`` [1, T, 80], ``audio_attention_mask`` [1, T] (bool, all true for one clip),
* ``audio_sizes`` [1] = ceil(T / 8): the soft tokens the clip gets (the subsampling's three
  stride-2 convolutions), the count the processor repeats ``<|endoftext11|>`` (200011) by,
* ``audio_projection_mode`` [1]: 2 for speech alone, 3 for speech beside an image. Phi-4-mm has
  two projections of the audio encoder's output into the decoder: the "speech" one, and the
  "vision" one it uses when an image is in the prompt too (HF's ``Phi4MultimodalFeatureEmbedding``
  picks it when ``image_pixel_values`` is given). deskpilot's prompts always carry the screenshot,
  so they take the vision projection.

The graph returns ``audio_features`` [N, H] (N = the sum of ``audio_sizes``), which
``embedding.onnx`` puts where the ``<|endoftext11|>`` rows are.

The audio embedding is built apart from the rest of the model, from its own seed, so that adding
it leaves every text and vision weight as it was. HF's encoder cuts clips of more than 500 soft
tokens (40 s) into 500-token pieces before its attention; the graph does not (deskpilot's spoken
tasks are a few seconds).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from training.tinymodels.common import seed_everything

MEL_BINS = 80  # the real model's feature size (config.audio_config.input_size)
SAMPLING_RATE = 16000
COMPRESSION = 8  # soft tokens per log-mel frame: the subsampling's time reduction
SEED_OFFSET = 5  # the audio part's seed is the model's plus this: text and vision stay as they were
SPEECH_MODE, VISION_SPEECH_MODE = 2, 3  # genai's audio_projection_mode values with audio
FEATURE_FILE = "speech_processor.json"


def _stft(prefix: str, n_fft: int, frame: int, hop: int) -> dict[str, Any]:
    return {
        f"{prefix}/n_fft": n_fft,
        f"{prefix}/frame_length": frame,
        f"{prefix}/hop_length": hop,
        f"{prefix}/win_fn": "hamming",
    }


def _logmel(prefix: str, hop: int) -> dict[str, Any]:
    return {
        f"{prefix}/chunk_size": 30,
        f"{prefix}/hop_length": hop,
        f"{prefix}/n_fft": 512,
        f"{prefix}/n_mel": MEL_BINS,
        f"{prefix}/feature_first": 0,
        f"{prefix}/no_padding": 1,
    }


FEATURE_EXTRACTION = {  # speech_processor.json: onnxruntime-extensions' Phi-4-mm audio features
    "feature_extraction": {
        "sequence": [
            {
                "operation": {
                    "name": "audio_decoder",
                    "type": "AudioDecoderEx",
                    "attrs": {"target_sample_rates": [8000, SAMPLING_RATE]},
                }
            },
            {
                "operation": {
                    "name": "phi_4_audio_embed",
                    "type": "Phi4AudioEmbed",
                    "attrs": {
                        "audio_compression_rate": COMPRESSION,
                        **_stft("stft_normal", 512, 400, 160),
                        **_logmel("logmel", 160),
                        **_stft("stft_normal_8k", 256, 200, 80),
                        **_logmel("logmel_8k", 80),
                    },
                }
            },
        ],
        "output_aligner": "phi4-audio-aligner",
    }
}


def audio_tokens(frames: int) -> int:
    """Soft tokens for ``frames`` log-mel frames: ceil(frames / 8) (genai's ``audio_sizes``)."""
    return -(-frames // COMPRESSION)


def add_audio(model: Any, seed: int) -> None:
    """Replace the ``Phi4MultimodalForCausalLM``'s audio embedding (encoder + projections) with
    one drawn from the seed plus `SEED_OFFSET`. HF draws the encoder's weights with std 0.02,
    which leaves its output nearly the same whatever the clip; PyTorch's own (fan-in scaled)
    initialisation keeps the sound in it. HF initialises the input normalisation to the identity
    and the GLU biases to zero; drawn at random here, they matter."""
    import torch
    from transformers.models.phi4_multimodal.modeling_phi4_multimodal import (
        Phi4MultimodalAudioEmbedding,
    )

    seed_everything(seed + SEED_OFFSET)
    embed = Phi4MultimodalAudioEmbedding(model.config).eval()
    encoder = embed.encoder
    for module in encoder.modules():
        if isinstance(module, torch.nn.Linear | torch.nn.Conv1d | torch.nn.Conv2d):
            module.reset_parameters()
    with torch.no_grad():
        # log-mel values are about 0-25 (log power of 16-bit-scaled samples): bring them near 0
        encoder.encoder_embedding.global_mean.normal_(10.0, 1.0)
        encoder.encoder_embedding.global_invstd.uniform_(0.1, 0.3)
        for layer in encoder.encoders:
            layer.conv.glu.b1.normal_(0, 0.1)
            layer.conv.glu.b2.normal_(0, 0.1)
    model.model.embed_tokens_extend.audio_embed = embed


def speech_module(model: Any) -> Any:
    """``audio_embeds`` [B, T, 80], ``audio_attention_mask`` [B, T], ``audio_sizes`` [B],
    ``audio_projection_mode`` [1] -> ``audio_features`` [N, H]: HF's audio encoder and the
    projection the mode picks (speech for 2, vision + speech otherwise), each clip cut to its
    size. The attention mask is HF's: valid keys (from the frame mask) and the relative position
    bias, added as HF adds them (its chunk_size of -1 means no streaming chunks)."""
    import torch

    embed = model.model.embed_tokens_extend.audio_embed
    encoder = embed.encoder
    reduction = encoder.config.time_reduction

    class Speech(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = embed

        def forward(
            self, audio_embeds: Any, audio_attention_mask: Any, audio_sizes: Any, mode: Any
        ) -> Any:
            hidden = encoder.encoder_embedding(audio_embeds)
            hidden, _ = encoder.embed(hidden, None)
            frames = hidden.shape[1]
            valid = torch.ceil(audio_attention_mask.sum(1).to(torch.float32) / reduction)
            keys = torch.arange(frames)[None, :] < valid[:, None]
            seen = keys[:, None, None, :].to(hidden.dtype)  # HF: bool mask + float bias
            mask = seen + encoder.relative_attention_bias_layer(hidden)
            for layer in encoder.encoders:
                hidden = layer(hidden, mask)
            speech = embed.down_proj_for_speech(
                torch.nn.functional.gelu(embed.up_proj_for_speech(hidden))
            )
            vision = embed.down_proj_for_vision_speech(
                torch.nn.functional.gelu(embed.up_proj_for_vision_speech(hidden))
            )
            projected = torch.where(mode.reshape(()) == SPEECH_MODE, speech, vision)
            kept = torch.arange(frames)[None, :] < audio_sizes[:, None]
            return projected[kept]

    return Speech().eval()


def export_speech(model: Any, path: Path) -> None:
    """``speech.onnx`` with a variable clip length."""
    import torch

    frames = 203
    torch.onnx.export(
        speech_module(model),
        (
            torch.randn(1, frames, MEL_BINS) + 10.0,
            torch.ones(1, frames, dtype=torch.bool),
            torch.tensor([audio_tokens(frames)]),
            torch.tensor([VISION_SPEECH_MODE]),
        ),
        str(path),
        input_names=[
            "audio_embeds",
            "audio_attention_mask",
            "audio_sizes",
            "audio_projection_mode",
        ],
        output_names=["audio_features"],
        dynamic_axes={
            "audio_embeds": {0: "batch_size", 1: "num_frames"},
            "audio_attention_mask": {0: "batch_size", 1: "num_frames"},
            "audio_sizes": {0: "batch_size"},
            "audio_features": {0: "num_audio_tokens"},
        },
        opset_version=17,
        dynamo=False,
    )


def speech_block(session: dict[str, Any]) -> dict[str, Any]:
    """genai_config's ``model.speech``, named as Microsoft's phi4mm ONNX release names them."""
    return {
        "filename": "speech.onnx",
        "config_filename": FEATURE_FILE,
        "inputs": {
            "audio_embeds": "audio_embeds",
            "attention_mask": "audio_attention_mask",
            "audio_sizes": "audio_sizes",
            "audio_projection_mode": "audio_projection_mode",
        },
        "outputs": {"audio_features": "audio_features"},
        "session_options": session,
    }
