"""Runtime benchmarks on the tiny gemma4_unified test model and one 1280x800 screenshot, side by side:

1. One step through (a) deskpilot's genai path, (b) the raw onnxruntime sessions driven by hand
   (same input ids and pixels, same number of greedy tokens), (c) PyTorch eager with transformers
   (only with the ``[build]`` extra installed). Targets: (a) within 1.3x of (b); (a) 3x faster than (c).
2. The cost of guidance: tokens/s with and without ``set_guidance`` on the same prompt.
3. How the step time grows with the image-token budget (140, 280, 560, 1120 soft tokens).

Run: ``python benchmarks/bench_runtime.py [MODEL_FOLDER]``.
"""

from __future__ import annotations

import json
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from deskpilot.agent.prompt import tools_prompt
from deskpilot.cli.model_cmd import synthetic_screen
from deskpilot.runtime.base import ModelRequest
from deskpilot.runtime.genai import GenaiModel
from deskpilot.screen import Frame
from deskpilot.tools import ToolRegistry

MODEL = Path(__file__).parents[1] / "tests" / "models" / "gemma4_unified-tiny"
REPEATS = 7
console = Console()


def rss_mb() -> float:
    """Peak RSS of this process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def request(tools: bool = False) -> ModelRequest:
    """One step's request: the task, a synthetic form, no history."""
    registry = ToolRegistry()
    return ModelRequest(
        task="click Save",
        frame=Frame.from_image(synthetic_screen()),
        history=(),
        tool_schema=registry.call_schema(),
        tool_prompt=tools_prompt(registry) if tools else "",
    )


def median_ms(samples: list[float]) -> float:
    """Median of seconds, in milliseconds."""
    return statistics.median(samples) * 1000


def genai_path(
    folder: Path, guidance: bool, req: ModelRequest
) -> tuple[list[float], dict[str, float]]:
    """(a): GenaiModel.next_action, timed around the whole step."""
    model = GenaiModel(folder, guidance=guidance)
    model.next_action(req)  # warm-up
    times, stats = [], {}
    for _ in range(REPEATS):
        started = time.perf_counter()
        stats = model.next_action(req).stats
        times.append(time.perf_counter() - started)
    return times, stats


def raw_sessions(folder: Path, req: ModelRequest, tokens: int) -> list[float]:
    """(b): the three ONNX graphs in onnxruntime sessions, greedy decoding by hand."""
    import onnxruntime as ort
    import onnxruntime_genai as og

    genai = GenaiModel(folder, guidance=False)
    prompt = genai.prompt(req, genai.coordinate_space(req.frame))
    processor = og.Model(str(folder)).create_multimodal_processor()
    options = ort.SessionOptions()
    vision, embedding, decoder = (
        ort.InferenceSession(str(folder / name), options, providers=["CPUExecutionProvider"])
        for name in ("vision.onnx", "embedding.onnx", "model.onnx")
    )
    past_inputs = [i for i in decoder.get_inputs() if i.name.startswith("past_key_values")]
    hidden = embedding.get_outputs()[0].shape[-1]
    times = []
    for _ in range(REPEATS + 1):
        started = time.perf_counter()
        inputs = processor(prompt, images=og.Images.open_bytes(req.frame.png_bytes()))
        ids = inputs["input_ids"].as_numpy().astype(np.int64)
        features = vision.run(
            None,
            {
                "pixel_values": inputs["pixel_values"].as_numpy(),
                "pixel_position_ids": inputs["pixel_position_ids"].as_numpy(),
            },
        )[0]
        embeds = embedding.run(None, {"input_ids": ids, "image_features": features})[0]
        # genai's layout: every layer's cache is one buffer of fixed capacity (past and present
        # share it); the attention mask says how much of it is filled.
        length = ids.shape[1]
        capacity = max(512, length + tokens)
        past = {
            i.name: np.zeros((1, i.shape[1], capacity, i.shape[3]), np.float32) for i in past_inputs
        }
        position = np.arange(length, dtype=np.int64)[None, :]
        no_image = np.zeros((0, hidden), np.float32)
        for step in range(tokens):
            total = int(position[0, -1]) + 1
            feeds = {
                "inputs_embeds": embeds,
                "position_ids": position,
                "attention_mask": np.ones((1, total), np.int64),
                **past,
            }
            logits, *presents = decoder.run(None, feeds)
            past = {i.name: p for i, p in zip(past_inputs, _order(decoder, presents), strict=True)}
            token = int(logits[0, -1].argmax())
            if step + 1 < tokens:
                embeds = embedding.run(
                    None, {"input_ids": np.array([[token]], np.int64), "image_features": no_image}
                )[0]
                position = np.array([[length]], np.int64)
                length += 1
        times.append(time.perf_counter() - started)
    return times[1:]


def _order(decoder: Any, presents: list[Any]) -> list[Any]:
    """Presents in the order of the past inputs (names match up to present/past)."""
    names = [o.name for o in decoder.get_outputs()[1:]]
    by_name = dict(zip(names, presents, strict=True))
    return [
        by_name[i.name.replace("past_key_values", "present")]
        for i in decoder.get_inputs()
        if i.name.startswith("past_key_values")
    ]


def torch_eager(req: ModelRequest, tokens: int) -> list[float] | str:
    """(c): the same model in PyTorch eager mode (needs the [build] extra)."""
    checkout = Path(__file__).parents[1]  # the training package is not installed: the checkout's
    try:
        import torch  # noqa: F401

        sys.path.insert(0, str(checkout))
        from training.tinymodels.torch_bench import eager_step_times
    except ImportError as exc:
        return f"skipped: {exc}"
    result: list[float] = eager_step_times(MODEL, req, tokens, REPEATS)
    return result


def budget_folder(base: Path, tokens: int, root: Path) -> Path:
    """A copy of the model folder whose image processor allows ``tokens`` soft tokens."""
    folder = root / f"budget-{tokens}"
    shutil.copytree(base, folder)
    path = folder / "image_processor.json"
    text = path.read_text()
    config = json.loads(text)

    def patch(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "max_soft_tokens":
                    node[key] = tokens
                else:
                    patch(value)
        elif isinstance(node, list):
            for value in node:
                patch(value)

    patch(config)
    path.write_text(json.dumps(config))
    return folder


def main() -> None:
    """Print the three tables."""
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else MODEL
    req = request()
    unguided, stats = genai_path(folder, False, req)
    tokens = int(stats["decode_tokens"])
    raw = raw_sessions(folder, req, tokens)
    eager = torch_eager(req, tokens)
    table = Table(
        "path",
        "step p50 ms",
        "vs raw sessions",
        "peak RSS MB",
        title=f"one step, {tokens} greedy tokens, no guidance ({folder.name})",
    )
    a, b = median_ms(unguided), median_ms(raw)
    table.add_row(
        "(a) deskpilot genai", f"{a:.1f}", f"{a / b:.2f}x (target <= 1.3x)", f"{rss_mb():.0f}"
    )
    table.add_row("(b) raw onnxruntime sessions", f"{b:.1f}", "1.00x", "")
    if isinstance(eager, str):
        table.add_row("(c) PyTorch eager", eager, "", "")
    else:
        c = median_ms(eager)
        table.add_row(
            "(c) PyTorch eager", f"{c:.1f}", f"{c / b:.2f}x ((a) is {c / a:.1f}x faster)", ""
        )
    console.print(table)

    guided_req = request(tools=True)
    guide = Table(
        "decoding",
        "step p50 ms",
        "decode tokens",
        "tokens/s",
        title="cost of guidance (same prompt, with the tool list)",
    )
    for guidance in (False, True):
        times, stats = genai_path(folder, guidance, guided_req)
        guide.add_row(
            "set_guidance(json_schema)" if guidance else "free text",
            f"{median_ms(times):.1f}",
            f"{stats['decode_tokens']:.0f}",
            f"{stats['tokens_per_s']:.0f}",
        )
    console.print(guide)

    budget = Table(
        "soft tokens",
        "prompt tokens",
        "step p50 ms",
        "preprocess ms",
        "prefill ms",
        title="step time against the image-token budget (guided)",
    )
    with tempfile.TemporaryDirectory() as tmp:
        for soft in (140, 280, 560, 1120):
            times, stats = genai_path(budget_folder(folder, soft, Path(tmp)), True, req)
            budget.add_row(
                str(soft),
                f"{stats['prompt_tokens']:.0f}",
                f"{median_ms(times):.1f}",
                f"{stats['preprocess_ms']:.1f}",
                f"{stats['prefill_ms']:.1f}",
            )
    console.print(budget)


if __name__ == "__main__":
    main()
