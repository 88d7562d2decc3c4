"""The terminal approver: only a person at the controlling terminal can approve, by typing back a
code shown in the prompt; input typed ahead of the prompt (by the agent, say) is discarded."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from deskpilot.cli.approve import TerminalApprover
from deskpilot.policies.approval import ApprovalAnswer, ApprovalRequest
from deskpilot.policies.decision import Decision, Verdict
from deskpilot.tools import ToolRegistry
from tests.unit.conftest import call, make_frame

REGISTRY = ToolRegistry()
CODE = re.compile(rb"type ([A-Z0-9]{4}) to approve")


class Pty:
    """A pseudo-terminal: the approver opens its slave end, the test types into the master."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        self.shown = b""

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    def wait_for_code(self, timeout: float = 5) -> str:
        deadline = time.monotonic() + timeout
        while (found := CODE.search(self.shown)) is None:
            assert time.monotonic() < deadline, f"no prompt; shown: {self.shown!r}"
            self.shown += os.read(self.master, 4096)
        return found.group(1).decode()


@pytest.fixture
def pty() -> Iterator[Pty]:
    terminal = Pty()
    yield terminal
    os.close(terminal.master)
    os.close(terminal.slave)


def request() -> ApprovalRequest:
    return ApprovalRequest(
        step=1,
        call=REGISTRY.parse(call("click", x=5, y=5)),
        frame=make_frame(),
        decision=Decision(verdict=Verdict.ASK, reason="clicks ask", rule="rule 1"),
        targets=((5, 5),),
    )


def ask(
    pty: Pty, tmp_path: Path, timeout: float = 5
) -> tuple[threading.Thread, list[ApprovalAnswer]]:
    """Run the approver in a thread (as the agent would, blocked) and return its answer list."""
    approver = TerminalApprover(REGISTRY, tmp_path, terminal=pty.path, timeout=timeout)
    answers: list[ApprovalAnswer] = []
    thread = threading.Thread(target=lambda: answers.append(approver(request())))
    thread.start()
    return thread, answers


def test_the_code_shown_approves(pty: Pty, tmp_path: Path) -> None:
    thread, answers = ask(pty, tmp_path)
    pty.type(pty.wait_for_code() + "\n")
    thread.join(5)
    assert answers[0].approved and answers[0].approver == "terminal"
    assert (tmp_path / "approval-step-0001.png").is_file()


def test_an_answer_typed_ahead_of_the_prompt_is_discarded(pty: Pty, tmp_path: Path) -> None:
    pty.type("a\nyes\napprove\n")  # what the agent could type into the terminal beforehand
    time.sleep(0.1)
    thread, answers = ask(pty, tmp_path, timeout=1)
    pty.wait_for_code()
    thread.join(5)
    assert not answers[0].approved and "no answer" in answers[0].reason


@pytest.mark.parametrize("typed", ["a", "yes", "y", "", "approve"])
def test_anything_but_the_code_denies(pty: Pty, tmp_path: Path, typed: str) -> None:
    thread, answers = ask(pty, tmp_path)
    code = pty.wait_for_code()
    assert typed != code
    pty.type(typed + "\n")
    thread.join(5)
    assert not answers[0].approved and answers[0].reason.startswith("denied")


def test_an_edit_needs_the_code_too(pty: Pty, tmp_path: Path) -> None:
    thread, answers = ask(pty, tmp_path)
    pty.type(f"edit {pty.wait_for_code()}\n")
    while b"as JSON" not in pty.shown:
        pty.shown += os.read(pty.master, 4096)
    pty.type(call("click", x=7, y=8) + "\n")
    thread.join(5)
    assert answers[0].approved and answers[0].call is not None
    assert answers[0].call.arguments == {"x": 7, "y": 8}


def test_no_terminal_means_deny(tmp_path: Path) -> None:
    approver = TerminalApprover(REGISTRY, tmp_path, terminal=str(tmp_path / "no-such-tty"))
    answer = approver(request())
    assert not answer.approved and "no terminal" in answer.reason


def test_a_file_that_is_not_a_terminal_means_deny(tmp_path: Path) -> None:
    plain = tmp_path / "answers.txt"
    plain.write_text("a\n")  # stdin redirected from a file cannot approve either
    answer = TerminalApprover(REGISTRY, tmp_path, terminal=str(plain))(request())
    assert not answer.approved and "not a terminal" in answer.reason
