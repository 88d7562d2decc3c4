"""Approvals: approve / edit / deny, bound to the action and the screen, single use, fail closed."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from typer.testing import CliRunner

from deskpilot.agent import Outcome, read_trajectory
from deskpilot.cli import app
from deskpilot.cli.approve import save_preview
from deskpilot.policies.approval import ApprovalAnswer, ApprovalBook, ApprovalRequest
from deskpilot.policies.decision import Decision, Verdict
from deskpilot.tools import ToolRegistry
from tests.unit.conftest import AgentFactory, call, make_frame

REGISTRY = ToolRegistry()
ASK_GUI = ('[[rule]]\ntools = ["click", "type_text"]\ndecision = "ask"\nreason = "gui asks"\n'
           '[[rule]]\ntools = ["done"]\ndecision = "allow"\nreason = "ok"\n'
           '[[rule]]\ntools = ["key"]\ndecision = "deny"\nreason = "no keys"\n')  # fmt: skip


def answer_with(answer: ApprovalAnswer) -> object:
    return lambda request: answer


def test_an_edited_action_runs_instead_of_the_proposed_one(make_agent: AgentFactory) -> None:
    edited = REGISTRY.parse(call("click", x=40, y=50))
    approve = answer_with(ApprovalAnswer(approved=True, approver="t", reason="edited", call=edited))
    agent, driver = make_agent(
        [call("click", x=1, y=1), call("done")], policy=ASK_GUI, approve=approve
    )
    assert agent.run("t").outcome is Outcome.DONE
    assert driver.calls == [("click", {"x": 40, "y": 50, "button": "left", "clicks": 1})]


def test_an_edit_cannot_get_around_a_deny_rule(make_agent: AgentFactory) -> None:
    edited = REGISTRY.parse(call("key", keys="ctrl+alt+delete"))
    approve = answer_with(ApprovalAnswer(approved=True, approver="t", reason="sneaky", call=edited))
    agent, driver = make_agent([call("click", x=1, y=1)], policy=ASK_GUI, approve=approve)
    result = agent.run("t")
    assert result.outcome is Outcome.DENIED and "no keys" in result.reason
    assert driver.calls == []


def test_a_denial_by_the_user_reaches_no_driver(make_agent: AgentFactory, tmp_path: Path) -> None:
    approve = answer_with(ApprovalAnswer(approved=False, approver="t", reason="denied by the user"))
    agent, driver = make_agent(
        [call("type_text", text="rm -rf ~\n")], policy=ASK_GUI, approve=approve
    )
    assert agent.run("t").outcome is Outcome.DENIED
    assert driver.calls == []
    step = next(r for r in read_trajectory(tmp_path / "run") if r["type"] == "step")
    assert step["decision"] == {"verdict": "deny", "reason": "denied by the user", "rule": "rule 1"}


def test_an_approval_is_bound_to_the_action_and_the_screen_and_used_once() -> None:
    book = ApprovalBook()
    click = REGISTRY.parse(call("click", x=1, y=1))
    frame, other_frame = make_frame(), make_frame(641, 400)
    book.grant(click, frame)
    assert not book.consume(REGISTRY.parse(call("click", x=1, y=2)), frame)  # altered action
    assert not book.consume(click, other_frame)  # another screen
    assert book.consume(click, frame)
    assert not book.consume(click, frame)  # replayed


def test_the_preview_marks_the_target(tmp_path: Path) -> None:
    frame = make_frame(200, 100)
    request = ApprovalRequest(step=1, call=REGISTRY.parse(call("click", x=150, y=50)), frame=frame,
                              decision=Decision(verdict=Verdict.ASK, reason="r", rule="rule 1"),
                              targets=((150, 50),))  # fmt: skip
    image = Image.open(save_preview(request, tmp_path / "p.png")).convert("RGB")
    assert image.getpixel((150, 50)) == (255, 0, 0)
    assert image.getpixel((10, 90)) == (255, 255, 255)


def test_yes_needs_a_policy_that_allows_it(tmp_path: Path) -> None:
    plan = tmp_path / "plan.jsonl"
    plan.write_text(call("done") + "\n")
    result = CliRunner().invoke(app, ["run", "t", "--model", f"script:{plan}", "--yes"])
    assert result.exit_code == 2 and "allow_auto_approve" in result.output
