"""`deskpilot run --model http://127.0.0.1:PORT/v1` end to end on Xvfb through a real
OpenAI-compatible server: ``transformers serve`` on 127.0.0.1 serves gemma3-served-tiny (a tiny
Gemma 3 fine-tuned to answer a click at the board's middle, `training/served_model.py`), the HTTP
backend sends the real screenshot as an image part, the answer drives the real pointer, and every
press must reach the window. The server ignores ``response_format``: the answer is the model's."""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.desktop.conftest import wait_until
from tests.desktop.test_genai_desktop import run_on_board

MODEL = Path(__file__).parents[1] / "models" / "gemma3-served-tiny"
STEPS = 2
POLICY = f"""
[budget]
max_steps = {STEPS}
[[rule]]
tools = ["click", "double_click", "right_click"]
decision = "allow"
reason = "pointer actions on the board"
"""

if importlib.util.find_spec("torch") is None or importlib.util.find_spec("transformers") is None:
    pytest.skip("transformers serve needs: pip install -e '.[build]'", allow_module_level=True)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """transformers serve on 127.0.0.1 with the model preloaded; stopped after the module."""
    from training.served_model import transformers_serve

    with transformers_serve(MODEL) as base:
        yield base


def test_a_served_model_drives_a_real_window(
    server: str, launch: Callable[..., Any], tmp_path: Path
) -> None:
    from training.served_model import ANSWER

    result, run_dir, state = run_on_board(
        launch,
        tmp_path,
        POLICY,
        "--model",
        server,
        "--model-name",
        str(MODEL),  # the server is pinned to the folder it preloaded, and answers to its path
        "--coords",
        "normalized",
        env={**os.environ, "no_proxy": "127.0.0.1", "NO_PROXY": "127.0.0.1"},
        timeout=120,
    )
    assert result.returncode == 4, result.stderr
    assert f"step budget of {STEPS} is used up" in result.stderr, result.stderr
    records = [json.loads(line) for line in (run_dir / "steps.jsonl").open()]
    steps = [r for r in records if r["type"] == "step"]
    assert len(steps) == STEPS and records[-1]["type"] == "end"
    x0, y0, width, height = json.loads(state.read_text())["rect"]
    assert (x0, y0, width, height) == (0, 0, 1280, 760)
    for step in steps:
        assert step["raw_output"] == ANSWER  # the model's own answer: nothing constrained it
        assert step["call"] == json.loads(ANSWER)
        assert step["model_stats"]["prompt_tokens"] > 256  # the image's 256 tokens and the text
        assert step["result"] and not step["result"]["error"], step["result"]
        assert list(step["result"]["targets"][0][:2]) == [640, 380]  # (500, 475) of 0-1000
    board = lambda: json.loads(state.read_text())["presses"]  # noqa: E731
    wait_until(lambda: len(board()) >= STEPS, timeout=5, message="the presses reach the board")
    assert [p[:2] for p in board()] == [[640, 380]] * STEPS
