"""Approvals: approve / edit / deny, bound to the action and the screen, single use, fail closed."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PIL import Image
from typer.testing import CliRunner

from deskpilot.agent import Outcome, read_trajectory
from deskpilot.cli import app
from deskpilot.cli.approve import save_preview
from deskpilot.policies.approval import MAX_ASKS, ApprovalAnswer, ApprovalBook, ApprovalRequest
from deskpilot.policies.decision import Decision, Verdict
from deskpilot.screen import Frame, StaticScreen
from deskpilot.tools import ToolRegistry
from deskpilot.windows import Window
from tests.unit.conftest import AgentFactory, call, make_frame

REGISTRY = ToolRegistry()
ASK_GUI = (
    '[[rule]]\ntools = ["click", "type_text"]\ndecision = "ask"\nreason = "gui asks"\n'
    '[[rule]]\ntools = ["done"]\ndecision = "allow"\nreason = "ok"\n'
    '[[rule]]\ntools = ["key"]\ndecision = "deny"\nreason = "no keys"\n'
)


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
    request = ApprovalRequest(
        step=1,
        call=REGISTRY.parse(call("click", x=150, y=50)),
        frame=frame,
        decision=Decision(verdict=Verdict.ASK, reason="r", rule="rule 1"),
        targets=((150, 50),),
    )
    image = Image.open(save_preview(request, tmp_path / "p.png")).convert("RGB")
    assert image.getpixel((150, 50)) == (255, 0, 0)
    assert image.getpixel((10, 90)) == (255, 255, 255)


def test_yes_needs_a_policy_that_allows_it(tmp_path: Path) -> None:
    plan = tmp_path / "plan.jsonl"
    plan.write_text(call("done") + "\n")
    result = CliRunner().invoke(app, ["run", "t", "--model", f"script:{plan}", "--yes"])
    assert result.exit_code == 2 and "allow_auto_approve" in result.output


def _popup_frame() -> Frame:
    """The test frame with a 'pop-up' drawn over (100, 100)."""
    image = make_frame().to_image()
    image.paste((200, 30, 30), (60, 60, 160, 140))
    return Frame.from_image(image)


def _frame_changed_elsewhere() -> Frame:
    image = make_frame().to_image()
    image.paste((0, 0, 0), (500, 300, 520, 320))
    return Frame.from_image(image)


class Approvals:
    """Approves everything; counts the questions and what they said."""

    def __init__(self) -> None:
        self.requests: list[ApprovalRequest] = []

    def __call__(self, request: ApprovalRequest) -> ApprovalAnswer:
        self.requests.append(request)
        return ApprovalAnswer(approved=True, approver="t", reason="approved by the user")


def test_a_pop_up_under_the_target_while_the_user_decides_asks_again(
    make_agent: AgentFactory,
) -> None:
    approvals = Approvals()
    # the agent sees the plain screen; after each answer a pop-up at (100, 100) comes or goes
    screen = StaticScreen([make_frame(), _popup_frame()] * 5)
    agent, driver = make_agent([call("click", x=100, y=100)], policy=ASK_GUI, approve=approvals)
    agent.actuator.screen = screen
    result = agent.run("t")
    assert driver.calls == [] and result.outcome is Outcome.DENIED
    assert "kept changing" in result.reason
    assert len(approvals.requests) == MAX_ASKS
    assert "changed while you were deciding" in approvals.requests[1].note


def test_a_change_once_is_asked_again_and_then_approved_on_the_new_screen(
    make_agent: AgentFactory,
) -> None:
    approvals = Approvals()
    screen = StaticScreen([make_frame(), _popup_frame()])  # changes once, then stays
    agent, driver = make_agent(
        [call("click", x=100, y=100), call("done")], policy=ASK_GUI, approve=approvals
    )
    agent.actuator.screen = screen
    assert agent.run("t").outcome is Outcome.DONE
    assert len(approvals.requests) == 2
    assert approvals.requests[1].frame.digest() == _popup_frame().digest()  # shown the new screen
    assert len(driver.calls) == 1


def test_a_change_away_from_the_target_keeps_the_approval(make_agent: AgentFactory) -> None:
    approvals = Approvals()
    screen = StaticScreen([make_frame(), _frame_changed_elsewhere()])
    agent, driver = make_agent(
        [call("click", x=100, y=100), call("done")], policy=ASK_GUI, approve=approvals
    )
    agent.actuator.screen = screen
    assert agent.run("t").outcome is Outcome.DONE
    assert len(approvals.requests) == 1 and len(driver.calls) == 1


class FocusMoves:
    """The focused window is the editor until the user answers; then the terminal has the focus
    (the user clicked it to type the answer)."""

    def __init__(self) -> None:
        self.answered = False

    def focused(self) -> Window:
        return Window(title="terminal" if self.answered else "editor")

    def at(self, points: Sequence[tuple[int, int]]) -> tuple[Window, ...]:
        return tuple(Window(title="editor") for _ in points)


def test_typing_approved_for_one_window_is_not_sent_to_another(make_agent: AgentFactory) -> None:
    windows = FocusMoves()

    def approve(request: ApprovalRequest) -> ApprovalAnswer:
        windows.answered = True
        return ApprovalAnswer(approved=True, approver="t", reason="approved by the user")

    policy = (
        ASK_GUI
        + '[[rule]]\ntools = ["type_text"]\nwindow_title = "editor"\ndecision = "ask"\nreason = "w"\n'
    )
    agent, driver = make_agent(
        [call("type_text", text="hello")], policy=policy, approve=approve, windows=windows
    )
    result = agent.run("t")
    assert driver.calls == [] and result.outcome is Outcome.DENIED
    assert "'editor' -> 'terminal'" in result.reason
    assert "keys would go" in result.reason
