"""The built-in argument specs of the default shell programs: what the defaults promise.

Each program is allowed only with options that cannot run another program or write outside what
the command is for: every option is listed (`deskpilot.policies.shell_args`), so an unknown one, an
abbreviation of a refused one or a refused one bundled with others is refused. On top of options:

- ``sed``: the script is parsed (`deskpilot.policies.sed_script`); ``-i``/``--in-place`` and
  ``-f``/``--file`` are refused.
- ``sort``: ``-o``/``--output``, ``-T``/``--temporary-directory``, ``--compress-program`` refused.
- ``uniq``: at most one file (a second one is an output file).
- ``date``: no ``-s``/``--set``, and an operand must be ``+FORMAT`` (another one sets the clock).
- ``rg``: ``--pre``, ``--pre-glob``, ``-z``/``--search-zip`` and ``--hostname-bin`` run programs.
- ``find``: tests and printing only (`deskpilot.policies.shell_find`).
- ``cp``, ``mv``, ``touch``, ``mkdir`` write: only to relative paths without ``..`` (the work dir),
  never through ``-s``/``-l`` links. (A symlink already in the work dir is followed; the sandbox
  keeps the rest of the file system read-only.)
- ``git`` has a spec (`deskpilot.policies.shell_git`) but is not a default program.

A program a policy adds without a built-in spec is checked only against its ``deny_flags``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath

from deskpilot.policies.sed_script import check_sed_script
from deskpilot.policies.shell_args import (
    ArgSpec,
    Option,
    Parsed,
    flags,
    optional,
    parse_options,
    refused,
    valued,
)
from deskpilot.policies.shell_find import check_find
from deskpilot.policies.shell_git import check_git

HELP = flags("--help", "--version")
RUNS = "runs another program"


def _relative(program: str) -> Callable[[str], None]:
    def check(path: str) -> None:
        if not path:
            raise ValueError(f"{program}: an empty path is not allowed")
        if path.startswith("/"):
            raise ValueError(
                f"{program}: absolute path {path!r} is not allowed (it writes only in the work dir)"
            )
        if ".." in PurePosixPath(path).parts:
            raise ValueError(
                f"{program}: '..' in {path!r} is not allowed (it writes only in the work dir)"
            )
        if path.startswith("-"):
            raise ValueError(f"{program}: paths may not start with '-' ({path!r})")

    return check


def _no_slash(program: str) -> Callable[[str], None]:
    def check(suffix: str) -> None:
        if "/" in suffix:
            raise ValueError(f"{program}: a backup suffix with '/' is not allowed")

    return check


LS = ArgSpec.of(HELP, flags(
    "-a --all", "-A --almost-all", "--author", "-b --escape", "-B --ignore-backups", "-c", "-C",
    "-d --directory", "-D --dired", "-f", "--file-type", "--full-time", "-g",
    "--group-directories-first", "-G --no-group", "-h --human-readable", "--si",
    "-H --dereference-command-line", "--dereference-command-line-symlink-to-dir", "-i --inode",
    "-k --kibibytes", "-l", "-L --dereference", "-m", "-n --numeric-uid-gid", "-N --literal", "-o",
    "-p", "-q --hide-control-chars", "--show-control-chars", "-Q --quote-name", "-r --reverse",
    "-R --recursive", "-s --size", "-S", "-t", "-u", "-U", "-v", "-x", "-X", "-Z --context",
    "--zero", "-1"), optional("--color --colour", "-F --classify", "--hyperlink"),
    valued("--block-size", "--format", "--hide", "--indicator-style", "-I --ignore",
            "--quoting-style", "--sort", "--time", "--time-style", "-T --tabsize", "-w --width"),
)  # fmt: skip
CAT = ArgSpec.of(HELP, flags(
    "-A --show-all", "-b --number-nonblank", "-e", "-E --show-ends", "-n --number",
    "-s --squeeze-blank", "-t", "-T --show-tabs", "-u", "-v --show-nonprinting"))  # fmt: skip
HEAD = ArgSpec.of(HELP, flags("-q --quiet --silent", "-v --verbose", "-z --zero-terminated"),
                  valued("-c --bytes", "-n --lines"), digits=True)  # fmt: skip
TAIL = ArgSpec.of(
    HELP, flags("-F", "--retry", "-q --quiet --silent", "-v --verbose", "-z --zero-terminated"),
    optional("-f --follow"),
    valued("-c --bytes", "-n --lines", "--pid", "-s --sleep-interval", "--max-unchanged-stats"),
    digits=True,
)  # fmt: skip
WC = ArgSpec.of(HELP, flags("-c --bytes", "-m --chars", "-l --lines", "-L --max-line-length",
                            "-w --words"), valued("--files0-from", "--total"))  # fmt: skip
PWD = ArgSpec.of(HELP, flags("-L --logical", "-P --physical"))
DATE = ArgSpec.of(
    HELP, flags("-R --rfc-email", "-u --utc --universal", "--debug"),
    optional("-I --iso-8601"), valued("-d --date", "-f --file", "-r --reference", "--rfc-3339"),
    refused("sets the system clock", "-s --set", value="required"),
)  # fmt: skip
GREP = ArgSpec.of(HELP, flags(
    "-E --extended-regexp", "-F --fixed-strings", "-G --basic-regexp", "-P --perl-regexp",
    "-i -y --ignore-case", "--no-ignore-case", "-v --invert-match", "-w --word-regexp",
    "-x --line-regexp", "-c --count", "-L --files-without-match", "-l --files-with-matches",
    "-o --only-matching", "-q --quiet --silent", "-s --no-messages", "-b --byte-offset",
    "-H --with-filename", "-h --no-filename", "-n --line-number", "-T --initial-tab", "-Z --null",
    "-z --null-data", "-a --text", "-I", "-r --recursive", "-R --dereference-recursive",
    "--line-buffered", "-U --binary", "-V"), optional("--color --colour"),
    valued("-e --regexp", "-f --file", "-m --max-count", "--label", "-A --after-context",
            "-B --before-context", "-C --context", "--binary-files", "-D --devices",
            "-d --directories", "--exclude", "--exclude-from", "--exclude-dir", "--include"),
    digits=True,
)  # fmt: skip
SORT = ArgSpec.of(
    HELP, flags("-b --ignore-leading-blanks", "-d --dictionary-order", "-f --ignore-case",
                "-g --general-numeric-sort", "-i --ignore-nonprinting", "-M --month-sort",
                "-h --human-numeric-sort", "-n --numeric-sort", "-R --random-sort",
                "-r --reverse", "-V --version-sort", "-c", "-C", "--debug", "-m --merge",
                "-s --stable", "-u --unique", "-z --zero-terminated"),
    optional("--check"),
    valued("--random-source", "--sort", "--files0-from", "-k --key", "-S --buffer-size",
            "-t --field-separator", "--parallel", "--batch-size"),
    refused(RUNS, "--compress-program", value="required"),
    refused("writes a file", "-o --output", "-T --temporary-directory", value="required"),
)  # fmt: skip
UNIQ = ArgSpec.of(HELP, flags("-c --count", "-d --repeated", "-D", "-i --ignore-case",
                              "-u --unique", "-z --zero-terminated"),
                  optional("--all-repeated", "--group"),
                  valued("-f --skip-fields", "-s --skip-chars", "-w --check-chars"))  # fmt: skip
SED = ArgSpec.of(
    HELP, flags("-n --quiet --silent", "-E -r --regexp-extended", "-s --separate", "-u --unbuffered",
                "-z --null-data --zero-terminated", "--posix", "--debug", "-b --binary",
                "--sandbox"),
    valued("-e --expression", "-l --line-length"),
    refused("edits files in place", "-i --in-place", value="optional"),
    refused("reads a script from a file, which is not checked", "-f --file", value="required"),
)  # fmt: skip
RG = ArgSpec.of(HELP, flags(
    "-i --ignore-case", "-s --case-sensitive", "-S --smart-case", "-n --line-number",
    "-N --no-line-number", "-l --files-with-matches", "--files-without-match", "-c --count",
    "--count-matches", "-v --invert-match", "-w --word-regexp", "-x --line-regexp",
    "-F --fixed-strings", "--hidden -.", "-u --unrestricted", "-L --follow", "--no-ignore",
    "-o --only-matching", "--json", "--files", "--type-list", "-H --with-filename",
    "-I --no-filename", "--heading", "--no-heading", "--column", "--vimgrep", "-0 --null",
    "-a --text", "-U --multiline", "-P --pcre2", "--stats", "--trim", "--no-messages",
    "-q --quiet", "-p --pretty"),
    valued("-e --regexp", "-f --file", "-g --glob", "--iglob", "-t --type", "-T --type-not",
            "-A --after-context", "-B --before-context", "-C --context", "-m --max-count",
            "-d --max-depth", "-r --replace", "--color", "--sort", "--sortr", "-M --max-columns",
            "-j --threads", "-E --encoding"),
    refused("runs a preprocessor program", "--pre", "--pre-glob", value="required"),
    refused("runs decompression programs", "-z --search-zip"),
    refused(RUNS, "--hostname-bin", value="required"),
)  # fmt: skip


def _copy(program: str) -> list[Option]:
    """The options cp and mv share."""
    return [
        *flags("-b", "-f --force", "-i --interactive", "-n --no-clobber",
               "-T --no-target-directory", "-u --update", "-v --verbose",
               "--strip-trailing-slashes"),
        *optional("--backup"), *valued("-S --suffix", check=_no_slash(program)),
        *valued("-t --target-directory", check=_relative(program)),
    ]  # fmt: skip


CP = ArgSpec.of(
    HELP, _copy("cp"), flags("-a --archive", "--attributes-only", "--copy-contents", "-d", "-H",
                      "-L --dereference", "-P --no-dereference", "-p", "--parents",
                      "-R -r --recursive", "--remove-destination", "-x --one-file-system",
                      "--keep-directory-symlink", "--debug"),
    optional("--preserve", "--reflink"), valued("--no-preserve", "--sparse"),
    refused("makes links to files, which later writes would follow",
            "-s --symbolic-link", "-l --link"),
)  # fmt: skip
MV = ArgSpec.of(HELP, _copy("mv"))
TOUCH = ArgSpec.of(HELP, flags("-a", "-c --no-create", "-f", "-h --no-dereference", "-m"),
                   valued("-d --date", "-r --reference", "-t", "--time"))  # fmt: skip
MKDIR = ArgSpec.of(HELP, flags("-p --parents", "-v --verbose"), valued("-m --mode"))


def _sed(parsed: Parsed) -> None:
    scripts = parsed.values("--expression")
    if not scripts:
        if not parsed.operands:
            raise ValueError("sed needs a script")
        scripts = parsed.operands[:1]
    check_sed_script("\n".join(scripts))


def _at_most_one(program: str) -> Callable[[Parsed], None]:
    def check(parsed: Parsed) -> None:
        if len(parsed.operands) > 1:
            raise ValueError(f"{program}: at most one file (a second one is written to)")

    return check


def _date(parsed: Parsed) -> None:
    if any(not operand.startswith("+") for operand in parsed.operands):
        raise ValueError("date: only a +FORMAT operand is allowed (another one sets the clock)")


def _paths(program: str) -> Callable[[Parsed], None]:
    def check(parsed: Parsed) -> None:
        for operand in parsed.operands:
            _relative(program)(operand)

    return check


def _none(parsed: Parsed) -> None:
    pass


# program -> (its option spec, a check of what was parsed); None: no options at all (echo, true)
SPECS: dict[str, tuple[ArgSpec, Callable[[Parsed], None]] | None] = {
    "ls": (LS, _none),
    "cat": (CAT, _none),
    "head": (HEAD, _none),
    "tail": (TAIL, _none),
    "wc": (WC, _none),
    "pwd": (PWD, _none),
    "date": (DATE, _date),
    "grep": (GREP, _none),
    "sort": (SORT, _none),
    "uniq": (UNIQ, _at_most_one("uniq")),
    "sed": (SED, _sed),
    "rg": (RG, _none),
    "cp": (CP, _paths("cp")),
    "mv": (MV, _paths("mv")),
    "touch": (TOUCH, _paths("touch")),
    "mkdir": (MKDIR, _paths("mkdir")),
    "echo": None,
    "true": None,
}
OTHER_CHECKS: dict[str, Callable[[list[str]], None]] = {"find": check_find, "git": check_git}
SPECIFIED = frozenset(SPECS) | frozenset(OTHER_CHECKS)


def check_args(program: str, args: list[str]) -> None:
    """Raise ValueError unless ``program args`` passes the program's built-in spec.

    A program without a built-in spec (one a policy adds) passes: it is taken on the policy's word.

    Raises:
        ValueError: Naming the program, the option or argument, and why.
    """
    if program in OTHER_CHECKS:
        OTHER_CHECKS[program](args)
        return
    if program not in SPECS:
        return
    entry = SPECS[program]
    if entry is not None:
        spec, check = entry
        check(parse_options(program, args, spec))
