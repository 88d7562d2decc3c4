"""training/train_default.py, the default model's trainer (issue 4), end to end on a few updates:
seeded, resumable, and what it exports runs through the real genai runtime with a model card."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

from deskpilot.cli import app
from deskpilot.runtime.folder import ModelFolder
from training.train_default import DATA_VERSION

ROOT = Path(__file__).parents[2]
TRAINER = ["-m", "training.train_default"]  # run from the checkout's root
# a fresh model on the first rung, one sample per update: a few seconds an update on two cores
RUN = ["--widgets", "1", "--batch", "1", "--checkpoint-every", "1", "--minutes", "10"]


def train(out: Path, *args: str) -> str:
    """Run the trainer; its stderr."""
    done = subprocess.run(
        [sys.executable, *TRAINER, "--out", str(out), *RUN, *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


def log(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "train.jsonl").read_text().splitlines()]


def losses(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k != "seconds"} for r in records]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two fresh runs of 2 updates with one seed (``a`` and ``b``); then ``a`` resumed to 3."""
    root = tmp_path_factory.mktemp("train")
    for name in ("a", "b"):
        train(root / name, "--steps", "2")
    (root / "a-at-2.jsonl").write_text((root / "a" / "train.jsonl").read_text())
    state = torch.load(root / "a" / "checkpoint.pt", weights_only=False)
    (root / "a-at-2.json").write_text(json.dumps({"seconds": state["seconds"]}))
    train(root / "a", "--steps", "3", "--resume")
    return root


def test_one_seed_gives_the_same_updates(runs: Path) -> None:
    a = [json.loads(line) for line in (runs / "a-at-2.jsonl").read_text().splitlines()]
    b = log(runs / "b")
    assert [r["step"] for r in b] == [1, 2]
    assert losses(a) == losses(b)
    assert all(r["answer"] > 0 for r in b)  # a real loss, not a constant


def test_a_resumed_run_continues_its_counts_its_clock_and_its_lineage(runs: Path) -> None:
    records = log(runs / "a")
    assert [r["step"] for r in records] == [1, 2, 3]
    assert [r["samples"] for r in records] == [1, 2, 3]
    state = torch.load(runs / "a" / "checkpoint.pt", weights_only=False)
    assert state["step"] == 3 and state["samples"] == 3
    assert state["seconds"] > json.loads((runs / "a-at-2.json").read_text())["seconds"]
    # one run in the lineage (resumed, not a second run), with its arguments and data version
    (entry,) = state["lineage"]
    assert entry["updates"] == 3 and entry["data"] == DATA_VERSION
    assert "--widgets" in entry["argv"]


def test_the_export_runs_through_the_runtime_with_its_card(runs: Path, tmp_path: Path) -> None:
    folder = tmp_path / "int4"
    done = subprocess.run(
        [sys.executable, *TRAINER, "--out", str(runs / "a"), "--export", str(folder)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    card = json.loads((folder / "deskpilot.json").read_text())
    assert card["updates"] == 3 and card["precision"] == "int4"
    assert card["data"] == DATA_VERSION and card["lineage"][0]["updates"] == 3
    assert card["geometry"]["hidden_size"] > 0
    rows = tmp_path / "rows.json"
    args = [
        "model",
        "eval",
        str(folder),
        "--suite",
        "96-words",
        "--screens",
        "2",
        "--json",
        str(rows),
        "--require",
        "valid calls>=100",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (row,) = json.loads(rows.read_text())
    assert row["valid calls"] == "100.0%" and int(row["samples"]) > 0


def test_an_image_token_budget_is_trained_with_and_exported(tmp_path: Path) -> None:
    """--soft-tokens sets the processor training encodes with; the checkpoint records it and the
    export's processor is the same, so the runtime feeds the model what it was trained on."""
    out, folder = tmp_path / "run", tmp_path / "int4"
    train(out, "--steps", "1", "--soft-tokens", "448")
    assert torch.load(out / "checkpoint.pt", weights_only=False)["soft_tokens"] == 448
    encoder = json.loads((out / "encoder-folder-448" / "image_processor.json").read_text())
    assert '"max_soft_tokens": 448' in json.dumps(encoder)
    done = subprocess.run(
        [sys.executable, *TRAINER, "--out", str(out), "--export", str(folder)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads((folder / "deskpilot.json").read_text())["soft_tokens"] == 448
    assert ModelFolder.open(folder).image_token_budget() == 448


def test_a_checkpoint_taken_to_another_budget_starts_with_its_positions_stretched(
    runs: Path, tmp_path: Path
) -> None:
    """--init from a 280-token checkpoint with --soft-tokens 448: the new run's position embedding
    is the old one resampled onto the 26x16 grid (here with a zero learning rate, so the update
    leaves it as it started), not the rows the old model never trained."""
    from training.tinymodels.positions import stretch_positions

    out = tmp_path / "run"
    init = runs / "a" / "checkpoint.pt"
    train(out, "--init", str(init), "--soft-tokens", "448", "--steps", "1", "--lr", "0")
    key = "model.embed_vision.pos_embedding"
    old = torch.load(init, weights_only=False)["model"][key]
    new = torch.load(out / "checkpoint.pt", weights_only=False)["model"][key]
    assert torch.allclose(new, stretch_positions(old, (21, 13), (26, 16)))
    assert not torch.allclose(new[21:26, 0], old[21:26, 0])


def test_bf16_autocast_computes_the_losses_float32_does_within_rounding(
    runs: Path, tmp_path: Path
) -> None:
    """--bf16 (autocast; weights stay float32) is the same computation, rounded: its first update's
    losses are the float32 run's to a few percent, and its checkpoint is float32. On a CPU without
    native bfloat16 (emulated: ~40x slower) it says so and computes in float32: the same losses."""
    out = tmp_path / "bf16"
    said = train(out, "--steps", "1", "--bf16")
    (fast,) = log(out)
    (exact, _) = [json.loads(line) for line in (runs / "a-at-2.jsonl").read_text().splitlines()]
    if torch.ops.mkldnn._is_mkldnn_bf16_supported():
        for name in ("answer", "read"):
            assert fast[name] == pytest.approx(exact[name], rel=0.05), name
        assert fast["answer"] != exact["answer"]  # computed, not copied
        assert "no native bfloat16" not in said
    else:
        assert "no native bfloat16" in said
        assert [fast["answer"], fast["read"]] == [exact["answer"], exact["read"]]
    state = torch.load(out / "checkpoint.pt", weights_only=False)
    assert all(t.dtype == torch.float32 for t in state["model"].values() if t.is_floating_point())


def test_attention_fused_in_untapped_layers_computes_what_eager_everywhere_does(
    runs: Path, tmp_path: Path
) -> None:
    """``--attention tapped`` runs eager attention only in the layers whose weights the pointing
    and copying losses read, fused SDPA elsewhere: the same first updates as the default (eager
    everywhere), to rounding, the pointing and copying losses (which need the weights) included."""
    out = tmp_path / "tapped"
    train(out, "--steps", "2", "--attention", "tapped")
    tapped = log(out)
    eager = [json.loads(line) for line in (runs / "a-at-2.jsonl").read_text().splitlines()]
    for mine, theirs in zip(tapped, eager, strict=True):
        for name in ("answer", "read", "point", "patch", "copy"):
            expected = pytest.approx(theirs.get(name, 0.0), rel=1e-3, abs=2e-4)
            assert mine.get(name, 0.0) == expected, name
    assert any(record["point"] > 0 for record in eager)
    assert any(record.get("copy", 0) > 0 for record in eager)


def test_a_run_with_screen_text_trains_on_the_ocr_lines_and_exports_a_folder_that_reads_them(
    tmp_path: Path,
) -> None:
    out, folder = tmp_path / "text", tmp_path / "text-int4"
    train(out, "--steps", "1", "--screen-text")
    assert torch.load(out / "checkpoint.pt", weights_only=False)["screen_text"] is True
    train(out, "--steps", "2", "--resume")  # a resumed run goes on with it
    assert torch.load(out / "checkpoint.pt", weights_only=False)["screen_text"] is True
    done = subprocess.run(
        [sys.executable, *TRAINER, "--out", str(out), "--export", str(folder)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads((folder / "deskpilot.json").read_text())["screen_text"] is True
    from deskpilot.runtime.genai import GenaiModel

    assert GenaiModel(folder).reader is not None  # the runtime gives it the screen's text


def test_the_encoder_puts_the_screens_text_into_the_training_prompt(runs: Path) -> None:
    from PIL import Image, ImageDraw, ImageFont

    from deskpilot.data.tasks import Sample
    from training.tinymodels.encoding import Encoder, tokenizer_folder

    image = Image.new("RGB", (1280, 800), (236, 236, 236))
    face = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 14)
    ImageDraw.Draw(image).text((640, 400), "Save", font=face, fill=(0, 0, 0))
    sample = Sample(
        image=image,
        task="click Save",
        history=(),
        kind="click",
        target={"name": "click", "arguments": {"x": 505, "y": 505}},
        box=(640, 400, 680, 416),
    )
    folder = tokenizer_folder(runs / "a", 20261128)  # the trainer's own encoding folder
    plain, reading = Encoder(folder), Encoder(folder, screen_text=True)
    plain_ids, text_ids = plain.encode(sample)["ids"][0], reading.encode(sample)["ids"][0]
    assert len(text_ids) > len(plain_ids)
    decoded = reading.tokenizer.decode(text_ids.tolist())
    assert "Screen text:" in decoded and "] Save" in decoded
