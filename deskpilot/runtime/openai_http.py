"""`--model http://HOST:PORT/v1`: a model behind an OpenAI-compatible chat-completions server
(llama.cpp server, vLLM, Ollama, LM Studio), over the standard library's HTTP client.

Each step is one POST to ``{base}/chat/completions``: the instructions and tools as the system
message; the task, the history and the screenshot (a PNG data URI) as the user message; greedy
decoding; and the tool-call JSON Schema as ``response_format`` (structured output). A server that
rejects ``response_format`` is asked once more without it, and from then on answers in free text,
validated like any output. The API key (``DESKPILOT_API_KEY``, else ``OPENAI_API_KEY``) goes in
the Authorization header only: never in the name, the logs or an error message.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import re
import time
import urllib.parse
from typing import Any, Literal, cast, get_args

from PIL import Image

from deskpilot.coords import CoordinateSpace
from deskpilot.errors import ModelError, UsageError
from deskpilot.runtime.base import ModelReply, ModelRequest
from deskpilot.runtime.families import qwen_resized
from deskpilot.runtime.guidance import guided_schema
from deskpilot.runtime.http_client import HttpClient, HttpFailure
from deskpilot.runtime.loader import HTTP_PREFIXES
from deskpilot.runtime.prompting import system_text, user_text
from deskpilot.screen import Frame

log = logging.getLogger("deskpilot.runtime")

Coords = Literal["normalized", "image", "screen"]
COORDS: tuple[str, ...] = get_args(Coords)
KEY_VARIABLES = ("DESKPILOT_API_KEY", "OPENAI_API_KEY")
DEFAULT_MAX_TOKENS = 1024
DEFAULT_MAX_PIXELS = 1280 * 28 * 28  # what a smart-resized screenshot may have (Qwen's default)
_IMAGE_SLOT = "\x00image\x00"  # where the screenshot goes in the user text
_AUDIO_SLOT = "\x00audio\x00"  # where a spoken task goes in it
# served-model names of families that answer in pixels of the smart-resized image they were sent
_SMART_RESIZED = re.compile(r"qwen[-_.]?2[-_.]?5[-_.]?vl|ui[-_.]?tars|(?:^|[^a-z])fara(?:[^a-z]|$)")
_FORMAT_WORDS = ("response_format", "json_schema")


def is_http_spec(spec: str | None) -> bool:
    """Whether a ``--model`` spec names a server (``http://`` or ``https://``)."""
    return spec is not None and spec.lower().startswith(HTTP_PREFIXES)


def base_url(spec: str) -> str:
    """The API base of a ``--model`` URL, checked: ``http(s)://host[:port][/path]`` with no
    credentials, query or fragment; a trailing ``/`` or ``/chat/completions`` is dropped.

    Raises:
        UsageError: It is not such a URL.
    """
    try:
        parts = urllib.parse.urlsplit(spec.strip())
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise UsageError(f"--model {spec!r} is not a valid URL: {exc}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--model {spec!r} is not an http:// or https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise UsageError("--model: put no credentials in the URL; set DESKPILOT_API_KEY instead")
    if parts.query or parts.fragment:
        raise UsageError(
            f"--model {spec!r}: give the API base (e.g. http://HOST:PORT/v1), "
            "without a query or fragment"
        )
    path = parts.path.rstrip("/").removesuffix("/chat/completions")
    return urllib.parse.urlunsplit((parts.scheme.lower(), parts.netloc, path, "", ""))


def default_coords(model_name: str) -> tuple[Coords, bool]:
    """The coordinate space a served model's name implies, and whether its screenshots are
    smart-resized (Qwen's rule) before sending: Qwen2.5-VL, UI-TARS and Fara answer in pixels of
    the image they were sent; Qwen3-VL and everything else in 0-1000 on both axes."""
    lowered = model_name.lower()
    if _SMART_RESIZED.search(lowered):
        return "image", True
    return "normalized", False


def api_key() -> str | None:
    """The API key from the environment, or None."""
    for variable in KEY_VARIABLES:
        if value := os.environ.get(variable, "").strip():
            return value
    return None


class OpenAIModel:
    """A model served over HTTP by an OpenAI-compatible server."""

    # a spoken task goes to the server as an OpenAI input_audio part; a server or model that
    # cannot hear answers the first step with an error, which says so
    audio_input = True

    def __init__(
        self,
        url: str,
        *,
        model_name: str | None = None,
        coords: str | None = None,
        connect_timeout_s: float = 10.0,
        read_timeout_s: float = 120.0,
        retries: int = 3,
        backoff_s: float = 0.5,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        max_pixels: int = DEFAULT_MAX_PIXELS,
    ) -> None:
        """Check the URL and settle the served model (``model_name``, else the first the server's
        ``/models`` lists) and its coordinate space (``coords``, else what the name implies).

        Raises:
            UsageError: A bad URL or ``coords``; a server that cannot be reached or lists no model
                while ``model_name`` is not given.
        """
        if coords is not None and coords not in COORDS:
            raise UsageError(f"--coords {coords!r}: choose {', '.join(COORDS)}")
        self.base = base_url(url)
        self._http = HttpClient(
            api_key(),
            connect_timeout_s=connect_timeout_s,
            read_timeout_s=read_timeout_s,
            retries=retries,
            backoff_s=backoff_s,
        )
        self.model_name = model_name or self._first_model()
        implied, self.smart_resize = default_coords(self.model_name)
        self.coords: Coords = implied if coords is None else cast(Coords, coords)
        self.max_tokens = max_tokens
        self.max_pixels = max_pixels
        self.structured = True  # response_format on, until the server rejects it
        self.name = f"openai:{self.base} {self.model_name}"

    def __repr__(self) -> str:
        return f"OpenAIModel({self.base!r}, model_name={self.model_name!r}, coords={self.coords!r})"

    def list_models(self) -> list[str]:
        """The ids the server's ``GET {base}/models`` lists, in its order.

        Raises:
            ModelError: The server cannot be reached or answers with no model list.
        """
        answer = self._get("/models")
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, list):
            raise ModelError(f"{self.base}/models answered with no model list (no 'data' array)")
        return [str(m["id"]) for m in data if isinstance(m, dict) and m.get("id")]

    def info(self) -> dict[str, Any]:
        """What `deskpilot model info URL` prints: the server, what it serves, the model asked and
        the coordinate space its answers are read in (for a 1280x800 screen)."""
        screen = Frame.from_image(Image.new("RGB", (1280, 800)))
        space = self.coordinate_space(screen)
        return {
            "url": self.base,
            "served_models": self.list_models(),
            "model": self.model_name,
            "coords": self.coords,
            "coordinate_space": space.describe() + " (for a 1280x800 screen)",
            "image_sent": "x".join(map(str, self.image_size(screen))),
            "structured_output": "response_format json_schema (free text if refused)",
            "api_key": "set" if api_key() else "not set",
        }

    def _first_model(self) -> str:
        try:
            models = self.list_models()
        except ModelError as exc:
            raise UsageError(
                f"{exc} (to skip asking the server which model it serves, name it: "
                "--model-name NAME)"
            ) from None
        if not models:
            raise UsageError(
                f"{self.base}/models lists no model; load one into the server, or "
                "name it: --model-name NAME"
            )
        return models[0]

    def image_size(self, frame: Frame) -> tuple[int, int]:
        """The size of the screenshot as sent: smart-resized for the families that need it (so the
        server's own resize leaves it alone), else (and for screen coordinates) the capture's."""
        if self.smart_resize and self.coords != "screen":
            return qwen_resized(frame.width, frame.height, {"max_pixels": self.max_pixels})
        return frame.width, frame.height

    def coordinate_space(self, frame: Frame) -> CoordinateSpace:
        """0-1000 (normalized), pixels of the image sent (image) or of the capture (screen)."""
        if self.coords == "normalized":
            return CoordinateSpace.normalized(1000)
        if self.coords == "image":
            return CoordinateSpace.image(*self.image_size(frame))
        return CoordinateSpace.screen(frame.width, frame.height)

    def _png(self, frame: Frame) -> bytes:
        size = self.image_size(frame)
        if size == (frame.width, frame.height):
            return frame.png_bytes()
        buffer = io.BytesIO()
        resized = frame.to_image().resize(size, resample=Image.Resampling.BICUBIC)  # as Qwen's
        resized.save(buffer, format="PNG", compress_level=1)
        return buffer.getvalue()

    def messages(self, request: ModelRequest, space: CoordinateSpace) -> list[dict[str, Any]]:
        """The chat messages of one step: instructions and tools, then task (a spoken one as an
        ``input_audio`` part: the WAV, base64), history, screenshot."""
        spoken = _AUDIO_SLOT if request.audio is not None else ""
        text = user_text(request, _IMAGE_SLOT, audio_tag=spoken)
        before, _, after = text.rpartition(_IMAGE_SLOT)
        image = base64.b64encode(self._png(request.frame)).decode("ascii")
        content: list[dict[str, Any]] = []
        if request.audio is not None:
            task, _, before = before.partition(_AUDIO_SLOT)
            wav = base64.b64encode(request.audio.wav).decode("ascii")
            content += [
                {"type": "text", "text": task},
                {"type": "input_audio", "input_audio": {"data": wav, "format": "wav"}},
            ]
        content += [
            {"type": "text", "text": before},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{image}"}},
            {"type": "text", "text": after},
        ]
        return [
            {"role": "system", "content": request.system or system_text(request, space)},
            {"role": "user", "content": content},
        ]

    def body(self, request: ModelRequest) -> dict[str, Any]:
        """The JSON body of one chat-completions request."""
        space = self.coordinate_space(request.frame)
        body: dict[str, Any] = {
            "model": self.model_name,
            "messages": self.messages(request, space),
            "temperature": 0,
            "max_tokens": self.max_tokens,
            "stream": False,
        }
        if self.structured and request.grammar is None:  # a native format's answer is free text
            schema = guided_schema(request.tool_schema, space)
            schema.pop("x-guidance", None)  # an llguidance option, not JSON Schema
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "tool_call", "schema": schema, "strict": True},
            }
        return body

    def next_action(self, request: ModelRequest) -> ModelReply:
        """POST the step; the reply's message content is the tool call."""
        started = time.perf_counter()
        self._http.retried = 0
        try:
            answer = self._post("/chat/completions", self.body(request))
        except HttpFailure as failure:
            if not (
                self.structured
                and failure.status in (400, 422)
                and any(w in failure.text.lower() for w in _FORMAT_WORDS)
            ):
                raise self._error(failure, heard=request.audio is not None) from None
            self.structured = False
            log.warning(
                "%s rejected response_format (structured output): %s; falling back to "
                "validated free text",
                self.base,
                failure.text[:200],
            )
            try:
                answer = self._post("/chat/completions", self.body(request))
            except HttpFailure as second:
                raise self._error(second, heard=request.audio is not None) from None
        text = _content(answer, self.base)
        stats = {
            "latency_ms": round((time.perf_counter() - started) * 1000, 3),
            "guided": 1.0 if self.structured else 0.0,
            "retries": float(self._http.retried),
        }
        usage = answer.get("usage")
        if isinstance(usage, dict):
            for key in ("prompt_tokens", "completion_tokens"):
                if isinstance(usage.get(key), int | float):
                    stats[key] = float(usage[key])
        return ModelReply(text=text, stats=stats)

    def _get(self, path: str) -> Any:
        try:
            return self._http.request("GET", self.base + path)
        except HttpFailure as failure:
            raise self._error(failure) from None

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        return self._http.request("POST", self.base + path, json.dumps(body).encode("utf-8"))

    def _error(self, failure: HttpFailure, heard: bool = False) -> ModelError:
        where = f"{failure.url} answered HTTP {failure.status}"
        if failure.retries:
            where += f" (after {failure.retries} retries)"
        if heard and failure.status in (400, 422) and "audio" in failure.text.lower():
            return ModelError(
                f"{where}: the server takes no audio for {self.model_name!r} (the spoken task "
                f"went as an OpenAI input_audio part); give the task in words: {failure.text[:200]}"
            )
        if failure.status in (401, 403):
            return ModelError(
                f"{where}: the API key was refused or is missing (set DESKPILOT_API_KEY)"
            )
        if failure.status == 404:
            return ModelError(
                f"{where}: no such endpoint or model {self.model_name!r} (is the "
                f"base URL the API's, usually ending in /v1?): {failure.text[:200]}"
            )
        return ModelError(f"{where}: {failure.text[:300]}")

    def close(self) -> None:
        """Nothing is held between steps (each request has its own connection)."""


def _content(answer: Any, base: str) -> str:
    """The first choice's message content of a chat completion, or a `ModelError` saying why the
    answer is not one."""
    if not isinstance(answer, dict) or "choices" not in answer:
        found = sorted(answer)[:8] if isinstance(answer, dict) else type(answer).__name__
        raise ModelError(
            f"{base}/chat/completions answered with something that is not a chat "
            f"completion (no 'choices'; got {found})"
        )
    choices = answer["choices"]
    if not isinstance(choices, list) or not choices:
        raise ModelError(f"{base}/chat/completions answered a completion with no choices")
    message = choices[0].get("message") if isinstance(choices[0], dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):  # some servers answer in content parts
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    if not isinstance(content, str):
        raise ModelError(f"{base}/chat/completions answered a choice with no message content")
    return content
