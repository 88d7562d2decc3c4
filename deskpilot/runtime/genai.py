"""The onnxruntime-genai backend: the screenshot enters the model as image tokens, and the tool call
comes out constrained by the tool-call JSON Schema (llguidance), then is validated like any output.

Model, tokenizer and multimodal processor are built once; each step gets fresh generator params and
a fresh generator, deleted after use. The screenshot goes in as PNG bytes, never a temporary file.
"""

from __future__ import annotations

import json
import logging
import resource
import sys
import time
from pathlib import Path
from typing import Any

from deskpilot.coords import CoordinateSpace
from deskpilot.errors import ModelError, UsageError
from deskpilot.perception import ScreenReader, TextEngine, default_engine
from deskpilot.perception.targets import Target, named_targets
from deskpilot.runtime.base import ModelReply, ModelRequest
from deskpilot.runtime.folder import ModelFolder
from deskpilot.runtime.guidance import (
    POINTING,
    guided_schema,
    only_tools,
    quoted_spans,
    tools_the_verb_allows,
    without_tools,
    word_runs,
)
from deskpilot.runtime.prompting import named_block, render_prompt, screen_text_block
from deskpilot.screen import Frame

log = logging.getLogger("deskpilot.runtime")

DEFAULT_MAX_NEW_TOKENS = 256
MAX_GUIDED_TEXT = 120  # characters per string argument while decoding; longer text takes more calls


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


class GenaiModel:
    """A multimodal model folder run through onnxruntime-genai."""

    def __init__(
        self,
        path: str | Path,
        *,
        guidance: bool = True,
        max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
        copy_quoted: bool | None = None,
        copy_words: bool | None = None,
        screen_text: bool | None = None,
        text_engine: TextEngine | None = None,
        text_targets: bool | None = None,
    ) -> None:
        """Load the folder. ``copy_quoted`` overrides the folder's own choice (its deskpilot.json)
        of typing quoted text exactly, ``copy_words`` its choice of typing a run of the task's
        words when the task quotes nothing; evals set them False to measure the model's own
        copying.
        ``screen_text`` overrides its choice of reading the screen's text into the prompt (OCR by
        ``text_engine``, the default engine if not given); ``text_targets`` its choice of decoding
        clicks as one of the places the task names on the screen (only with the screen's text)."""
        self.folder = ModelFolder.open(path)
        self.copy_quoted = self.folder.copy_quoted if copy_quoted is None else copy_quoted
        self.copy_words = self.folder.copy_words if copy_words is None else copy_words
        wants_text = self.folder.screen_text if screen_text is None else screen_text
        self.reader = ScreenReader(text_engine or default_engine()) if wants_text else None
        self.text_targets = self.folder.text_targets if text_targets is None else text_targets
        self.family = self.folder.family
        # a task as speech (ModelRequest.audio) goes to the folder's speech model, if it has one
        self.audio_input = self.folder.audio_input
        self.audio_refusal = self.folder.audio_refusal
        self.name = f"genai:{self.folder.path}"
        self.guidance = guidance
        self.max_new_tokens = max_new_tokens
        self._warned = False
        try:
            import onnxruntime_genai as og
        except ImportError as exc:  # pragma: no cover - a runtime dependency
            raise UsageError(f"onnxruntime-genai is not installed: {exc}") from None
        self._og: Any = og
        try:
            self._model = og.Model(str(self.folder.path))
            self._processor = self._model.create_multimodal_processor()
            self._tokenizer = og.Tokenizer(self._model)
        except Exception as exc:
            raise UsageError(f"cannot load model folder {self.folder.path}: {exc}") from None
        self._check_vocabulary()
        heard_as = self.family.audio_token or self.family.audio_tag  # what the processor expands
        self._audio_token = self._single_token(heard_as) if self.audio_input else None
        self._max_length = int(self.folder.config.get("search", {}).get("max_length") or 4096)

    def _check_vocabulary(self) -> None:
        missing = []
        for token in self.family.required_tokens:
            ids = list(self._tokenizer.encode(token))
            if len(ids) != 1:
                missing.append(token)
        if missing:
            raise UsageError(
                f"model {self.folder.path}: its vocabulary lacks the image token(s) {missing} that "
                f"the {self.family.model_type} family needs as single tokens"
            )

    def _single_token(self, token: str) -> int | None:
        """``token``'s id when the tokenizer has it as one token."""
        ids = list(self._tokenizer.encode(token))
        return int(ids[0]) if len(ids) == 1 else None

    def coordinate_space(self, frame: Frame) -> CoordinateSpace:
        """The family's space for a screenshot of this size."""
        return self.family.space(frame.width, frame.height, self.folder.processor)

    def prompt(
        self,
        request: ModelRequest,
        space: CoordinateSpace,
        places: list[tuple[Target, tuple[int, int]]] | None = None,
    ) -> str:
        """The full prompt text for one step (with the screen's text if this model reads it, and
        the places the task names if its folder asks for them: ``places``, else found here)."""
        text = named = ""
        if self.reader is not None:
            frame = request.frame
            text = screen_text_block(self.reader.read(frame), frame.width, frame.height, space)
            if self.folder.named_places:
                places = self.named_places(request, space) if places is None else places
                named = named_block([(t.text, t.field, point) for t, point in places])
        style = self.folder.prompt_style
        return render_prompt(self.family, request, space, style, text, named)

    def named_places(
        self, request: ModelRequest, space: CoordinateSpace
    ) -> list[tuple[Target, tuple[int, int]]]:
        """The places the task names on the screen, each with its point in ``space`` (none when
        this model does not read the screen's text, or the task names none of it)."""
        if self.reader is None:
            return []
        frame = request.frame
        targets = named_targets(self.reader.read(frame), request.task, frame.pixels)
        top_x = space.width if space.kind == "normalized" else space.width - 1
        top_y = space.height if space.kind == "normalized" else space.height - 1
        return [
            (
                target,
                (
                    min(top_x, target.point[0] * space.width // frame.width),
                    min(top_y, target.point[1] * space.height // frame.height),
                ),
            )
            for target in targets
        ]

    def named_points(self, request: ModelRequest, space: CoordinateSpace) -> list[tuple[int, int]]:
        """The points of `named_places`: what clicks are decoded as with text targets (none
        without them)."""
        if not self.text_targets:
            return []
        return [point for _, point in self.named_places(request, space)]

    def _length(self, prompt_tokens: int) -> int:
        """``max_length`` for one step: the prompt plus the answer budget (genai sizes its cache by
        it, so not the whole context), but at least the sliding window, which genai requires."""
        decoder = self.folder.config["model"].get("decoder", {})
        window = int(decoder.get("sliding_window", {}).get("window_size", 0))
        return min(self._max_length, max(prompt_tokens + self.max_new_tokens, window))

    def _generator(
        self, inputs: Any, schema: dict[str, Any], length: int, grammar: tuple[str, str] | None
    ) -> Any:
        """A fresh generator, guided by ``grammar`` when given, else by ``schema``; unguided if
        guidance cannot be set up (said once, then off)."""
        og = self._og
        while True:
            params = og.GeneratorParams(self._model)
            params.set_search_options(max_length=length, do_sample=False)
            try:
                if self.guidance:
                    kind, text = grammar or ("json_schema", json.dumps(schema))
                    params.set_guidance(kind, text)
                generator = og.Generator(self._model, params)
            except Exception as exc:
                if not self.guidance:
                    raise ModelError(f"cannot start the generator: {exc}") from None
                self.guidance = False
                log.warning(
                    "constrained decoding is off for this model (%s); falling back to "
                    "validated free text",
                    exc,
                )
                continue
            generator.set_inputs(inputs)
            return generator

    def next_action(self, request: ModelRequest) -> ModelReply:
        """Preprocess the screenshot and prompt, prefill, decode one tool call."""
        og = self._og
        space = self.coordinate_space(request.frame)
        quoted = quoted_spans(request.task) if self.copy_quoted else []
        if not quoted and self.copy_words:
            quoted = word_runs(request.task)
        started = time.perf_counter()
        places = self.named_places(request, space)
        read = self.reader.stats if self.reader is not None else None  # this step's own read
        points = [point for _, point in places] if self.text_targets else []
        offered = request.tool_schema
        if self.text_targets and self.reader is not None and not places:
            offered = without_tools(offered, POINTING)  # nothing named on the screen: no place
        allowed = tools_the_verb_allows(request.task) if self.text_targets else None
        if allowed is not None:  # "scroll ...": the verb's tool, done or fail, never a key
            offered = only_tools(offered, allowed)
        schema = guided_schema(offered, space, MAX_GUIDED_TEXT, quoted, points)
        media: dict[str, Any] = {}
        if request.audio is not None:
            if not self.audio_input:
                raise UsageError(f"this model takes no audio: {self.name} ({self.audio_refusal})")
            media["audios"] = og.Audios.open_bytes(request.audio.wav)
        try:
            media["images"] = og.Images.open_bytes(request.frame.png_bytes())
            inputs = self._processor(self.prompt(request, space, places), **media)
        except Exception as exc:
            what = "screenshot, audio" if "audios" in media else "screenshot"
            raise ModelError(f"the processor rejected the {what} or prompt: {exc}") from None
        preprocessed = time.perf_counter()
        input_ids = inputs["input_ids"].as_numpy()
        prompt_tokens = int(input_ids.shape[-1])
        heard = int((input_ids == self._audio_token).sum()) if "audios" in media else None
        length = self._length(prompt_tokens)
        generator = self._generator(inputs, schema, length, request.grammar)
        stream = self._tokenizer.create_stream()
        pieces: list[str] = []
        first_token_at = None
        tokens = 0
        try:
            while not generator.is_done() and tokens < self.max_new_tokens:
                generator.generate_next_token()
                if first_token_at is None:
                    first_token_at = time.perf_counter()
                token = generator.get_next_tokens()[0]
                tokens += 1
                pieces.append(stream.decode(token))
        except Exception as exc:
            del generator
            raise ModelError(f"generation failed after {tokens} tokens: {exc}") from None
        del generator
        truncated = tokens >= self.max_new_tokens or prompt_tokens + tokens >= length
        finished = time.perf_counter()
        text = "".join(pieces)
        for marker in self.family.end_markers:
            text = text.split(marker)[0]
        decode_s = finished - (first_token_at or finished)
        stats = {
            "preprocess_ms": round((preprocessed - started) * 1000, 3),
            "prefill_ms": round(((first_token_at or finished) - preprocessed) * 1000, 3),
            "decode_tokens": float(tokens),
            "tokens_per_s": round((tokens - 1) / decode_s, 1) if tokens > 1 and decode_s else 0.0,
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "guided": 1.0 if self.guidance else 0.0,
            "truncated": 1.0 if truncated else 0.0,
            "prompt_tokens": float(prompt_tokens),
        }
        if heard is not None:  # the spoken task's soft tokens in this step's prompt
            stats["audio_tokens"] = float(heard)
        if self.reader is not None:  # part of preprocess_ms: the screen's text, read by OCR
            assert read is not None
            stats["ocr_ms"] = round(read.ms, 3)
            stats["ocr_area"] = round(read.area_read, 4)
            stats["named_points"] = float(len(points))
        return ModelReply(text=text, stats=stats)

    def close(self) -> None:
        """Release the model (genai frees it when the objects go)."""
        self._processor = None
        self._tokenizer = None
        self._model = None
