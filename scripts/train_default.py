"""Train the embedded default model (issue 4): data engine -> genai's own token ids and pixels -> the
deskpilot-default gemma4_unified model in PyTorch. Resumable, seeded, with progress and a JSONL log.

    python scripts/train_default.py --out runs/default --minutes 100 [--resume]
    python scripts/train_default.py --out runs/default --export FOLDER [--precision int4|fp32]

Inputs are made by onnxruntime-genai's processor from a folder with the same tokenizer, in the
compact prompt the shipped folder asks for, so training sees exactly the ids and pixels inference
will produce. Three things make grounding learnable on a CPU budget:
- coordinates are single tokens (one per integer 0-1000), trained with soft labels spread over the
  values that land inside the target, so "close" is rewarded and the readout is one choice;
- an auxiliary loss on every image token ("is this patch on the target?") from the last hidden
  state: dense supervision, dropped at export (a training-only linear head);
- the task comes before the image, so image tokens can attend to it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tinymodels.deepen import deepen_state, deepened, new_index
from tinymodels.default_model import FAMILY, GEOMETRY, build, family, geometry_of
from tinymodels.gemma4_unified import Geometry
from tinymodels.widen import widen_head, widen_state

from deskpilot.coords import CoordinateSpace
from deskpilot.data.copying import copy_pairs
from deskpilot.data.dataset import synthetic_samples
from deskpilot.data.screens import Screen
from deskpilot.data.tasks import Sample, typing_drill
from deskpilot.data.vocab import Vocabulary
from deskpilot.data.wordscreens import draw_words
from deskpilot.policies import PolicyGate, load_policy
from deskpilot.runtime.base import ModelRequest
from deskpilot.runtime.families import family_for
from deskpilot.runtime.prompting import render_prompt
from deskpilot.screen import Frame
from deskpilot.tools import ToolRegistry

IGNORE = -100
PATCH_LAYER = 4  # the hidden states (after this many layers) that say "this patch is the target"
POINT_LAYER = 5  # the full-attention layer whose heads learn to point at the target (0-based)
POINT_Y = 2  # the query head that points for y (head 0 points for x; they use different KV heads)
COPY_HEAD = (3, 1)  # (layer, query head) that learns to look at the task token an answer copies
READ_LAYER = 2  # the layer whose image tokens learn to "read" their labels (through the LM head)
PATCH = 48
WEIGHTS = {"click": 6, "double_click": 1, "right_click": 1, "type": 2, "key": 1, "scroll": 1,
           "done": 1, "not_found": 1.5}  # fmt: skip
LOGGED = ("answer", "patch", "read", "point")  # a task sample's losses, as the log names them
# deskpilot.data as of this commit (v2: no task twice on a screen; v3: a widget screen spends a
# label only on a placed widget, so a small vocabulary fills a busy screen instead of failing;
# v4: widget screens are a window's client area, not the desktop: labels kept their contrast)
# v5: faces named, not globbed; v6: forms on desktops (taskbar, frames); v7: not-found tasks never
# name a window title or a word of a text line; v8: forms smaller, fields holding text, buttons
# ending at the right, centred lines (--desktop, added since, draws nothing new where it is 0)
DATA_VERSION = "synthetic-v8"


class Encoder:
    """Sample -> tensors, through genai's processor and tokenizer (what inference sends)."""

    def __init__(self, folder: Path) -> None:
        import onnxruntime_genai as og

        self.og = og
        model = og.Model(str(folder))
        self.processor = model.create_multimodal_processor()
        self.tokenizer = og.Tokenizer(model)
        self.family = family_for("gemma4_unified")
        registry = ToolRegistry()
        gate = PolicyGate(load_policy(), registry)
        self.schema = registry.call_schema([n for n in registry.names() if gate.may_allow(n)])
        self.end = list(self.tokenizer.encode("<turn|>"))
        self.numbers = {n: self._single(str(n)) for n in range(1001)}
        self.vocab = 0  # set by the trainer: the model's vocabulary size
        self.image_token = -1  # set by the trainer: the image token's id
        self._cached: tuple[Any, Any, Any] = (None, None, None)

    def _single(self, text: str) -> int:
        ids = list(self.tokenizer.encode(text))
        if len(ids) != 1:
            raise SystemExit(f"the tokenizer has no single token for {text!r}: {ids}")
        return int(ids[0])

    def encode(self, sample: Sample) -> dict[str, Any]:
        import torch

        if sample.image is not self._cached[0]:  # a screen hosts several tasks in a row
            frame = Frame.from_image(sample.image)
            self._cached = (sample.image, frame, self.og.Images.open_bytes(frame.png_bytes()))
        frame, images = self._cached[1], self._cached[2]
        request = ModelRequest(task=sample.task, frame=frame, history=sample.history,
                               tool_schema=self.schema, tool_prompt="")  # fmt: skip
        prompt = render_prompt(self.family, request, CoordinateSpace.normalized(), "compact")
        inputs = self.processor(prompt, images=images)
        prompt_ids = inputs["input_ids"].as_numpy().astype("int64")[0].tolist()
        answer = json.dumps(sample.target, separators=(",", ":"), ensure_ascii=False)
        answer_ids = [int(i) for i in self.tokenizer.encode(answer)] + self.end
        ids = prompt_ids + answer_ids
        positions = inputs["pixel_position_ids"].as_numpy()[0]
        valid = positions[(positions != -1).all(axis=-1)]
        item: dict[str, Any] = {
            "ids": torch.tensor([ids]),
            "labels": torch.tensor([[IGNORE] * len(prompt_ids) + answer_ids]),
            "pixel_values": torch.from_numpy(inputs["pixel_values"].as_numpy()),
            "image_position_ids": torch.from_numpy(inputs["pixel_position_ids"].as_numpy()),
            "soft": [],  # (position in ids, target distribution over 0..1000)
            "patches": None,  # 0/1 per image token: is the patch on the target?
            "copy": self.copies(sample, prompt_ids, answer_ids),
        }
        if sample.box is not None and "x" in sample.target["arguments"]:
            width, height = frame.width, frame.height
            cols, rows = int(valid[:, 0].max()) + 1, int(valid[:, 1].max()) + 1
            x0, y0, x1, y1 = sample.box
            sx, sy = cols * PATCH / width, rows * PATCH / height
            on = [(x0 * sx < (c + 1) * PATCH and x1 * sx > c * PATCH
                   and y0 * sy < (r + 1) * PATCH and y1 * sy > r * PATCH) for c, r in valid]  # fmt: skip
            item["patches"] = torch.tensor(on, dtype=torch.float32)
            spans = (
                (x0 * 1000 / width, x1 * 1000 / width),
                (y0 * 1000 / height, y1 * 1000 / height),
            )
            number_ids = set(self.numbers.values())
            found = [i for i, t in enumerate(answer_ids) if t in number_ids][:2]
            for axis, index in enumerate(found):
                item["soft"].append((len(prompt_ids) + index, soft_target(*spans[axis])))
        elif sample.kind == "not_found":  # nothing on the screen is the target
            item["patches"] = torch.zeros(len(valid))
        item["reading"] = self.reading(sample, valid, frame.width, frame.height)
        if sample.kind == "read":  # a word screen: nothing to answer
            item["labels"][:] = IGNORE
        return item

    def copies(self, sample: Sample, prompt_ids: list[int], answer_ids: list[int]) -> list[Any]:
        """(query position, key position) in ``ids`` for each answer token copied from the task:
        the position predicting the token, and the task token it copies (see data/copying.py)."""
        text = (
            prompt_ids[: prompt_ids.index(self.image_token)]
            if self.image_token in prompt_ids
            else prompt_ids
        )
        pieces = [self.tokenizer.decode([i]) for i in text]
        answer = [self.tokenizer.decode([i]) for i in answer_ids]
        pairs = copy_pairs(sample.task, sample.target["arguments"], pieces, answer)
        return [(len(prompt_ids) + index - 1, source) for index, source in pairs]

    def thin(self, item: dict[str, Any], keep: float, image_token: int) -> dict[str, Any]:
        """Drop plain-background patches but a ``keep`` share of them, keeping every patch with
        something drawn on it (their position ids stay, so the model sees the same layout):
        a sparse screen costs a fraction of a full one. Inference always sees every patch."""
        import torch

        pixels, positions = item["pixel_values"][0], item["image_position_ids"][0]
        valid = (positions != -1).all(dim=-1)
        pixels, positions = pixels[valid], positions[valid]
        chosen = (pixels[:, ::7].std(dim=1) > 0.02) | (torch.rand(len(pixels)) < keep)
        if item["patches"] is not None:
            chosen |= item["patches"] > 0
        ids, labels = item["ids"][0].tolist(), item["labels"][0].tolist()
        first, count, kept = ids.index(image_token), len(pixels), int(chosen.sum())
        item["ids"] = torch.tensor([ids[:first] + [image_token] * kept + ids[first + count :]])
        item["labels"] = torch.tensor([labels[:first] + [IGNORE] * kept + labels[first + count :]])
        item["pixel_values"], item["image_position_ids"] = (
            pixels[chosen][None],
            positions[chosen][None],
        )
        item["soft"] = [(at + kept - count, target) for at, target in item["soft"]]
        item["copy"] = [(at + kept - count, source) for at, source in item["copy"]]
        if item["patches"] is not None:
            item["patches"] = item["patches"][chosen]
        item["reading"] = item["reading"][chosen]
        return item

    def reading(self, sample: Sample, valid: Any, width: int, height: int) -> Any:
        """Per image token, which label tokens are drawn in that patch (rows sum to 1; rows of
        patches without a label are zero): what the patch should "read"."""
        import torch

        cols, rows = int(valid[:, 0].max()) + 1, int(valid[:, 1].max()) + 1
        sx, sy = cols * PATCH / width, rows * PATCH / height
        index = {(int(c), int(r)): i for i, (c, r) in enumerate(valid)}
        target = torch.zeros(len(valid), self.vocab)
        for element in sample.elements:
            x0, y0, x1, y1 = element.ink or element.text_box or element.box
            least_x, least_y = min(8, (x1 - x0) * sx / 2), min(8, (y1 - y0) * sy / 2)
            tokens = [int(t) for t in self.tokenizer.encode(" " + element.label)]
            for c in range(int(x0 * sx) // PATCH, min(cols - 1, int(x1 * sx) // PATCH) + 1):
                for r in range(int(y0 * sy) // PATCH, min(rows - 1, int(y1 * sy) // PATCH) + 1):
                    overlap_x = min(x1 * sx, (c + 1) * PATCH) - max(x0 * sx, c * PATCH)
                    overlap_y = min(y1 * sy, (r + 1) * PATCH) - max(y0 * sy, r * PATCH)
                    if overlap_x >= least_x and overlap_y >= least_y and (c, r) in index:
                        target[index[(c, r)], tokens] += 1.0 / len(tokens)
        sums = target.sum(dim=1, keepdim=True)
        return torch.where(sums > 0, target / sums.clamp(min=1e-9), target)


def reading_sample(screen: Screen) -> Sample:
    """A word screen as a sample with no answer to learn (kind "read"): only its reading loss
    counts."""
    return Sample(image=screen.image, task="read", history=(), kind="read",
                  target={"name": "done", "arguments": {"answer": "-"}},
                  elements=tuple(screen.elements))  # fmt: skip


def soft_target(low: float, high: float) -> Any:
    """A distribution over 0..1000 on the values inside [low, high], peaked at the centre."""
    import torch

    values = torch.arange(1001, dtype=torch.float32)
    centre, sigma = (low + high) / 2, max((high - low) / 4, 1.0)
    weights = torch.exp(-0.5 * ((values - centre) / sigma) ** 2)
    inside = (values >= math.ceil(low)) & (values <= math.floor(high))
    if inside.any():
        weights = weights * inside
    return weights / weights.sum()


@dataclasses.dataclass(frozen=True, kw_only=True)
class Taps:
    """Where the auxiliary losses tap the model: attention layers and hidden-state indices
    (``hidden_states[k]``: after k layers)."""

    point_layer: int = POINT_LAYER
    copy_head: tuple[int, int] = COPY_HEAD
    patch_states: int = PATCH_LAYER
    read_states: int = READ_LAYER

    @classmethod
    def deepened(cls, depth: int, point_layer: int = POINT_LAYER) -> Taps:
        """The base model's taps where they sit after deepening it to ``depth`` layers."""
        base = len(GEOMETRY.layer_types)
        if depth == base:
            return cls(point_layer=point_layer)

        def at(layer: int) -> int:
            return new_index(layer, base, depth)

        return cls(point_layer=at(point_layer), copy_head=(at(COPY_HEAD[0]), COPY_HEAD[1]),
                   patch_states=at(PATCH_LAYER - 1) + 1, read_states=at(READ_LAYER - 1) + 1)  # fmt: skip


def losses(model: Any, head: Any, item: dict[str, Any], number_ids: Any,
           taps: Taps = Taps()) -> dict[str, Any]:  # fmt: skip
    """Answer cross-entropy (soft at coordinates), the patch, reading, pointing and copying losses,
    and whether x and y landed."""
    import torch
    import torch.nn.functional as F

    out = model(input_ids=item["ids"], pixel_values=item["pixel_values"],
                image_position_ids=item["image_position_ids"], output_hidden_states=True,
                output_attentions=True)  # fmt: skip
    logits = out.logits[0, :-1]
    labels = item["labels"][0, 1:]
    per_token = F.cross_entropy(logits, labels, ignore_index=IGNORE, reduction="none")
    mask = labels != IGNORE
    hits = []
    for position, target in item["soft"]:
        row = F.log_softmax(logits[position - 1], dim=-1)
        per_token[position - 1] = -(row[number_ids] * target).sum()
        chosen = int(logits[position - 1].argmax())
        hits.append(
            chosen in number_ids.tolist() and float(target[number_ids.tolist().index(chosen)]) > 0
        )
    answer = per_token[mask].mean() if bool(mask.any()) else torch.zeros(())
    patch = torch.zeros(())
    if item["patches"] is not None:
        image = item["ids"][0] == model.config.image_token_id
        scores = head(out.hidden_states[taps.patch_states][0, image]).squeeze(-1)
        patch = F.binary_cross_entropy_with_logits(
            scores, item["patches"], pos_weight=torch.tensor(8.0)
        )
    read = torch.zeros(())
    reading = item["reading"]
    rows = reading.sum(dim=1) > 0
    if rows.any():
        image = item["ids"][0] == model.config.image_token_id
        inner = model.model.language_model
        hidden = inner.norm(out.hidden_states[taps.read_states][0, image][rows])
        read = -(F.log_softmax(model.lm_head(hidden), dim=-1) * reading[rows]).sum(dim=1).mean()
    point = torch.zeros(())
    if item["soft"] and item["patches"] is not None and bool(item["patches"].any()):
        # Pointing (training-only): in one full-attention layer, query head 0 looks at the
        # target's patches where x is predicted and query head POINT_Y where y is, and each
        # looks away from the image when the other axis is asked for.
        image = (item["ids"][0] == model.config.image_token_id).nonzero().squeeze(-1)
        weights = out.attentions[taps.point_layer][0][:, :, image]  # [heads, queries, image tokens]
        terms = []
        for axis, (position, _) in enumerate(item["soft"][:2]):
            mine, other = (0, POINT_Y) if axis == 0 else (POINT_Y, 0)
            on_target = (weights[mine, position - 1] * item["patches"]).sum()
            on_image = weights[other, position - 1].sum()
            terms += [-torch.log(on_target + 1e-4), -torch.log(1 - on_image + 1e-4)]
        point = torch.stack(terms).mean()
    copy = torch.zeros(())
    if item["copy"]:
        # Copying (training-only): one head, where each copied answer token is predicted, looks
        # at the task token it copies.
        layer, query_head = taps.copy_head
        weights = out.attentions[layer][0][query_head]  # [queries, keys]
        queries, keys = (torch.tensor(column) for column in zip(*item["copy"], strict=True))
        copy = -torch.log(weights[queries, keys] + 1e-4).mean()
    return {"answer": answer, "patch": patch, "read": read, "point": point, "copy": copy,
            "hits": hits}  # fmt: skip


def font_sizes(text: str) -> tuple[int, int]:
    """ "LOW,HIGH" -> (LOW, HIGH)."""
    low, high = (int(part) for part in text.split(","))
    return low, high


def widened(geometry: Geometry, width: int) -> Geometry:
    """``geometry`` at hidden size ``width``: MLP 4x, query heads of 64, two per KV head."""
    if width % 128:
        raise SystemExit(f"--width {width}: a multiple of 128 (heads of 64, two per KV head)")
    heads = width // geometry.head_dim
    return dataclasses.replace(geometry, hidden_size=width, intermediate_size=4 * width,
                               num_attention_heads=heads, num_key_value_heads=heads // 2)  # fmt: skip


def tokenizer_folder(out: Path, seed: int) -> Path:
    """A folder with the model's tokenizer and processor (random weights), for encoding."""
    folder = out / "encoder-folder"
    if not (folder / "genai_config.json").exists():
        FAMILY.build(folder, seed, "int4")
    return folder


def data_version(state: dict[str, Any]) -> str:
    """The data engine version the checkpoint's last run drew from, as its lineage recorded it
    (older checkpoints did not record it: then say so rather than claim the current one)."""
    lineage = state.get("lineage") or [{}]
    recorded = lineage[-1].get("data")
    return str(recorded) if recorded else f"unrecorded (the engine at export: {DATA_VERSION})"


def main() -> None:
    """Train until --minutes or --steps; write checkpoints, a log and the card facts."""
    import torch
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=100_000, help="optimizer updates at most")
    parser.add_argument(
        "--minutes", type=float, default=100.0, help="wall-clock budget of this run"
    )
    parser.add_argument(
        "--budget-minutes",
        type=float,
        help="stop once the checkpoint's training time (all runs together) reaches this",
    )
    parser.add_argument(
        "--schedule-steps", type=int, default=6000, help="updates the LR decays over"
    )
    parser.add_argument("--batch", type=int, default=4, help="samples per update (accumulated)")
    parser.add_argument("--lr", type=float, default=1.5e-3)
    parser.add_argument("--patch-weight", type=float, default=0.5)
    parser.add_argument("--read-weight", type=float, default=1.0)
    parser.add_argument("--point-weight", type=float, default=1.0)
    parser.add_argument(
        "--copy-weight",
        type=float,
        default=0.0,
        help="weight of the copying loss (one head looks at the task token an answer token copies)",
    )
    parser.add_argument(
        "--point-layer",
        type=int,
        default=POINT_LAYER,
        help="the full-attention layer that learns to point (0-based)",
    )
    parser.add_argument("--pseudo", type=float, default=0.1, help="share of made-up label words")
    parser.add_argument("--phase", default="a", help="a new phase draws a new data stream")
    parser.add_argument("--forms", type=float, default=0.0, help="share of simple form screens")
    parser.add_argument(
        "--widgets",
        type=int,
        default=0,
        help="screens of 1..N widgets on a bare desktop (first curriculum rungs)",
    )
    parser.add_argument(
        "--font-sizes",
        default="11,16",
        help="with --widgets: the labels' font sizes in pixels, LOW,HIGH (a reading curriculum)",
    )
    parser.add_argument(
        "--words", type=int, help="one-word labels from this many words (a reading curriculum)"
    )
    parser.add_argument(
        "--grid-jitter",
        type=int,
        help="with --widgets: labels start within this many pixels of a patch corner (0-48)",
    )
    parser.add_argument(
        "--face", type=int, help="all text in this font face (an appearance curriculum; 1: Tk's)"
    )
    parser.add_argument(
        "--theme", default="any", choices=["any", "light", "dark"], help="screens' colour themes"
    )
    parser.add_argument(
        "--word-share",
        type=float,
        default=0.0,
        help="share of samples that are word screens (eight labels, reading loss only)",
    )
    parser.add_argument(
        "--word-jitter", type=int, default=48, help="word screens: labels this near a patch corner"
    )
    parser.add_argument(
        "--sparse",
        type=float,
        default=-1.0,
        help="keep this share of plain-background patches (-1: keep all)",
    )
    parser.add_argument(
        "--smooth-init",
        action="store_true",
        help="a fresh model starts with the smooth readout codes (readout_init.py)",
    )
    parser.add_argument(
        "--residual-scale",
        type=float,
        default=0.03,
        help="with --smooth-init: the sandwich norms' starting weight (1.0: HF's init)",
    )
    parser.add_argument(
        "--reading-scale",
        type=float,
        help="set the sandwich norms of the layers below the reading layer to this (a new start)",
    )
    parser.add_argument(
        "--free-text", type=float, default=0.0, help="share of typing tasks with free text"
    )
    parser.add_argument(
        "--quote", type=float, default=0.0, help="share of typing tasks with the text in quotes"
    )
    parser.add_argument(
        "--typing-drills",
        type=float,
        default=0.0,
        help="chance a sample starts a typing drill (type, then done, on a form: copying)",
    )
    parser.add_argument(
        "--desktop",
        type=float,
        default=0.0,
        help="share of widget and form screens drawn at 1280x800 (scaled down, as a real screen)",
    )
    parser.add_argument("--init", type=Path, help="start from this checkpoint's weights only")
    parser.add_argument(
        "--width",
        type=int,
        help="with --init: widen its model to this hidden size first (MLP 4x, heads of 64; "
        "what it computes is unchanged until training writes into the new dims)",
    )
    parser.add_argument(
        "--depth",
        type=int,
        help="with --init: deepen its model to this many layers first (a multiple of its depth; "
        "new layers start as the identity, after each old sliding/full pair)",
    )
    parser.add_argument("--weights", default="", help='task weights as JSON, e.g. {"type": 4}')
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--checkpoint-every", type=int, default=100)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument(
        "--export", type=Path, help="write a genai folder from the checkpoint, then stop"
    )
    parser.add_argument("--precision", default="int4", choices=["int4", "int8", "fp32"])
    args = parser.parse_args()
    checkpoint = args.out / "checkpoint.pt"
    if args.export:
        state = torch.load(checkpoint, weights_only=False)
        card = {"data": data_version(state), "seed": args.seed, "updates": state["step"],
                "samples": state["samples"], "train_seconds": round(state["seconds"]),
                "precision": args.precision,
                "lineage": state.get("lineage", [])}  # fmt: skip
        geometry = geometry_of(state)
        card["geometry"] = dataclasses.asdict(geometry)
        build(args.export, args.seed, args.precision, state["model"], card, family(geometry))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    resuming = args.resume and checkpoint.exists()
    init_state = torch.load(args.init, weights_only=False) if args.init and not resuming else None
    if init_state is not None and "model" not in init_state:  # reading_probe.py's bare weights
        init_state = {"model": init_state}
    geometry = geometry_of(torch.load(checkpoint, weights_only=False) if resuming
                           else init_state or {})  # fmt: skip
    if args.width and init_state is not None and args.width != geometry.hidden_size:
        wide = widened(geometry, args.width)
        init_state["model"] = widen_state(init_state["model"], geometry, wide, args.seed)
        if "head" in init_state:
            init_state["head"] = widen_head(init_state["head"], args.width)
        geometry = wide
    depth = len(geometry.layer_types)
    if args.depth and init_state is not None and args.depth != depth:
        deep = deepened(geometry, args.depth)
        init_state["model"] = deepen_state(init_state["model"], geometry, deep)
        geometry, depth = deep, args.depth
    taps = Taps.deepened(depth, args.point_layer)  # where the auxiliary losses read the model
    _, model = family(geometry).hf_model(args.seed)
    model.set_attn_implementation("eager")  # the pointing loss reads attention weights
    # A unit-scale 2-D position embedding: at 0.02 it is ~2% of the patch signal.
    with torch.no_grad():
        model.model.embed_vision.pos_embedding.normal_(0.0, 1.0)
    head = torch.nn.Linear(model.config.text_config.hidden_size, 1)
    params = list(model.parameters()) + list(head.parameters())
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    step, samples_seen, seconds = 0, 0, 0.0
    phases: dict[str, int] = {}  # samples drawn from each phase's data stream
    # the runs that made these weights, oldest first: each its arguments and updates (the recipe
    # a from-scratch rebuild replays; the README's tables name the same runs)
    this_run: dict[str, Any] = {"argv": sys.argv[1:], "data": DATA_VERSION}
    lineage: list[dict[str, Any]] = []
    if args.smooth_init:
        from readout_init import smooth_readout_init

        numbers = Encoder(tokenizer_folder(args.out, args.seed)).numbers
        smooth_readout_init(
            model,
            torch.tensor([numbers[n] for n in range(1001)]),
            args.point_layer,
            residual_scale=args.residual_scale,
        )
    if init_state is not None:
        state = init_state
        model.load_state_dict(state["model"])
        if "head" in state:
            head.load_state_dict(state["head"])
        # continue the init's data streams: a new run from a checkpoint must not see again the
        # screens that made it (every --init run of one phase used to replay the same stream)
        phases = dict(state.get("phases", {}))
        lineage = list(state.get("lineage", [{"argv": ["(a checkpoint without a lineage)"]}]))
    if args.reading_scale is not None and not resuming:
        with torch.no_grad():  # the layers that learn to read may need their full voice
            for layer in model.model.language_model.layers[:READ_LAYER]:
                layer.post_attention_layernorm.weight.fill_(args.reading_scale)
                layer.post_feedforward_layernorm.weight.fill_(args.reading_scale)
    if resuming:
        state = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(state["model"])
        head.load_state_dict(state["head"])
        optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["rng"])
        step, samples_seen, seconds = state["step"], state["samples"], state["seconds"]
        phases = state.get("phases", {})
        lineage = list(state.get("lineage", []))[:-1]
        this_run = state.get("lineage", [this_run])[-1]
    encoder = Encoder(tokenizer_folder(args.out, args.seed))
    encoder.vocab = model.config.text_config.vocab_size
    encoder.image_token = model.config.image_token_id
    number_ids = torch.tensor([encoder.numbers[n] for n in range(1001)])
    phase_seed = args.seed if args.phase == "a" else args.seed + sum(map(ord, args.phase))
    # A resumed phase continues with a stream seeded by how far it got: deterministic, and no
    # redrawing of the screens already seen (replaying 7,700 samples took ~7 minutes).
    phase_seed += 7919 * phases.get(args.phase, 0)
    weights = {**WEIGHTS, **json.loads(args.weights or "{}")}
    dark = {"any": None, "light": False, "dark": True}[args.theme]
    data = synthetic_samples(10**7, "train", seed=phase_seed, weights=weights, pseudo=args.pseudo,
                             forms=args.forms, widgets=args.widgets,
                             font_sizes=font_sizes(args.font_sizes),
                             words=args.words, grid_jitter=args.grid_jitter, face=args.face,
                             dark=dark, free_text=args.free_text,
                             quote=args.quote, desktop=args.desktop)  # fmt: skip

    word_rng = random.Random(phase_seed + 1)
    # word screens draw the labels the widget screens draw (one-word, capitalized), in their look
    label_words = [w.capitalize() for w in Vocabulary("train", word_rng, 0.0, args.words).words]

    drill_rng = random.Random(phase_seed + 2)  # drawn from only with --typing-drills
    drill_vocab = Vocabulary("train", drill_rng, 0.0, args.words, args.free_text, args.quote)
    drills: list[Sample] = []

    def next_sample() -> Sample:
        if args.typing_drills > 0 and (drills or drill_rng.random() < args.typing_drills):
            drills[:] = drills or typing_drill(
                drill_rng, drill_vocab, font_sizes(args.font_sizes), args.face
            )
            return drills.pop(0)
        if word_rng.random() >= args.word_share:
            return next(data)
        size = word_rng.randint(*font_sizes(args.font_sizes))
        return reading_sample(draw_words(word_rng, label_words, size, args.word_jitter,
                                         face=args.face, dark=dark))  # fmt: skip

    def rate(update: int) -> float:
        warm = min(1.0, (update + 1) / 100)
        progress = min(1.0, update / args.schedule_steps)
        return args.lr * warm * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))

    def save() -> None:
        state = {"model": model.state_dict(), "head": head.state_dict(),
                 "optimizer": optimizer.state_dict(), "rng": torch.get_rng_state(),
                 "step": step, "samples": samples_seen, "seconds": seconds,
                 "phases": phases, "geometry": dataclasses.asdict(geometry),
                 "lineage": [*lineage, {**this_run, "updates": step}]}  # fmt: skip
        torch.save(state, checkpoint.with_suffix(".tmp"))
        checkpoint.with_suffix(".tmp").replace(checkpoint)

    model.train()
    log = (args.out / "train.jsonl").open("a")
    columns = [TextColumn("update {task.completed}"), BarColumn(), TextColumn("{task.fields[info]}"),
               TimeElapsedColumn()]  # fmt: skip
    started, window = time.perf_counter(), []
    base_seconds = seconds
    with Progress(*columns) as progress:
        job = progress.add_task("train", total=args.steps, completed=step, info="")
        budget = math.inf if args.budget_minutes is None else args.budget_minutes * 60
        while (step < args.steps and time.perf_counter() - started < args.minutes * 60
               and seconds < budget):  # fmt: skip
            for group in optimizer.param_groups:
                group["lr"] = rate(step)
            sums: dict[str, list[float]] = {}  # loss name -> values this update
            hits: list[bool] = []
            optimizer.zero_grad()
            for _ in range(args.batch):
                sample = next_sample()
                item = encoder.encode(sample)
                if args.sparse >= 0:
                    item = encoder.thin(item, args.sparse, model.config.image_token_id)
                samples_seen += 1
                phases[args.phase] = phases.get(args.phase, 0) + 1
                parts = losses(model, head, item, number_ids, taps)
                loss = (parts["answer"] + args.patch_weight * parts["patch"]
                        + args.read_weight * parts["read"]
                        + args.point_weight * parts["point"]
                        + args.copy_weight * parts["copy"]) / args.batch  # fmt: skip
                loss.backward()
                # word screens have only a reading loss: logged apart ("read_words")
                names = ("read_words",) if sample.kind == "read" else LOGGED
                names += ("copy",) if item["copy"] else ()  # logged where there is copying
                for name in names:
                    value = parts["read" if name == "read_words" else name]
                    sums.setdefault(name, []).append(float(value.detach()))
                hits.extend(parts["hits"])
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            step += 1
            seconds = base_seconds + time.perf_counter() - started
            window = (window + hits)[-400:]
            totals = {name: sum(values) / len(values) for name, values in sums.items()}
            record = {"step": step, "samples": samples_seen, "seconds": round(seconds, 1),
                      "lr": rate(step - 1), **{k: round(v, 4) for k, v in totals.items()},
                      "coord_hit": round(sum(window) / max(len(window), 1), 3)}  # fmt: skip
            log.write(json.dumps(record) + "\n")
            log.flush()
            info = " ".join(f"{name} {value:.3f}" for name, value in totals.items())
            info += f" coord-hit {record['coord_hit']:.2f} ({samples_seen} samples)"
            progress.update(job, advance=1, info=info)
            if step % args.checkpoint_every == 0:
                save()
    save()


if __name__ == "__main__":
    main()
