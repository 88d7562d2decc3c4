"""Checks of a built folder: it loads and generates in onnxruntime-genai, it matches HF PyTorch
greedy token for token, and JSON-Schema guidance makes its random weights produce valid tool calls.
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
from training.tinymodels.runner import Runner, hf_greedy, logit_stats

PARITY_TOKENS = 20
TASKS = ("click the Save button", "type hello into the search field", "close the dialog")
# llguidance's own JSON-schema option: no free whitespace between JSON tokens (random weights
# otherwise fill the call with newlines and tabs until max_length).
COMPACT = {"whitespace_flexible": False}
MAX_TEXT = 120  # characters per string while decoding (deskpilot's MAX_GUIDED_TEXT)

# Used when deskpilot cannot be imported (the build needs only its own dependencies).
FALLBACK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "arguments"],
    "properties": {
        "name": {"const": "click"},
        "arguments": {
            "type": "object",
            "additionalProperties": False,
            "required": ["x", "y"],
            "properties": {
                "x": {"type": "integer", "minimum": 0, "maximum": 1000},
                "y": {"type": "integer", "minimum": 0, "maximum": 1000},
            },
        },
    },
}


def deskpilot_prompt_and_schemas(family: TinyFamily, task: str) -> tuple[str, dict[str, Any]]:
    """The prompt deskpilot's genai backend writes for this family (plus ``<bos>``: genai adds no
    special tokens) and deskpilot's tool-call schemas."""
    try:
        from PIL import Image

        from deskpilot.agent.prompt import tools_prompt
        from deskpilot.coords import CoordinateSpace
        from deskpilot.runtime.base import ModelRequest
        from deskpilot.runtime.families import family_for
        from deskpilot.runtime.prompting import system_text, user_text
        from deskpilot.screen import Frame
        from deskpilot.tools import ToolRegistry
    except ImportError as exc:
        say(f"deskpilot not importable ({exc}); using a built-in prompt and schema")
        user = f"Task: {task}\nScreen:\n{family.chat.image_tag}\nNext action:"
        turns = family.chat.turns("Answer with one JSON tool call.", user, "")
        prompt = "<bos>" + turns[: -len(family.chat.turn_close)]
        return prompt, {"fallback": FALLBACK_SCHEMA}
    registry = ToolRegistry()
    space = CoordinateSpace.normalized(1000)
    frame = Frame.from_image(Image.new("RGB", (1280, 800)))
    request = ModelRequest(
        task=task,
        frame=frame,
        history=(),
        tool_schema=registry.call_schema(),
        tool_prompt=tools_prompt(registry),
    )
    template = family_for(family.model_type)
    prompt = "<bos>" + template.render(
        system_text(request, space), user_text(request, template.image_tag)
    )
    schemas = {"call_schema": registry.call_schema()}
    # deskpilot's own decoding schema, when this version of deskpilot has it.
    try:
        from deskpilot.runtime.guidance import guided_schema

        schemas["deskpilot_guided_schema"] = guided_schema(
            schemas["call_schema"], space, max_text=MAX_TEXT
        )
    except (ImportError, TypeError):
        pass
    return prompt, schemas


def cap_strings(node: Any, limit: int) -> Any:
    """The schema with every free string capped at ``limit`` characters."""
    if isinstance(node, list):
        return [cap_strings(v, limit) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: cap_strings(v, limit) for k, v in node.items()}
    if node.get("type") == "string" and "enum" not in node and "const" not in node:
        out["maxLength"] = min(int(node.get("maxLength", limit)), limit)
    return out


def schema_variants(schemas: dict[str, Any]) -> dict[str, Any]:
    """The raw call schema (free whitespace), compact, compact + capped strings, deskpilot's."""
    raw = schemas.get("call_schema") or next(iter(schemas.values()))
    variants = {
        "raw": raw,
        "compact": {"x-guidance": COMPACT, **raw},
        "compact+capped": {"x-guidance": COMPACT, **cap_strings(raw, MAX_TEXT)},
    }
    if "deskpilot_guided_schema" in schemas:
        variants["deskpilot_guided_schema"] = schemas["deskpilot_guided_schema"]
    return variants


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
    embeds = embedding.run(None, {"input_ids": ids, "image_features": features})[0]
    no_features = np.zeros((*features.shape[:-2], 0, features.shape[-1]), np.float32)
    text_only = embedding.run(None, {"input_ids": ids[:, :4], "image_features": no_features})[0]
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


def check_tokenizer(runner: Runner, folder: Path, family: TinyFamily) -> dict[str, Any]:
    """Every special token is one token; genai and HF `tokenizers` agree on sample text; the
    chat template renders in genai."""
    from tokenizers import Tokenizer

    hf = Tokenizer.from_file(str(folder / "tokenizer.json"))
    ids = {t: [int(i) for i in runner.tokenizer.encode(t)] for t in family.chat.special_tokens}
    o, c = family.chat.turn_open, family.chat.turn_close
    samples = [
        '{"name": "click", "arguments": {"x": 512, "y": 1000}}',
        f"{o}user\nTask: type hello world\n{family.chat.image_tag}\nNext action:{c}\n{o}model\n",
        "Coordinates 0-1000, ünïcödé ✓ tabs\tand  spaces",
    ]
    agree = all(
        [int(i) for i in runner.tokenizer.encode(s)] == hf.encode(s, add_special_tokens=False).ids
        for s in samples
    )
    messages = [
        {"role": "system", "content": "SYSTEM"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Task: click Save"},
                {"type": "image"},
                {"type": "text", "text": "Next action:"},
            ],
        },
    ]
    rendered = runner.tokenizer.apply_chat_template(
        json.dumps(messages), add_generation_prompt=True
    )
    return {
        "special_token_ids": {t: v[0] for t, v in ids.items() if len(v) == 1},
        "not_single": [t for t, v in ids.items() if len(v) != 1],
        "genai_matches_hf_tokenizers": agree,
        "genai_encode_adds_bos": [int(i) for i in runner.tokenizer.encode("hi")][:1]
        == [hf.token_to_id("<bos>")],
        "chat_template_rendered_by_genai": rendered,
    }


def guidance_runs(runner: Runner, family: TinyFamily, png: bytes, max_new: int = 200) -> Any:
    """Constrained decoding on every task and schema: parse with json, validate with jsonschema."""
    import jsonschema

    results = []
    for task in TASKS:
        prompt, schemas = deskpilot_prompt_and_schemas(family, task)
        inputs, _ = runner.inputs(prompt, png)
        for name, schema in schema_variants(schemas).items():
            run = runner.generate(inputs, max_new, schema=schema)
            try:
                jsonschema.validate(json.loads(run["text"]), schema)
                valid, error = True, None
            except (ValueError, jsonschema.ValidationError) as exc:
                valid, error = False, str(exc)[:200]
            results.append(
                {
                    "task": task,
                    "schema": name,
                    "valid": valid,
                    "error": error,
                    "text": run["text"],
                    "tokens": len(run["tokens"]),
                    "stopped_by": run["stopped_by"],
                    "generator_setup_s": run["generator_setup_s"],
                    "ms_per_token_after_prefill": run["ms_per_token_after_prefill"],
                }
            )
    finished = [r for r in results if r["stopped_by"] == "eos"]
    return {
        "runs": results,
        "finished": len(finished),
        "cut_by_budget": len(results) - len(finished),
        "max_new_tokens": max_new,
        # Guidance guarantees the grammar, not an end within a token budget: a call that ran out
        # of tokens is cut JSON; every call that finished must be valid.
        "all_finished_valid": all(r["valid"] for r in finished),
        "all_valid": all(r["valid"] for r in results),
    }


def max_length_behaviour(
    runner: Runner, family: TinyFamily, inputs: Any, schema: dict[str, Any]
) -> dict[str, Any]:
    """What genai does when max_length is below, at, or a few tokens above the prompt length."""
    prompt_len = int(inputs["input_ids"].as_numpy().shape[1])
    out: dict[str, Any] = {"prompt_tokens": prompt_len}
    cases = {
        "below_prompt": prompt_len - 1,
        "equal_prompt": prompt_len,
        "prompt_plus_1": prompt_len + 1,
        "prompt_plus_8": prompt_len + 8,
    }
    for label, max_length in cases.items():
        try:
            run = runner.generate(inputs, 1000, max_length=max_length, schema=schema)
            try:
                json.loads(run["text"])
                parsed = True
            except ValueError:
                parsed = False
            out[label] = {
                "tokens": len(run["tokens"]),
                "is_done": run["is_done"],
                "text": run["text"],
                "json_parses": parsed,
            }
        except Exception as exc:  # the runtime's own error is the finding
            out[label] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    o, c = family.chat.turn_open, family.chat.turn_close
    short = runner.processor(f"<bos>{o}user\nhi{c}\n{o}model\n")
    short_len = int(short["input_ids"].as_numpy().shape[1])
    try:
        run = runner.generate(short, 8, max_length=short_len + 8)
        out["short_prompt_below_window"] = {
            "max_length": short_len + 8,
            "tokens": len(run["tokens"]),
        }
    except Exception as exc:
        out["short_prompt_below_window"] = {
            "max_length": short_len + 8,
            "error": f"{type(exc).__name__}: {exc}"[:300],
        }
    return out


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
    soft_token = {"gemma4_unified": "<|image|>", "gemma3": "<image_soft_token>"}[family.model_type]
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
    )
    say(
        f"verify {folder.name}: {'OK' if report['ok'] else 'FAILED'} "
        f"(parity: fp32 {par['fp32_greedy_match']}, shipped {par['shipped_greedy_match']} greedy / "
        f"{par['shipped_teacher_forced_top1']} teacher-forced; guided calls: "
        f"{guidance['finished']} finished, all valid: {guidance['all_finished_valid']}, "
        f"{guidance['cut_by_budget']} cut by the token budget)"
    )
    return report
