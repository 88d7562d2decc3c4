"""PyTorch eager timing of the tiny gemma4_unified model, for benchmarks/bench_runtime.py (c).

The HF model is rebuilt from the folder's seed (same seed, same weights) and fed the very ids and
pixels genai's processor produced, then decoded greedily for the same number of tokens.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any


def eager_step_times(folder: Path, request: Any, tokens: int, repeats: int) -> list[float]:
    """Seconds per step (processor + forward + greedy decode), ``repeats`` times after a warm-up."""
    import onnxruntime_genai as og
    import torch

    from deskpilot.runtime.genai import GenaiModel
    from training.tinymodels.gemma4_unified import FAMILY

    torch.set_num_threads(torch.get_num_threads())
    seed = json.loads((folder / "build_info.json").read_text())["seed"]
    _, model = FAMILY.hf_model(seed)
    model.eval()
    genai = GenaiModel(folder, guidance=False)
    prompt = genai.prompt(request, genai.coordinate_space(request.frame))
    processor = og.Model(str(folder)).create_multimodal_processor()
    times = []
    for _ in range(repeats + 1):
        started = time.perf_counter()
        inputs = processor(prompt, images=og.Images.open_bytes(request.frame.png_bytes()))
        ids = torch.from_numpy(inputs["input_ids"].as_numpy().astype("int64"))
        with torch.no_grad():
            out = model(input_ids=ids, **FAMILY.hf_image_kwargs(inputs), use_cache=True)
            for _ in range(tokens - 1):
                token = int(out.logits[0, -1].argmax())
                out = model(
                    input_ids=torch.tensor([[token]]),
                    past_key_values=out.past_key_values,
                    use_cache=True,
                )
        times.append(time.perf_counter() - started)
    return times[1:]
