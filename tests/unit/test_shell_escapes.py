"""Escapes through allowlisted programs: each command must be refused, with its reason.

Two tables, easy to grow: ``ESCAPES`` goes through `parse_command` (the whole check, shell syntax
first), ``ARGV_ESCAPES`` goes to the per-program check with argv lists, so that arguments the shell
syntax filter would stop first (``;``, ``$``) still prove the program's own check.
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess

import pytest

from deskpilot.policies.sed_script import check_sed_script
from deskpilot.policies.shell import ShellSettings, parse_command
from deskpilot.policies.shell_specs import check_args

# git is not a default program (see deskpilot/policies/shell_specs.py); a policy may list it, and
# then its built-in spec applies: these settings list it so that the spec is what refuses.
SETTINGS = ShellSettings.model_validate({"programs": {**ShellSettings().programs, "git": {}}})

ESCAPES = {
    # sed: commands and flags that run programs or touch files, and the options that do
    "sed -n '1e id' f": "sed script: the e command runs a shell command",
    "sed 's/x/id/e' f": "sed script: the s///e flag runs a shell command",
    "sed 's/x/y/w /tmp/o' f": "sed script: the s///w flag writes a file",
    "sed 's,x,y,gw o' f": "sed script: the s///w flag writes a file",
    "sed '1r /etc/shadow' f": "sed script: the r command reads a file",
    "sed 'R /etc/shadow' f": "sed script: the R command reads a file",
    "sed 'w out' f": "sed script: the w command writes a file",
    "sed '/x/W out' f": "sed script: the W command writes a file",
    "sed '1!e id' f": "sed script: the e command",
    "sed -e p -e 'e id' f": "sed script: the e command",
    "sed '/a/,/b/{p\ne id\n}' f": "sed script: the e command",
    "sed 'y/abc/xyz/\nw o' f": "sed script: the w command",
    "sed 's/a/b/;e' f": "shell syntax",
    "sed --in s/a/b/ f": "sed --in (abbreviation of --in-place) is not allowed",
    "sed --in-place s/a/b/ f": "sed --in-place is not allowed",
    "sed -ni s/a/b/ f": "sed -i (in -ni) is not allowed",
    "sed -i.bak s/a/b/ f": "sed -i (in -i.bak) is not allowed",
    "sed s/a/b/ f -i": "sed -i is not allowed",
    "sed -f script f": "sed -f is not allowed",
    "sed --file=script f": "sed --file is not allowed",
    "sed --fil=script f": "sed --fil (abbreviation of --file) is not allowed",
    "sed -s -E -z --follow-symlinks p f": "sed --follow-symlinks: unknown option",
    "sed 'k' f": "sed script: unknown command 'k'",
    "sed 's/a/b' f": "sed script: unterminated s command",
    "sed --s p f": "sed --s is ambiguous",
    # sort: the compressor runs a program, the output option writes a file
    "sort --compress-program=sh f": "sort --compress-program is not allowed",
    "sort --compress-p=sh f": "sort --compress-p (abbreviation of --compress-program) is not allowed",
    "sort --com sh f": "sort --com (abbreviation of --compress-program) is not allowed",
    "sort -o out f": "sort -o is not allowed",
    "sort -uo out f": "sort -o (in -uo) is not allowed",
    "sort --output=out f": "sort --output is not allowed",
    "sort --out out f": "sort --out (abbreviation of --output) is not allowed",
    "sort -T /tmp f": "sort -T is not allowed",
    # uniq: a second operand is an output file
    "uniq in out": "uniq: at most one file",
    # git (listed by the policy): no config, no other repository, only read-only subcommands
    "git -c core.pager=sh log": "git -c is not allowed",
    "git -ccore.pager=sh log": "git -c (in -ccore.pager=sh) is not allowed",
    "git --config-env=x=y log": "git --config-env is not allowed",
    "git --config-e=x=y log": "git --config-e (abbreviation of --config-env) is not allowed",
    "git --git-dir=/x log": "git --git-dir is not allowed",
    "git --work-tree=/x log": "git --work-tree is not allowed",
    "git --exec-path=/x log": "git --exec-path is not allowed",
    "git -C /x log": "git -C is not allowed",
    "git -p log": "git -p is not allowed",
    "git config alias.x '!sh'": "git config is not an allowed subcommand",
    "git x": "git x is not an allowed subcommand",
    "git log --output=f": "git log --output is not allowed",
    "git log --out=f": "git log --out (abbreviation of --output) is not allowed",
    "git diff --ext-diff": "git diff --ext-diff is not allowed",
    "git log -p --textconv": "git log --textconv is not allowed",
    "git show --textconv HEAD": "git show --textconv is not allowed",
    "git diff --output=f": "git diff --output is not allowed",
    "git log --exec=sh": "git log --exec: unknown option",
    "git status --frob": "git status --frob: unknown option",
    # find: only tests and printing to stdout
    "find . -exec rm {} +": "find -exec is not allowed",
    "find . -execdir rm {} +": "find -execdir is not allowed",
    "find . -ok rm {} +": "find -ok is not allowed",
    "find / -delete": "find -delete is not allowed",
    "find . -fprint f": "find -fprint is not allowed",
    "find . -fprintf f x": "find -fprintf is not allowed",
    "find . -fls f": "find -fls is not allowed",
    "find . -name x -o -fprint0 f": "find -fprint0 is not allowed",
    "find . -exec id ;": "shell syntax",
    "find -D exec .": "find -D is not allowed",
    "find . -frobnicate": "find -frobnicate: unknown predicate",
    # grep / rg: preprocessors and decompressors run programs
    "rg --pre sh pattern": "rg --pre is not allowed",
    "rg --pr sh x": "rg --pr is ambiguous",
    "rg --pre-glob '*' --pre sh x": "rg --pre-glob is not allowed",
    "rg -z x": "rg -z is not allowed",
    "rg -iz x": "rg -z (in -iz) is not allowed",
    "rg --search-zip x": "rg --search-zip is not allowed",
    "rg --search-z x": "rg --search-z (abbreviation of --search-zip) is not allowed",
    "rg --hostname-bin=sh x": "rg --hostname-bin is not allowed",
    "grep --frobnicate x f": "grep --frobnicate: unknown option",
    # writers: only relative paths inside the work dir
    "cp /etc/passwd x": "cp: absolute path '/etc/passwd'",
    "cp x ../y": "cp: '..' in '../y'",
    "mv x /home/user/.bashrc": "mv: absolute path",
    "cp -t /tmp x": "cp: absolute path",
    "cp -t '' x": "cp: an empty path",
    "cp --target-directory=/tmp x": "cp: absolute path",
    "cp -s x y": "cp -s is not allowed",
    "cp -l x y": "cp -l is not allowed",
    "touch /etc/x": "touch: absolute path",
    "mkdir -p ../../x": "mkdir: '..'",
    "touch -- -x": "touch: paths may not start with '-'",
    # echo and friends take no surprise options; date cannot set the clock
    "date -s 2020-01-01": "date -s is not allowed",
    "date --set=2020-01-01": "date --set is not allowed",
    "ls --frob": "ls --frob: unknown option",
    "head --frob f": "head --frob: unknown option",
}

ARGV_ESCAPES = {
    ("sed", "1d;e id", "f"): "sed script: the e command runs a shell command",
    ("sed", "$e id", "f"): "sed script: the e command runs a shell command",
    ("sed", "s/a/b/;w o", "f"): "sed script: the w command writes a file",
    ("sed", "s/a\\/b/c/e", "f"): "sed script: the s///e flag",
    ("sed", "1{p;};R x", "f"): "sed script: the R command",
    ("sed", "0~3e id", "f"): "sed script: the e command",
    ("sed", "\\%x%e id", "f"): "sed script: the e command",
    ("sed", "1,+2 !e id", "f"): "sed script: the e command",
    ("sed", "s/a/b/3;s/x/y/ge", "f"): "sed script: the s///e flag",
    ("sed", "-e", "a\\", "-e", "foo", "-e", "e id", "f"): "sed script: the e command",
    ("sed", ":a;ba;e id", "f"): "sed script: the e command",
    ("sed", "-n", "--expression=e id", "f"): "sed script: the e command",
    ("sed", "-ne", "e id", "f"): "sed script: the e command",
    ("sed", "-nee id", "f"): "sed script: the e command",
    ("find", ".", "(", "-name", "x", "-o", "-exec", "id", ";", ")"): "find -exec is not allowed",
    ("find", ".", "!", "-delete"): "find -delete is not allowed",
}

ALLOWED = {
    "ls -la": ["ls", "-la"],
    "ls -l --color=never /work": ["ls", "-l", "--color=never", "/work"],
    "grep -rn foo .": ["grep", "-rn", "foo", "."],
    "grep -n 'hello world' notes.txt": ["grep", "-n", "hello world", "notes.txt"],
    "grep -e -x -- -f": ["grep", "-e", "-x", "--", "-f"],
    "grep --ignore-c foo f": ["grep", "--ignore-c", "foo", "f"],
    "sed -n 1,5p f": ["sed", "-n", "1,5p", "f"],
    "sed 's/a/b/g' f": ["sed", "s/a/b/g", "f"],
    "sed -E 's,a+,b,2' f": ["sed", "-E", "s,a+,b,2", "f"],
    "sed --e p f": ["sed", "--e", "p", "f"],
    "sed -n '/start/,/end/p' f": ["sed", "-n", "/start/,/end/p", "f"],
    "sed '1a appended text' f": ["sed", "1a appended text", "f"],
    "sed 'y/abc/xyz/' f": ["sed", "y/abc/xyz/", "f"],
    "sed -e 1d -e 's/e/E/' f": ["sed", "-e", "1d", "-e", "s/e/E/", "f"],
    "sed 's/w/e/' f": ["sed", "s/w/e/", "f"],
    "sed '/e/d' f": ["sed", "/e/d", "f"],
    "sort -u f": ["sort", "-u", "f"],
    "sort -t, -k2,2n f": ["sort", "-t,", "-k2,2n", "f"],
    "sort --rev f": ["sort", "--rev", "f"],
    "uniq -c f": ["uniq", "-c", "f"],
    "find . -name '*.txt' -type f": ["find", ".", "-name", "*.txt", "-type", "f"],
    "find -L . -maxdepth 2 -newer f -print0": [
        "find",
        "-L",
        ".",
        "-maxdepth",
        "2",
        "-newer",
        "f",
        "-print0",
    ],
    "find . -name -exec": ["find", ".", "-name", "-exec"],
    "head -n 3 f": ["head", "-n", "3", "f"],
    "head -3 f": ["head", "-3", "f"],
    "tail -n +2 f": ["tail", "-n", "+2", "f"],
    "wc -l f": ["wc", "-l", "f"],
    "cat -n f": ["cat", "-n", "f"],
    "echo -n hello --output=x": ["echo", "-n", "hello", "--output=x"],
    "date +%Y": ["date", "+%Y"],
    "pwd": ["pwd"],
    "true": ["true"],
    "touch note.txt": ["touch", "note.txt"],
    "mkdir -p a/b": ["mkdir", "-p", "a/b"],
    "cp -r a b": ["cp", "-r", "a", "b"],
    "mv a.txt sub/": ["mv", "a.txt", "sub/"],
    "rg -n foo": ["rg", "-n", "foo"],
    "git log --oneline": ["git", "log", "--oneline"],
    "git --no-pager log -n 3 --stat": ["git", "--no-pager", "log", "-n", "3", "--stat"],
    "git diff --stat HEAD~1": ["git", "diff", "--stat", "HEAD~1"],
    "git status --short": ["git", "status", "--short"],
    "git show --name-only HEAD": ["git", "show", "--name-only", "HEAD"],
}


@pytest.mark.parametrize(("command", "reason"), ESCAPES.items())
def test_escapes_are_refused_with_the_reason(command: str, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        parse_command(command, SETTINGS)


@pytest.mark.parametrize(("argv", "reason"), ARGV_ESCAPES.items())
def test_escapes_in_argv_are_refused_by_the_program_check(
    argv: tuple[str, ...], reason: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        check_args(argv[0], list(argv[1:]))


@pytest.mark.parametrize(("command", "argv"), ALLOWED.items())
def test_harmless_commands_are_still_allowed(command: str, argv: list[str]) -> None:
    assert parse_command(command, SETTINGS) == argv


def test_git_is_not_a_default_program() -> None:
    with pytest.raises(ValueError, match="'git' is not allowlisted"):
        parse_command("git log", ShellSettings())


def test_a_program_the_user_adds_without_a_spec_is_taken_on_their_word() -> None:
    settings = ShellSettings.model_validate({"programs": {"sleep": {"deny_flags": ["--help"]}}})
    assert parse_command("sleep 1 --version", settings) == ["sleep", "1", "--version"]
    with pytest.raises(ValueError, match="sleep --help is not allowed"):
        parse_command("sleep --help", settings)


@pytest.mark.skipif(shutil.which("sed") is None, reason="GNU sed checks the checker")
def test_no_script_the_checker_accepts_uses_e_r_or_w_by_gnu_seds_own_account() -> None:
    """GNU sed's ``--sandbox`` refuses e/r/w itself: random scripts the checker lets through never
    trip it (the checker reads scripts the way sed does)."""
    rng = random.Random(7)
    accepted = 0
    for _ in range(600):
        script = "".join(rng.choice(SED_ATOMS) for _ in range(rng.randint(1, 6)))
        try:
            check_sed_script(script)
        except ValueError:
            continue
        accepted += 1
        done = subprocess.run(
            ["sed", "--sandbox", "-n", script, "/dev/null"], capture_output=True, text=True
        )
        assert "sandbox" not in done.stderr, script
    assert accepted > 50


SED_ATOMS = [
    "e", " e id", "w o", "r x", "R x", "W o", "s/a/b/", "s/a/b/e", "s/a/b/w o", "s,a,b,g", "y/a/b/",
    "p", "d", "{", "}", ";", "\n", "1", "$", "/x/", "\\%x%", "!", ",", "~", "+", "2", " ", "a foo",
    "i\\\n", "c bar\\\n", "\\", "b", "t x", ":x", "#c", "q", "l 3", "s/a\\/b/c/", "I", "M", "0~2",
    "w", "s/x/y/3", "g", "N", "/", "z", "F", "=",
]  # fmt: skip
