"""Model folders and families: every bad folder is a clear usage error before anything loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deskpilot.coords import CoordinateSpace
from deskpilot.errors import UsageError
from deskpilot.runtime import load_model
from deskpilot.runtime.families import FAMILIES, family_for, qwen_resized
from deskpilot.runtime.folder import ModelFolder


def write_config(folder: Path, model: dict[str, object]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "genai_config.json").write_text(json.dumps({"model": model}))
    return folder


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        load_model(str(tmp_path / "nothing"))


def test_folder_without_config(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"has no genai_config\.json"):
        ModelFolder.open(tmp_path)


def test_unreadable_config(tmp_path: Path) -> None:
    (tmp_path / "genai_config.json").write_text("{not json")
    with pytest.raises(UsageError, match="cannot read"):
        ModelFolder.open(tmp_path)


def test_unknown_model_type_lists_the_supported_ones(tmp_path: Path) -> None:
    write_config(tmp_path, {"type": "llama"})
    with pytest.raises(UsageError, match="unsupported model type 'llama'") as info:
        ModelFolder.open(tmp_path)
    for supported in FAMILIES:
        assert supported in str(info.value)


def test_a_file_the_config_names_is_missing(tmp_path: Path) -> None:
    write_config(tmp_path, {"type": "gemma4_unified", "decoder": {"filename": "model.onnx"}})
    with pytest.raises(UsageError, match=r"model\.onnx \(named in genai_config.json\) is missing"):
        ModelFolder.open(tmp_path)


def test_every_family_renders_its_image_tag_once() -> None:
    for family in FAMILIES.values():
        prompt = family.render("SYSTEM", f"before {family.image_tag} after")
        assert prompt.count(family.image_tag) == 1
        assert "SYSTEM" in prompt and prompt.index("SYSTEM") < prompt.index(family.image_tag)


def test_family_coordinate_spaces() -> None:
    assert family_for("gemma4_unified").space(1280, 800, {}) == CoordinateSpace.normalized()
    qwen = family_for("qwen2_5_vl").space(1280, 800, {})
    assert qwen.kind == "image" and (qwen.width, qwen.height) == qwen_resized(1280, 800, {})
    assert qwen.width % 28 == 0 and qwen.height % 28 == 0


def test_qwen_resize_respects_the_pixel_budget() -> None:
    w, h = qwen_resized(3840, 2160, {"max_pixels": 1003520})
    assert w * h <= 1003520 and w % 28 == 0 and h % 28 == 0
    assert abs(w / h - 3840 / 2160) < 0.05


def _tiny_copy(tmp_path: Path) -> Path:
    import shutil

    folder = tmp_path / "model"
    shutil.copytree(Path(__file__).parents[1] / "models" / "gemma4_unified-tiny", folder)
    return folder


def test_a_folder_declares_the_compact_prompt_style(tmp_path: Path) -> None:
    from PIL import Image

    from deskpilot.runtime.base import ModelRequest
    from deskpilot.runtime.prompting import render_prompt
    from deskpilot.screen import Frame
    from deskpilot.tools import ToolRegistry

    folder = _tiny_copy(tmp_path)
    assert ModelFolder.open(folder).prompt_style == "full"
    (folder / "deskpilot.json").write_text('{"prompt": "compact"}')
    opened = ModelFolder.open(folder)
    assert opened.info()["prompt_style"] == "compact"
    registry = ToolRegistry()
    request = ModelRequest(
        task="click Save",
        frame=Frame.from_image(Image.new("RGB", (64, 40))),
        history=(),
        tool_schema=registry.call_schema(),
        tool_prompt="- click(x, y): Click.",
    )
    space = CoordinateSpace.normalized()
    full = render_prompt(opened.family, request, space, "full")
    compact = render_prompt(opened.family, request, space, "compact")
    assert "- click(x, y)" in full and "- click(x, y)" not in compact
    for prompt in (full, compact):  # the task before the image, both styles
        assert prompt.startswith("<bos>") and prompt.index("click Save") < prompt.index("<|image|>")


def test_an_unknown_prompt_style_is_a_usage_error(tmp_path: Path) -> None:
    folder = _tiny_copy(tmp_path)
    (folder / "deskpilot.json").write_text('{"prompt": "chatty"}')
    with pytest.raises(UsageError, match="unknown prompt style 'chatty'; styles: full, compact"):
        ModelFolder.open(folder)


def test_the_embedded_model_is_the_default_and_reads_the_screen() -> None:
    from deskpilot.runtime.loader import default_model_folder, has_default_model

    assert has_default_model()
    folder = ModelFolder.open(default_model_folder())
    info = folder.info()
    assert folder.path.parts[-2:] == ("models", "default")
    assert info["screen_text"] is True and info["named_places"] is True
    assert info["copy_quoted"] is True and info["copy_words"] is True
    assert sum(f.stat().st_size for f in folder.path.iterdir()) < 30e6  # the size limit
    assert (folder.path / "MODEL_CARD.md").is_file()


def test_an_installation_without_the_embedded_model_says_what_to_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from deskpilot.runtime import loader

    monkeypatch.setattr(loader, "DEFAULT_MODEL", ("models", "absent"))
    with pytest.raises(UsageError, match=r"no embedded default model.*--model FOLDER"):
        load_model(None)


def test_a_folder_may_ask_for_quoted_text_to_be_typed_as_quoted(tmp_path: Path) -> None:
    folder = _tiny_copy(tmp_path)
    assert not ModelFolder.open(folder).copy_quoted  # off unless the folder says so
    (folder / "deskpilot.json").write_text('{"prompt": "compact", "copy_quoted": true}')
    assert ModelFolder.open(folder).info()["copy_quoted"] is True
    (folder / "deskpilot.json").write_text('{"copy_quoted": "yes"}')
    with pytest.raises(UsageError, match="copy_quoted must be true or false, not 'yes'"):
        ModelFolder.open(folder)


def test_a_folder_may_answer_in_a_native_action_format(tmp_path: Path) -> None:
    from deskpilot.runtime.native import NativeModel

    folder = _tiny_copy(tmp_path)
    assert ModelFolder.open(folder).action_format == "deskpilot"
    assert not isinstance(load_model(str(folder)), NativeModel)
    assert isinstance(load_model(str(folder), action_format="fara"), NativeModel)
    (folder / "deskpilot.json").write_text('{"action_format": "ui_tars"}')
    assert ModelFolder.open(folder).info()["action_format"] == "ui_tars"
    native = load_model(str(folder))
    assert isinstance(native, NativeModel) and native.format.name == "ui_tars"
    assert not isinstance(load_model(str(folder), action_format="deskpilot"), NativeModel)
    (folder / "deskpilot.json").write_text('{"action_format": "claude"}')
    with pytest.raises(UsageError, match="unknown action format 'claude'; formats: deskpilot"):
        ModelFolder.open(folder)
    with pytest.raises(UsageError, match="applies to a model folder or a server only"):
        load_model("text-match", action_format="fara")


def test_the_fara_type_is_qwen_laid_out_and_answers_in_fara_calls() -> None:
    from deskpilot.runtime.families import family_for

    fara, qwen = family_for("fara"), family_for("qwen2_5_vl")
    assert fara.action_format == "fara" and qwen.action_format == "deskpilot"
    assert (fara.template, fara.image_tag, fara.space) == (
        qwen.template,
        qwen.image_tag,
        qwen.space,
    )
