"""phi4mm-tiny's checks against HF: greedy decoding from genai's processed inputs, and the audio
path (`audio_parity`): genai's log-mel against HF's feature extractor, ``speech.onnx`` against
HF's audio embedding, and greedy tokens and logits with a spoken task, with and without the
screenshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from training.tinymodels.phi4mm_audio import (
    MEL_BINS,
    SAMPLING_RATE,
    SPEECH_MODE,
    VISION_SPEECH_MODE,
    audio_tokens,
)
from training.tinymodels.phi4mm_text import AUDIO_TOKEN_ID, IMAGE_TAG, IMAGE_TOKEN_ID


def hf_greedy(model: Any, inputs: Any, n: int, eos: set[int]) -> tuple[list[int], list[Any]]:
    """HF PyTorch greedy on genai's ids, pixels and log-mel (whichever it gave). HF's text
    embedding table has no rows 200010 / 200011 (the tiny vocabulary is dense below them), so the
    image and audio tokens are looked up as padding before HF's own image and audio embeddings
    overwrite them, as genai's embedding graph does."""
    import torch

    from training.tinymodels.runner import greedy_from

    ids = torch.from_numpy(inputs["input_ids"].as_numpy().astype("int64"))
    inner = model.model
    names = {
        "pixel_values": "image_pixel_values",
        "image_sizes": "image_sizes",
        "image_attention_mask": "image_attention_mask",
        "audio_embeds": "audio_input_features",
        "audio_sizes": "audio_embed_sizes",
    }
    given = inputs.keys()
    media = {hf: torch.from_numpy(inputs[k].as_numpy()) for k, hf in names.items() if k in given}
    with torch.no_grad():
        soft = (ids == IMAGE_TOKEN_ID) | (ids == AUDIO_TOKEN_ID)
        embeds = inner.embed_tokens(torch.where(soft, model.config.pad_token_id, ids))
        embeds = inner.embed_tokens_extend(ids, embeds, **media)
        return greedy_from(model, model(inputs_embeds=embeds, use_cache=True), n, eos)


def hf_audio_features(model: Any, log_mel: Any, vision: bool = True) -> Any:
    """HF's soft tokens [N, H] for a log-mel [1, T, 80] (numpy or torch): the audio embedding's
    own forward, its rows placed into a prompt of N audio tokens."""
    import torch

    features = torch.as_tensor(log_mel, dtype=torch.float32)
    size = audio_tokens(int(features.shape[1]))
    embed = model.model.embed_tokens_extend.audio_embed
    ids = torch.full((1, size), int(model.config.audio_config.audio_token_id))
    with torch.no_grad():
        out = embed(
            ids,
            torch.zeros(1, size, model.config.hidden_size),
            audio_input_features=features,
            audio_embed_sizes=torch.tensor([size]),
            audio_projection_mode="vision" if vision else "speech",
        )
    return out[0]


def speechlib_filters(max_frequency: float = 7689.0, n_fft: int = 512) -> Any:
    """The mel filter bank onnxruntime-extensions' ``Phi4AudioEmbed`` uses ([257, 80]): SpeechLib's
    triangles in mel space over FFT bins 1 .. f2bin(fmax) - 1, with fmax 7689 Hz (HF's
    extractor draws its own triangles, up to 7690 Hz; the two differ at the top bins)."""
    import numpy as np

    def mel(frequency: Any) -> Any:
        return 1127.0 * np.log(1.0 + frequency / 700.0)

    top = mel(max_frequency)
    centers = np.linspace(0.0, top, MEL_BINS + 2)
    width = top / (MEL_BINS + 1)
    bins = np.arange(1, int(max_frequency * n_fft / SAMPLING_RATE + 0.5))
    at = mel(bins * SAMPLING_RATE / n_fft)
    bank = np.zeros((n_fft // 2 + 1, MEL_BINS), np.float32)
    for m in range(MEL_BINS):
        inside = (at > centers[m]) & (at < centers[m + 2])
        bank[bins[inside], m] = 1.0 - np.abs(centers[m + 1] - at[inside]) / width
    return bank


def hf_log_mel(samples: Any, genai_filters: bool = False) -> Any:
    """HF's ``Phi4MultimodalFeatureExtractor`` on 16 kHz samples in [-1, 1]: [1, T, 80]; with
    ``genai_filters``, with `speechlib_filters` in place of its own mel filter bank."""
    import numpy as np
    from transformers.models.phi4_multimodal.feature_extraction_phi4_multimodal import (
        Phi4MultimodalFeatureExtractor,
    )

    extractor = Phi4MultimodalFeatureExtractor(feature_size=MEL_BINS, sampling_rate=SAMPLING_RATE)
    if genai_filters:
        extractor.mel_filters = speechlib_filters()
    features = extractor([np.asarray(samples, np.float32)], sampling_rate=SAMPLING_RATE)
    return np.asarray(features["audio_input_features"], np.float32)


def speech_wav(path: Path, words: str = "click the save button") -> Path:
    """A 16 kHz mono 16-bit WAV of ``words`` said by espeak-ng (its 22,050 Hz output resampled
    linearly, so that genai and HF read the very same samples); two gliding tones where espeak-ng
    is not installed."""
    import shutil
    import subprocess
    import wave

    import numpy as np

    if shutil.which("espeak-ng"):
        said = path.with_suffix(".22k.wav")
        subprocess.run(["espeak-ng", "-w", str(said), words], check=True, capture_output=True)
        with wave.open(str(said)) as handle:
            rate = handle.getframerate()
            source = np.frombuffer(handle.readframes(handle.getnframes()), "<i2")
        times = np.arange(round(len(source) * SAMPLING_RATE / rate)) / SAMPLING_RATE
        samples = np.interp(times, np.arange(len(source)) / rate, source).astype("<i2")
    else:
        t = np.arange(int(1.5 * SAMPLING_RATE)) / SAMPLING_RATE
        tones = 0.3 * np.sin(2 * np.pi * (200 + 300 * t) * t) + 0.2 * np.sin(2 * np.pi * 1200 * t)
        samples = (tones * 32767).astype("<i2")
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(SAMPLING_RATE)
        handle.writeframes(samples.tobytes())
    return path


def _samples(wav: Path) -> Any:
    import wave

    import numpy as np

    with wave.open(str(wav)) as handle:
        if handle.getframerate() != SAMPLING_RATE or handle.getnchannels() != 1:
            raise ValueError(f"{wav}: want 16 kHz mono, got {handle.getparams()}")
        raw = np.frombuffer(handle.readframes(handle.getnframes()), "<i2")
    return raw.astype(np.float32) / 32768.0


def audio_parity(model: Any, folder: Path, prompt: str, wav: Path, png: bytes) -> dict[str, Any]:
    """genai against HF on an audio + image prompt (``model`` with `add_audio`'s weights): genai's
    log-mel vs HF's feature extractor on the same 16 kHz WAV, speech.onnx vs HF's audio embedding
    on genai's log-mel (both projections), the prompt's audio tokens vs ``audio_sizes`` and
    ceil(T / 8), and greedy tokens (which match HF for an fp32 folder)."""
    import numpy as np
    import onnxruntime as ort
    import onnxruntime_genai as og

    from training.tinymodels.runner import Runner

    runner = Runner(folder)
    inputs = runner.processor(
        prompt, images=og.Images.open_bytes(png), audios=og.Audios.open(str(wav))
    )
    mel = inputs["audio_embeds"].as_numpy()
    reference_mel = hf_log_mel(_samples(wav))
    same_filters = hf_log_mel(_samples(wav), genai_filters=True)
    frames = min(mel.shape[1], reference_mel.shape[1])
    sizes = inputs["audio_sizes"].as_numpy()
    speech = ort.InferenceSession(str(folder / "speech.onnx"), providers=["CPUExecutionProvider"])
    feeds = {
        "audio_embeds": mel,
        "audio_attention_mask": inputs["audio_attention_mask"].as_numpy(),
        "audio_sizes": sizes,
        "audio_projection_mode": inputs["audio_projection_mode"].as_numpy(),
    }
    diffs = {}
    for name, mode, vision in (
        ("vision", VISION_SPEECH_MODE, True),
        ("speech", SPEECH_MODE, False),
    ):
        feeds["audio_projection_mode"] = np.array([mode], np.int64)
        features = speech.run(None, feeds)[0]
        reference = hf_audio_features(model, mel, vision).numpy()
        diffs[name] = float(np.abs(features - reference).max())
    ids = inputs["input_ids"].as_numpy()[0]
    hf_tokens, hf_rows = hf_greedy(model, inputs, 20, runner.eos)
    genai_tokens = runner.generate(inputs, 20)["tokens"]
    _, rows = runner.teacher_forced(inputs, hf_tokens)
    # audio alone (projection mode 2), where its 18-odd rows are most of the prompt, and the same
    # clip backwards there (as many soft tokens, other sounds): the logits must move
    alone = prompt.replace(f"\n{IMAGE_TAG}", "")
    heard = runner.processor(alone, audios=og.Audios.open(str(wav)))
    alone_hf, alone_hf_rows = hf_greedy(model, heard, 20, runner.eos)
    alone_tokens = runner.generate(heard, 20)["tokens"]
    _, alone_rows = runner.teacher_forced(heard, alone_hf)
    other = runner.processor(alone, audios=og.Audios.open(str(_reversed(wav))))
    _, other_rows = runner.teacher_forced(other, alone_hf[:1])
    return {
        "log_mel_frames": [int(mel.shape[1]), int(reference_mel.shape[1])],
        "log_mel_max_abs_diff": float(np.abs(mel[:, :frames] - reference_mel[:, :frames]).max()),
        "log_mel_max_abs_diff_same_filters": float(
            np.abs(mel[:, :frames] - same_filters[:, :frames]).max()
        ),
        "log_mel_range": [float(reference_mel.min()), float(reference_mel.max())],
        "projection_mode": int(inputs["audio_projection_mode"].as_numpy()[0]),
        "audio_tokens": int((ids == int(model.config.audio_config.audio_token_id)).sum()),
        "audio_sizes": [int(s) for s in sizes],
        "audio_tokens_expected": audio_tokens(int(mel.shape[1])),
        "speech_vision_max_abs_diff": diffs["vision"],
        "speech_speech_max_abs_diff": diffs["speech"],
        "hf_tokens": hf_tokens,
        "genai_tokens": genai_tokens,
        "greedy_match": genai_tokens == hf_tokens,
        "logits_max_abs_diff": _most(rows, hf_rows),
        "audio_only": {
            "projection_mode": int(heard["audio_projection_mode"].as_numpy()[0]),
            "hf_tokens": alone_hf,
            "genai_tokens": alone_tokens,
            "greedy_match": alone_tokens == alone_hf,
            "logits_max_abs_diff": _most(alone_rows, alone_hf_rows),
            "reversed_clip_first_logits_moved": _most(alone_rows[:1], other_rows),
        },
    }


def _most(rows: list[Any], others: list[Any]) -> float:
    import numpy as np

    return float(max(np.abs(a - b).max() for a, b in zip(rows, others, strict=False)))


def _reversed(wav: Path) -> Path:
    import wave

    with wave.open(str(wav)) as handle:
        params, raw = handle.getparams(), handle.readframes(handle.getnframes())
    path = wav.with_suffix(".reversed.wav")
    samples = [raw[i : i + 2] for i in range(0, len(raw), 2)]
    with wave.open(str(path), "wb") as handle:
        handle.setparams(params)
        handle.writeframes(b"".join(reversed(samples)))
    return path


def audio_ok(report: dict[str, Any]) -> bool:
    """An fp32 folder's `audio_parity` is what HF does."""
    return bool(
        report["greedy_match"]
        and report["log_mel_frames"][0] == report["log_mel_frames"][1]
        and report["log_mel_max_abs_diff"] < 0.1  # the filter banks' top edges (see above)
        and report["log_mel_max_abs_diff_same_filters"] < 1e-3
        and max(report["speech_vision_max_abs_diff"], report["speech_speech_max_abs_diff"]) < 1e-4
        and report["audio_tokens"] == report["audio_sizes"][0] == report["audio_tokens_expected"]
        and report["logits_max_abs_diff"] < 1e-3
        and report["audio_only"]["greedy_match"]
        and report["audio_only"]["logits_max_abs_diff"] < 1e-3
        and report["audio_only"]["reversed_clip_first_logits_moved"] > 1e-3
    )
