"""gemma4-tiny's audio part: a one-layer HF ``Gemma4AudioModel`` and its projector, random weights,
exported as genai 0.18's gemma4 speech graph.

genai's gemma4 processor turns a WAV into a log-mel spectrogram (onnxruntime-extensions'
``Gemma4LogMel``, configured by ``audio_feature_extraction.json``: 128 mel bins, 20 ms frames every
10 ms at 16 kHz) and feeds ``speech.onnx`` ``audio_embeds`` [1, T, 128] (plus an all-true
``input_features_mask`` and ``audio_sizes``, which this graph does not take: one clip, no
padding). The graph returns ``audio_features`` [1, N, H] with N = ceil(ceil(T / 2) / 2), the
count genai expands the prompt's ``<|audio|>`` to (the encoder's two stride-2 convolutions);
``embedding.onnx`` then puts those rows where the ``<|audio|>`` soft tokens are, as it does image
features for ``<|image|>``.

The tower is built apart from the rest of the model, from its own seed, so that adding it leaves
every text and vision weight as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from training.tinymodels.common import seed_everything

MEL_BINS = 128  # the real models' feature size; the first conv's channel count must equal it
SAMPLING_RATE = 16000
AUDIO: dict[str, Any] = {  # HF's Gemma4AudioConfig: one conformer layer
    "hidden_size": 32,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "subsampling_conv_channels": [MEL_BINS, 4],
    "conv_kernel_size": 5,
    "attention_chunk_size": 12,
    "attention_context_left": 13,
    "attention_context_right": 0,
    "output_proj_dims": 64,
    "initializer_range": 0.02,
}
SEED_OFFSET = 4  # the tower's seed is the model's plus this: text and vision stay as they were
FEATURE_EXTRACTION = {  # audio_feature_extraction.json, as genai's gemma4 test folder writes it
    "feature_extraction": {
        "sequence": [
            {"operation": {"name": "audio_decoder", "type": "AudioDecoder"}},
            {
                "operation": {
                    "name": "gemma4_log_mel",
                    "type": "Gemma4LogMel",
                    "attrs": {
                        "feature_size": MEL_BINS,
                        "sampling_rate": SAMPLING_RATE,
                        "frame_length_ms": 20.0,
                        "hop_length_ms": 10.0,
                        "min_frequency": 0.0,
                        "max_frequency": 8000.0,
                        "preemphasis": 0.0,
                        "preemphasis_htk_flavor": 1,
                        "fft_overdrive": 0,
                        "mel_floor": 0.001,
                    },
                }
            },
        ]
    }
}
FEATURE_FILE = "audio_feature_extraction.json"


def audio_tokens(frames: int) -> int:
    """Soft tokens for ``frames`` log-mel frames: two stride-2 convolutions (genai's count)."""
    after_first = (frames - 1) // 2 + 1
    return (after_first - 1) // 2 + 1


def add_audio(model: Any, seed: int) -> None:
    """Give a ``Gemma4ForConditionalGeneration`` built without audio a random audio tower and
    projector (``model.model.audio_tower`` / ``embed_audio``), from the seed plus
    `SEED_OFFSET`, and set ``config.audio_config`` so HF's forward uses them."""
    from transformers import Gemma4AudioConfig
    from transformers.models.gemma4.modeling_gemma4 import (
        Gemma4AudioModel,
        Gemma4MultimodalEmbedder,
    )

    config = Gemma4AudioConfig(**AUDIO)
    config._attn_implementation = "eager"
    seed_everything(seed + SEED_OFFSET)
    tower = Gemma4AudioModel(config).eval()  # type: ignore[no-untyped-call]
    embedder = Gemma4MultimodalEmbedder(config, model.config.text_config).eval()
    model.config.audio_config = config
    model.model.audio_tower = tower
    model.model.embed_audio = embedder


def _blocked_mask(frames: Any, chunk: int, left: int, right: int) -> Any:
    """HF's chunked local attention mask for an unpadded clip, built from the frame count in the
    graph: [1, 1, blocks, chunk, context], 0 where a query may see a key, -1e9 where not (HF's
    own goes through a 4-D mask with Python-int shapes)."""
    import torch

    blocks = torch.div(frames + chunk - 1, chunk, rounding_mode="floor")
    context = chunk + left - 1 + right
    query = torch.arange(blocks)[:, None, None] * chunk + torch.arange(chunk)[None, :, None]  # type: ignore[call-overload]
    key = (
        torch.arange(blocks)[:, None, None] * chunk  # type: ignore[call-overload]
        + torch.arange(context)[None, None, :]
        - (left - 1)
    )
    distance = query - key  # HF's sliding_window_mask_function((left - 1, right))
    window = ((distance >= 0) & (distance < left - 1)) | ((distance < 0) & (-distance < right))
    seen = (key >= 0) & (key < frames) & (query < frames) & window
    return torch.where(seen, 0.0, -1e9)[None, None]


def _block_context(attention: Any) -> Any:
    """HF's ``_extract_block_context`` (pad, then ``unfold``: every block's keys with their left
    and right context) as a gather, which exports with a variable length (``unfold`` does not)."""
    import torch

    chunk, past = attention.chunk_size, attention.max_past_horizon
    future, context = attention.max_future_horizon, attention.context_size

    def extract(hidden_states: Any) -> Any:
        padded = torch.nn.functional.pad(hidden_states, (0, 0, 0, 0, past, future + chunk - 1))
        frames = hidden_states.shape[1]
        blocks = torch.div(frames + chunk - 1, chunk, rounding_mode="floor")
        index = torch.arange(blocks)[:, None] * chunk + torch.arange(context)[None, :]  # type: ignore[call-overload]
        return padded[:, index]  # [B, blocks, context, heads, head_dim]

    return extract


def speech_module(model: Any) -> Any:
    """``audio_embeds`` [1, T, 128] -> ``audio_features`` [1, N, H]: HF's audio tower (all frames
    valid) and ``embed_audio``, with the attention mask built in the graph."""
    import torch

    tower, embed = model.model.audio_tower, model.model.embed_audio
    config = tower.config

    class Speech(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.tower, self.embed = tower, embed

        def forward(self, audio_embeds: Any) -> Any:
            hidden, _ = self.tower.subsample_conv_projection(audio_embeds, None)
            positions = self.tower.rel_pos_enc(hidden)
            mask = _blocked_mask(
                hidden.shape[1],
                config.attention_chunk_size,
                config.attention_context_left,
                config.attention_context_right,
            )
            for layer in self.tower.layers:
                hidden = layer(hidden, attention_mask=mask, position_embeddings=positions)
            return self.embed(self.tower.output_proj(hidden))

    return Speech().eval()


def export_speech(model: Any, path: Path) -> None:
    """``speech.onnx`` with a variable frame count (its attention layers take a gather in place of
    ``unfold`` for the export, and get HF's own back after)."""

    attentions = [layer.self_attn for layer in model.model.audio_tower.layers]
    for attention in attentions:
        attention._extract_block_context = _block_context(attention)
    try:
        _export(speech_module(model), path)
    finally:
        for attention in attentions:
            del attention._extract_block_context


def _export(module: Any, path: Path) -> None:
    import torch

    torch.onnx.export(
        module,
        (torch.randn(1, 97, MEL_BINS),),
        str(path),
        input_names=["audio_embeds"],
        output_names=["audio_features"],
        dynamic_axes={
            "audio_embeds": {0: "batch_size", 1: "num_frames"},
            "audio_features": {0: "batch_size", 1: "num_audio_tokens"},
        },
        opset_version=17,
        dynamo=False,
    )


def speech_block(session: dict[str, Any]) -> dict[str, Any]:
    """genai_config's ``model.speech``: the graph, its feature extraction config and names."""
    return {
        "filename": "speech.onnx",
        "config_filename": FEATURE_FILE,
        "inputs": {
            "audio_embeds": "audio_embeds",
            "attention_mask": "input_features_mask",
            "audio_sizes": "audio_sizes",
        },
        "outputs": {"audio_features": "audio_features"},
        "session_options": session,
    }


def hf_audio_features(model: Any, log_mel: Any) -> Any:
    """HF's soft tokens [N, H] for a log-mel [1, T, 128] (numpy or torch), all frames valid."""
    import torch

    features = torch.as_tensor(log_mel, dtype=torch.float32)
    mask = torch.ones(features.shape[:2], dtype=torch.bool)
    with torch.no_grad():
        out = model.model.get_audio_features(features, mask, return_dict=True)
    return out.pooler_output[out.attention_mask]


def hf_log_mel(wav: Path) -> Any:
    """HF's ``Gemma4AudioFeatureExtractor`` on a 16 kHz mono 16-bit WAV: [1, T, 128] (the
    extractor does not resample, so the WAV must be at its rate already)."""
    import wave

    import numpy as np
    from transformers.models.gemma4.feature_extraction_gemma4 import Gemma4AudioFeatureExtractor

    with wave.open(str(wav)) as handle:
        if handle.getframerate() != SAMPLING_RATE or handle.getnchannels() != 1:
            raise ValueError(f"{wav}: want 16 kHz mono, got {handle.getparams()}")
        samples = np.frombuffer(handle.readframes(handle.getnframes()), np.int16)
    extractor = Gemma4AudioFeatureExtractor(feature_size=MEL_BINS, sampling_rate=SAMPLING_RATE)
    features = extractor([samples.astype(np.float32) / 32768.0], sampling_rate=SAMPLING_RATE)
    return np.asarray(features["input_features"], np.float32)


def audio_parity(family: Any, folder: Path, seed: int, wav: Path, png: bytes) -> dict[str, Any]:
    """genai against HF on an audio + image prompt, on ``folder`` (speech.onnx is fp32 in every
    build): genai's log-mel vs HF's feature extractor on the same 16 kHz WAV, speech.onnx vs HF's
    audio tower + projector on genai's log-mel, and (for an fp32 folder) greedy tokens."""
    import numpy as np
    import onnxruntime as ort
    import onnxruntime_genai as og
    import torch

    from training.tinymodels.runner import Runner, hf_greedy

    _, model = family.hf_model(seed)
    add_audio(model, seed)
    runner = Runner(folder)
    prompt = family.probe_prompt.replace("Task: click Save", "Task: <|audio|>")
    inputs = runner.processor(
        prompt, images=og.Images.open_bytes(png), audios=og.Audios.open(str(wav))
    )
    mel = inputs["audio_embeds"].as_numpy()
    reference_mel = hf_log_mel(wav)
    frames = min(mel.shape[1], reference_mel.shape[1])
    speech = ort.InferenceSession(str(folder / "speech.onnx"), providers=["CPUExecutionProvider"])
    features = speech.run(None, {"audio_embeds": mel})[0][0]
    reference = hf_audio_features(model, mel).numpy()
    ids = inputs["input_ids"].as_numpy()[0]
    audio_id = int(model.config.audio_token_id)
    kwargs = {
        **family.hf_image_kwargs(inputs),
        "input_features": torch.from_numpy(mel),
        "input_features_mask": torch.ones(mel.shape[:2], dtype=torch.bool),
    }
    hf_tokens, _ = hf_greedy(model, inputs, kwargs, 20, runner.eos)
    genai_tokens = runner.generate(inputs, 20)["tokens"]
    return {
        "log_mel_frames": [int(mel.shape[1]), int(reference_mel.shape[1])],
        "log_mel_max_abs_diff": float(np.abs(mel[:, :frames] - reference_mel[:, :frames]).max()),
        "audio_tokens": int((ids == audio_id).sum()),
        "audio_tokens_expected": audio_tokens(int(mel.shape[1])),
        "speech_max_abs_diff": float(np.abs(features - reference).max()),
        "hf_tokens": hf_tokens,
        "genai_tokens": genai_tokens,
        "greedy_match": genai_tokens == hf_tokens,
    }


def tone_wav(path: Path, seconds: float = 1.5) -> None:
    """A 16 kHz mono WAV of two gliding tones (speech-like enough for a log-mel; no espeak)."""
    import wave

    import numpy as np

    t = np.arange(int(seconds * SAMPLING_RATE)) / SAMPLING_RATE
    signal = 0.3 * np.sin(2 * np.pi * (200 + 300 * t) * t) + 0.2 * np.sin(2 * np.pi * 1200 * t)
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(SAMPLING_RATE)
        handle.writeframes((signal * 32767).astype(np.int16).tobytes())


def audio_report(family: Any, folder: Path, seed: int, png: bytes) -> dict[str, Any]:
    """`audio_parity` on the shipped folder and on an fp32 build of it, with a `tone_wav`;
    ``ok`` when the fp32 build matches HF greedy and the log-mel and speech graph match HF's."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="tiny-audio-") as tmp:
        wav = Path(tmp) / "tone.wav"
        tone_wav(wav)
        shipped = audio_parity(family, folder, seed, wav, png)
        fp32_folder = Path(tmp) / "fp32"
        family.build(fp32_folder, seed, "fp32", False)
        fp32 = audio_parity(family, fp32_folder, seed, wav, png)
    ok = (
        fp32["greedy_match"]
        and fp32["log_mel_max_abs_diff"] < 1e-4
        and fp32["speech_max_abs_diff"] < 1e-4
        and fp32["audio_tokens"] == fp32["audio_tokens_expected"]
    )
    return {"shipped": shipped, "fp32": fp32, "ok": bool(ok)}
