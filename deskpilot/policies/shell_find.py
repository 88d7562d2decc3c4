"""find's expression, checked: tests and printing to stdout only.

``find`` takes no options in the getopt sense: ``-H``, ``-L``, ``-P`` and ``-O LEVEL`` come first,
then the start paths, then an expression of tests, operators and actions. Allowed are the tests
(``-name``, ``-type``, ``-size``, ``-newer`` ...), the operators, and the actions that only print to
stdout (``-print``, ``-print0``, ``-printf``, ``-ls``, ``-prune``, ``-quit``). Refused: ``-exec``,
``-execdir``, ``-ok``, ``-okdir`` (they run programs), ``-delete``, and ``-fprint``, ``-fprint0``,
``-fprintf``, ``-fls`` (they write files); ``-D`` (debug options). Any other predicate is refused.
"""

from __future__ import annotations

import re

NO_ARGUMENT = frozenset({
    "(", ")", "!", ",", "-not", "-a", "-and", "-o", "-or", "-daystart", "-depth", "-d", "-follow",
    "-ignore_readdir_race", "-noignore_readdir_race", "-mount", "-xdev", "-noleaf", "-empty",
    "-executable", "-readable", "-writable", "-false", "-true", "-nogroup", "-nouser", "-print",
    "-print0", "-ls", "-prune", "-quit",
})  # fmt: skip
ONE_ARGUMENT = frozenset({
    "-maxdepth", "-mindepth", "-regextype", "-amin", "-anewer", "-atime", "-cmin", "-cnewer",
    "-ctime", "-fstype", "-gid", "-group", "-ilname", "-iname", "-inum", "-ipath", "-iregex",
    "-iwholename", "-links", "-lname", "-mmin", "-mtime", "-name", "-newer", "-path", "-perm",
    "-regex", "-samefile", "-size", "-type", "-uid", "-used", "-user", "-wholename", "-xtype",
    "-printf",
})  # fmt: skip
NEWER_XY = re.compile(r"-newer[aBcm][aBcmt]")
OPTIMISE = re.compile(r"-O\d")
REFUSED = {
    **dict.fromkeys(("-exec", "-execdir", "-ok", "-okdir"), "runs programs"),
    "-delete": "deletes files",
    **dict.fromkeys(("-fprint", "-fprint0", "-fprintf", "-fls"), "writes a file"),
}
EXPRESSION_START = ("-", "(", "!", ")", ",")


def check_find(args: list[str]) -> None:
    """Raise ValueError unless find's ``args`` only test files and print to stdout.

    Raises:
        ValueError: A refused or unknown predicate, naming it.
    """
    i = 0
    while i < len(args) and (args[i] in ("-H", "-L", "-P", "-D") or OPTIMISE.fullmatch(args[i])):
        if args[i] == "-D":
            raise ValueError("find -D is not allowed: it turns on debug options")
        i += 1
    while i < len(args) and not args[i].startswith(EXPRESSION_START):
        i += 1  # start paths
    while i < len(args):
        predicate = args[i]
        if predicate in REFUSED:
            raise ValueError(f"find {predicate} is not allowed: it {REFUSED[predicate]}")
        if predicate in NO_ARGUMENT:
            i += 1
        elif predicate in ONE_ARGUMENT or NEWER_XY.fullmatch(predicate):
            if i + 1 == len(args):
                raise ValueError(f"find {predicate} needs an argument")
            i += 2
        else:
            raise ValueError(
                f"find {predicate}: unknown predicate (only tests and printing are allowed)"
            )
