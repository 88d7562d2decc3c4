"""gemma3-served-tiny: gemma3-tiny as an HF folder that a real OpenAI-compatible server
(``transformers serve``) loads, fine-tuned to one answer.

``transformers serve`` ignores ``response_format``, so a random-weight model would answer
garbage. This one is taught, on deskpilot's own requests (system: instructions and tools; user:
task, history, a drawn screenshot; built by deskpilot's HTTP backend and turned into processor
inputs the way the server does), to answer ``ANSWER`` then ``<end_of_turn>``: a click at 0-1000
(500, 475), the middle of the tests' press board, whatever the screen. Model, tokenizer and chat
template are gemma3-tiny's (`training.tinymodels.gemma3`); added here: the HF processor and the
fine-tuning. Gemma 3 rather than qwen2_5_vl-tiny because transformers' Qwen2.5-VL processor needs
a video processor, which needs torchvision (not installed here: its wheels are CUDA builds).

    python -m training.build_test_models --only gemma3-served-tiny [--force]
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from deskpilot.xvfb import stop_process
from training.tinymodels import gemma3, text
from training.tinymodels.common import (
    folder_size,
    read_json,
    recipe_hash,
    replace_folder,
    say,
    screenshot_png,
    seed_everything,
    step,
    write_json,
)

NAME = "gemma3-served-tiny"
ANSWER = '{"name": "click", "arguments": {"x": 500, "y": 475}}'
TASKS = ("click Save", "click the Save button", "press Save", "click Open", "click OK", "close it")
POINTER_TOOLS = ("click", "double_click", "right_click")


def processor(tokenizer: Any) -> Any:
    """The HF processor the server loads with the model: gemma3-tiny's tokenizer and chat template,
    Gemma 3's image processor (PIL backend) at 896x896, 256 image tokens."""
    from transformers import Gemma3ImageProcessorPil, Gemma3Processor, PreTrainedTokenizerFast

    chat = text.GEMMA3
    fast = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=tokenizer,
        bos_token="<bos>",
        eos_token=chat.turn_close,
        pad_token="<pad>",
        unk_token="<unk>",
        extra_special_tokens=chat.named_tokens,
    )
    size = {"height": gemma3.IMAGE_SIZE, "width": gemma3.IMAGE_SIZE}
    images = Gemma3ImageProcessorPil(size=size, image_mean=[0.5] * 3, image_std=[0.5] * 3)
    return Gemma3Processor(
        image_processor=images,
        tokenizer=fast,
        chat_template=chat.chat_template,
        image_seq_length=gemma3.TOKENS_PER_IMAGE,
    )


def request_messages(rng: random.Random) -> list[dict[str, Any]]:
    """One step's messages as deskpilot's HTTP backend sends them (normalized coordinates), for a
    drawn screen, a task, 0-3 history lines and all tools, the pointer tools or a few; image
    parts as the server hands them to the processor (``{"type": "image", "url": data URI}``)."""
    from deskpilot.agent.prompt import tools_prompt
    from deskpilot.coords import CoordinateSpace
    from deskpilot.runtime.base import HistoryEntry, ModelRequest
    from deskpilot.runtime.openai_http import OpenAIModel
    from deskpilot.screen import Frame
    from deskpilot.tools import ToolRegistry

    registry = ToolRegistry()
    every = registry.names()
    names = rng.choice((None, POINTER_TOOLS, POINTER_TOOLS, rng.sample(every, rng.randint(1, 6))))
    width, height = rng.choice(((1280, 800), (1024, 768), (800, 600)))
    history = tuple(
        HistoryEntry(
            step=n + 1,
            call=ANSWER,
            observation=rng.choice(("clicked at (640, 380)", "ok", "the screen changed")),
        )
        for n in range(rng.randrange(4))
    )
    request = ModelRequest(
        task=rng.choice(TASKS),
        frame=Frame.from_image(_screen(rng, width, height)),
        history=history,
        tool_schema=registry.call_schema(names),
        tool_prompt=tools_prompt(registry, names),
    )
    client = OpenAIModel("http://127.0.0.1:9/v1", model_name=NAME, coords="normalized")
    return as_server_passes(client.messages(request, CoordinateSpace.normalized(1000)))


def as_server_passes(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Chat-completions messages as ``transformers serve`` hands them to the processor: an
    ``image_url`` part becomes ``{"type": "image", "url": ...}``."""
    for message in messages:
        if isinstance(message["content"], list):
            message["content"] = [
                {"type": "image", "url": part["image_url"]["url"]}
                if part["type"] == "image_url"
                else part
                for part in message["content"]
            ]
    return messages


def _screen(rng: random.Random, width: int, height: int) -> Any:
    """A drawn desktop, a plain board with one word (like the tests' press board), or noise."""
    import io

    import numpy as np
    from PIL import Image, ImageDraw

    kind = rng.randrange(3)
    if kind == 0:
        png = screenshot_png(width, height, seed=rng.randrange(1 << 30))
        return Image.open(io.BytesIO(png)).convert("RGB")
    if kind == 1:
        shade = rng.randint(200, 255)
        image = Image.new("RGB", (width, height), (shade, shade, shade))
        word = rng.choice(("Save", "Open", "OK", "Cancel", ""))
        ImageDraw.Draw(image).text((width // 2, height // 2), word, fill=(0, 0, 0))
        return image
    noise = np.random.default_rng(rng.randrange(1 << 30)).integers(0, 256, (height, width, 3))
    return Image.fromarray(noise.astype(np.uint8))


def _inputs(proc: Any, messages: list[dict[str, Any]]) -> Any:
    """The processor's tensors for the messages, as the server makes them."""
    return proc.apply_chat_template(
        messages, add_generation_prompt=True, tokenize=True, return_dict=True, return_tensors="pt"
    )


def _example(proc: Any, messages: list[dict[str, Any]], answer: Any) -> dict[str, Any]:
    """The prompt's inputs with the answer tokens appended (no labels: the loss is on the last
    ``len(answer)`` positions only)."""
    import torch

    example = dict(_inputs(proc, messages))
    for key, filler in (
        ("input_ids", answer),
        ("attention_mask", torch.ones_like(answer)),
        ("token_type_ids", torch.zeros_like(answer)),
    ):
        if key in example:
            example[key] = torch.cat([example[key], filler], dim=1)
    return example


def fine_tune(model: Any, proc: Any, answer_ids: list[int], seed: int, steps: int) -> float:
    """AdamW on the answer's tokens after deskpilot-shaped prompts (the vision tower frozen);
    the last loss."""
    import torch

    rng = random.Random(seed)
    answer = torch.tensor([answer_ids])
    data = [_example(proc, request_messages(rng), answer) for _ in range(32)]
    for parameter in model.model.vision_tower.parameters():
        parameter.requires_grad_(False)
    trained = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trained, lr=5e-3, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=5e-3, total_steps=steps)
    n = answer.shape[1]
    loss = torch.tensor(0.0)
    torch.use_deterministic_algorithms(False)  # 4x slower on CPU otherwise; the seed still holds
    model.train()
    for index in range(steps):
        logits = model(**data[index % len(data)], logits_to_keep=n + 1).logits[0, :-1]
        loss = torch.nn.functional.cross_entropy(logits, answer[0])
        optimizer.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()
        schedule.step()
    model.eval()
    return float(loss.detach())


def greedy_answer(model: Any, proc: Any, messages: list[dict[str, Any]], tokens: int = 40) -> str:
    """The greedy answer of ``model`` to ``messages`` (image parts as the server passes them)."""
    import torch

    inputs = _inputs(proc, messages)
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=tokens, do_sample=False)
    return str(
        proc.tokenizer.decode(out[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True)
    )


def build(folder: Path, seed: int, steps: int = 400) -> dict[str, Any]:
    """Write the fine-tuned HF folder (weights, config, tokenizer, processor, chat template) to
    ``folder`` (which must not exist); what went into it, and its greedy answers on 8 fresh
    requests (each must be ``ANSWER``).

    Raises:
        RuntimeError: A fresh request is answered with anything else.
    """
    seed_everything(seed)
    with step(f"{NAME}: tokenizer + HF model + processor"):
        tokenizer, model = gemma3.hf_model(seed)
        proc = processor(tokenizer)
    close = text.GEMMA3.turn_close
    ids = text.token_ids(tokenizer, text.GEMMA3)
    answer_ids = [*tokenizer.encode(ANSWER, add_special_tokens=False).ids, ids[close]]
    with step(f"{NAME}: {steps} fine-tuning steps"):
        loss = fine_tune(model, proc, answer_ids, seed, steps)
    fresh = random.Random(seed + 1)
    answers = [greedy_answer(model, proc, request_messages(fresh)) for _ in range(8)]
    if any(a != ANSWER for a in answers):
        raise RuntimeError(f"{NAME}: after {steps} steps (loss {loss:.4f}) it answers {answers}")
    folder.mkdir(parents=True)
    model.generation_config.eos_token_id = [ids["<eos>"], ids[close]]
    model.generation_config.pad_token_id = ids["<pad>"]
    model.save_pretrained(folder)
    proc.save_pretrained(folder)
    return {"steps": steps, "final_loss": round(loss, 6), "answer": ANSWER, "checked_on": 8}


def build_folder(out: Path, seed: int, force: bool = False) -> Path:
    """``out/gemma3-served-tiny`` with its build_info.json; left alone when its recipe hash (the
    tiny-model sources, this file, the seed, the versions) is current, unless ``force``."""
    folder = out / NAME
    fingerprint = recipe_hash(seed, NAME, Path(__file__).read_text())
    info = folder / "build_info.json"
    if not force and info.is_file() and read_json(info).get("recipe_hash") == fingerprint:
        say(f"{NAME}: up to date ({folder}), skipping the build")
        return folder
    with tempfile.TemporaryDirectory(prefix=f".{NAME}-tmp", dir=out) as tmp:
        staged = Path(tmp) / NAME
        done = build(staged, seed)
        write_json(
            staged / "build_info.json",
            {
                "name": NAME,
                "seed": seed,
                "recipe_hash": fingerprint,
                "built_by": "training/build_test_models.py (training/served_model.py)",
                "random_weights": False,
                "fine_tuned": done,
            },
        )
        replace_folder(staged, folder)
    say(f"{NAME}: wrote {folder} ({folder_size(folder) / 1e6:.2f} MB)")
    return folder


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def transformers_serve(folder: Path, timeout_s: float = 90.0) -> Iterator[str]:
    """``transformers serve FOLDER`` on 127.0.0.1 (a free port, CPU, float32, offline, an empty
    hub cache so that ``/v1/models`` lists nothing of the user's), until it answers
    ``/v1/models``; yields its API base (``http://127.0.0.1:PORT/v1``), always stops it.

    Raises:
        RuntimeError: It exited or did not answer within ``timeout_s`` (with its log's tail).
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}/v1"
    with tempfile.TemporaryDirectory(prefix="deskpilot-serve-") as tmp:
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": tmp, "NO_PROXY": "127.0.0.1"}
        log = Path(tmp) / "serve.log"
        with log.open("wb") as out:
            argv = [sys.executable, "-m", "transformers.cli.transformers", "serve", str(folder)]
            argv += ["--host", "127.0.0.1", "--port", str(port), "--device", "cpu"]
            proc = subprocess.Popen([*argv, "--dtype", "float32"], env=env, stdout=out, stderr=out)
        try:
            _wait_for(base, proc, log, timeout_s)
            yield base
        finally:
            stop_process(proc, timeout=10)


def _wait_for(base: str, proc: subprocess.Popen[bytes], log: Path, timeout_s: float) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with opener.open(base + "/models", timeout=2) as answer:
                json.load(answer)
                return
        except OSError:
            time.sleep(0.2)
    tail = log.read_text(errors="replace")[-2000:]
    state = f"exited with {proc.returncode}" if proc.poll() is not None else "did not answer"
    raise RuntimeError(f"transformers serve {state} within {timeout_s:.0f} s:\n{tail}")
