"""The whole agent loop through the HTTP backend, against the stub server on 127.0.0.1: a click the
"server" answers reaches the recording driver in screen pixels, through the declared space."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskpilot.agent import Outcome
from deskpilot.cli import app
from deskpilot.coords import MonitorGeometry
from deskpilot.runtime.openai_http import OpenAIModel
from tests.unit.conftest import AgentFactory, call, make_frame
from tests.unit.openai_stub import StubServer

KEY = "sk-agent-test-fedcba9876543210"
# a HiDPI monitor right of another one: 1280x800 capture pixels, 640x400 driver units at x=100
MONITOR = MonitorGeometry(left=100, top=0, width=640, height=400, scale=2.0)


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[StubServer]:
    for name in (
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
        "OPENAI_API_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DESKPILOT_API_KEY", KEY)
    server = StubServer().start()
    yield server
    server.stop()


@pytest.mark.parametrize(
    ("served", "point"),
    [
        ("stub-vlm", (500, 500)),  # normalized 0-1000
        ("Qwen2.5-VL-7B-Instruct", (630, 392)),  # pixels of the 1260x784 image it was sent
    ],
)
def test_a_served_click_reaches_the_driver_in_screen_pixels(
    stub: StubServer,
    make_agent: AgentFactory,
    tmp_path: Path,
    served: str,
    point: tuple[int, int],
) -> None:
    stub.models = [served]
    stub.contents = [call("click", x=point[0], y=point[1]), call("done", answer="clicked")]
    model = OpenAIModel(stub.url)
    agent, driver = make_agent(model=model, frame=make_frame(1280, 800, MONITOR))
    result = agent.run("click the middle")
    assert (result.outcome, result.answer) == (Outcome.DONE, "clicked")
    assert driver.calls[0] == ("click", {"x": 420, "y": 200, "button": "left", "clicks": 1})
    assert len(stub.chats) == 2
    assert "1. " in stub.chats[1].body["messages"][1]["content"][0]["text"]  # the history
    assert all(r.headers["Authorization"] == f"Bearer {KEY}" for r in stub.received)
    written = [p.read_bytes() for p in (tmp_path / "run").rglob("*") if p.is_file()]
    assert written and not any(KEY.encode() in data for data in written)
    assert any(served.encode() in data for data in written)  # the model's name is recorded


runner = CliRunner()


def test_the_cli_checks_the_server_options(stub: StubServer) -> None:
    result = runner.invoke(app, ["run", "t", "--model", "text-match", "--model-name", "m"])
    assert result.exit_code == 2 and "--model-name applies" in result.output
    result = runner.invoke(app, ["run", "t", "--model", stub.url, "--coords", "pixels"])
    assert result.exit_code == 2 and "choose normalized, image, screen" in result.output
    stub.models = []
    result = runner.invoke(app, ["run", "t", "--model", stub.url])
    assert result.exit_code == 2 and "lists no model" in result.output
    assert KEY not in result.output
