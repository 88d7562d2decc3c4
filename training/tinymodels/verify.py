"""Checks of a built folder: it loads and generates in onnxruntime-genai, it matches HF PyTorch
greedy token for token, and JSON-Schema guidance makes its random weights produce valid tool calls.
The checks are in parity.py, tokenizer_check.py and guidance_check.py; `verify_folder` runs them all.
"""

from __future__ import annotations

import io
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from training.tinymodels.common import say, screenshot_png
from training.tinymodels.family import TinyFamily
from training.tinymodels.guidance_check import guidance_runs, max_length_behaviour
from training.tinymodels.parity import PARITY_TOKENS, parity
from training.tinymodels.prompts_and_schemas import (
    TASKS,
    deskpilot_prompt_and_schemas,
    schema_variants,
)
from training.tinymodels.runner import Runner
from training.tinymodels.tokenizer_check import check_tokenizer


def deskpilot_end_to_end(folder: Path) -> dict[str, Any]:
    """deskpilot's own GenaiModel on this folder (informational: deskpilot is edited elsewhere)."""
    try:
        from PIL import Image

        from deskpilot.agent.prompt import tools_prompt
        from deskpilot.runtime.base import ModelRequest
        from deskpilot.runtime.genai import GenaiModel
        from deskpilot.screen import Frame
        from deskpilot.tools import ToolRegistry

        registry = ToolRegistry()
        model = GenaiModel(folder)
        frame = Frame.from_image(Image.open(io.BytesIO(screenshot_png())))
        request = ModelRequest(
            task="click the Save button",
            frame=frame,
            history=(),
            tool_schema=registry.call_schema(),
            tool_prompt=tools_prompt(registry),
        )
        reply = model.next_action(request)
        model.close()
        return {"ok": True, "text": reply.text, "stats": reply.stats}
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:400]}


def runtime_bench(folder: Path, png: bytes, prompt: str, schema: dict[str, Any] | None) -> Any:
    """runtime_bench.py in a fresh process (only onnxruntime-genai imported): clean timings/RSS."""
    with tempfile.TemporaryDirectory(prefix="tiny-bench-") as tmp:
        work = Path(tmp)
        (work / "screen.png").write_bytes(png)
        (work / "prompt.txt").write_text(prompt, encoding="utf-8")
        command = [
            sys.executable,
            str(Path(__file__).with_name("runtime_bench.py")),
            str(folder),
            str(work / "screen.png"),
            str(work / "prompt.txt"),
        ]
        if schema is not None:
            (work / "schema.json").write_text(json.dumps(schema))
            command.append(str(work / "schema.json"))
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return {"error": done.stderr[-1000:]}
        return json.loads(done.stdout.strip().splitlines()[-1])


def verify_folder(folder: Path, seed: int, family: TinyFamily) -> dict[str, Any]:
    """Everything above for one folder; ``ok`` says whether the hard checks passed."""
    say(f"verify {folder.name}: load + tokenizer")
    runner = Runner(folder)
    report: dict[str, Any] = {"folder": str(folder), "load_s": round(runner.load_s, 4)}
    report["tokenizer"] = check_tokenizer(runner, folder, family)
    png = screenshot_png()
    prompt, schemas = deskpilot_prompt_and_schemas(family, TASKS[0])
    inputs, _ = runner.inputs(prompt, png)
    ids = inputs["input_ids"].as_numpy()[0]
    soft_token = {
        "gemma4_unified": "<|image|>",
        "gemma4": "<|image|>",
        "gemma3": "<image_soft_token>",
        "qwen2_5_vl": "<|image_pad|>",
        "qwen3_vl": "<|image_pad|>",
    }[family.model_type]
    soft_id = report["tokenizer"]["special_token_ids"][soft_token]
    report["prompt"] = {
        "head": prompt[:120],
        "tokens": int(ids.shape[0]),
        "image_tokens": int((ids == soft_id).sum()),
        "first_ids": ids[:4].tolist(),
        "inputs": {k: list(inputs[k].as_numpy().shape) for k in inputs.keys()},  # noqa: SIM118
    }

    say(f"verify {folder.name}: free generation")
    runner.generate(inputs, 4)  # warm-up
    free = runner.generate(inputs, PARITY_TOKENS)
    report["free_generation"] = free

    say(f"verify {folder.name}: HF parity (an fp32 build and the shipped build)")
    report["parity"] = parity(family, folder, seed, runner, prompt, png, inputs, free["tokens"])

    say(f"verify {folder.name}: constrained decoding")
    report["guidance"] = guidance_runs(runner, family, png)
    capped = schema_variants(schemas)["compact+capped"]
    report["max_length"] = max_length_behaviour(runner, family, inputs, capped)
    del runner
    say(f"verify {folder.name}: runtime-only timings (fresh process)")
    report["runtime_bench"] = {
        "free": runtime_bench(folder, png, prompt, None),
        "guided_compact_capped": runtime_bench(folder, png, prompt, capped),
    }
    if family.audio is not None:
        from training.tinymodels.gemma4_audio import audio_report

        say(f"verify {folder.name}: audio (log-mel, speech graph, greedy) against HF")
        report["audio"] = audio_report(family, folder, seed, png)
    report["deskpilot_end_to_end"] = deskpilot_end_to_end(folder)
    report["verify_process_peak_rss_mb"] = round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
    )
    tokenizer, guidance, par = report["tokenizer"], report["guidance"], report["parity"]
    report["ok"] = bool(
        not tokenizer["not_single"]
        and tokenizer["genai_matches_hf_tokenizers"]
        and par["fp32_exact"]
        and guidance["all_finished_valid"]
        and guidance["finished"] > 0
        and report.get("audio", {"ok": True})["ok"]
    )
    say(
        f"verify {folder.name}: {'OK' if report['ok'] else 'FAILED'} "
        f"(parity: fp32 {par['fp32_greedy_match']}, shipped {par['shipped_greedy_match']} greedy / "
        f"{par['shipped_teacher_forced_top1']} teacher-forced; guided calls: "
        f"{guidance['finished']} finished, all valid: {guidance['all_finished_valid']}, "
        f"{guidance['cut_by_budget']} cut by the token budget)"
    )
    return report
