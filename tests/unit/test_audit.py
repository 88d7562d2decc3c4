"""The audit log (hash chain, a record before every driver call) and secret redaction."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from deskpilot.agent.report import write_report
from deskpilot.policies.audit import AuditLog, verify_audit
from deskpilot.policies.redaction import Redactor
from deskpilot.runtime import FunctionModel
from deskpilot.runtime.base import ModelRequest
from tests.unit.conftest import AgentFactory, call

CANARY = "canary-7f3a9c1e"


def read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(autouse=True)
def audit_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The audit key of a test: under tmp_path, never in the real state directory."""
    key = tmp_path / "key" / "audit.key"
    monkeypatch.setenv("DESKPILOT_AUDIT_KEY_FILE", str(key))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    return key


def test_every_driver_call_has_an_audit_record_before_it(
    make_agent: AgentFactory, tmp_path: Path
) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    agent, driver = make_agent(
        [
            call("click", x=3, y=4),
            call("shell", command="ls"),
            call("type_text", text="hi"),
            call("done"),
        ],
        policy='on_deny = "continue"\n[[rule]]\ntools = ["click", "type_text", "done"]\n'
        'decision = "allow"\nreason = "gui"\n',
        audit=log,
    )
    seen: list[str] = []
    original = driver._record

    def checked(method: str, **kwargs: Any) -> None:
        last = read(tmp_path / "audit.jsonl")[-1]  # after the header: the record just written
        assert last["event"] == "execute", f"{method} ran without an execute record before it"
        seen.append(last["tool"])
        original(method, **kwargs)

    driver._record = checked  # type: ignore[method-assign]
    agent.run("t")
    log.close()
    records = read(tmp_path / "audit.jsonl")
    assert records[0]["event"] == "audit.open"
    assert records[-1]["event"] == "audit.close"
    assert records[-1]["records"] == len(records) - 2
    events = [(r["event"], r.get("verdict")) for r in records]
    assert ("decision", "deny") in events  # the shell call was decided and never executed
    assert seen == ["click", "type_text", "type_text"]
    assert verify_audit(tmp_path / "audit.jsonl") == []


def test_editing_removing_or_reordering_a_line_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    for i in range(4):
        log.record("decision", step=i, verdict="deny")
    log.close()
    lines = path.read_text().splitlines()
    assert verify_audit(path) == []

    path.write_text("\n".join([lines[0], lines[1].replace("deny", "allow"), *lines[2:]]) + "\n")
    assert any("edited" in p for p in verify_audit(path))
    path.write_text("\n".join([lines[0], *lines[2:]]) + "\n")
    assert any("chain break" in p for p in verify_audit(path))
    path.write_text("\n".join([lines[1], lines[0], *lines[2:]]) + "\n")
    assert verify_audit(path)


def test_a_reopened_log_starts_a_linked_segment(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    for run in range(2):
        log = AuditLog(path)
        log.record("run", n=run)
        log.close()
    records = read(path)
    assert [r["seq"] for r in records] == [1, 2, 3, 4, 5, 6]
    assert [r["event"] for r in records] == ["audit.open", "run", "audit.close"] * 2
    first, second = records[0], records[3]
    assert first["continues"] is None
    assert first["segment"] != second["segment"]
    assert second["prev"] == records[2]["mac"]
    assert second["continues"] == {
        "seq": 3,
        "mac": records[2]["mac"],
        "line": 3,
        "offset": len("".join(line + "\n" for line in path.read_text().splitlines()[:3])),
        "ended": "closed",
    }
    assert verify_audit(path) == []


def test_redactor_masks_env_secrets_and_patterns() -> None:
    redactor = Redactor(["sk-[A-Za-z0-9]{8,}"], environ={"API_TOKEN": CANARY, "HOME": "/root"})
    assert redactor.redact(f"use {CANARY} and sk-abcdefgh12 at /root") == (
        "use [REDACTED] and [REDACTED] at /root"
    )
    assert redactor.redact_value({"a": [CANARY, 1], CANARY: None}) == {
        "a": ["[REDACTED]", 1],
        "[REDACTED]": None,
    }


def test_a_canary_secret_never_reaches_log_trajectory_report_or_prompt(
    make_agent: AgentFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKPILOT_TEST_SECRET", CANARY)
    prompts: list[str] = []

    def respond(request: ModelRequest) -> str:
        prompts.append(json.dumps([h.call + h.observation for h in request.history]))
        if len(request.history) == 0:
            return call("type_text", text=f"the secret is {CANARY}")
        if len(request.history) == 1:
            return '{"name": "click", "arguments": {"x": "' + CANARY + '"}}'
        return call("done", answer=CANARY)

    redactor = Redactor()
    log = AuditLog(tmp_path / "audit.jsonl", redactor)
    agent, driver = make_agent(model=FunctionModel(respond), audit=log, redactor=redactor)
    agent.trajectory.redactor = redactor  # type: ignore[union-attr]
    agent.run(f"type {CANARY}")
    log.close()
    report = write_report(tmp_path / "run")
    for path in [tmp_path / "audit.jsonl", tmp_path / "run" / "steps.jsonl", report]:
        text = path.read_text()
        assert CANARY not in text, path
        assert "[REDACTED]" in text, path
    assert all(CANARY not in p for p in prompts)
    # redaction is for records, not for the action itself: the text was typed as asked
    assert "".join(c[1]["char"] for c in driver.calls if c[0] == "type_char").endswith(CANARY)
