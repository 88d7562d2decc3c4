"""A spoken task through the OpenAI-compatible HTTP backend (stub server on 127.0.0.1): the WAV
goes as an ``input_audio`` part where the task's words would be, before the screenshot, on every
step; a server whose model cannot hear is named as such in the error."""

from __future__ import annotations

import base64
import dataclasses
import io
import wave
from collections.abc import Iterator

import pytest

from deskpilot.errors import ModelError
from deskpilot.runtime.base import TaskAudio, takes_audio
from deskpilot.runtime.openai_http import OpenAIModel
from tests.unit.openai_stub import StubServer
from tests.unit.test_openai_http import CLICK, clean_environment, request

__all__ = ["clean_environment"]  # the autouse fixture: no key or proxy from the environment


@pytest.fixture
def stub() -> Iterator[StubServer]:
    server = StubServer(contents=[CLICK]).start()
    yield server
    server.stop()


def spoken(seconds: float = 0.5, rate: int = 16_000) -> TaskAudio:
    """A WAV of a rising tone, as a task (the backend sends its bytes as they are)."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes((i * 7) % 256 for i in range(int(seconds * rate) * 2)))
    return TaskAudio(wav=buffer.getvalue(), source="task.wav", seconds=seconds)


def test_the_spoken_task_goes_as_input_audio_before_the_screenshot(stub: StubServer) -> None:
    model = OpenAIModel(stub.url)
    assert takes_audio(model)
    audio = spoken()
    heard = dataclasses.replace(request(task="in the first window"), audio=audio)
    assert model.next_action(heard).text == CLICK
    assert model.next_action(heard).text == CLICK  # every step hears it again
    for chat in stub.chats:
        parts = chat.body["messages"][1]["content"]
        assert [p["type"] for p in parts] == ["text", "input_audio", "text", "image_url", "text"]
        assert parts[0]["text"].endswith("Task: ")
        assert parts[2]["text"].startswith(" in the first window\n")  # written words follow
        sent = parts[1]["input_audio"]
        assert sent["format"] == "wav" and base64.b64decode(sent["data"]) == audio.wav


def test_a_written_task_sends_no_audio(stub: StubServer) -> None:
    OpenAIModel(stub.url).next_action(request())
    parts = stub.chats[0].body["messages"][1]["content"]
    assert [p["type"] for p in parts] == ["text", "image_url", "text"]


def test_a_server_that_cannot_hear_says_so(stub: StubServer) -> None:
    stub.reject_audio = True
    model = OpenAIModel(stub.url)
    with pytest.raises(ModelError, match="the server takes no audio for 'stub-vlm'") as error:
        model.next_action(dataclasses.replace(request(), audio=spoken()))
    assert "does not support audio input" in str(error.value)
    assert len(stub.chats) == 1  # a refusal is not retried
