"""Time one agent step with nothing but onnxruntime-genai imported (clean peak RSS).

    python runtime_bench.py FOLDER PNG PROMPT_FILE [SCHEMA_FILE]

Prints one JSON object: load, preprocess (cold, warm), generator setup (guidance compile),
set_inputs (the prefill), first token, decode speed, the output, and peak RSS.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def vm_hwm_mb() -> float:
    """This process's peak resident memory (VmHWM resets at exec, unlike ru_maxrss)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    import onnxruntime_genai as og

    folder, png_path, prompt_path = sys.argv[1:4]
    schema = Path(sys.argv[4]).read_text() if len(sys.argv) > 4 else None
    png = Path(png_path).read_bytes()
    prompt = Path(prompt_path).read_text(encoding="utf-8")
    rss_before = vm_hwm_mb()
    t0 = time.perf_counter()
    model = og.Model(folder)
    processor = model.create_multimodal_processor()
    tokenizer = og.Tokenizer(model)
    load_s = time.perf_counter() - t0
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        inputs = processor(prompt, images=og.Images.open_bytes(png))
        t1 = time.perf_counter()
        params = og.GeneratorParams(model)
        prompt_len = int(inputs["input_ids"].as_numpy().shape[1])
        params.set_search_options(do_sample=False, max_length=prompt_len + 256)
        if schema:
            params.set_guidance("json_schema", schema)
        generator = og.Generator(model, params)
        t2 = time.perf_counter()
        generator.set_inputs(inputs)
        t3 = time.perf_counter()
        generator.generate_next_token()
        t4 = time.perf_counter()
        tokens = [int(generator.get_next_tokens()[0])]
        while not generator.is_done() and len(tokens) < 256:
            generator.generate_next_token()
            tokens.append(int(generator.get_next_tokens()[0]))
        t5 = time.perf_counter()
        del generator
        runs.append(
            {
                "prompt_tokens": prompt_len,
                "preprocess_s": round(t1 - t0, 4),
                "generator_setup_s": round(t2 - t1, 4),
                "set_inputs_prefill_s": round(t3 - t2, 4),
                "first_token_s": round(t4 - t3, 5),
                "new_tokens": len(tokens),
                "decode_tokens_per_s": round((len(tokens) - 1) / (t5 - t4), 1) if t5 > t4 else None,
                "text": tokenizer.decode(tokens),
            }
        )
    result = {
        "load_s": round(load_s, 4),
        "cold": runs[0],
        "warm": runs[-1],
        "rss_after_import_mb": round(rss_before, 1),
        "peak_rss_mb": round(vm_hwm_mb(), 1),
    }
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
