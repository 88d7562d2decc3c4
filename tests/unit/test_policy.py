"""Policy files, presets and the gate's decisions."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskpilot.errors import UsageError
from deskpilot.policies import (
    PRESETS,
    PolicyGate,
    Verdict,
    effective_max_steps,
    load_policy,
    parse_policy,
)
from deskpilot.tools import ToolRegistry
from tests.unit.conftest import call

REGISTRY = ToolRegistry()


def decide(policy_text: str | None, text: str) -> Verdict:
    policy = load_policy() if policy_text is None else parse_policy(policy_text)
    return PolicyGate(policy, REGISTRY).decide(REGISTRY.parse(text)).verdict


@pytest.mark.parametrize("preset", PRESETS)
def test_presets_load_and_name_only_known_tools(preset: str) -> None:
    PolicyGate(load_policy(preset), REGISTRY)


def test_default_policy_allows_gui_and_denies_shell() -> None:
    assert decide(None, call("click", x=1, y=1)) is Verdict.ALLOW
    assert decide(None, call("type_text", text="hi")) is Verdict.ALLOW
    assert decide(None, call("done")) is Verdict.ALLOW
    assert decide(None, call("shell", command="ls")) is Verdict.DENY


def test_tools_no_rule_names_are_denied_by_default() -> None:
    policy = '[[rule]]\ntools = ["click"]\ndecision = "allow"\nreason = "r"\n'
    assert decide(policy, call("click", x=1, y=1)) is Verdict.ALLOW
    assert decide(policy, call("move", x=1, y=1)) is Verdict.DENY


def test_strictest_matching_rule_wins_whatever_the_order() -> None:
    rules = [
        '[[rule]]\ntools = ["*"]\ndecision = "allow"\nreason = "all"\n',
        '[[rule]]\ntools = ["type_text"]\ndecision = "ask"\nreason = "typing"\n',
        '[[rule]]\ntools = ["key"]\ndecision = "deny"\nreason = "keys"\n',
    ]
    for ordering in (rules, rules[::-1]):
        text = "".join(ordering)
        assert decide(text, call("click", x=1, y=1)) is Verdict.ALLOW
        assert decide(text, call("type_text", text="x")) is Verdict.ASK
        assert decide(text, call("key", keys="enter")) is Verdict.DENY


def test_the_decision_carries_its_reason_and_rule() -> None:
    gate = PolicyGate(load_policy(), REGISTRY)
    decision = gate.decide(REGISTRY.parse(call("shell", command="rm -rf /")))
    assert decision.reason == "the shell is disabled by the default policy"
    assert decision.rule == "rule 3"
    assert "DENY shell" in gate.explain(REGISTRY.parse(call("shell", command="ls")))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("default = ", "invalid TOML"),
        ('default = "allow"', "line 1: default"),
        ("[budget]\nmax_steps = 0", "line 2: budget.max_steps"),
        (
            '[[rule]]\ntools = ["click"]\ndecision = "maybe"\nreason = "r"',
            "line 3: rule[1].decision",
        ),
        ('[[rule]]\ntools = []\ndecision = "allow"\nreason = "r"', "line 2: rule[1].tools"),
        ('[[rule]]\ntools = ["click"]\ndecision = "allow"', "line 1: rule[1].reason"),
        ("x = 1\n\nsurprise = 1", "line 3: surprise"),
        (
            '[[rule]]\ntools = ["*"]\ntext = "(unclosed"\ndecision = "deny"\nreason = "r"',
            "line 3: rule[1].text",
        ),
        (
            '[[rule]]\ntools = ["key"]\nkeys = ["ctrl+nokey"]\ndecision = "deny"\nreason = "r"',
            "unknown key 'nokey'",
        ),
        (
            '[[rule]]\ntools = ["*"]\nregions = [[0, 0, 0, 5]]\ndecision = "deny"\nreason = "r"',
            "positive width",
        ),
    ],
)
def test_invalid_policies_are_rejected_with_the_place_and_the_problem(
    text: str, message: str
) -> None:
    with pytest.raises(UsageError, match="invalid") as info:
        parse_policy(text, "p.toml")
    print(info.value)
    assert message in str(info.value)
    assert "p.toml" in str(info.value)


def test_a_rule_naming_an_unknown_tool_is_refused() -> None:
    policy = parse_policy('[[rule]]\ntools = ["clik"]\ndecision = "allow"\nreason = "typo"\n')
    with pytest.raises(UsageError, match=r"unknown tool.*clik"):
        PolicyGate(policy, REGISTRY)


def test_unreadable_policy_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read policy file"):
        load_policy(tmp_path / "missing.toml")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(UsageError, match="cannot read policy file"):
        load_policy(binary)


def test_the_cli_may_lower_the_step_budget_but_not_raise_it() -> None:
    policy = load_policy()
    assert effective_max_steps(policy, None) == policy.budget.max_steps
    assert effective_max_steps(policy, 3) == 3
    assert effective_max_steps(policy, 10_000) == policy.budget.max_steps
    with pytest.raises(UsageError):
        effective_max_steps(policy, 0)
