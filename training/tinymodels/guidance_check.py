"""Constrained decoding of a built folder: JSON-Schema guidance on every task and schema variant, and
what genai does at the edges of max_length."""

from __future__ import annotations

import json
from typing import Any

from training.tinymodels.family import TinyFamily
from training.tinymodels.prompts_and_schemas import (
    TASKS,
    deskpilot_prompt_and_schemas,
    schema_variants,
)
from training.tinymodels.runner import Runner


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
