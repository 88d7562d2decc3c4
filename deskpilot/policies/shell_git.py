"""git, read-only: a few subcommands, each with an option allowlist. Not a default program.

Why git is not in the defaults: git runs programs named in the repository's own configuration
(``core.fsmonitor`` on ``status``, ``core.pager``, ``diff.external``, textconv and filter drivers,
hooks), and a command allowed in the work dir can put a file at ``.git/config`` (``cp``, ``mv``), or
the user's repository may carry one. No check of argv can see that; only trusting the repository can.
A policy that lists ``git`` takes that on its word, and then this spec applies: the global options
that change configuration or where git looks (``-c``, ``--config-env``, ``-C``, ``--git-dir``,
``--work-tree``, ``--exec-path``, ``--namespace``, ``-p``) are refused; only the subcommands
``status``, ``log``, ``show``, ``diff`` run (so no aliases, no ``config``), with listed options;
``--output`` (writes a file), ``--ext-diff`` and ``--textconv`` (run programs) are refused.
"""

from __future__ import annotations

from deskpilot.policies.shell_args import ArgSpec, flags, optional, parse_options, refused, valued

WHERE = "points git at other configuration, repositories or programs"
GLOBAL = ArgSpec.of(
    flags("--no-pager -P", "--no-replace-objects", "--literal-pathspecs", "--glob-pathspecs",
          "--noglob-pathspecs", "--icase-pathspecs", "--no-optional-locks"),
    refused("sets configuration (a pager, aliases, programs to run)", "-c", "--config-env",
            value="required"),
    refused(WHERE, "-C", "--git-dir", "--work-tree", "--namespace", "--super-prefix",
            value="required"),
    refused(WHERE, "--exec-path", value="optional"),
    refused("runs a pager", "-p --paginate"),
    permute=False,
)  # fmt: skip
DIFF = [
    *flags("-p -u --patch", "-s --no-patch", "--numstat", "--shortstat", "--name-only",
           "--name-status", "--summary", "--raw", "-w --ignore-all-space",
           "-b --ignore-space-change", "--ignore-blank-lines", "--no-color", "-R", "--full-index",
           "--no-ext-diff", "--no-textconv", "--no-renames", "--minimal", "--patience",
           "--histogram"),
    *optional("--stat", "--color", "--word-diff", "--abbrev", "--find-renames", "--dirstat"),
    *valued("-U --unified", "--diff-filter", "--relative"),
    *refused("writes a file", "--output", value="required"),
    *refused("runs an external diff program", "--ext-diff"),
    *refused("runs textconv filter programs", "--textconv"),
]  # fmt: skip
LOG = [
    *DIFF,
    *flags("--oneline", "--all", "--graph", "--no-decorate", "--reverse", "--follow",
           "--first-parent", "--merges", "--no-merges", "--abbrev-commit", "--no-abbrev-commit",
           "-i --regexp-ignore-case", "--full-history", "--topo-order", "--date-order"),
    *optional("--decorate", "--branches", "--tags", "--pretty"),
    *valued("-n --max-count", "--skip", "--since --after", "--until --before", "--author",
            "--committer", "--grep", "--format", "--date"),
]  # fmt: skip
SUBCOMMANDS = {
    "diff": ArgSpec.of(DIFF, flags("--cached --staged", "--no-index")),
    "log": ArgSpec.of(LOG, digits=True),
    "show": ArgSpec.of(LOG, digits=True),
    "status": ArgSpec.of(
        flags("-s --short", "-b --branch", "--long", "-z", "--show-stash", "-v --verbose"),
        optional("--porcelain", "--ignored", "--ignore-submodules", "-u --untracked-files"),
    ),
}


def check_git(args: list[str]) -> None:
    """Raise ValueError unless ``git args`` is a read-only subcommand with allowed options.

    Raises:
        ValueError: A refused global option, subcommand or option, naming it.
    """
    parsed = parse_options("git", args, GLOBAL)
    if not parsed.operands:
        raise ValueError("git needs a subcommand")
    subcommand, *rest = parsed.operands
    spec = SUBCOMMANDS.get(subcommand)
    if spec is None:
        allowed = ", ".join(sorted(SUBCOMMANDS))
        raise ValueError(f"git {subcommand} is not an allowed subcommand (allowed: {allowed})")
    parse_options(f"git {subcommand}", rest, spec)
