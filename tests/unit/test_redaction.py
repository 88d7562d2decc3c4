"""Redaction: secrets masked as written and as decoded from JSON escapes; patterns checked at load
exactly as runs compile them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deskpilot.agent import Actuator, Agent, Trajectory
from deskpilot.agent.report import write_report
from deskpilot.drivers import RecordingDriver
from deskpilot.errors import UsageError
from deskpilot.policies import PolicyGate, parse_policy
from deskpilot.policies.redaction import MASK, Redactor
from deskpilot.runtime import ScriptedModel
from deskpilot.screen import StaticScreen
from deskpilot.stopflag import StopFlag
from deskpilot.tools import ToolRegistry
from deskpilot.tools.executor import Executor
from tests.unit.conftest import make_frame

SECRET = "hunter2-sesame"
ESCAPED = "".join(f"\\u{ord(c):04x}" for c in SECRET)  # "\u0068\u0075..." in the model's JSON


def test_a_secret_in_json_escapes_is_masked() -> None:
    redactor = Redactor(environ={"MY_API_KEY": SECRET})
    raw = '{"name": "type_text", "arguments": {"text": "pw: ' + ESCAPED + '"}}'
    assert json.loads(raw)["arguments"]["text"] == f"pw: {SECRET}"
    masked = redactor.redact(raw)
    assert SECRET not in json.dumps(json.loads(masked), ensure_ascii=False)
    assert MASK in json.loads(masked)["arguments"]["text"]
    half = SECRET[:4] + ESCAPED[6 * 4 :]  # partly escaped
    assert SECRET not in json.loads(redactor.redact(f'"{half}"'))


def test_a_secret_typed_with_escapes_reaches_no_record(tmp_path: Path) -> None:
    policy = parse_policy(
        f'redact = ["{SECRET}"]\n[[rule]]\ntools = ["*"]\ndecision = "allow"\nreason = "ok"\n'
    )
    redactor = Redactor(policy.redact)
    raw = '{"name": "type_text", "arguments": {"text": "' + ESCAPED + '"}}'
    stop, registry = StopFlag(), ToolRegistry()
    run_dir = tmp_path / "run"
    actuator = Actuator(
        gate=PolicyGate(policy, registry),
        executor=Executor(RecordingDriver(stop=stop), stop=stop),
        registry=registry,
        screen=StaticScreen([make_frame()]),
    )
    agent = Agent(
        model=ScriptedModel([raw, '{"name": "done", "arguments": {}}']),
        actuator=actuator,
        redactor=redactor,
        trajectory=Trajectory(run_dir, redactor),
        settle_timeout=0,
    )
    agent.run("type the password")
    write_report(run_dir)
    for name in ("steps.jsonl", "report.html"):
        text = (run_dir / name).read_text()
        assert SECRET not in text and ESCAPED not in text, name
        assert SECRET not in json.dumps(text), name


@pytest.mark.parametrize("pattern", ["(?i)password", "(?s)a.b", "(?x) a b"])
def test_an_inline_flag_pattern_loads_and_works(pattern: str) -> None:
    policy = parse_policy(f"redact = [{json.dumps(pattern)}]\n")
    redactor = Redactor(policy.redact)
    sample = {"(?i)password": "my PASSWORD", "(?s)a.b": "a\nb", "(?x) a b": "ab"}[pattern]
    assert MASK in redactor.redact(sample)


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("(", "invalid regular expression"),
        ("a(?i)b", "invalid regular expression"),
        ("x*", "matches empty text"),
    ],
)
def test_a_pattern_a_run_could_not_use_is_refused_at_load(pattern: str, problem: str) -> None:
    with pytest.raises(UsageError, match=problem):
        parse_policy(f"redact = [{json.dumps(pattern)}]\n")
