"""What a step costs through the HTTP backend (``--model http://...``) against in-process, on the
same tiny model, side by side in one run (issue 37, section 4):

(a) genai in-process: onnxruntime-genai on an fp32 export of gemma3-served-tiny's weights
    (`GenaiModel`, unguided: the server does not constrain either);
(b) transformers in-process: the server's own runtime without the server (the same processor
    call on the same messages, then ``generate``);
(c) HTTP -> ``transformers serve`` on 127.0.0.1 serving that model (`OpenAIModel`);
(d) HTTP -> the tests' stub server on 127.0.0.1, zero model time: the client's own overhead
    (PNG encode, base64, JSON, a loopback round trip).

(a) and (b)-(c) are different runtimes (onnxruntime-genai vs PyTorch eager): the server hop is
(c) - (b), the whole HTTP client (d); the table says which is which. Needs the ``build`` extra
(torch, transformers, the genai builder) and the ``test`` extra (fastapi, uvicorn, openai).

Run: ``python benchmarks/bench_http_backend.py [--repeats N]`` (about 2-4 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # training/ and tests/ (the stub server) live in the checkout

from rich.console import Console  # noqa: E402
from rich.progress import Progress  # noqa: E402
from rich.table import Table  # noqa: E402

from deskpilot.agent.prompt import tools_prompt  # noqa: E402
from deskpilot.cli.model_cmd import synthetic_screen  # noqa: E402
from deskpilot.coords import CoordinateSpace  # noqa: E402
from deskpilot.runtime.base import ModelRequest  # noqa: E402
from deskpilot.runtime.openai_http import OpenAIModel  # noqa: E402
from deskpilot.screen import Frame  # noqa: E402
from deskpilot.tools import ToolRegistry  # noqa: E402
from tests.unit.openai_stub import StubServer  # noqa: E402
from training import served_model  # noqa: E402

MODEL = REPO / "tests" / "models" / served_model.NAME
console = Console()


def requests() -> Callable[[], ModelRequest]:
    """Steps' requests: the task, the pointer tools, no history, and each time a new frame of the
    same 1280x800 synthetic form (a frame caches its PNG; a real step's screenshot is new)."""
    registry = ToolRegistry()
    names = served_model.POINTER_TOOLS
    base = ModelRequest(
        task="click Save",
        frame=Frame.from_image(synthetic_screen()),
        history=(),
        tool_schema=registry.call_schema(names),
        tool_prompt=tools_prompt(registry, names),
    )
    image = base.frame.to_image()
    return lambda: dataclasses.replace(base, frame=Frame.from_image(image))


def interleaved(
    paths: dict[str, Callable[[ModelRequest], str]],
    fresh: Callable[[], ModelRequest],
    repeats: int,
    progress: Progress,
) -> dict[str, dict[str, Any]]:
    """One warm-up step each, then ``repeats`` rounds of one step per path (so that the load of
    a shared machine falls on all alike): p50/p95 ms and the last answer of each."""
    task = progress.add_task("steps, one per path in turn", total=(repeats + 1) * len(paths))
    samples: dict[str, list[float]] = {label: [] for label in paths}
    answers: dict[str, str] = {}
    for round_ in range(repeats + 1):
        for label, step in paths.items():
            req = fresh()
            started = time.perf_counter()
            answers[label] = step(req)
            if round_:
                samples[label].append((time.perf_counter() - started) * 1000)
            progress.advance(task)
    return {
        label: {"p50": statistics.median(s), "p95": p95(s), "answer": answers[label]}
        for label, s in samples.items()
    }


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def genai_folder(work: Path, progress: Progress) -> Path:
    """gemma3-served-tiny's weights exported to a genai folder (fp32), in ``work``."""
    import torch
    from transformers import Gemma3ForConditionalGeneration

    from training.tinymodels import gemma3

    task = progress.add_task("(a) exporting the same weights for genai (fp32)", total=1)
    info = json.loads((MODEL / "build_info.json").read_text())
    weights = Gemma3ForConditionalGeneration.from_pretrained(MODEL, dtype=torch.float32)
    folder = work / "genai"
    gemma3.FAMILY.build(
        folder, info["seed"], "fp32", quantize_vision=False, state_dict=weights.state_dict()
    )
    progress.advance(task)
    return folder


def in_process_transformers() -> Callable[[ModelRequest], str]:
    """(b): the messages the HTTP backend would send, through the server's processor call and
    ``generate`` in this process."""
    from transformers import AutoProcessor, Gemma3ForConditionalGeneration

    processor = AutoProcessor.from_pretrained(MODEL)
    model = Gemma3ForConditionalGeneration.from_pretrained(MODEL, dtype="float32").eval()
    client = OpenAIModel("http://127.0.0.1:9/v1", model_name=str(MODEL), coords="normalized")

    def step(req: ModelRequest) -> str:
        messages = client.messages(req, CoordinateSpace.normalized(1000))
        return served_model.greedy_answer(
            model, processor, served_model.as_server_passes(messages), tokens=64
        )

    return step


def client_parts(fresh: Callable[[], ModelRequest], repeats: int) -> dict[str, float]:
    """p50 ms of the client's own work on a new frame: PNG encode, base64, the whole JSON body."""
    client = OpenAIModel("http://127.0.0.1:9/v1", model_name="stub-vlm", coords="normalized")
    parts: dict[str, Callable[[ModelRequest], object]] = {
        "PNG encode": lambda req: req.frame.png_bytes(),
        "base64": lambda req: base64.b64encode(req.frame.png_bytes()),
        "body (PNG + base64 + messages) + json.dumps": lambda req: json.dumps(client.body(req)),
    }
    out = {}
    for name, work in parts.items():
        samples = []
        for _ in range(repeats):
            req = fresh()
            if name == "base64":
                req.frame.png_bytes()  # encoded before the clock starts
            started = time.perf_counter()
            work(req)
            samples.append((time.perf_counter() - started) * 1000)
        out[name] = statistics.median(samples)
    out["request size KB"] = len(json.dumps(client.body(fresh()))) / 1024
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    from deskpilot.runtime.genai import GenaiModel

    fresh = requests()
    with (
        tempfile.TemporaryDirectory() as tmp,
        Progress(console=console) as progress,
        served_model.transformers_serve(MODEL) as base,
    ):
        genai = GenaiModel(genai_folder(Path(tmp), progress), guidance=False)
        served = OpenAIModel(base, model_name=str(MODEL), coords="normalized")
        stub = StubServer(contents=[served_model.ANSWER]).start()
        try:
            scripted = OpenAIModel(stub.url, model_name="stub-vlm", coords="normalized")
            paths: dict[str, Callable[[ModelRequest], str]] = {
                "(a) genai in-process": lambda req: genai.next_action(req).text,
                "(b) transformers in-process": in_process_transformers(),
                "(c) HTTP -> transformers serve": lambda req: served.next_action(req).text,
                "(d) HTTP -> stub, zero model time": lambda req: scripted.next_action(req).text,
            }
            rows = interleaved(paths, fresh, args.repeats, progress)
        finally:
            stub.stop()
    report(rows, client_parts(fresh, args.repeats), args.repeats)


def report(rows: dict[str, dict[str, Any]], parts: dict[str, float], repeats: int) -> None:
    runtimes = {"(a)": "onnxruntime-genai", "(b)": "PyTorch eager", "(c)": "PyTorch eager"}
    table = Table(
        "path", "runtime", "p50 ms", "p95 ms", "answer is the trained call",
        title=f"one step, {served_model.NAME}, 1280x800 screenshot ({repeats} timed steps each)",
    )  # fmt: skip
    for label, row in rows.items():
        runtime = runtimes.get(label[:3], "none (scripted answer)")
        ok = "yes" if row["answer"] == served_model.ANSWER else f"no: {row['answer'][:40]!r}"
        table.add_row(label, runtime, f"{row['p50']:.1f}", f"{row['p95']:.1f}", ok)
    console.print(table)
    p50 = {label[:3]: row["p50"] for label, row in rows.items()}
    hop = Table("what the HTTP path adds", "p50 ms", title="the server hop, isolated")
    for name, value in parts.items():
        hop.add_row(f"client: {name}", f"{value:.2f}")
    hop.add_row("client + loopback round trip, zero model time: (d)", f"{p50['(d)']:.1f}")
    hop.add_row("server hop on the same runtime: (c) - (b)", f"{p50['(c)'] - p50['(b)']:.1f}")
    hop.add_row("HTTP vs genai in-process: (c) - (a) (runtimes differ)", f"{p50['(c)'] - p50['(a)']:.1f}")  # fmt: skip
    console.print(hop)


if __name__ == "__main__":
    main()
