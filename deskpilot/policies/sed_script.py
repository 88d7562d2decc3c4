"""A parser for GNU sed scripts that refuses the commands that run programs or touch files.

Refused: the ``e`` command and the ``s///e`` flag (they run shell commands), ``w``, ``W`` and the
``s///w`` flag (they write files), ``r`` and ``R`` (they read files into the output). The script is
read the way GNU sed reads it: commands separated by ``;`` or newlines, addresses (numbers, ``$``,
``/re/`` or ``\\cREc`` with ``I``/``M``, ``first~step``, ``addr,+N``, ``addr,~N``, ``!``), ``{`` and
``}``, ``s`` and ``y`` with any delimiter, labels, and the text of ``a``, ``i``, ``c`` up to the end
of the line. Anything it cannot parse is refused, so a script sed would read differently never passes.
"""

from __future__ import annotations

REFUSED = {
    "e": "the e command runs a shell command",
    "w": "the w command writes a file",
    "W": "the W command writes a file",
    "r": "the r command reads a file",
    "R": "the R command reads a file",
}
SIMPLE = frozenset("=dDFgGhHnNpPxz")  # commands without arguments
LABELLED = frozenset("bTt")
TEXT = frozenset("aic")
LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
S_FLAGS = frozenset("gpiImM0123456789")


class _Script:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, why: str) -> ValueError:
        return ValueError(f"sed script: {why} (at character {self.pos + 1}); it is not allowed")

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def take(self) -> str:
        char = self.peek()
        self.pos += 1
        return char

    def skip_blanks(self) -> None:
        while self.peek() in (" ", "\t"):
            self.pos += 1

    def delimited(self, delim: str, what: str) -> str:
        """The text up to an unescaped ``delim`` (consumed); backslash escapes any character."""
        start = self.pos
        while True:
            char = self.take()
            if char == "":
                raise self.fail(f"unterminated {what}")
            if char == "\\":
                if self.take() == "":
                    raise self.fail(f"unterminated {what}")
            elif char == delim:
                return self.text[start : self.pos - 1]

    def address(self) -> bool:
        """One address, if there is one."""
        char = self.peek()
        if char.isdigit():
            while self.peek().isdigit():
                self.pos += 1
            if self.peek() == "~":
                self.pos += 1
                self.number()
            return True
        if char == "$":
            self.pos += 1
            return True
        if char in ("/", "\\"):
            self.pos += 1
            delim = self.take() if char == "\\" else "/"
            if delim in ("", "\n", "\\"):
                raise self.fail("bad regex delimiter")
            self.delimited(delim, "address regex")
            while self.peek() in ("I", "M"):
                self.pos += 1
            return True
        return False

    def number(self) -> None:
        if not self.peek().isdigit():
            raise self.fail("expected a number")
        while self.peek().isdigit():
            self.pos += 1

    def addresses(self) -> None:
        if self.address():
            self.skip_blanks()
            if self.peek() == ",":
                self.pos += 1
                self.skip_blanks()
                if self.peek() in ("+", "~"):
                    self.pos += 1
                    self.number()
                elif not self.address():
                    raise self.fail("expected a second address")
        self.skip_blanks()
        while self.peek() == "!":
            self.pos += 1
            self.skip_blanks()

    def end_of_command(self) -> None:
        """After a command: blanks, then ``;``, a newline, ``}``, ``#`` or the end."""
        self.skip_blanks()
        char = self.peek()
        if char in (";", "\n"):
            self.pos += 1
        elif char not in ("}", "#", ""):
            raise self.fail(f"unexpected {char!r} after a command")

    def label(self) -> str:
        self.skip_blanks()
        start = self.pos
        while self.peek() in LABEL_CHARS:
            self.pos += 1
        return self.text[start : self.pos]

    def text_argument(self) -> None:
        """The text of a, i, c: to the end of the line; a backslash escapes the next character."""
        self.skip_blanks()
        while True:
            char = self.take()
            if char in ("", "\n"):
                return
            if char == "\\":
                self.take()

    def substitute(self) -> None:
        delim = self.take()
        if delim in ("", "\n", "\\"):
            raise self.fail("bad s delimiter")
        self.delimited(delim, "s command")
        self.delimited(delim, "s command")
        while True:
            char = self.peek()
            if char == "e":
                raise self.fail("the s///e flag runs a shell command")
            if char == "w":
                raise self.fail("the s///w flag writes a file")
            if char not in S_FLAGS or char == "":
                return
            self.pos += 1

    def command(self) -> None:
        self.addresses()
        char = self.take()
        if char in REFUSED:
            raise self.fail(REFUSED[char])
        if char in SIMPLE or char in ("{", "}"):
            if char != "{":
                self.end_of_command()
        elif char in ("q", "Q", "l", "L"):
            self.skip_blanks()
            while self.peek().isdigit():
                self.pos += 1
            self.end_of_command()
        elif char in LABELLED:
            self.label()
            self.end_of_command()
        elif char == ":":
            if not self.label():
                raise self.fail("a label is missing")
            self.end_of_command()
        elif char in TEXT:
            self.text_argument()
        elif char == "s":
            self.substitute()
            self.end_of_command()
        elif char == "y":
            delim = self.take()
            if delim in ("", "\n", "\\"):
                raise self.fail("bad y delimiter")
            self.delimited(delim, "y command")
            self.delimited(delim, "y command")
            self.end_of_command()
        elif char == "#":
            while self.peek() not in ("", "\n"):
                self.pos += 1
        else:
            self.pos -= 1
            raise self.fail(f"unknown command {char!r}")


def check_sed_script(text: str) -> None:
    """Raise ValueError unless ``text`` is a sed script that only edits the stream it reads.

    Raises:
        ValueError: A refused command or flag, or a script that cannot be parsed.
    """
    script = _Script(text)
    while True:
        while script.peek() in (" ", "\t", "\n", ";"):
            script.pos += 1
        if script.peek() == "":
            return
        script.command()
