"""Command-line options parsed the way GNU ``getopt_long`` parses them, against an allowlist.

An `ArgSpec` lists every option a program may be given (short and long names, whether it takes a
value) and, for the ones it knows but refuses, why. `parse_options` reads argv as the program would:
``--opt=value`` and ``--opt value``; a unique prefix of a long option is that option, an ambiguous
one is refused; bundled short options (``-ni`` is ``-n -i``; a short option that takes a value takes
the rest of the token, or the next argument); ``--`` ends the options; options may follow operands
(GNU permutes them) unless the spec stops at the first operand. An option the spec does not list is
refused: this is an allowlist, not a list of bad flags.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

Arity = Literal["none", "required", "optional"]


@dataclass(frozen=True)
class Option:
    """One option: its names (``-n``, ``--quiet``), its value, and why it is refused (if it is)."""

    names: tuple[str, ...]
    value: Arity = "none"
    refused: str = ""
    check: Callable[[str], None] | None = None

    @property
    def name(self) -> str:
        """The canonical name: the first long name, else the first one."""
        return next((n for n in self.names if n.startswith("--")), self.names[0])


def flags(*names: str) -> list[Option]:
    """Options without a value, one per space-separated group of aliases (``"-n --quiet"``)."""
    return [Option(tuple(group.split())) for group in names]


def valued(*names: str, check: Callable[[str], None] | None = None) -> list[Option]:
    """Options that take a value, one per group of aliases."""
    return [Option(tuple(group.split()), "required", check=check) for group in names]


def optional(*names: str) -> list[Option]:
    """Long options with an optional ``=value`` (``--color[=WHEN]``)."""
    return [Option(tuple(group.split()), "optional") for group in names]


def refused(why: str, *names: str, value: Arity = "none") -> list[Option]:
    """Options that are known and refused, because ``why`` (``"writes files"``)."""
    return [Option(tuple(group.split()), value, refused=why) for group in names]


@dataclass
class Parsed:
    """argv after parsing: the options given (canonical name, value) and the operands in order."""

    options: list[tuple[str, str | None]] = field(default_factory=list)
    operands: list[str] = field(default_factory=list)

    def values(self, name: str) -> list[str]:
        """Every value given to option ``name`` (canonical name)."""
        return [v for n, v in self.options if n == name and v is not None]

    def has(self, name: str) -> bool:
        """Whether option ``name`` (canonical name) was given."""
        return any(n == name for n, _ in self.options)


@dataclass(frozen=True)
class ArgSpec:
    """Every option of one program; options it does not list are refused."""

    options: tuple[Option, ...]
    permute: bool = True  # GNU: options may follow operands; False stops at the first operand
    digits: bool = False  # ``-5`` is a count (head, tail)

    @classmethod
    def of(cls, *groups: Iterable[Option], permute: bool = True, digits: bool = False) -> ArgSpec:
        """A spec from lists of options (`flags`, `valued`, `optional`, `refused`)."""
        return cls(tuple(o for group in groups for o in group), permute, digits)

    def short(self, char: str) -> Option | None:
        """The option ``-char``."""
        return next((o for o in self.options if f"-{char}" in o.names), None)

    def long(self, program: str, name: str) -> tuple[Option, str]:
        """The option ``--name`` or the one it abbreviates, and the full name.

        Raises:
            ValueError: Unknown, or an ambiguous abbreviation.
        """
        exact = [o for o in self.options if f"--{name}" in o.names]
        if exact:
            return exact[0], name
        matches = {
            n[2:]: o
            for o in self.options
            for n in o.names
            if n.startswith("--") and n[2:].startswith(name)
        }
        if len({id(o) for o in matches.values()}) > 1:
            candidates = ", ".join(f"--{n}" for n in sorted(matches))
            raise ValueError(f"{program} --{name} is ambiguous ({candidates}) and is not allowed")
        if not matches or not name:
            raise ValueError(
                f"{program} --{name}: unknown option (only listed options are allowed)"
            )
        full, option = next(iter(matches.items()))
        return option, full


def _accept(program: str, option: Option, label: str, value: str | None, parsed: Parsed) -> None:
    if option.refused:
        raise ValueError(f"{program} {label} is not allowed: it {option.refused}")
    if value is not None and option.check is not None:
        option.check(value)
    parsed.options.append((option.name, value))


def parse_options(program: str, args: list[str], spec: ArgSpec) -> Parsed:
    """Parse ``args`` (argv without the program) as the program would.

    Raises:
        ValueError: An unknown, refused, ambiguous or malformed option, naming program and option.
    """
    parsed = Parsed()
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            parsed.operands += args[i:]
            break
        if arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            option, full = spec.long(program, name)
            label = f"--{name}" if full == name else f"--{name} (abbreviation of --{full})"
            if option.value == "none" and eq:
                raise ValueError(f"{program} {label} takes no value")
            if option.value == "required" and not eq:
                if i == len(args):
                    raise ValueError(f"{program} {label} needs a value")
                value, i = args[i], i + 1
            _accept(
                program,
                option,
                label,
                value if (eq or option.value == "required") else None,
                parsed,
            )
        elif arg.startswith("-") and arg != "-" and not (spec.digits and arg[1:].isdigit()):
            for j, char in enumerate(arg[1:], start=1):
                short = spec.short(char)
                label = f"-{char}" if len(arg) == 2 else f"-{char} (in {arg})"
                if short is None:
                    raise ValueError(
                        f"{program} {label}: unknown option (only listed options are allowed)"
                    )
                rest = arg[j + 1 :]
                if short.value == "none":
                    _accept(program, short, label, None, parsed)
                    continue
                if short.value == "required" and not rest:
                    if i == len(args):
                        raise ValueError(f"{program} -{char} needs a value")
                    rest, i = args[i], i + 1
                given = rest if short.value == "required" else rest or None
                _accept(program, short, label, given, parsed)
                break
        else:
            parsed.operands.append(arg)
            if not spec.permute:
                parsed.operands += args[i:]
                break
    return parsed
