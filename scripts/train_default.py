"""Training prototype for the embedded default model (issue 4): data engine -> genai's own token ids
and pixels -> a gemma4_unified model in PyTorch, loss on the answer tokens only. Resumable and seeded,
with progress and a JSONL log. Export and shipping are not done yet.

    python scripts/train_default.py --out runs/train/proto --steps 200 [--resume]

Inputs are made by onnxruntime-genai's processor from the test model folder built from the same seed
(same tokenizer), so training sees exactly the ids and pixels that inference will produce.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tinymodels.gemma4_unified import FAMILY

from deskpilot.agent.prompt import tools_prompt
from deskpilot.coords import CoordinateSpace
from deskpilot.data.dataset import synthetic_samples
from deskpilot.data.tasks import Sample
from deskpilot.policies import PolicyGate, load_policy
from deskpilot.runtime.base import ModelRequest
from deskpilot.runtime.families import family_for
from deskpilot.runtime.prompting import system_text, user_text
from deskpilot.screen import Frame
from deskpilot.tools import ToolRegistry

FOLDER = Path(__file__).resolve().parents[1] / "tests" / "models" / "gemma4_unified-tiny"
IGNORE = -100


class Encoder:
    """Sample -> (input ids, labels, image kwargs), through genai's processor and tokenizer."""

    def __init__(self, folder: Path) -> None:
        import onnxruntime_genai as og

        self.og = og
        model = og.Model(str(folder))
        self.processor = model.create_multimodal_processor()
        self.tokenizer = og.Tokenizer(model)
        self.family = family_for("gemma4_unified")
        registry = ToolRegistry()
        gate = PolicyGate(load_policy(), registry)
        enabled = [n for n in registry.names() if gate.may_allow(n)]
        self.schema = registry.call_schema(enabled)
        self.tools = tools_prompt(registry, enabled)
        self.end = list(self.tokenizer.encode("<turn|>"))

    def encode(self, sample: Sample) -> tuple[Any, Any, dict[str, Any]]:
        import torch

        frame = Frame.from_image(sample.image)
        request = ModelRequest(task=sample.task, frame=frame, history=sample.history,
                               tool_schema=self.schema, tool_prompt=self.tools)  # fmt: skip
        space = CoordinateSpace.normalized()
        prompt = self.family.render(system_text(request, space),
                                    user_text(request, self.family.image_tag))  # fmt: skip
        inputs = self.processor(prompt, images=self.og.Images.open_bytes(frame.png_bytes()))
        prompt_ids = inputs["input_ids"].as_numpy().astype("int64")[0].tolist()
        answer = json.dumps(sample.target, separators=(",", ":"), ensure_ascii=False)
        answer_ids = list(self.tokenizer.encode(answer)) + self.end
        ids = torch.tensor([prompt_ids + answer_ids])
        labels = torch.tensor([[IGNORE] * len(prompt_ids) + answer_ids])
        return ids, labels, FAMILY.hf_image_kwargs(inputs)


def main() -> None:
    """Train; write checkpoints and a log."""
    import torch
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=20261128, help="the test folder's seed")
    parser.add_argument("--checkpoint-every", type=int, default=50)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument(
        "--export", type=Path, help="write a genai folder from the checkpoint, then stop"
    )
    parser.add_argument("--precision", default="int4", choices=["int4", "int8", "fp32"])
    args = parser.parse_args()
    if args.export:
        state = torch.load(args.out / "checkpoint.pt", weights_only=False)
        FAMILY.build(args.export, args.seed, args.precision, state_dict=state["model"])
        return
    args.out.mkdir(parents=True, exist_ok=True)
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    _, model = FAMILY.hf_model(args.seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)
    start = 0
    checkpoint = args.out / "checkpoint.pt"
    if args.resume and checkpoint.exists():
        state = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["rng"])
        start = state["step"]
    encoder = Encoder(FOLDER)
    samples = synthetic_samples(args.steps * 2, "train", seed=args.seed)
    for _ in range(start):  # the same data order after a resume
        next(samples)
    model.train()
    log = (args.out / "train.jsonl").open("a")
    columns = [TextColumn("step {task.completed}/{task.total}"), BarColumn(),
               TextColumn("loss {task.fields[loss]:.3f}"), TimeRemainingColumn()]  # fmt: skip
    started = time.perf_counter()
    with Progress(*columns) as progress:
        job = progress.add_task("train", total=args.steps, completed=start, loss=float("nan"))
        for step in range(start, args.steps):
            ids, labels, images = encoder.encode(next(samples))
            loss = model(input_ids=ids, labels=labels, **images).loss
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            elapsed = time.perf_counter() - started
            log.write(json.dumps({"step": step + 1, "loss": float(loss.detach()), "seconds": round(elapsed, 2),
                                  "tokens": int(ids.shape[1])}) + "\n")  # fmt: skip
            log.flush()
            progress.update(job, advance=1, loss=float(loss.detach()))
            if (step + 1) % args.checkpoint_every == 0 or step + 1 == args.steps:
                torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                            "rng": torch.get_rng_state(), "step": step + 1}, checkpoint)  # fmt: skip


if __name__ == "__main__":
    main()
