"""The onnxruntime-genai backend with a real (tiny, random-weight) gemma4_unified model folder:
real preprocessing of a real screenshot, real constrained decoding, and every bad input."""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
from pathlib import Path

import pytest
from PIL import Image

from deskpilot.agent.prompt import tools_prompt
from deskpilot.coords import CoordinateSpace
from deskpilot.errors import ModelError, ToolCallError, UsageError
from deskpilot.runtime import load_model
from deskpilot.runtime.base import HistoryEntry, ModelRequest
from deskpilot.runtime.folder import ModelFolder
from deskpilot.runtime.genai import GenaiModel
from deskpilot.runtime.guidance import word_runs
from deskpilot.screen import Frame
from deskpilot.tools import ToolRegistry
from deskpilot.tools.actions import TypeText

MODELS = Path(__file__).parents[1] / "models"
GEMMA4 = MODELS / "gemma4_unified-tiny"
SHIPPED = Path(__file__).parents[2] / "deskpilot" / "models" / "default"  # trained
GEMMA3 = MODELS / "gemma3-tiny"
REGISTRY = ToolRegistry()


@pytest.fixture(scope="module")
def model() -> GenaiModel:
    return GenaiModel(GEMMA4)


def request(
    size: tuple[int, int] = (1280, 800), history: tuple[HistoryEntry, ...] = ()
) -> ModelRequest:
    image = Image.new("RGB", size, (230, 233, 240))
    image.paste((40, 90, 160), (600, 300, 700, 336))
    return ModelRequest(
        task="click Save",
        frame=Frame.from_image(image),
        history=history,
        tool_schema=REGISTRY.call_schema(),
        tool_prompt=tools_prompt(REGISTRY),
    )


def test_gemma3_folder_info() -> None:
    info = ModelFolder.open(GEMMA3).info()
    assert (info["type"], info["image_token_budget"]) == ("gemma3", 256)
    assert info["quantization"] == "int4 (MatMulNBits)"


def test_prompts_start_with_bos_as_genai_adds_none(model: GenaiModel) -> None:
    assert model.prompt(request(), CoordinateSpace.normalized()).startswith("<bos><|turn>system")


def test_folder_info() -> None:
    info = ModelFolder.open(GEMMA4).info()
    assert info["type"] == "gemma4_unified"
    assert info["quantization"].startswith("int4")
    assert info["coordinate_space"] == "normalized 0-1000 on both axes"
    assert info["image_token_budget"] == 280
    assert info["size_mb"] < 10
    assert info["random_weights"] is True  # its build_info.json says so
    assert ModelFolder.open(SHIPPED).info()["random_weights"] is False


def test_constrained_decoding_gives_a_valid_call_even_from_random_weights(
    model: GenaiModel,
) -> None:
    for history in ((), (HistoryEntry(step=1, call='{"name": "wait"}', observation="waited 1 s"),)):
        reply = model.next_action(request(history=history))
        call = REGISTRY.parse(reply.text)  # raises if invalid
        for x, y in call.action.points():
            assert 0 <= x <= 1000 and 0 <= y <= 1000  # bounded to the model's space by the schema
        assert reply.stats["guided"] == 1.0 and reply.stats["truncated"] == 0.0
        assert {
            "preprocess_ms",
            "prefill_ms",
            "decode_tokens",
            "tokens_per_s",
            "peak_rss_mb",
        } <= set(reply.stats)
        assert reply.stats["decode_tokens"] < 60  # compact JSON, no runaway whitespace


def test_the_coordinate_space_goes_into_the_prompt(model: GenaiModel) -> None:
    space = model.coordinate_space(request().frame)
    assert space == CoordinateSpace.normalized()
    prompt = model.prompt(request(), space)
    assert prompt.count("<|image|>") == 1 and "normalized 0-1000" in prompt
    assert prompt.index("Task: click Save") < prompt.index("<|image|>")


def test_screens_of_other_sizes_are_accepted(model: GenaiModel) -> None:
    for size in ((320, 200), (1920, 1080), (800, 1280)):
        REGISTRY.parse(model.next_action(request(size)).text)


def test_output_cut_by_the_token_limit_is_reported_and_fails_validation() -> None:
    short = GenaiModel(GEMMA4, max_new_tokens=4)
    reply = short.next_action(request())
    assert reply.stats["truncated"] == 1.0
    with pytest.raises(ToolCallError):
        REGISTRY.parse(reply.text)


def test_a_schema_guidance_rejects_falls_back_to_free_text_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    model = GenaiModel(GEMMA4, max_new_tokens=8)
    good = request()
    broken = ModelRequest(
        task=good.task,
        frame=good.frame,
        history=(),
        tool_prompt=good.tool_prompt,
        tool_schema={"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}},
    )
    with caplog.at_level(logging.WARNING, logger="deskpilot.runtime"):
        model.next_action(broken)
        model.next_action(broken)
    assert not model.guidance
    assert sum("constrained decoding is off" in r.message for r in caplog.records) == 1


def copy_model(tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(GEMMA4, target)
    return target


def test_a_corrupt_onnx_file_is_a_clear_error(tmp_path: Path) -> None:
    folder = copy_model(tmp_path)
    (folder / "vision.onnx").write_bytes(b"this is not a protobuf")
    with pytest.raises(UsageError, match="cannot load model folder"):
        load_model(str(folder))


def test_a_missing_file_named_by_the_config(tmp_path: Path) -> None:
    folder = copy_model(tmp_path)
    (folder / "embedding.onnx").unlink()
    with pytest.raises(
        UsageError, match=r"embedding\.onnx \(named in genai_config.json\) is missing"
    ):
        load_model(str(folder))


def test_a_vocabulary_without_the_image_tokens(tmp_path: Path) -> None:
    folder = copy_model(tmp_path)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        path = folder / name
        path.write_text(path.read_text().replace("<|image|>", "<|picture|>"))
    with pytest.raises(UsageError, match=r"lacks the image token\(s\) \['<\|image\|>'\]"):
        GenaiModel(folder)


def test_an_unknown_model_type(tmp_path: Path) -> None:
    folder = copy_model(tmp_path)
    config = json.loads((folder / "genai_config.json").read_text())
    config["model"]["type"] = "mystery_vl"
    (folder / "genai_config.json").write_text(json.dumps(config))
    with pytest.raises(UsageError, match="unsupported model type 'mystery_vl'; supported types"):
        load_model(str(folder))


def test_an_image_the_processor_rejects_is_a_model_error(model: GenaiModel) -> None:
    bad = request()
    broken = Frame.from_image(Image.new("RGB", (16400, 8)))  # wider than the decoder allows
    with pytest.raises(ModelError):
        model.next_action(
            ModelRequest(
                task=bad.task,
                frame=broken,
                history=(),
                tool_schema=bad.tool_schema,
                tool_prompt=bad.tool_prompt,
            )
        )


def test_model_eval_compares_folders_side_by_side_with_the_edge_suite(tmp_path: Path) -> None:
    import subprocess
    import sys

    rows_file = tmp_path / "eval.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "deskpilot",
            "model",
            "eval",
            str(GEMMA4),
            str(GEMMA3),
            "--suite",
            "edge",
            "--suite",
            "synthetic",
            "--screens",
            "1",
            "--json",
            str(rows_file),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**__import__("os").environ, "COLUMNS": "250"},
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(rows_file.read_text())
    assert [(r["model"], r["suite"]) for r in rows] == [
        ("gemma4_unified-tiny (int4 (MatMulNBits))", "edge"),
        ("gemma3-tiny (int4 (MatMulNBits))", "edge"),
        ("gemma4_unified-tiny (int4 (MatMulNBits))", "synthetic"),
        ("gemma3-tiny (int4 (MatMulNBits))", "synthetic"),
    ]
    assert all(r["valid calls"].endswith("%") and r["p50 ms"].isdigit() for r in rows)
    assert rows[0]["samples"] == "4" and "false clicks" in rows[0]
    assert "edge" in result.stdout and "gemma3-tiny" in result.stdout


def test_a_folder_that_copies_quotes_types_the_quoted_text_exactly(tmp_path: Path) -> None:
    typing_only = ToolRegistry([TypeText])
    asked = ModelRequest(
        task='type "Ada Lovelace" into Name',
        frame=request().frame,
        history=(),
        tool_schema=typing_only.call_schema(),
        tool_prompt="",
    )
    free = typing_only.parse(GenaiModel(GEMMA4).next_action(asked).text)
    assert free.arguments["text"] != "Ada Lovelace"  # random weights: anything but the quote
    folder = copy_model(tmp_path)
    (folder / "deskpilot.json").write_text('{"copy_quoted": true}')
    copying = GenaiModel(folder)
    assert typing_only.parse(copying.next_action(asked).text).arguments == {"text": "Ada Lovelace"}
    unquoted = ModelRequest(
        task="type Ada into Name",
        frame=asked.frame,
        history=(),
        tool_schema=asked.tool_schema,
        tool_prompt="",
    )
    typing_only.parse(copying.next_action(unquoted).text)  # no quote: free text, still valid
    own = GenaiModel(folder, copy_quoted=False)  # what evals use to measure the model's copying
    assert typing_only.parse(own.next_action(asked).text).arguments == free.arguments


def test_a_folder_that_copies_words_types_a_run_of_the_tasks_words(tmp_path: Path) -> None:
    typing_only = ToolRegistry([TypeText])
    task = "type ada lovelace into Name"
    asked = ModelRequest(
        task=task,
        frame=request().frame,
        history=(),
        tool_schema=typing_only.call_schema(),
        tool_prompt="",
    )
    folder = copy_model(tmp_path)
    (folder / "deskpilot.json").write_text('{"copy_words": true}')
    typed = typing_only.parse(GenaiModel(folder).next_action(asked).text).arguments["text"]
    assert typed in word_runs(task)  # random weights choose which run, never a made-up text
    own = GenaiModel(folder, copy_words=False)
    assert typing_only.parse(own.next_action(asked).text).arguments["text"] not in word_runs(task)
    quoting = dataclasses.replace(asked, task='type "Ada" into Name')
    both = copy_model(tmp_path / "both")
    (both / "deskpilot.json").write_text('{"copy_words": true, "copy_quoted": true}')
    quoted = GenaiModel(both).next_action(quoting).text
    assert typing_only.parse(quoted).arguments == {"text": "Ada"}  # a quote wins over the words


def test_a_folder_that_reads_screen_text_gets_the_lines_beside_the_image(tmp_path: Path) -> None:
    from PIL import ImageDraw, ImageFont

    image = Image.new("RGB", (1280, 800), (230, 233, 240))
    ImageDraw.Draw(image).text(
        (640, 400),
        "Save",
        fill=(0, 0, 0),
        font=ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 14),
    )
    asked = ModelRequest(
        task="click Save",
        frame=Frame.from_image(image),
        history=(),
        tool_schema=REGISTRY.call_schema(),
        tool_prompt="",
    )
    plain = GenaiModel(GEMMA4)
    space = plain.coordinate_space(asked.frame)
    assert "Screen text:" not in plain.prompt(asked, space)
    folder = copy_model(tmp_path)
    (folder / "deskpilot.json").write_text('{"screen_text": true}')
    reading = GenaiModel(folder)
    assert ModelFolder.open(folder).info()["screen_text"] is True
    prompt = reading.prompt(asked, space)
    line = next(row for row in prompt.splitlines() if row.endswith("] Save"))
    x0, y0, x1, y1 = json.loads(line.split("]")[0] + "]")
    assert 495 <= x0 < 505 and 500 <= y0 < 508 and x0 < x1 < 530 and y0 < y1 < 530  # 0-1000 space
    assert prompt.index("Screen text:") < prompt.index("<|image|>")
    reply = reading.next_action(asked)  # the longer prompt still runs end to end
    REGISTRY.parse(reply.text)
    assert reply.stats["prompt_tokens"] > plain.next_action(asked).stats["prompt_tokens"]
    fresh = GenaiModel(folder)
    first, again = fresh.next_action(asked), fresh.next_action(asked)
    # each step reports its own read: the whole screen first, nothing new for the same frame
    assert first.stats["ocr_area"] == 1.0 and again.stats["ocr_area"] == 0.0
    assert "ocr_ms" in first.stats
    assert "Screen text:" not in GenaiModel(folder, screen_text=False).prompt(asked, space)
    assert "Named places:" not in prompt  # only for a folder trained with the list
    (folder / "deskpilot.json").write_text('{"screen_text": true, "named_places": true}')
    listing = GenaiModel(folder)
    named = listing.prompt(asked, space).split("Named places:\n")[1].split("\n")[0]
    x, y = json.loads(named.split("]")[0] + "]")
    assert named.endswith("] Save") and (x, y) in listing.named_points(asked, space)
    assert x0 < x < x1 and y0 < y < y1  # the text's centre, in the model's space
    elsewhere = dataclasses.replace(asked, task="click Open")
    assert "Named places:\nnone\n" in listing.prompt(elsewhere, space)
    REGISTRY.parse(listing.next_action(asked).text)
    (folder / "deskpilot.json").write_text('{"screen_text": "yes"}')
    with pytest.raises(UsageError, match="screen_text must be true or false"):
        GenaiModel(folder)


def test_a_model_reading_the_screen_clicks_one_of_the_places_the_task_names(
    tmp_path: Path,
) -> None:
    from PIL import ImageDraw, ImageFont

    from deskpilot.tools.actions import Click

    image = Image.new("RGB", (1280, 800), (230, 233, 240))
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 14)
    draw = ImageDraw.Draw(image)
    draw.text((300, 200), "Save", fill=(0, 0, 0), font=font)
    draw.text((900, 600), "Cancel", fill=(0, 0, 0), font=font)
    clicks = ToolRegistry([Click])
    folder = copy_model(tmp_path)
    (folder / "deskpilot.json").write_text('{"screen_text": true}')

    def click(model: GenaiModel, task: str) -> tuple[int, int]:
        asked = ModelRequest(
            task=task,
            frame=Frame.from_image(image),
            history=(),
            tool_schema=clicks.call_schema(),
            tool_prompt="",
        )
        arguments = clicks.parse(model.next_action(asked).text).arguments
        return arguments["x"], arguments["y"]

    reading = GenaiModel(folder)
    save, cancel = click(reading, "click Save"), click(reading, "click the Cancel button")
    # 0-1000 space: Save's text spans about x 234-266, y 250-270; Cancel's x 703-750, y 750-770
    assert 234 <= save[0] <= 266 and 250 <= save[1] <= 270, save
    assert 703 <= cancel[0] <= 750 and 750 <= cancel[1] <= 770, cancel
    free = GenaiModel(folder, text_targets=False)  # the model's own click: random weights
    assert click(free, "click Save") != save
    assert click(reading, "click Export") == click(free, "click Export")  # nothing else to do
    from deskpilot.tools.actions import Fail

    declining = ToolRegistry([Click, Fail])
    asked = ModelRequest(
        task="click Export",
        frame=Frame.from_image(image),
        history=(),
        tool_schema=declining.call_schema(),
        tool_prompt="",
    )
    assert declining.parse(reading.next_action(asked).text).name == "fail"  # nothing named
    saving = dataclasses.replace(asked, task="click Save")
    for model in (reading, free):  # random weights: with a place named, or freely, it may click
        declining.parse(model.next_action(saving).text)
    assert ModelFolder.open(folder).info()["text_targets"] is True
    (folder / "deskpilot.json").write_text('{"screen_text": true, "text_targets": false}')
    assert click(GenaiModel(folder), "click Save") == click(free, "click Save")


def test_eval_table_names_a_precision_once(tmp_path: Path) -> None:
    from deskpilot.cli.model_cmd import _short

    (tmp_path / "int4").symlink_to(GEMMA3.resolve(), target_is_directory=True)
    assert _short(str(tmp_path / "int4")) == "int4 (MatMulNBits)"
    assert _short(str(GEMMA3)) == f"{GEMMA3.name} (int4 (MatMulNBits))"


def test_the_default_model_asked_to_scroll_never_presses_a_key() -> None:
    # it never learned to scroll (its curriculum's screens had no list) and answered "scroll
    # down in the list" with ctrl+s, ctrl+c or Option+f; the verb now allows scroll, done or fail
    from deskpilot.data.evaluate import suite_samples
    from deskpilot.tools import ToolRegistry

    shipped = GenaiModel(SHIPPED)
    registry = ToolRegistry()
    scrolls = [s for s in suite_samples("unseen", 25) if s.target["name"] == "scroll"]
    assert scrolls
    for sample in scrolls:
        reply = shipped.next_action(
            ModelRequest(
                task=sample.task,
                frame=Frame.from_image(sample.image),
                history=(),
                tool_schema=registry.call_schema(),
                tool_prompt=tools_prompt(registry),
            )
        )
        assert registry.parse(reply.text).name in {"scroll", "done", "fail"}, reply.text
    shipped.close()
