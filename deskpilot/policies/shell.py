"""Which shell commands may run: parsed to argv (never through a shell), a program allowlist with
dangerous flags per program, and the limits of the sandbox they run in.

A command line is refused when it uses shell syntax (``&&``, ``;``, ``|``, redirects, ``$(...)``,
backticks, variable expansion), starts with an environment assignment, names a program by path, names
a program that is not allowlisted, or passes one of that program's dangerous flags.
"""

from __future__ import annotations

import re
import shlex

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Programs that run other programs or code: allowlisting them would allow everything.
NEVER_ALLOWED = frozenset({
    "sh", "bash", "dash", "zsh", "ksh", "fish", "csh", "tcsh", "env", "xargs", "sudo", "su", "doas",
    "nohup", "nice", "timeout", "stdbuf", "setsid", "chroot", "unshare", "nsenter", "busybox",
    "python", "python3", "perl", "ruby", "node", "php", "lua", "awk", "gawk", "script", "expect",
    "ssh", "scp", "curl", "wget", "nc", "ncat", "socat", "telnet", "eval", "exec", "command",
})  # fmt: skip

SHELL_OPERATORS = frozenset({"&&", "||", ";", ";;", "|", "&", ">", ">>", "<", "<<", "<<<", "|&"})
SHELL_SYNTAX = re.compile(r"[`$;&|<>]|^\s*\(|\)\s*$")


class ProgramRule(BaseModel):
    """Flags of one allowlisted program that are refused (prefix match: ``-exec`` covers ``-execdir``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    deny_flags: list[str] = Field(default_factory=list)


DEFAULT_PROGRAMS = {
    "ls": ProgramRule(), "cat": ProgramRule(), "echo": ProgramRule(), "pwd": ProgramRule(),
    "head": ProgramRule(), "tail": ProgramRule(), "wc": ProgramRule(), "date": ProgramRule(),
    "grep": ProgramRule(), "sort": ProgramRule(), "uniq": ProgramRule(), "mkdir": ProgramRule(),
    "touch": ProgramRule(), "cp": ProgramRule(), "mv": ProgramRule(), "true": ProgramRule(),
    "find": ProgramRule(deny_flags=["-exec", "-ok", "-delete", "-fprint", "-fls", "-fprintf"]),
    "git": ProgramRule(deny_flags=["-c", "--config-env", "--exec-path", "--upload-pack",
                                   "--receive-pack", "-C"]),
    "rg": ProgramRule(deny_flags=["--pre", "--search-zip", "-z"]),
    "sed": ProgramRule(deny_flags=["-i", "--in-place", "-e", "--expression", "-f", "--file"]),
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
    env_allow: list[str] = Field(default_factory=lambda: ["LANG", "LC_ALL", "TZ"])

    @field_validator("programs")
    @classmethod
    def _no_wrappers(cls, value: dict[str, ProgramRule]) -> dict[str, ProgramRule]:
        wrappers = sorted(set(value) & NEVER_ALLOWED)
        if wrappers:
            raise ValueError(f"{wrappers} run arbitrary programs or reach the network and may not "
                             "be allowlisted")  # fmt: skip
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
    if program in NEVER_ALLOWED or program not in settings.programs:
        allowed = ", ".join(sorted(settings.programs))
        raise ValueError(f"program {program!r} is not allowlisted (allowed: {allowed})")
    for arg in argv[1:]:
        for flag in settings.programs[program].deny_flags:
            if arg == flag or arg.startswith(flag):
                raise ValueError(f"{program} {flag} is not allowed")
    return argv
