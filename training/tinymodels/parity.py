"""Parity of a built folder with HF PyTorch: greedy tokens, teacher-forced top-1 and logits of an fp32
build (must match exactly) and of the shipped build (within a tolerance), and the vision and
embedding graphs on genai's own inputs."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from training.tinymodels.family import TinyFamily
from training.tinymodels.runner import Runner, hf_greedy, logit_stats

PARITY_TOKENS = 20


def _matching_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def graph_parity(family: TinyFamily, folder: Path, model: Any, inputs: Any) -> dict[str, Any]:
    """Max |onnx - torch| of the vision and embedding graphs on genai's own inputs."""
    import numpy as np
    import onnxruntime as ort
    import torch

    cpu = ["CPUExecutionProvider"]
    ids = inputs["input_ids"].as_numpy().astype("int64")
    vision = ort.InferenceSession(str(folder / "vision.onnx"), providers=cpu)
    features = vision.run(None, family.vision_feeds(inputs))[0]
    embedding = ort.InferenceSession(str(folder / "embedding.onnx"), providers=cpu)
    # a graph that also takes audio (gemma4-tiny's) gets no audio rows here: audio_parity's job
    audio = {
        i.name: np.zeros((0, features.shape[-1]), np.float32)
        for i in embedding.get_inputs()
        if i.name == "audio_features"
    }
    embeds = embedding.run(None, {"input_ids": ids, "image_features": features, **audio})[0]
    no_features = np.zeros((*features.shape[:-2], 0, features.shape[-1]), np.float32)
    text_only = embedding.run(
        None, {"input_ids": ids[:, :4], "image_features": no_features, **audio}
    )[0]
    image_id = int(model.config.image_token_id)
    with torch.no_grad():
        reference = family.vision_reference(model, inputs)
        ref_embeds = model.model.language_model.embed_tokens(
            torch.from_numpy(np.where(ids == image_id, 0, ids))
        )
        ref_embeds[torch.from_numpy(ids == image_id)] = reference
    flat = features.reshape(-1, features.shape[-1])
    return {
        "image_features_shape": list(features.shape),
        "vision_max_abs_diff": float(np.abs(flat - reference.numpy()).max()),
        "embedding_max_abs_diff": float(np.abs(embeds - ref_embeds.numpy()).max()),
        "embedding_text_only_ok": bool(text_only.shape == (1, 4, features.shape[-1])),
    }


def parity(
    family: TinyFamily,
    folder: Path,
    seed: int,
    runner: Runner,
    prompt: str,
    png: bytes,
    inputs: Any,
    shipped_tokens: list[int],
) -> dict[str, Any]:
    """HF greedy vs an fp32 build (must match exactly) and vs the shipped build (tolerance)."""
    _, model = family.hf_model(seed)
    reference, hf_rows = hf_greedy(
        model, inputs, family.hf_image_kwargs(inputs), PARITY_TOKENS, runner.eos
    )
    shipped_agree, shipped_rows = runner.teacher_forced(inputs, reference)
    with tempfile.TemporaryDirectory(prefix="tiny-fp32-") as tmp:
        fp32_folder = Path(tmp) / "fp32"
        family.build(fp32_folder, seed, "fp32", False)
        fp32_runner = Runner(fp32_folder)
        fp32_inputs = fp32_runner.inputs(prompt, png)[0]
        fp32 = fp32_runner.generate(fp32_inputs, PARITY_TOKENS)
        fp32_agree, fp32_rows = fp32_runner.teacher_forced(fp32_inputs, reference)
        graphs_fp32 = graph_parity(family, fp32_folder, model, fp32_inputs)
        del fp32_runner
    n = len(reference)
    return {
        "hf_tokens": reference,
        "fp32_genai_tokens": fp32["tokens"],
        "fp32_greedy_match": f"{_matching_prefix(reference, fp32['tokens'])}/{n}",
        "fp32_exact": fp32["tokens"] == reference,
        "fp32_teacher_forced_top1": f"{fp32_agree}/{n}",
        "fp32_logits": logit_stats(hf_rows, fp32_rows),
        "fp32_graphs": graphs_fp32,
        "shipped_genai_tokens": shipped_tokens,
        "shipped_greedy_match": f"{_matching_prefix(reference, shipped_tokens)}/{n}",
        "shipped_teacher_forced_top1": f"{shipped_agree}/{n}",
        "shipped_logits": logit_stats(hf_rows, shipped_rows),
        "shipped_graphs": graph_parity(family, folder, model, inputs),
    }
