"""Shared helpers: progress output, seeding, files, the genai model builder, test images."""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def say(message: str) -> None:
    """One line of progress on stderr."""
    sys.stderr.write(f"[build-test-models] {message}\n")
    sys.stderr.flush()


@contextmanager
def step(what: str) -> Iterator[None]:
    """Announce a step and how long it took."""
    say(f"{what} ...")
    started = time.perf_counter()
    yield
    say(f"{what}: done in {time.perf_counter() - started:.1f} s")


def seed_everything(seed: int) -> None:
    """Seed Python and torch so the same seed gives the same weights."""
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def write_json(path: Path, value: Any) -> None:
    """Pretty JSON with a trailing newline, keys in insertion order."""
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def family_sources(module: str) -> list[Path]:
    """The files of ``module`` (a ``training.tinymodels`` module) and of every tinymodels module
    it imports, at any depth and wherever the import stands: what decides that family's folder."""
    import ast

    prefix = f"{__package__}."
    todo, found = [module], set()
    while todo:
        name = todo.pop()
        path = HERE / f"{name.removeprefix(prefix)}.py"
        if name in found or not name.startswith(prefix) or not path.is_file():
            continue  # done, outside tinymodels, or a name imported from a module, not one
        found.add(name)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                todo.append(node.module)  # a module, or the package: its names are modules
                todo += [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                todo += [alias.name for alias in node.names]
    files = {HERE / f"{name.removeprefix(prefix)}.py" for name in found}
    return sorted(
        files | {HERE / "genai_builder.py"}
    )  # run by path (run_genai_builder), not imported


def recipe_hash(seed: int, *extra: str, sources: list[Path] | None = None) -> str:
    """A fingerprint of everything that decides a folder: its build sources (by default every
    tinymodels module; `family_sources` narrows that to one family's), seed and versions."""
    import onnxruntime_genai
    import tokenizers
    import torch
    import transformers

    digest = hashlib.sha256()
    checks_only = {"verify.py", "runner.py", "runtime_bench.py"}  # they do not change a folder
    if sources is None:
        sources = sorted(HERE.glob("*.py"))
    for source in sources:
        if source.name in checks_only:
            continue
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    for part in (
        str(seed),
        torch.__version__,
        transformers.__version__,
        tokenizers.__version__,
        onnxruntime_genai.__version__,
        *extra,
    ):
        digest.update(part.encode())
    return digest.hexdigest()[:16]


def run_genai_builder(hf_dir: Path, out_dir: Path, precision: str, work: Path) -> None:
    """Run onnxruntime-genai's model builder (through the config shim) on a saved HF model.

    The builder's chatter goes to a log file, shown only when it fails. Extra builder options
    (``KEY=VALUE``, space-separated, e.g. ``accuracy_level=1 block_size=16``) come from the
    ``DESKPILOT_BUILDER_OPTIONS`` environment variable, for quantization experiments.
    """
    log_path = work / f"builder-{precision}.log"
    command = [
        sys.executable,
        str(HERE / "genai_builder.py"),
        "-i",
        str(hf_dir),
        "-o",
        str(out_dir),
        "-p",
        precision,
        "-e",
        "cpu",
        "-c",
        str(work / "builder-cache"),
        "--extra_options",
        "exclude_embeds=true",
        "hf_token=false",
        *os.environ.get("DESKPILOT_BUILDER_OPTIONS", "").split(),
    ]
    # GIT_DIR: the builder stamps the graph with `git rev-parse HEAD` run inside the virtualenv, which
    # is this checkout's HEAD; without a repository it takes the wheel's own commit, so the same
    # seed gives the same bytes whatever was committed since.
    env = {
        **os.environ,
        "PYTHONHASHSEED": "0",
        "TOKENIZERS_PARALLELISM": "false",
        "GIT_DIR": os.devnull,
    }
    with log_path.open("w") as log:
        done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=env, check=False)
    if done.returncode != 0:
        tail = log_path.read_text(errors="replace")[-4000:]
        raise RuntimeError(f"the genai model builder failed ({precision}):\n{tail}")


def replace_folder(built: Path, final: Path) -> None:
    """Move a finished build into place, replacing an older one."""
    if final.exists():
        shutil.rmtree(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(built), str(final))


def screenshot_png(width: int = 1280, height: int = 800, seed: int = 0) -> bytes:
    """A deterministic desktop-like PNG: a title bar, a few buttons with labels, some text lines."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image = Image.new("RGB", (width, height), (236, 239, 244))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 36), fill=(52, 61, 77))
    draw.text((12, 10), "Untitled - Editor", fill=(255, 255, 255))
    for row in range(12):
        y = 70 + row * 26
        draw.text((40, y), f"line {row}: " + "lorem ipsum " * rng.randint(1, 6), fill=(30, 30, 30))
    for index, label in enumerate(("Save", "Open", "Cancel", "OK", "Help")):
        x0 = 80 + index * 220
        y0 = height - 140 + rng.randint(-20, 20)
        draw.rounded_rectangle((x0, y0, x0 + 160, y0 + 48), radius=8, fill=(66, 133, 244))
        draw.text((x0 + 50, y0 + 18), label, fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def greedy_probe(folder: Path, prompt: str, n: int = 16) -> list[int]:
    """Greedy tokens of a folder on a fixed prompt and screenshot: its behavioural fingerprint."""
    import onnxruntime_genai as og

    model = og.Model(str(folder))
    inputs = model.create_multimodal_processor()(
        prompt, images=og.Images.open_bytes(screenshot_png())
    )
    params = og.GeneratorParams(model)
    # max_length below the sliding window fails in genai 0.18.0 ("KV cache capacity (N) must be at
    # least local_window_size (W)"), so never ask for less than the window.
    window = read_json(folder / "genai_config.json")["model"]["decoder"].get("sliding_window", {})
    wanted = int(inputs["input_ids"].as_numpy().shape[1]) + n
    params.set_search_options(do_sample=False, max_length=max(wanted, window.get("window_size", 0)))
    generator = og.Generator(model, params)
    generator.set_inputs(inputs)
    tokens: list[int] = []
    while not generator.is_done() and len(tokens) < n:
        generator.generate_next_token()
        tokens.append(int(generator.get_next_tokens()[0]))
    del generator, model
    return tokens
