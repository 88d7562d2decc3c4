"""Samples -> the tensors the default model trains on, through genai's own processor and tokenizer
(what inference sends): token ids and labels, pixels and their positions, soft coordinate targets,
which patches are on the target, what each patch "reads", and which task token a typed token copies.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from deskpilot.coords import CoordinateSpace
from deskpilot.data.elements import Screen
from deskpilot.data.tasks import Sample
from deskpilot.perception import ScreenText, default_engine
from deskpilot.perception.targets import named_targets
from deskpilot.policies import PolicyGate, load_policy
from deskpilot.runtime.base import ModelRequest
from deskpilot.runtime.families import family_for
from deskpilot.runtime.prompting import named_block, render_prompt, screen_text_block
from deskpilot.screen import Frame
from deskpilot.tools import ToolRegistry
from training.data.copying import copy_pairs
from training.tinymodels.default_model import family
from training.tinymodels.gemma4_unified import MAX_SOFT_TOKENS

IGNORE = -100  # the label of a token that is not learned (the prompt, the image)
PATCH = 48


class Encoder:
    """Sample -> tensors, through genai's processor and tokenizer (what inference sends)."""

    def __init__(
        self, folder: Path, *, screen_text: bool = False, named_places: bool = False
    ) -> None:
        """``screen_text``: the prompt carries the screen's text lines, read by the real OCR
        engine on each screen (as the runtime does for a folder with ``screen_text``);
        ``named_places``: and the places the task names (a folder with ``named_places``)."""
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
        self.text_engine = default_engine() if screen_text else None
        self.named_places = named_places and screen_text
        self._text = ""  # the cached screen's text block
        self._lines = ScreenText.of([])  # the cached screen's text

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
            if self.text_engine is not None:
                lines = self.text_engine.read(frame.pixels[..., 2::-1])
                self._lines = ScreenText.of(lines)
                self._text = screen_text_block(
                    self._lines, frame.width, frame.height, CoordinateSpace.normalized()
                )
        frame, images = self._cached[1], self._cached[2]
        request = ModelRequest(
            task=sample.task,
            frame=frame,
            history=sample.history,
            tool_schema=self.schema,
            tool_prompt="",
        )
        places = self.places(sample, frame)
        named = named_block(places) if self.named_places else ""
        prompt = render_prompt(
            self.family, request, CoordinateSpace.normalized(), "compact", self._text, named
        )
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
            "choices": [],  # (position in ids, candidate token ids, which of them are right)
        }
        if sample.box is not None and "x" in sample.target["arguments"]:
            width, height = frame.width, frame.height
            cols, rows = int(valid[:, 0].max()) + 1, int(valid[:, 1].max()) + 1
            x0, y0, x1, y1 = sample.box
            sx, sy = cols * PATCH / width, rows * PATCH / height
            on = [
                (
                    x0 * sx < (c + 1) * PATCH
                    and x1 * sx > c * PATCH
                    and y0 * sy < (r + 1) * PATCH
                    and y1 * sy > r * PATCH
                )
                for c, r in valid
            ]
            item["patches"] = torch.tensor(on, dtype=torch.float32)
            spans = (
                (x0 * 1000 / width, x1 * 1000 / width),
                (y0 * 1000 / height, y1 * 1000 / height),
            )
            number_ids = set(self.numbers.values())
            found = [i for i, t in enumerate(answer_ids) if t in number_ids][:2]
            for axis, index in enumerate(found):
                item["soft"].append((len(prompt_ids) + index, soft_target(*spans[axis])))
            if self.text_engine is not None:
                xs = sorted({x for _, _, (x, _) in places})
                ys = sorted({y for _, _, (_, y) in places})
                for axis, values in enumerate((xs, ys)):
                    low, high = spans[axis]
                    good = [low <= v <= high for v in values]
                    if axis < len(found) and len(values) > 1 and any(good):
                        ids_ = torch.tensor([self.numbers[v] for v in values])
                        item["choices"].append(
                            (len(prompt_ids) + found[axis], ids_, torch.tensor(good))
                        )
        elif sample.kind == "not_found":  # nothing on the screen is the target
            item["patches"] = torch.zeros(len(valid))
        item["reading"] = self.reading(sample, valid, frame.width, frame.height)
        if sample.kind == "read":  # a word screen: nothing to answer
            item["labels"][:] = IGNORE
        return item

    def places(self, sample: Sample, frame: Frame) -> list[tuple[str, bool, tuple[int, int]]]:
        """The places the task names on the screen (`deskpilot.perception.targets`), each with
        its point in 0..1000 as the runtime maps it for a normalized space (what text-target
        decoding chooses from); none without the screen's text."""
        if self.text_engine is None:
            return []
        targets = named_targets(self._lines, sample.task, frame.pixels)
        return [
            (
                t.text,
                t.field,
                (
                    min(1000, t.point[0] * 1000 // frame.width),
                    min(1000, t.point[1] * 1000 // frame.height),
                ),
            )
            for t in targets
        ]

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
        item["choices"] = [(at + kept - count, c, g) for at, c, g in item["choices"]]
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
    return Sample(
        image=screen.image,
        task="read",
        history=(),
        kind="read",
        target={"name": "done", "arguments": {"answer": "-"}},
        elements=tuple(screen.elements),
    )


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


def tokenizer_folder(out: Path, seed: int, soft_tokens: int = MAX_SOFT_TOKENS) -> Path:
    """A folder with the model's tokenizer and processor (random weights), for encoding."""
    folder = out / (
        "encoder-folder" if soft_tokens == MAX_SOFT_TOKENS else f"encoder-folder-{soft_tokens}"
    )
    if not (folder / "genai_config.json").exists():
        family(soft_tokens=soft_tokens).build(folder, seed, "int4")
    return folder
