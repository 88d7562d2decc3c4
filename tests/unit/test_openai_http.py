"""The OpenAI-compatible HTTP backend against a stub server on 127.0.0.1 (no model behind it):
what it sends, what it returns, and a clear error for each way a server fails."""

from __future__ import annotations

import base64
import io
import json
import logging
import socket
import time
from collections.abc import Iterator

import pytest
from PIL import Image

from deskpilot.agent.prompt import tools_prompt
from deskpilot.coords import CoordinateSpace
from deskpilot.errors import ModelError, UsageError
from deskpilot.runtime import load_model
from deskpilot.runtime.base import HistoryEntry, ModelRequest
from deskpilot.runtime.openai_http import OpenAIModel, base_url, default_coords, is_http_spec
from deskpilot.tools import ToolRegistry
from tests.unit.conftest import call, make_frame
from tests.unit.openai_stub import StubServer

CLICK = call("click", x=500, y=250)
KEY = "sk-test-0123456789abcdef"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No key and no proxy from the environment: every request goes straight to 127.0.0.1."""
    for name in (
        "DESKPILOT_API_KEY",
        "OPENAI_API_KEY",
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def stub() -> Iterator[StubServer]:
    server = StubServer(contents=[CLICK]).start()
    yield server
    server.stop()


def request(width: int = 320, height: int = 200, task: str = "click OK") -> ModelRequest:
    registry = ToolRegistry()
    return ModelRequest(
        task=task,
        frame=make_frame(width, height),
        history=(HistoryEntry(step=1, call=call("wait", seconds=1), observation="ok"),),
        tool_schema=registry.call_schema(),
        tool_prompt=tools_prompt(registry),
    )


def sent_png(body: dict[str, object]) -> Image.Image:
    """The screenshot of a chat request: its data URI, decoded."""
    content = body["messages"][1]["content"]  # type: ignore[index]
    url = next(p["image_url"]["url"] for p in content if p["type"] == "image_url")
    prefix = "data:image/png;base64,"
    assert url.startswith(prefix)
    data = base64.b64decode(url[len(prefix) :])
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return Image.open(io.BytesIO(data))


def test_a_step_sends_prompt_screenshot_and_schema(stub: StubServer) -> None:
    model = OpenAIModel(stub.url)
    reply = model.next_action(request())
    assert reply.text == CLICK
    assert reply.stats["prompt_tokens"] == 321 and reply.stats["completion_tokens"] == 12
    assert reply.stats["latency_ms"] > 0 and reply.stats["guided"] == 1.0
    assert [r.path for r in stub.received] == ["/v1/models", "/v1/chat/completions"]
    body = stub.chats[0].body
    assert body["model"] == "stub-vlm" and body["temperature"] == 0
    assert sent_png(body).size == (320, 200)
    system, user = body["messages"]
    assert system["role"] == "system" and "normalized 0-1000" in system["content"]
    assert "- click(" in system["content"]  # the tools, described in words
    texts = " ".join(p["text"] for p in user["content"] if p["type"] == "text")
    assert "Task: click OK" in texts and '1. {"name": "wait"' in texts
    assert [p["type"] for p in user["content"]] == ["text", "image_url", "text"]
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "tool_call"
    assert fmt["json_schema"]["strict"] is True
    schema = fmt["json_schema"]["schema"]
    assert "x-guidance" not in schema and "ClickCall" in schema["$defs"]
    assert schema["$defs"]["Click"]["properties"]["x"]["maximum"] == 1000  # bounded to the space
    assert "Authorization" not in stub.chats[0].headers


def test_a_named_model_is_asked_without_listing(stub: StubServer) -> None:
    model = load_model(stub.url, model_name="other-model")
    model.next_action(request())
    assert [r.path for r in stub.received] == ["/v1/chat/completions"]
    assert stub.chats[0].body["model"] == "other-model"


def test_a_server_listing_no_model_is_a_usage_error(stub: StubServer) -> None:
    stub.models = []
    with pytest.raises(UsageError, match=r"lists no model.*--model-name"):
        OpenAIModel(stub.url)


def test_the_key_is_sent_and_never_shown(stub: StubServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKPILOT_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-the-other-one")
    model = OpenAIModel(stub.url, retries=0)
    model.next_action(request())
    assert stub.received[0].headers["Authorization"] == f"Bearer {KEY}"
    assert stub.chats[0].headers["Authorization"] == f"Bearer {KEY}"
    stub.plan = ["echo-key"]  # the server puts the header into its error message
    with pytest.raises(ModelError, match="HTTP 500") as info:
        model.next_action(request())
    assert "Bearer ***" in str(info.value)
    for shown in (str(info.value), repr(model), model.name, repr(vars(model))):
        assert KEY not in shown


def test_openai_api_key_is_the_fallback(stub: StubServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    OpenAIModel(stub.url).next_action(request())
    assert stub.chats[0].headers["Authorization"] == f"Bearer {KEY}"


def test_429_then_ok_is_retried(stub: StubServer) -> None:
    stub.plan = ["429", "ok"]
    reply = OpenAIModel(stub.url, model_name="m", backoff_s=0.01).next_action(request())
    assert reply.text == CLICK and reply.stats["retries"] == 1.0
    assert len(stub.chats) == 2


def test_5xx_retries_are_bounded(stub: StubServer) -> None:
    stub.plan = ["500"] * 10
    model = OpenAIModel(stub.url, model_name="m", retries=2, backoff_s=0.01)
    with pytest.raises(ModelError, match=r"HTTP 500 \(after 2 retries\).*internal error"):
        model.next_action(request())
    assert len(stub.chats) == 3


def test_a_long_retry_after_is_not_waited_for(stub: StubServer) -> None:
    stub.plan = ["429-long"]
    started = time.monotonic()
    with pytest.raises(ModelError, match="HTTP 429"):
        OpenAIModel(stub.url, model_name="m").next_action(request())
    assert time.monotonic() - started < 2 and len(stub.chats) == 1


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        ("html", r"not JSON \(text/html\).*DOCTYPE"),
        ("shape", r"not a chat completion \(no 'choices'; got \['result'\]\)"),
        ("empty", "a completion with no choices"),
    ],
)
def test_an_answer_that_is_no_chat_completion(
    stub: StubServer, behaviour: str, message: str
) -> None:
    stub.plan = [behaviour]
    with pytest.raises(ModelError, match=message):
        OpenAIModel(stub.url, model_name="m").next_action(request())


def test_a_slow_server_times_out(stub: StubServer) -> None:
    stub.plan = ["slow"]
    model = OpenAIModel(stub.url, model_name="m", read_timeout_s=0.3)
    started = time.monotonic()
    with pytest.raises(ModelError, match=r"did not answer in time .*read timeout 0\.3 s"):
        model.next_action(request())
    assert time.monotonic() - started < 1.5


def test_a_server_that_is_down() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    with pytest.raises(ModelError, match=f"cannot reach {url}/chat/completions.*is the server"):
        OpenAIModel(url, model_name="m").next_action(request())
    with pytest.raises(
        UsageError, match=r"cannot reach .*/v1/models.*is the server running.*--model-name NAME"
    ):
        OpenAIModel(url)


def test_a_refused_response_format_falls_back_to_free_text(
    stub: StubServer, caplog: pytest.LogCaptureFixture
) -> None:
    stub.reject_format = True
    model = OpenAIModel(stub.url, model_name="m")
    with caplog.at_level(logging.WARNING, logger="deskpilot.runtime"):
        first = model.next_action(request())
        second = model.next_action(request())
    assert first.text == second.text == CLICK and first.stats["guided"] == 0.0
    assert ["response_format" in r.body for r in stub.chats] == [True, False, False]
    warnings = [r for r in caplog.records if "response_format" in r.getMessage()]
    assert len(warnings) == 1


@pytest.mark.parametrize(
    ("served", "space", "sent"),
    [
        ("stub-vlm", CoordinateSpace.normalized(1000), (1920, 1080)),
        ("qwen3-vl-8b-instruct", CoordinateSpace.normalized(1000), (1920, 1080)),
        ("Qwen/Qwen2.5-VL-7B-Instruct", CoordinateSpace.image(1316, 728), (1316, 728)),
        ("qwen2.5vl:7b", CoordinateSpace.image(1316, 728), (1316, 728)),
        ("ByteDance-Seed/UI-TARS-1.5-7B", CoordinateSpace.image(1316, 728), (1316, 728)),
        ("microsoft/Fara-7B", CoordinateSpace.image(1316, 728), (1316, 728)),
    ],
)
def test_the_coordinate_space_follows_the_served_model(
    stub: StubServer, served: str, space: CoordinateSpace, sent: tuple[int, int]
) -> None:
    model = OpenAIModel(stub.url, model_name=served)
    assert model.coordinate_space(make_frame(1920, 1080)) == space
    model.next_action(request(1920, 1080))
    assert sent_png(stub.chats[0].body).size == sent
    bound = stub.chats[0].body["response_format"]["json_schema"]["schema"]["$defs"]["Click"]
    assert bound["properties"]["x"]["maximum"] == (1000 if space.kind == "normalized" else 1315)


def test_coords_can_be_given(stub: StubServer) -> None:
    frame = make_frame(1920, 1080)
    screen = OpenAIModel(stub.url, model_name="qwen2.5-vl-7b", coords="screen")
    assert screen.coordinate_space(frame) == CoordinateSpace.screen(1920, 1080)
    screen.next_action(request(1920, 1080))
    assert sent_png(stub.chats[0].body).size == (1920, 1080)  # the screen's pixels, not resized
    image = OpenAIModel(stub.url, model_name="any", coords="image")
    assert image.coordinate_space(frame) == CoordinateSpace.image(1920, 1080)
    with pytest.raises(UsageError, match="--coords 'pixels': choose normalized, image, screen"):
        OpenAIModel(stub.url, model_name="m", coords="pixels")


def test_urls() -> None:
    assert is_http_spec("http://h:1/v1") and is_http_spec("HTTPS://h/v1")
    assert not is_http_spec("models/qwen") and not is_http_spec(None)
    assert base_url("http://127.0.0.1:8080/v1/") == "http://127.0.0.1:8080/v1"
    assert base_url("https://h.example/v1/chat/completions") == "https://h.example/v1"
    with pytest.raises(UsageError, match="no credentials in the URL"):
        base_url("http://user:secret@h:1/v1")
    with pytest.raises(UsageError, match="not a valid URL"):
        base_url("http://h:notaport/v1")
    with pytest.raises(UsageError, match="without a query"):
        base_url("http://h:1/v1?key=x")
    assert default_coords("Qwen2_5_VL") == ("image", True)


def test_server_options_apply_to_a_server_only(tmp_path: object) -> None:
    with pytest.raises(UsageError, match="--model-name applies to a model behind a server"):
        load_model("text-match", model_name="m")
    with pytest.raises(UsageError, match="--coords applies"):
        load_model("script:plan.jsonl", coords="image")


def test_model_info_describes_a_server(stub: StubServer) -> None:
    from typer.testing import CliRunner

    from deskpilot.cli import app

    stub.models = ["qwen2.5-vl-7b-instruct", "other"]
    result = CliRunner().invoke(app, ["model", "info", stub.url, "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["served_models"] == ["qwen2.5-vl-7b-instruct", "other"]
    assert info["model"] == "qwen2.5-vl-7b-instruct" and info["coords"] == "image"
    width, height = map(int, info["image_sent"].split("x"))  # smart-resized: 28-px multiples
    assert (width, height) == (1260, 784) and width % 28 == height % 28 == 0
    assert info["api_key"] == "not set"
    named = CliRunner().invoke(app, ["model", "info", stub.url, "--model-name", "other", "--json"])
    assert json.loads(named.output)["coordinate_space"].startswith("normalized 0-1000")
    folder = CliRunner().invoke(
        app, ["model", "info", "tests/models/gemma3-tiny", "--coords", "image"]
    )
    assert folder.exit_code == 2 and "give its URL" in folder.output


def test_a_served_model_in_its_own_format() -> None:
    answer = "Thought: Save is at the bottom.\nAction: click(point='<point>500 610</point>')"
    server = StubServer(models=["ByteDance-Seed/UI-TARS-1.5-7B"], contents=[answer]).start()
    try:
        model = load_model(server.url, action_format="ui_tars")
        reply = model.next_action(request(1280, 800, "click Save"))
    finally:
        server.stop()
    assert json.loads(reply.text) == {"name": "click", "arguments": {"x": 500, "y": 610}}
    assert reply.native == answer and model.name.endswith("(ui_tars)")
    body = server.chats[0].body
    assert "response_format" not in body  # a native answer is free text, read by its adapter
    system = body["messages"][0]["content"]
    assert system.startswith("You are a GUI agent.") and "left_double(point=" in system
    assert "JSON tool call" not in system
