"""An onnxruntime-genai model folder: checked before loading, described by `deskpilot model info`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deskpilot.errors import UsageError
from deskpilot.runtime.families import Family, family_for
from deskpilot.runtime.formats import action_format
from deskpilot.runtime.prompting import PROMPT_STYLES

CONFIG_FILE = "genai_config.json"
# optional: how deskpilot talks to this folder: its prompt style ("prompt"), whether typed text
# is decoded as one of the task's quoted texts when the task quotes any ("copy_quoted"), or else as
# a run of the task's own words ("copy_words": a model that cannot spell only copies), whether
# the screen's text (OCR lines with boxes) goes into the prompt beside the image ("screen_text"),
# and, when it does, whether clicks are decoded as one of the places the task names on the screen
# ("text_targets", default true; see deskpilot.perception.targets); and the action format it answers
# in ("action_format": "deskpilot", "fara" or "ui_tars"; see deskpilot.runtime.formats); and, with
# the screen's text, whether the prompt lists the places the task names ("named_places", default
# false: a model trained with that list)
DESKPILOT_FILE = "deskpilot.json"
# optional: how the folder was built; the test folders say "random_weights": true here
BUILD_INFO_FILE = "build_info.json"
# the image processor config genai reads by this fixed name for the Qwen families, whether or not
# model.vision.config_filename names it
GENAI_PROCESSOR_FILE = "processor_config.json"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    if not isinstance(value, dict):
        raise UsageError(f"{path} is not a JSON object")
    return value


@dataclass(frozen=True, kw_only=True)
class ModelFolder:
    """A checked genai model folder."""

    path: Path
    config: dict[str, Any]
    family: Family
    processor: dict[str, Any]
    prompt_style: str = "full"
    copy_quoted: bool = False
    copy_words: bool = False
    screen_text: bool = False
    text_targets: bool = True
    named_places: bool = False
    action_format: str = "deskpilot"

    @classmethod
    def open(cls, path: str | Path) -> ModelFolder:
        """Check the folder: it exists, has a readable genai_config.json of a supported type, and
        every file the config names is present.

        Raises:
            UsageError: Naming what is missing or wrong.
        """
        folder = Path(path)
        if not folder.is_dir():
            raise UsageError(f"model folder {folder} does not exist")
        if not (folder / CONFIG_FILE).is_file():
            raise UsageError(f"{folder} is not a genai model folder: it has no {CONFIG_FILE}")
        config = _read_json(folder / CONFIG_FILE)
        model = config.get("model")
        if not isinstance(model, dict) or not isinstance(model.get("type"), str):
            raise UsageError(f"{folder / CONFIG_FILE} has no model.type")
        family = family_for(model["type"])
        for name in _named_files(model):
            if not (folder / name).is_file():
                raise UsageError(
                    f"{folder} is incomplete: {name} (named in {CONFIG_FILE}) is missing"
                )
        vision = model.get("vision", {})
        processor_file = vision.get("config_filename") if isinstance(vision, dict) else None
        if not processor_file and (folder / GENAI_PROCESSOR_FILE).is_file():
            processor_file = GENAI_PROCESSOR_FILE  # what genai's Qwen processors always read
        processor = _read_json(folder / processor_file) if processor_file else {}
        facts = _read_json(folder / DESKPILOT_FILE) if (folder / DESKPILOT_FILE).is_file() else {}
        style = facts.get("prompt", "full")
        if style not in PROMPT_STYLES:
            raise UsageError(
                f"{folder / DESKPILOT_FILE}: unknown prompt style {style!r}; "
                f"styles: {', '.join(PROMPT_STYLES)}"
            )
        switches = {}
        for name, default in (
            ("copy_quoted", False),
            ("copy_words", False),
            ("screen_text", False),
            ("text_targets", True),
            ("named_places", False),
        ):
            switches[name] = facts.get(name, default)
            if not isinstance(switches[name], bool):
                raise UsageError(
                    f"{folder / DESKPILOT_FILE}: {name} must be true or false, "
                    f"not {switches[name]!r}"
                )
        answers_in = facts.get("action_format", family.action_format)
        if not isinstance(answers_in, str):
            raise UsageError(f"{folder / DESKPILOT_FILE}: action_format must be a format's name")
        try:
            action_format(answers_in)
        except UsageError as exc:
            raise UsageError(f"{folder / DESKPILOT_FILE}: {exc}") from None
        return cls(
            path=folder,
            action_format=answers_in,
            config=config,
            family=family,
            processor=processor,
            prompt_style=style,
            **switches,
        )

    @property
    def model_type(self) -> str:
        """genai_config.json's model.type."""
        return str(self.config["model"]["type"])

    @property
    def audio_input(self) -> bool:
        """Whether the folder takes a task as speech: a speech model and its audio feature config
        in genai_config.json (an empty ``speech.config_filename`` means none) and a family that
        deskpilot knows where to put the audio for."""
        return not self.audio_refusal

    @property
    def audio_refusal(self) -> str:
        """Why the folder takes no audio; empty when it does."""
        speech = self.config["model"].get("speech")
        if not isinstance(speech, dict) or not speech.get("filename"):
            return "its genai_config.json has no speech model"
        if not speech.get("config_filename"):
            return "its genai_config.json names no audio feature config for its speech model"
        if not self.family.audio_tag:
            return f"deskpilot does not yet give the {self.model_type} family audio"
        return ""

    def size_bytes(self) -> int:
        """Total size of the folder's files."""
        return sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file())

    def quantization(self) -> str:
        """The decoder's weight precision: the genai builder writes MatMulNBits nodes for -p int4
        and -p int8, with a ``bits`` attribute (read from the protobuf without loading it)."""
        decoder = self.config["model"].get("decoder", {}).get("filename", "model.onnx")
        path = self.path / decoder
        data = path.read_bytes() if path.is_file() and path.stat().st_size < 512 << 20 else b""
        if b"MatMulNBits" in data:
            # AttributeProto: name "bits" (field 1), then its int value (field 3, a varint)
            found = re.search(rb"\n\x04bits\x18([\x01-\x7f])", data)
            bits = found.group(1)[0] if found else 4
            return f"int{bits} (MatMulNBits)"
        return "int8" if b"MatMulInteger" in data else "float"

    @property
    def random_weights(self) -> bool:
        """Whether the folder says its weights are random (the test folders' build_info.json:
        ``"random_weights": true``): it runs, and answers nonsense."""
        build = self.path / BUILD_INFO_FILE
        try:
            info = json.loads(build.read_text(encoding="utf-8")) if build.is_file() else {}
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return False
        return isinstance(info, dict) and info.get("random_weights") is True

    def image_token_budget(self) -> int | None:
        """The most image tokens one screenshot may become, from the image processor config."""
        text = json.dumps(self.processor)
        for key in ("max_soft_tokens", "max_image_tokens"):
            if key in text:
                return _find_int(self.processor, key)
        crops = _find_int(self.processor, "dynamic_hd")
        if crops:  # Phi-4-multimodal: up to `crops` 448-pixel crops of 16x16 tokens plus a
            return crops * 16 * 17 + 16 * 17 + 1  # row break each, and a 16x16 global view
        max_pixels = _find_int(self.processor, "max_pixels")
        if not max_pixels:
            return self.family.image_tokens
        patch = _find_int(self.processor, "patch_size") or 14  # Qwen2.5-VL's, when not said
        merge = _find_int(self.processor, "merge_size") or 2
        return max_pixels // (patch * merge) ** 2  # one token per merged patch

    def info(self) -> dict[str, Any]:
        """What `deskpilot model info` prints."""
        model = self.config["model"]
        return {
            "path": str(self.path),
            "type": self.model_type,
            "size_mb": round(self.size_bytes() / 1e6, 2),
            "quantization": self.quantization(),
            "random_weights": self.random_weights,
            "prompt_style": self.prompt_style,
            "copy_quoted": self.copy_quoted,
            "copy_words": self.copy_words,
            "screen_text": self.screen_text,
            "text_targets": self.screen_text and self.text_targets,
            "named_places": self.screen_text and self.named_places,
            "action_format": self.action_format,
            "coordinate_space": self.family.space(1280, 800, self.processor).describe(),
            "image_token_budget": self.image_token_budget(),
            "audio_input": self.audio_input,
            "context_length": model.get("context_length"),
            "max_length": self.config.get("search", {}).get("max_length"),
            "files": sorted(p.name for p in self.path.iterdir() if p.is_file()),
        }


def _named_files(model: dict[str, Any]) -> list[str]:
    names = []
    for part in ("decoder", "embedding", "vision", "speech"):
        section = model.get(part)
        if isinstance(section, dict):
            for key in ("filename", "config_filename"):
                value = section.get(key)
                if isinstance(value, str) and value:
                    names.append(value)
    return names


def _find_int(value: Any, key: str) -> int | None:
    """The first integer under ``key`` anywhere in a nested JSON value."""
    if isinstance(value, dict):
        if isinstance(value.get(key), int):
            return int(value[key])
        children: list[Any] = list(value.values())
    elif isinstance(value, list):
        children = value
    else:
        return None
    for child in children:
        found = _find_int(child, key)
        if found is not None:
            return found
    return None
