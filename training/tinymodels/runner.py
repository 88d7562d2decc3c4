"""Running a folder: onnxruntime-genai (timed, optionally guided) and the HF PyTorch reference."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from training.tinymodels.common import read_json


class Runner:
    """One loaded genai model folder, timed."""

    def __init__(self, folder: Path) -> None:
        folder = Path(folder)
        import onnxruntime_genai as og

        self.og = og
        started = time.perf_counter()
        self.model = og.Model(str(folder))
        self.processor = self.model.create_multimodal_processor()
        self.tokenizer = og.Tokenizer(self.model)
        self.eos = {int(i) for i in self.tokenizer.eos_token_ids}
        self.load_s = time.perf_counter() - started
        decoder = read_json(folder / "genai_config.json")["model"]["decoder"]
        self.window = int(decoder.get("sliding_window", {}).get("window_size", 0))

    def inputs(self, prompt: str, png: bytes) -> tuple[Any, float]:
        started = time.perf_counter()
        inputs = self.processor(prompt, images=self.og.Images.open_bytes(png))
        return inputs, time.perf_counter() - started

    def generate(
        self,
        inputs: Any,
        max_new: int,
        *,
        max_length: int | None = None,
        schema: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Greedy decoding; with ``schema``, constrained by it. Stops at EOS, max_new or max_length."""
        og = self.og
        stage = "GeneratorParams"
        try:
            started = time.perf_counter()
            params = og.GeneratorParams(self.model)
            prompt_len = int(inputs["input_ids"].as_numpy().shape[1])
            # Below the sliding window genai fails ("KV cache capacity ... must be at least
            # local_window_size"): unless a test asks for a max_length, never go below it.
            wanted = max_length or max(prompt_len + max_new, self.window)
            params.set_search_options(do_sample=False, max_length=wanted)
            if schema is not None:
                stage = "set_guidance"
                params.set_guidance("json_schema", json.dumps(schema))
            stage = "Generator"
            generator = og.Generator(self.model, params)
            setup = time.perf_counter()
            stage = "set_inputs"
            generator.set_inputs(inputs)  # runs the prefill
            prefilled = time.perf_counter()
            stream = self.tokenizer.create_stream()
            tokens: list[int] = []
            pieces: list[str] = []
            first = None
            stage = "generate_next_token"
            while not generator.is_done() and len(tokens) < max_new:
                generator.generate_next_token()
                if first is None:
                    first = time.perf_counter()
                token = int(generator.get_next_tokens()[0])
                tokens.append(token)
                pieces.append(stream.decode(token))
        except Exception as exc:
            raise RuntimeError(f"at {stage}: {exc}") from exc
        ended = time.perf_counter()
        done = bool(generator.is_done())
        del generator
        decode_s = ended - (first or ended)
        return {
            "tokens": tokens,
            "text": "".join(pieces),
            "prompt_tokens": prompt_len,
            "is_done": done,
            "stopped_by": "eos" if tokens and tokens[-1] in self.eos else "length",
            "generator_setup_s": round(setup - started, 4),
            "set_inputs_prefill_s": round(prefilled - setup, 4),
            "decode_tokens_per_s": round((len(tokens) - 1) / decode_s, 1) if decode_s else None,
            "ms_per_token_after_prefill": round(
                1000 * (ended - prefilled) / max(len(tokens), 1), 3
            ),
        }

    def teacher_forced(self, inputs: Any, reference: list[int]) -> tuple[int, list[Any]]:
        """Feed the reference tokens; count steps whose argmax is the next reference token.
        Returns (agreeing steps, the logits rows) - a tolerance measure for quantized builds."""
        og = self.og
        params = og.GeneratorParams(self.model)
        prompt_len = int(inputs["input_ids"].as_numpy().shape[1])
        wanted = max(prompt_len + len(reference) + 1, self.window)
        params.set_search_options(do_sample=False, max_length=wanted)
        generator = og.Generator(self.model, params)
        generator.set_inputs(inputs)
        agree, rows = 0, []
        for token in reference:
            logits = generator.get_logits().reshape(-1)
            rows.append(logits)
            agree += int(int(logits.argmax()) == token)
            generator.append_tokens([token])
        del generator
        return agree, rows


def hf_greedy(
    model: Any, inputs: Any, image_kwargs: dict[str, Any], n: int, eos: set[int]
) -> tuple[list[int], list[Any]]:
    """HF PyTorch greedy tokens on the very ids and pixels genai produced, and each step's logits."""
    import torch

    ids = torch.from_numpy(inputs["input_ids"].as_numpy().astype("int64"))
    with torch.no_grad():
        return greedy_from(model, model(input_ids=ids, **image_kwargs, use_cache=True), n, eos)


def greedy_from(model: Any, out: Any, n: int, eos: set[int]) -> tuple[list[int], list[Any]]:
    """Greedy tokens (and each step's logits) from a prompt's HF forward output ``out``, until
    ``n`` tokens or an ``eos`` token; call under ``torch.no_grad()``."""
    import torch

    tokens: list[int] = []
    rows: list[Any] = []
    for _ in range(n):
        logits = out.logits[0, -1]
        token = int(logits.argmax())
        tokens.append(token)
        rows.append(logits.numpy())
        if token in eos:
            break
        out = model(
            input_ids=torch.tensor([[token]]), past_key_values=out.past_key_values, use_cache=True
        )
    return tokens, rows


def logit_stats(reference: list[Any], other: list[Any]) -> dict[str, float]:
    """How far one build's logits are from HF's, over the same teacher-forced steps."""
    import numpy as np

    a, b = np.stack(reference), np.stack(other)
    gaps = [float(np.sort(r)[-1] - np.sort(r)[-2]) for r in reference]
    return {
        "max_abs_diff": round(float(np.abs(a - b).max()), 6),
        "hf_logit_std": round(float(a.std()), 4),
        "correlation": round(float(np.corrcoef(a.ravel(), b.ravel())[0, 1]), 6),
        "hf_min_top1_top2_gap": round(min(gaps), 5),
    }
