"""The agent loop's stop conditions and its record, on fakes."""

from __future__ import annotations

import json
from pathlib import Path

from deskpilot.agent import Outcome, read_trajectory
from deskpilot.coords import CoordinateSpace, MonitorGeometry
from deskpilot.errors import ModelError
from deskpilot.policies.approval import ApprovalAnswer, ApprovalRequest
from deskpilot.runtime import FunctionModel
from deskpilot.runtime.base import ModelRequest
from tests.unit.conftest import AgentFactory, call, make_frame

DONE = call("done", answer="finished")
SHELL_DENIED = (
    '[[rule]]\ntools = ["*"]\ndecision = "allow"\nreason = "all"\n'
    '[[rule]]\ntools = ["shell"]\ndecision = "deny"\nreason = "no shell"\n'
)


def steps(tmp_path: Path) -> list[dict[str, object]]:
    return [r for r in read_trajectory(tmp_path / "run") if r["type"] == "step"]


def test_done_ends_the_run_with_the_answer(make_agent: AgentFactory, tmp_path: Path) -> None:
    agent, driver = make_agent([call("click", x=5, y=6), call("type_text", text="ab"), DONE])
    result = agent.run("task")
    assert (result.outcome, result.answer, result.steps) == (Outcome.DONE, "finished", 3)
    assert driver.calls[0] == ("click", {"x": 5, "y": 6, "button": "left", "clicks": 1})
    assert [c[1]["char"] for c in driver.calls[1:]] == ["a", "b"]
    records = read_trajectory(tmp_path / "run")
    assert records[0]["type"] == "run" and records[0]["task"] == "task"
    assert records[-1] == {**records[-1], "type": "end", "outcome": "done", "steps": 3}
    for step in steps(tmp_path):
        assert (tmp_path / "run" / str(step["screenshot"])).read_bytes()[:4] == b"\x89PNG"
        assert {"capture", "model", "validate", "total"} <= set(step["timings_ms"])  # type: ignore[arg-type]


def test_fail_ends_the_run_as_failed(make_agent: AgentFactory) -> None:
    agent, driver = make_agent([call("fail", reason="no Save button on screen")])
    result = agent.run("click Save")
    assert (result.outcome, result.reason) == (Outcome.FAILED, "no Save button on screen")
    assert driver.calls == []


def test_invalid_output_goes_back_to_the_model_and_is_retried(make_agent: AgentFactory) -> None:
    seen: list[str] = []

    def respond(request: ModelRequest) -> str:
        seen.extend(h.observation for h in request.history[len(seen) :])
        return ['{"name": "click", "arguments": {"x": 1}}', DONE][min(len(request.history), 1)]

    agent, driver = make_agent(model=FunctionModel(respond))
    assert agent.run("t").outcome is Outcome.DONE
    assert seen and "missing required field 'y'" in seen[0]
    assert driver.calls == []


def test_too_many_invalid_outputs_fail_the_run(make_agent: AgentFactory, tmp_path: Path) -> None:
    agent, driver = make_agent(["garbage"] * 10)
    result = agent.run("t")
    assert result.outcome is Outcome.FAILED
    assert "4 invalid tool calls in a row" in result.reason  # default policy: max_invalid = 3
    assert driver.calls == []
    assert all(s["error"] for s in steps(tmp_path))


def test_a_denial_stops_the_run_and_reaches_no_driver(make_agent: AgentFactory) -> None:
    agent, driver = make_agent([call("shell", command="rm -rf ~"), call("click", x=1, y=1)])
    result = agent.run("t")
    assert result.outcome is Outcome.DENIED
    assert "shell" in result.reason and "disabled" in result.reason
    assert driver.calls == []


def test_with_on_deny_continue_the_model_sees_the_denial(make_agent: AgentFactory) -> None:
    policy = 'on_deny = "continue"\n' + SHELL_DENIED
    agent, driver = make_agent(
        [call("shell", command="ls"), call("click", x=2, y=3), DONE], policy=policy
    )
    assert agent.run("t").outcome is Outcome.DONE
    assert [c[0] for c in driver.calls] == ["click"]


def test_the_step_budget_ends_the_run(make_agent: AgentFactory) -> None:
    agent, driver = make_agent([call("move", x=1, y=1)] * 10, max_steps=3)
    result = agent.run("t")
    assert (result.outcome, result.steps) == (Outcome.BUDGET, 3)
    assert len(driver.calls) == 3


def test_the_stop_flag_ends_the_run_mid_typing(make_agent: AgentFactory) -> None:
    agent, driver = make_agent([call("type_text", text="abcdef"), DONE])
    original = driver._record

    def record_then_stop(method: str, **kwargs: object) -> None:
        original(method, **kwargs)
        if len(driver.calls) == 2:
            driver.stop.set("kill switch")

    driver._record = record_then_stop  # type: ignore[method-assign]
    result = agent.run("t")
    assert (result.outcome, result.reason) == (Outcome.STOPPED, "kill switch")
    assert [c[1]["char"] for c in driver.calls] == ["a", "b"]


def test_a_model_error_stops_the_run_and_keeps_the_trajectory(
    make_agent: AgentFactory, tmp_path: Path
) -> None:
    def respond(request: ModelRequest) -> str:
        if request.history:
            raise ModelError("generator failed")
        return call("click", x=1, y=1)

    agent, driver = make_agent(model=FunctionModel(respond))
    result = agent.run("t")
    assert result.outcome is Outcome.FAILED and "generator failed" in result.reason
    assert len(driver.calls) == 1
    records = read_trajectory(tmp_path / "run")
    assert [r["type"] for r in records] == ["run", "step", "step", "end"]


def test_off_screen_coordinates_never_reach_the_driver(
    make_agent: AgentFactory, tmp_path: Path
) -> None:
    agent, driver = make_agent([call("click", x=5000, y=10), DONE], frame=make_frame(640, 400))
    assert agent.run("t").outcome is Outcome.DONE
    assert driver.calls == []
    first = steps(tmp_path)[0]
    assert "off-screen" in first["result"]["error"]  # type: ignore[index]


def test_model_coordinates_go_through_the_contract(make_agent: AgentFactory) -> None:
    frame = make_frame(640, 400, MonitorGeometry(left=-640, top=100, width=640, height=400))
    model = FunctionModel(
        lambda r: DONE if r.history else call("click", x=500, y=500),
        space=CoordinateSpace.normalized(),
    )
    agent, driver = make_agent(model=model, frame=frame)
    agent.run("t")
    assert driver.calls[0][1]["x"] == -320 and driver.calls[0][1]["y"] == 300


def test_dry_run_executes_nothing_and_records_what_would_happen(
    make_agent: AgentFactory, tmp_path: Path
) -> None:
    agent, driver = make_agent(
        [call("drag", start_x=1, start_y=2, end_x=30, end_y=40), DONE], dry_run=True
    )
    assert agent.run("t").outcome is Outcome.DONE
    assert driver.calls == []
    result = steps(tmp_path)[0]["result"]
    assert "dry run: would drag" in result["output"]  # type: ignore[index]
    assert result["targets"] == [[1, 2], [30, 40]]  # type: ignore[index]


def test_ask_without_an_approver_is_denied(make_agent: AgentFactory) -> None:
    agent, driver = make_agent([call("click", x=1, y=1), DONE], policy="strict")
    assert agent.run("t").outcome is Outcome.DENIED
    assert driver.calls == []


def test_an_approver_can_allow_an_ask(make_agent: AgentFactory) -> None:
    asked: list[str] = []

    def approve(request: ApprovalRequest) -> ApprovalAnswer:
        asked.append(request.decision.reason)
        return ApprovalAnswer(approved=True, approver="test", reason="approved")

    policy = '[[rule]]\ntools = ["*"]\ndecision = "ask"\nreason = "ask all"\n'
    agent, driver = make_agent([call("click", x=1, y=1), DONE], policy=policy, approve=approve)
    assert agent.run("t").outcome is Outcome.DONE
    assert asked == ["ask all", "ask all"] and len(driver.calls) == 1


def test_history_gives_the_model_earlier_calls_and_observations(make_agent: AgentFactory) -> None:
    requests: list[ModelRequest] = []

    def respond(request: ModelRequest) -> str:
        requests.append(request)
        return DONE if request.history else call("key", keys="ctrl+s")

    agent, _ = make_agent(model=FunctionModel(respond))
    agent.run("save")
    last = requests[-1]
    assert json.loads(last.history[0].call) == {"name": "key", "arguments": {"keys": "ctrl+s"}}
    assert last.history[0].observation == "pressed ctrl+s"
    assert "click" in last.tool_prompt and last.tool_schema["title"] == "ToolCall"
