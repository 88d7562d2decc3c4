"""Proofs for the safety layer: 10,000+ malformed tool calls are all rejected cleanly, and over
random action sequences and random policies nothing denied, unknown or malformed reaches a driver."""

from __future__ import annotations

import json
import random
import threading
import time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deskpilot.agent import Actuator, Agent, Trajectory
from deskpilot.drivers import RecordingDriver
from deskpilot.errors import ToolCallError
from deskpilot.policies import PolicyGate, parse_policy
from deskpilot.policies.killswitch import KillSwitch
from deskpilot.runtime import ScriptedModel
from deskpilot.screen import StaticScreen
from deskpilot.stopflag import StopFlag
from deskpilot.tools import ToolRegistry
from tests.unit.conftest import make_frame

REGISTRY = ToolRegistry()
NASTY = ["\x00", "\x07", "\x1b[2J", "\u202e", "\u200b", "\ufeff", "\u2066", "\x7f", "\x85"]
GOOD = [
    {"name": "click", "arguments": {"x": 10, "y": 20}},
    {"name": "type_text", "arguments": {"text": "hello"}},
    {"name": "key", "arguments": {"keys": "ctrl+s"}},
    {"name": "drag", "arguments": {"start_x": 1, "start_y": 2, "end_x": 3, "end_y": 4}},
    {"name": "scroll", "arguments": {"x": 5, "y": 5, "dy": 3}},
]


def malformed(rng: random.Random) -> str:
    """One malformed tool call of a random family."""
    base = json.loads(json.dumps(rng.choice(GOOD)))
    args = base["arguments"]
    family = rng.randrange(10)
    if family == 0:  # truncated
        text = json.dumps(base)
        return text[: rng.randrange(1, len(text) - 1)]
    if family == 1:  # deeply nested
        depth = rng.randint(9, 400)
        return '{"name": "click", "arguments": ' + '{"a": ' * depth + "1" + "}" * depth + "}"
    if family == 2:  # oversized
        return json.dumps(
            {"name": "type_text", "arguments": {"text": "x" * rng.randint(16_400, 40_000)}}
        )
    if family == 3:  # duplicate keys
        return '{"name": "click", "arguments": {"x": 1, "y": 2, "x": 3}}'
    if family == 4:  # NaN / Infinity
        constant = rng.choice(["NaN", "Infinity", "-Infinity"])
        x, y = (constant, "1") if rng.random() < 0.5 else ("1", constant)
        return f'{{"name": "click", "arguments": {{"x": {x}, "y": {y}}}}}'
    if family == 5:  # control, bidi, zero-width characters
        return json.dumps(
            {"name": "type_text", "arguments": {"text": "ok" + rng.choice(NASTY) + "x"}}
        )
    if family == 6:  # wrong types
        key = rng.choice(list(args))
        wrong = [[1], {"v": 1}, None, True, 1.5]
        args[key] = rng.choice(wrong + ([] if isinstance(args[key], str) else ["12"]))
        return json.dumps(base)
    if family == 7:  # extra fields
        args[rng.choice(["z", "force", "__proto__", "cmd"])] = 1
        return json.dumps(base)
    if family == 8:  # missing fields
        args.pop(rng.choice(list(args)))
        if base["name"] == "scroll":
            args.pop("dy", None)
        return json.dumps(base)
    return json.dumps(
        {"name": rng.choice(["", "Click", "shell;ls", "rm", "x" * 100]), "arguments": args}
    )


def test_ten_thousand_malformed_calls_are_all_rejected_clearly() -> None:
    rng = random.Random(1234)
    started = time.perf_counter()
    for _ in range(10_000):
        text = malformed(rng)
        try:
            REGISTRY.parse(text)
        except ToolCallError as exc:
            assert str(exc)
        else:
            raise AssertionError(f"accepted a malformed call: {text[:200]!r}")
    assert time.perf_counter() - started < 60  # sanity bound, not a benchmark


tools = st.sampled_from(REGISTRY.names())
verdicts = st.sampled_from(["allow", "ask", "deny"])
rules = st.lists(
    st.tuples(st.lists(st.one_of(tools, st.just("*")), min_size=1, max_size=3), verdicts),
    max_size=5,
)
lines = st.lists(
    st.one_of(
        st.sampled_from([json.dumps(g) for g in GOOD]),
        st.builds(lambda s: malformed(random.Random(s)), st.integers(0, 10**6)),
        st.sampled_from(
            [
                json.dumps({"name": "shell", "arguments": {"command": "ls"}}),
                json.dumps({"name": "click", "arguments": {"x": 99999, "y": 1}}),
                "not json",
            ]
        ),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rules=rules, plan=lines)
def test_nothing_denied_unknown_or_malformed_reaches_the_driver(
    tmp_path_factory: Any, rules: list[tuple[list[str], str]], plan: list[str]
) -> None:
    text = 'on_deny = "continue"\n[budget]\nmax_invalid = 100\nmax_consecutive_errors = 100\n'
    text += "".join(
        f'[[rule]]\ntools = {json.dumps(t)}\ndecision = "{v}"\nreason = "r"\n' for t, v in rules
    )
    gate = PolicyGate(parse_policy(text), REGISTRY)
    stop = StopFlag()
    driver = RecordingDriver(stop=stop)
    from deskpilot.tools.executor import Executor

    actuator = Actuator(
        gate=gate,
        executor=Executor(driver, stop=stop),
        registry=REGISTRY,
        screen=StaticScreen([make_frame()]),
    )
    agent = Agent(
        model=ScriptedModel([*plan, '{"name": "done", "arguments": {}}']),
        actuator=actuator,
        trajectory=Trajectory(tmp_path_factory.mktemp("r")),
        max_steps=40,
        max_invalid=100,
        settle_timeout=0,
    )
    agent.run("t")
    # what the gate would let through, computed independently of the loop
    allowed: list[str] = []
    for line in plan:
        try:
            call = REGISTRY.parse(line)
        except ToolCallError:
            continue
        if not gate.decide(call).allowed or any(c > 639 for c in sum(call.action.points(), ())):
            continue
        allowed.append(call.name)
    executed = [m for m, _ in driver.calls]
    expected_driver_tools = [
        n for n in allowed if n in {"click", "type_text", "key", "drag", "scroll"}
    ]
    primitive = {
        "click": "click",
        "type_text": "type_char",
        "key": "press_keys",
        "drag": "drag",
        "scroll": "scroll",
    }
    assert sorted(set(executed)) == sorted({primitive[n] for n in expected_driver_tools})


class FakeListener:
    def __init__(self) -> None:
        self.alive = True

    def canonical(self, key: Any) -> Any:
        return key

    def is_alive(self) -> bool:
        return self.alive

    def stop(self) -> None:
        self.alive = False

    def join(self, timeout: float | None = None) -> None:
        pass


class Key:
    def __init__(self, name: str | None = None, char: str | None = None) -> None:
        self.name, self.char = name, char


def test_kill_switch_hotkey_ignores_injected_events_and_a_dead_listener_stops_the_run() -> None:
    stop = StopFlag()
    switch = KillSwitch(stop, "ctrl+alt+k")
    switch._listener = FakeListener()
    switch._on_press(Key(name="ctrl"), injected=False)
    switch._on_press(Key(name="alt"), injected=False)
    switch._on_press(Key(char="k"), injected=True)  # the agent's own keystroke: ignored
    assert not stop.is_set()
    switch._on_press(Key(char="K"), injected=False)
    assert stop.is_set() and "ctrl+alt+k" in stop.reason

    stop = StopFlag()
    switch = KillSwitch(stop)
    switch._listener = FakeListener()
    switch._watchdog = threading.Thread(target=switch._watch, daemon=True)
    switch._watchdog.start()
    switch._listener.alive = False
    deadline = time.monotonic() + 2
    while not stop.is_set() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stop.reason == "the kill-switch listener died"
    switch._closing.set()


def test_audit_and_trajectory_paths_are_not_needed_for_safety(tmp_path: Path) -> None:
    """An agent without trajectory or audit still gates every action (nothing optional in the gate)."""
    stop = StopFlag()
    driver = RecordingDriver(stop=stop)
    from deskpilot.tools.executor import Executor

    actuator = Actuator(
        gate=PolicyGate(parse_policy(""), REGISTRY),
        executor=Executor(driver, stop=stop),
        registry=REGISTRY,
        screen=StaticScreen([make_frame()]),
    )
    shell = json.dumps({"name": "shell", "arguments": {"command": "id"}})
    agent = Agent(model=ScriptedModel([shell]), actuator=actuator, settle_timeout=0)
    assert agent.run("t").outcome.value == "denied" and driver.calls == []
