"""Shell commands: parsed to argv, allowlisted, and every attack from SAFETY.md refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from deskpilot.policies import PolicyGate, Verdict, parse_policy
from deskpilot.policies.shell import ShellSettings, parse_command
from deskpilot.tools import ToolRegistry
from tests.unit.conftest import call

SETTINGS = ShellSettings()

ATTACKS = {
    "ls && rm -rf ~": "shell syntax",
    "ls; rm -rf ~": "shell syntax",
    "ls || rm x": "shell syntax",
    "ls | sh": "shell syntax",
    "cat $(rm -rf ~)": "shell syntax",
    "echo `id`": "shell syntax",
    "echo $HOME": "shell syntax",
    "echo hi > /etc/passwd": "shell syntax",
    "cat < /dev/tcp/10.0.0.1/80": "shell syntax",
    "find . -exec rm {} +": "find -exec is not allowed",
    "find . -execdir rm {} +": "find -execdir is not allowed",
    "find / -delete": "find -delete is not allowed",
    "git -c core.pager=sh log": "'git' is not allowlisted",  # not a default: see shell_git.py
    "rg --pre sh pattern": "rg --pre is not allowed",
    "sed -i s/a/b/ file": "sed -i is not allowed",
    "env rm -rf /": "not allowlisted",
    "xargs rm": "not allowlisted",
    "python -c 'import os'": "not allowlisted",
    "bash -c ls": "not allowlisted",
    "sudo ls": "not allowlisted",
    "TZ=x rm -rf /": "environment assignments",
    "/bin/rm -rf /": "not a path",
    "./ls": "not a path",
    "rm -rf ~": "not allowlisted",
    "curl http://example.com": "not allowlisted",
    "ssh host": "not allowlisted",
    "getent hosts example.com": "not allowlisted",
    "ping 8.8.8.8": "not allowlisted",
    "ls 'unclosed": "cannot parse",
    "": "empty command",
}


@pytest.mark.parametrize(("command", "reason"), ATTACKS.items())
def test_attacks_are_refused_with_the_reason(command: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason.replace("-", r"\-")):
        parse_command(command, SETTINGS)


@pytest.mark.parametrize(
    ("command", "argv"),
    [
        ("ls -l /work", ["ls", "-l", "/work"]),
        ("grep -n 'hello world' notes.txt", ["grep", "-n", "hello world", "notes.txt"]),
        ("find . -name '*.txt'", ["find", ".", "-name", "*.txt"]),
        ("sed -n 1,5p notes.txt", ["sed", "-n", "1,5p", "notes.txt"]),
    ],
)
def test_allowed_commands_become_argv(command: str, argv: list[str]) -> None:
    assert parse_command(command, SETTINGS) == argv


@pytest.mark.parametrize("wrapper", ["bash", "env", "xargs", "python3", "curl"])
def test_wrappers_cannot_be_allowlisted(wrapper: str) -> None:
    with pytest.raises(ValidationError, match="may not be allowlisted"):
        ShellSettings(programs={wrapper: {}})


def test_the_gate_denies_a_bad_command_even_where_the_shell_is_allowed() -> None:
    registry = ToolRegistry()
    policy = parse_policy('[[rule]]\ntools = ["shell"]\ndecision = "allow"\nreason = "ok"\n')
    gate = PolicyGate(policy, registry)
    assert gate.may_allow("shell")
    good = gate.decide(registry.parse(call("shell", command="ls -l")))
    bad = gate.decide(registry.parse(call("shell", command="ls && rm -rf ~")))
    assert good.verdict is Verdict.ALLOW
    assert bad.verdict is Verdict.DENY and "shell syntax" in bad.reason


def test_the_default_policy_never_allows_the_shell() -> None:
    gate = PolicyGate(parse_policy(""), ToolRegistry())
    assert not gate.may_allow("shell")
