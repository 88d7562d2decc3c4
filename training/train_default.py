"""Train the embedded default model (issue 4): data engine -> genai's own token ids and pixels -> the
deskpilot-default gemma4_unified model in PyTorch. Resumable, seeded, with progress and a JSONL log.

    python -m training.train_default --out runs/default --minutes 100 [--resume]
    python -m training.train_default --out runs/default --export FOLDER [--precision int4|fp32]

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

import dataclasses
import json
import math
import random
import sys
import time
from typing import Any

from training.tinymodels.attention import use_tapped_attention
from training.tinymodels.deepen import deepen_state, deepened
from training.tinymodels.default_model import build, family, geometry_of, soft_tokens_of
from training.tinymodels.encoding import Encoder, tokenizer_folder
from training.tinymodels.gemma4_unified import Geometry
from training.tinymodels.objectives import READ_LAYER, Taps, losses
from training.tinymodels.positions import carry_to_budget
from training.tinymodels.stream import training_samples
from training.tinymodels.widen import widen_head, widen_state
from training.train_options import arguments

LOGGED = ("answer", "patch", "read", "point")  # a task sample's losses, as the log names them
# deskpilot.data as of this commit (v2: no task twice on a screen; v3: a widget screen spends a
# label only on a placed widget, so a small vocabulary fills a busy screen instead of failing;
# v4: widget screens are a window's client area, not the desktop: labels kept their contrast)
# v5: faces named, not globbed; v6: forms on desktops (taskbar, frames); v7: not-found tasks never
# name a window title or a word of a text line; v8: forms smaller, fields holding text, buttons
# ending at the right, centred lines (--desktop, added since, draws nothing new where it is 0);
# v9: free text to type also names of letters at random and codes (every kind of token piece;
# --tk-share's real Tk dialogs and --open-words, added since, draw nothing new where they are 0)
DATA_VERSION = "synthetic-v9"


def widened(geometry: Geometry, width: int) -> Geometry:
    """``geometry`` at hidden size ``width``: MLP 4x, query heads of 64, two per KV head."""
    if width % 128:
        raise SystemExit(f"--width {width}: a multiple of 128 (heads of 64, two per KV head)")
    heads = width // geometry.head_dim
    return dataclasses.replace(
        geometry,
        hidden_size=width,
        intermediate_size=4 * width,
        num_attention_heads=heads,
        num_key_value_heads=heads // 2,
    )


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

    args = arguments()
    checkpoint = args.out / "checkpoint.pt"
    if args.export:
        state = torch.load(checkpoint, weights_only=False)
        card = {
            "data": data_version(state),
            "seed": args.seed,
            "updates": state["step"],
            "samples": state["samples"],
            "train_seconds": round(state["seconds"]),
            "precision": args.precision,
            "lineage": state.get("lineage", []),
        }
        geometry, soft_tokens = geometry_of(state), soft_tokens_of(state)
        card["geometry"] = dataclasses.asdict(geometry)
        card["soft_tokens"] = soft_tokens
        card["screen_text"] = bool(state.get("screen_text", False))
        card["named_places"] = bool(state.get("named_places", False))
        build(
            args.export,
            args.seed,
            args.precision,
            state["model"],
            card,
            family(geometry, soft_tokens),
        )
        return
    args.out.mkdir(parents=True, exist_ok=True)
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    if args.bf16 and not torch.ops.mkldnn._is_mkldnn_bf16_supported():
        # emulated bfloat16 is ~40x slower (seen on an AVX2-only CPU): the recipe's bf16 runs
        # replay in float32 there, with the same losses to about three digits
        sys.stderr.write(
            "--bf16: this CPU has no native bfloat16 (AVX512-BF16/AMX); computing "
            "in float32 instead\n"
        )
        args.bf16 = False
    resuming = args.resume and checkpoint.exists()
    init_state = torch.load(args.init, weights_only=False) if args.init and not resuming else None
    if init_state is not None and "model" not in init_state:  # reading_probe.py's bare weights
        init_state = {"model": init_state}
    start_state = torch.load(checkpoint, weights_only=False) if resuming else init_state or {}
    geometry = geometry_of(start_state)
    soft_tokens = args.soft_tokens or soft_tokens_of(start_state)
    if init_state is not None and soft_tokens != soft_tokens_of(init_state):
        grid = carry_to_budget(init_state["model"], soft_tokens_of(init_state), soft_tokens)
        sys.stderr.write(
            f"position embedding stretched from {soft_tokens_of(init_state)} to "
            f"{soft_tokens} image tokens ({grid[0]}x{grid[1]} patches on a 1280x800 "
            "screen)\n"
        )
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
    if args.attention == "eager":  # the pointing and copying losses read attention weights
        model.set_attn_implementation("eager")
    else:  # eager where they read them, fused SDPA in the other layers
        use_tapped_attention(model, {taps.point_layer, taps.copy_head[0]})
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
        from training.readout_init import smooth_readout_init

        numbers = Encoder(tokenizer_folder(args.out, args.seed, soft_tokens)).numbers
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
    screen_text = args.screen_text or bool(start_state.get("screen_text", False))
    named_places = screen_text and (args.named_places or bool(start_state.get("named_places")))
    encoder = Encoder(
        tokenizer_folder(args.out, args.seed, soft_tokens),
        screen_text=screen_text,
        named_places=named_places,
    )
    encoder.vocab = model.config.text_config.vocab_size
    encoder.image_token = model.config.image_token_id
    number_ids = torch.tensor([encoder.numbers[n] for n in range(1001)])
    phase_seed = args.seed if args.phase == "a" else args.seed + sum(map(ord, args.phase))
    # A resumed phase continues with a stream seeded by how far it got: deterministic, and no
    # redrawing of the screens already seen (replaying 7,700 samples took ~7 minutes).
    phase_seed += 7919 * phases.get(args.phase, 0)
    stream = training_samples(args, phase_seed)

    def rate(update: int) -> float:
        warm = min(1.0, (update + 1) / 100)
        progress = min(1.0, update / args.schedule_steps)
        return float(args.lr * warm * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))))

    def save() -> None:
        state = {
            "model": model.state_dict(),
            "head": head.state_dict(),
            "optimizer": optimizer.state_dict(),
            "rng": torch.get_rng_state(),
            "step": step,
            "samples": samples_seen,
            "seconds": seconds,
            "phases": phases,
            "geometry": dataclasses.asdict(geometry),
            "soft_tokens": soft_tokens,
            "screen_text": screen_text,
            "named_places": named_places,
            "lineage": [*lineage, {**this_run, "updates": step}],
        }
        torch.save(state, checkpoint.with_suffix(".tmp"))
        checkpoint.with_suffix(".tmp").replace(checkpoint)

    model.train()
    log = (args.out / "train.jsonl").open("a")
    columns = [
        TextColumn("update {task.completed}"),
        BarColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
    ]
    started, window = time.perf_counter(), list[float]()
    base_seconds = seconds
    with Progress(*columns) as progress:
        job = progress.add_task("train", total=args.steps, completed=step, info="")
        budget = math.inf if args.budget_minutes is None else args.budget_minutes * 60
        while (
            step < args.steps
            and time.perf_counter() - started < args.minutes * 60
            and seconds < budget
        ):
            for group in optimizer.param_groups:
                group["lr"] = rate(step)
            sums: dict[str, list[float]] = {}  # loss name -> values this update
            hits: list[bool] = []
            optimizer.zero_grad()
            for _ in range(args.batch):
                sample = next(stream)
                item = encoder.encode(sample)
                if args.sparse >= 0:
                    item = encoder.thin(item, args.sparse, model.config.image_token_id)
                samples_seen += 1
                phases[args.phase] = phases.get(args.phase, 0) + 1
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
                    parts = losses(model, head, item, number_ids, taps)
                loss = (
                    parts["answer"]
                    + args.patch_weight * parts["patch"]
                    + args.read_weight * parts["read"]
                    + args.point_weight * parts["point"]
                    + args.copy_weight * parts["copy"]
                    + args.choice_weight * parts["choice"]
                ) / args.batch
                loss.backward()
                # word screens have only a reading loss: logged apart ("read_words")
                names: tuple[str, ...] = ("read_words",) if sample.kind == "read" else LOGGED
                names += ("copy",) if item["copy"] else ()  # logged where there is copying
                names += ("choice",) if item["choices"] else ()  # and choosing
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
            record = {
                "step": step,
                "samples": samples_seen,
                "seconds": round(seconds, 1),
                "lr": rate(step - 1),
                **{k: round(v, 4) for k, v in totals.items()},
                "coord_hit": round(sum(window) / max(len(window), 1), 3),
            }
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
