"""Rule matchers (text, keys, regions, windows), rule examples checked at load, and budgets."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskpilot.agent import Outcome, read_trajectory
from deskpilot.errors import UsageError
from deskpilot.policies import ActionContext, Budget, PolicyGate, Verdict, parse_policy
from deskpilot.policies.budget import BudgetTracker
from deskpilot.stopflag import StopFlag
from deskpilot.tools import ToolRegistry
from deskpilot.windows import UNKNOWN, Window
from tests.unit.conftest import AgentFactory, call

REGISTRY = ToolRegistry()
ALLOW_ALL = '[[rule]]\ntools = ["*"]\ndecision = "allow"\nreason = "all"\n'


def verdict(rules: str, text: str, context: ActionContext | None = None) -> Verdict:
    gate = PolicyGate(parse_policy(ALLOW_ALL + rules), REGISTRY)
    return gate.decide(REGISTRY.parse(text), context).verdict


def test_text_patterns_that_may_not_be_typed() -> None:
    rule = '[[rule]]\ntools = ["type_text"]\ntext = "(?i)passw(or)?d"\ndecision = "deny"\nreason = "p"\n'
    assert verdict(rule, call("type_text", text="my PASSWORD is")) is Verdict.DENY
    assert verdict(rule, call("type_text", text="hello")) is Verdict.ALLOW
    assert verdict(rule, call("key", keys="enter")) is Verdict.ALLOW


def test_key_combinations_match_whatever_the_spelling() -> None:
    rule = '[[rule]]\ntools = ["key"]\nkeys = ["ctrl+alt+delete", "super+l"]\ndecision = "deny"\nreason = "k"\n'
    assert verdict(rule, call("key", keys="alt+ctrl+Delete")) is Verdict.DENY
    assert verdict(rule, call("key", keys="cmd+l")) is Verdict.DENY
    assert verdict(rule, call("key", keys="ctrl+l")) is Verdict.ALLOW


def test_screen_regions_that_may_not_be_clicked() -> None:
    rule = '[[rule]]\ntools = ["*"]\nregions = [[0, 0, 100, 40]]\ndecision = "deny"\nreason = "panel"\n'
    inside = ActionContext(targets=((50, 20),))
    outside = ActionContext(targets=((50, 40),))
    assert verdict(rule, call("click", x=1, y=1), inside) is Verdict.DENY
    assert verdict(rule, call("click", x=1, y=1), outside) is Verdict.ALLOW
    drag_end_inside = ActionContext(targets=((500, 500), (10, 10)))
    text = call("drag", start_x=1, start_y=1, end_x=2, end_y=2)
    assert verdict(rule, text, drag_end_inside) is Verdict.DENY


def test_window_allowlist_with_deny_by_default() -> None:
    policy = parse_policy(
        '[[rule]]\ntools = ["click", "type_text"]\nwindow_title = "^deskpilot demo$"\n'
        'decision = "allow"\nreason = "only the demo window"\n'
    )
    gate = PolicyGate(policy, REGISTRY)
    assert gate.needs_window
    click = REGISTRY.parse(call("click", x=1, y=1))
    demo, terminal = Window(title="deskpilot demo"), Window(title="Terminal")
    assert gate.decide(click, ActionContext(targets=((1, 1),), under_targets=(demo,))).allowed
    assert not gate.decide(
        click, ActionContext(targets=((1, 1),), under_targets=(terminal,))
    ).allowed
    assert not gate.decide(click, ActionContext(targets=((1, 1),))).allowed  # unknown window
    typing = REGISTRY.parse(call("type_text", text="hi"))
    assert gate.decide(typing, ActionContext(focused=demo)).allowed
    assert not gate.decide(typing, ActionContext(focused=terminal)).allowed


XTERM_DENIED = (
    '[[rule]]\ntools = ["*"]\ndecision = "allow"\nreason = "anything"\n'
    '[[rule]]\ntools = ["*"]\nwindow_class = "(?i)xterm"\ndecision = "deny"\nreason = "no terminals"\n'
)


def test_pointer_actions_are_judged_by_the_window_under_the_point_not_the_focus() -> None:
    gate = PolicyGate(parse_policy(XTERM_DENIED), REGISTRY)
    editor, xterm = Window(title="notes", wm_class="L3afpad"), Window(title="sh", wm_class="XTerm")
    for name, arguments, points in [
        ("click", {"x": 5, "y": 5}, ((5, 5),)),
        ("scroll", {"x": 5, "y": 5, "dy": -3}, ((5, 5),)),
        ("drag", {"start_x": 1, "start_y": 1, "end_x": 5, "end_y": 5}, ((1, 1), (5, 5))),
    ]:
        action = REGISTRY.parse(call(name, **arguments))
        under = (editor,) * (len(points) - 1) + (xterm,)  # the last point lands in the xterm
        context = ActionContext(targets=points, focused=editor, under_targets=under)
        assert gate.decide(action, context).verdict is Verdict.DENY, name
        safe = ActionContext(targets=points, focused=xterm, under_targets=(editor,) * len(points))
        assert gate.decide(action, safe).allowed, name  # the focused xterm is not clicked
    middle = REGISTRY.parse(call("click", x=5, y=5, button="middle"))  # a paste into the xterm
    pasted = ActionContext(targets=((5, 5),), focused=editor, under_targets=(xterm,))
    assert gate.decide(middle, pasted).verdict is Verdict.DENY


def test_keys_go_by_the_focused_window_and_an_unknown_window_fails_closed() -> None:
    gate = PolicyGate(parse_policy(XTERM_DENIED), REGISTRY)
    typing = REGISTRY.parse(call("type_text", text="rm -rf ~"))
    xterm = Window(title="sh", wm_class="XTerm")
    assert gate.decide(typing, ActionContext(focused=xterm)).verdict is Verdict.DENY
    assert gate.decide(typing, ActionContext(focused=Window(wm_class="Tk"))).allowed
    assert gate.decide(typing, ActionContext(focused=UNKNOWN)).verdict is Verdict.DENY
    click = REGISTRY.parse(call("click", x=5, y=5))
    assert gate.decide(click, ActionContext(targets=((5, 5),))).verdict is Verdict.DENY


def test_rule_examples_are_checked_when_the_policy_loads() -> None:
    good = (
        '[[rule]]\ntools = ["type_text"]\ntext = "rm -rf"\ndecision = "deny"\nreason = "r"\n'
        'match = [{ name = "type_text", arguments = { text = "sudo rm -rf /" } }]\n'
        'not_match = [{ name = "type_text", arguments = { text = "rm file" } }]\n'
    )
    parse_policy(good)
    bad = good.replace('"rm file"', '"rm -rf x"')
    with pytest.raises(
        UsageError, match=r"line 1: rule\[1\]: example .* should not match but does"
    ):
        parse_policy(bad)


def test_budget_wall_time_and_consecutive_errors() -> None:
    now = [0.0]
    tracker = BudgetTracker(
        Budget(max_seconds=10, max_consecutive_errors=2), 100, clock=lambda: now[0]
    )
    assert tracker.exhausted() is None
    tracker.record(ok=False)
    tracker.record(ok=True)
    tracker.record(ok=False)
    assert tracker.exhausted() is None
    tracker.record(ok=False)
    assert tracker.exhausted() == "2 actions failed in a row"
    tracker.record(ok=True)
    now[0] = 10.0
    assert "time budget" in str(tracker.exhausted())
    now[0] = 0.0
    for _ in range(100):
        tracker.take_step()
    assert "step budget" in str(tracker.exhausted())
    assert tracker.exhausted(steps=False) is None


def test_throttle_keeps_actions_under_the_rate() -> None:
    now = [0.0]
    waits: list[float] = []

    class Flag(StopFlag):
        def wait(self, seconds: float) -> bool:
            waits.append(seconds)
            now[0] += seconds
            return False

    tracker = BudgetTracker(Budget(max_actions_per_second=4), 100, clock=lambda: now[0])
    tracker.throttle(Flag())
    now[0] += 0.05
    tracker.throttle(Flag())
    assert waits == [pytest.approx(0.2)]


def test_a_denied_region_never_reaches_the_driver(make_agent: AgentFactory, tmp_path: Path) -> None:
    policy = (
        'on_deny = "continue"\n'
        + ALLOW_ALL
        + '[[rule]]\ntools = ["*"]\nregions = [[0, 0, 100, 100]]\ndecision = "deny"\nreason = "corner"\n'
    )
    agent, driver = make_agent(
        [call("click", x=10, y=10), call("click", x=300, y=300), call("done")], policy=policy
    )
    assert agent.run("t").outcome is Outcome.DONE
    assert driver.calls == [("click", {"x": 300, "y": 300, "button": "left", "clicks": 1})]
    steps = [r for r in read_trajectory(tmp_path / "run") if r["type"] == "step"]
    assert steps[0]["decision"]["reason"] == "corner"


def test_consecutive_action_errors_stop_the_run(make_agent: AgentFactory) -> None:
    policy = "[budget]\nmax_consecutive_errors = 2\n" + ALLOW_ALL
    agent, driver = make_agent([call("click", x=9999, y=1)] * 5, policy=policy)
    result = agent.run("t")
    assert (result.outcome, result.reason) == (Outcome.BUDGET, "2 actions failed in a row")
    assert driver.calls == []


def test_approver_that_raises_means_deny(make_agent: AgentFactory) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("terminal went away")

    policy = '[[rule]]\ntools = ["*"]\ndecision = "ask"\nreason = "ask"\n'
    agent, driver = make_agent([call("click", x=1, y=1)], policy=policy, approve=broken)
    result = agent.run("t")
    assert result.outcome is Outcome.DENIED and "approval failed" in result.reason
    assert driver.calls == []


@pytest.mark.parametrize(
    ("rule_keys", "pressed"),
    [
        ("ctrl+shift+j", "ctrl+J"),
        ("ctrl+shift+j", "shift+ctrl+J"),
        ("ctrl+shift+j", "Ctrl+Shift+J"),
        ("shift+=", "plus"),
        ("ctrl+plus", "ctrl+shift+="),
        ("shift+a", "A"),
        ("ctrl+alt+T", "alt+ctrl+shift+t"),
    ],
)
def test_a_key_rule_matches_every_spelling_of_the_keys_it_names(
    rule_keys: str, pressed: str
) -> None:
    policy = parse_policy(
        f'{ALLOW_ALL}[[rule]]\ntools = ["key"]\nkeys = ["{rule_keys}"]\ndecision = "deny"\nreason = "no"\n'
    )
    gate = PolicyGate(policy, REGISTRY)
    assert gate.decide(REGISTRY.parse(call("key", keys=pressed))).verdict is Verdict.DENY
    assert gate.decide(
        REGISTRY.parse(call("key", keys="ctrl+j"))
    ).allowed  # shift makes a difference
