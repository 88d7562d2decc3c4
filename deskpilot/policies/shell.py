"""Which shell commands may run: parsed to argv (never through a shell), a program allowlist with
an argument spec per program, and the limits of the sandbox they run in.

A command line is refused when it uses shell syntax (``&&``, ``;``, ``|``, redirects, ``$(...)``,
backticks, variable expansion), starts with an environment assignment, names a program by path, or
names a program the policy does not list. Only listed programs run.

The default programs have built-in argument specs (`deskpilot.policies.shell_specs`): each is
allowed only with options and arguments that cannot run another program or write outside what the
command is for, parsed the way the program parses them; git has a spec but is not a default (see
`deskpilot.policies.shell_git`). A program a policy adds under ``[shell] programs`` that has no
built-in spec is taken on the policy's word: it runs with any arguments except its ``deny_flags``
(prefix match), so adding one is a promise that it cannot be made to run or write anything else.
A program with a built-in spec is always checked by it, whatever the policy says; its
``deny_flags`` refuse more on top. Programs that run other programs (shells, ``env``, ``xargs``,
interpreters, ...) may not be listed at all.
"""

from __future__ import annotations

import re
import shlex

from pydantic import BaseModel, ConfigDict, Field, field_validator

from deskpilot.policies.shell_specs import check_args

# Programs that run other programs or code: a policy may not list them (it would allow everything).
NEVER_ALLOWED = frozenset({
    "sh", "bash", "dash", "zsh", "ksh", "fish", "csh", "tcsh", "env", "xargs", "sudo", "su", "doas",
    "nohup", "nice", "timeout", "stdbuf", "setsid", "chroot", "unshare", "nsenter", "busybox",
    "python", "python3", "perl", "ruby", "node", "php", "lua", "awk", "gawk", "script", "expect",
    "ssh", "scp", "curl", "wget", "nc", "ncat", "socat", "telnet", "eval", "exec", "command",
})  # fmt: skip

SHELL_OPERATORS = frozenset({"&&", "||", ";", ";;", "|", "&", ">", ">>", "<", "<<", "<<<", "|&"})
SHELL_SYNTAX = re.compile(r"[`$;&|<>]|^\s*\(|\)\s*$")


class ProgramRule(BaseModel):
    """Flags of one allowlisted program that are refused (prefix match: ``-exec`` covers ``-execdir``),
    on top of its built-in spec if it has one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    deny_flags: list[str] = Field(default_factory=list)


DEFAULT_PROGRAMS = {
    name: ProgramRule()
    for name in ("ls", "cat", "echo", "pwd", "head", "tail", "wc", "date", "grep", "sort", "uniq",
                 "mkdir", "touch", "cp", "mv", "true", "find", "rg", "sed")
}  # fmt: skip


class ShellSettings(BaseModel):
    """The ``[shell]`` table of a policy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    programs: dict[str, ProgramRule] = Field(default_factory=lambda: dict(DEFAULT_PROGRAMS))
    sandbox: str = Field("bwrap", pattern="^(bwrap|none)$", description='"none" opts out')
    network: bool = False
    timeout_s: float = Field(10, gt=0, le=600)
    cpu_s: int = Field(10, ge=1, le=600)
    memory_mb: int = Field(512, ge=16, le=65536)
    max_file_mb: int = Field(16, ge=1, le=4096)
    max_processes: int = Field(64, ge=1, le=4096)
    max_output_kb: int = Field(64, ge=1, le=65536)
    tmp_mb: int = Field(64, ge=1, le=4096, description="size of the sandbox's /tmp (a tmpfs)")
    work_mb: int = Field(256, ge=1, le=65536, description="quota of the work dir, all files")
    env_allow: list[str] = Field(default_factory=lambda: ["LANG", "LC_ALL", "TZ"])

    @field_validator("programs")
    @classmethod
    def _no_wrappers(cls, value: dict[str, ProgramRule]) -> dict[str, ProgramRule]:
        wrappers = sorted(set(value) & NEVER_ALLOWED)
        if wrappers:
            raise ValueError(
                f"{wrappers} run arbitrary programs or reach the network and may not be allowlisted"
            )
        bad = [p for p in value if "/" in p or not p]
        if bad:
            raise ValueError(f"programs are bare names, not paths: {bad}")
        return value


def parse_command(command: str, settings: ShellSettings) -> list[str]:
    """The command as argv, or raise ValueError saying why it may not run."""
    if SHELL_SYNTAX.search(command):
        raise ValueError("shell syntax (operators, redirects, substitution, $) is not allowed")
    try:
        argv = shlex.split(command, comments=False, posix=True)
    except ValueError as exc:
        raise ValueError(f"cannot parse the command line: {exc}") from None
    if not argv:
        raise ValueError("empty command")
    if any(token in SHELL_OPERATORS for token in argv):
        raise ValueError("shell operators are not allowed")
    program = argv[0]
    if "=" in program:
        raise ValueError("environment assignments before the program are not allowed")
    if "/" in program:
        raise ValueError("name the program, not a path to it")
    if program not in settings.programs:
        allowed = ", ".join(sorted(settings.programs))
        raise ValueError(f"program {program!r} is not allowlisted (allowed: {allowed})")
    check_args(program, argv[1:])
    for arg in argv[1:]:
        for flag in settings.programs[program].deny_flags:
            if arg == flag or arg.startswith(flag):
                raise ValueError(f"{program} {flag} is not allowed")
    return argv
