"""Labels for synthetic screens: common UI words, and pseudo-words for labels never seen in training.

Splits are deterministic: ``train`` and ``heldout`` never share a word, so an eval on ``heldout``
measures grounding on unseen labels.
"""

from __future__ import annotations

import random
from typing import Literal

Split = Literal["train", "heldout"]

UI_WORDS = [
    "save",
    "open",
    "close",
    "cancel",
    "apply",
    "ok",
    "yes",
    "no",
    "help",
    "about",
    "edit",
    "view",
    "file",
    "tools",
    "settings",
    "options",
    "search",
    "find",
    "replace",
    "print",
    "export",
    "import",
    "share",
    "send",
    "reply",
    "forward",
    "delete",
    "remove",
    "add",
    "new",
    "create",
    "copy",
    "paste",
    "cut",
    "undo",
    "redo",
    "refresh",
    "reload",
    "back",
    "next",
    "previous",
    "finish",
    "start",
    "stop",
    "pause",
    "play",
    "record",
    "upload",
    "download",
    "login",
    "logout",
    "sign",
    "register",
    "submit",
    "continue",
    "skip",
    "retry",
    "browse",
    "select",
    "clear",
    "reset",
    "update",
    "install",
    "uninstall",
    "enable",
    "disable",
    "connect",
    "disconnect",
    "sync",
    "archive",
    "restore",
    "rename",
    "move",
    "duplicate",
    "preview",
    "zoom",
    "fit",
    "rotate",
    "crop",
    "resize",
    "insert",
    "format",
    "bold",
    "italic",
    "underline",
    "align",
    "left",
    "right",
    "center",
    "justify",
    "font",
    "color",
    "size",
    "style",
    "theme",
    "language",
    "account",
    "profile",
    "password",
    "email",
    "username",
    "name",
    "address",
    "phone",
    "city",
    "country",
    "message",
    "subject",
    "body",
    "attach",
    "link",
    "image",
    "table",
    "chart",
    "page",
    "document",
    "folder",
    "project",
    "window",
    "tab",
    "menu",
    "toolbar",
    "sidebar",
    "panel",
    "list",
    "grid",
    "details",
    "properties",
    "history",
    "bookmarks",
    "downloads",
    "calendar",
    "contacts",
    "notes",
    "tasks",
    "mail",
    "inbox",
    "drafts",
    "sent",
    "trash",
    "spam",
    "filter",
    "sort",
    "group",
    "refresh",
    "status",
    "network",
    "wifi",
    "bluetooth",
    "sound",
    "display",
    "battery",
    "power",
    "keyboard",
    "mouse",
    "printer",
    "camera",
    "microphone",
    "volume",
    "brightness",
    "security",
    "privacy",
    "updates",
    "storage",
    "memory",
    "backup",
    "timezone",
    "date",
    "time",
    "alarm",
    "timer",
    "weather",
    "maps",
    "music",
    "photos",
    "videos",
    "games",
    "store",
    "library",
    "news",
    "sports",
    "finance",
    "travel",
    "food",
    "health",
]

_ONSETS = ["b", "br", "c", "cl", "d", "dr", "f", "fl", "g", "gr", "h", "j", "k", "l", "m", "n",
           "p", "pl", "qu", "r", "s", "st", "t", "tr", "v", "w", "z"]  # fmt: skip
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "io", "ou"]
_CODAS = ["", "n", "r", "s", "t", "l", "m", "x", "nd", "rk", "st"]


def pseudo_word(rng: random.Random) -> str:
    """A pronounceable made-up word of 2-3 syllables."""
    return "".join(
        rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)
        for _ in range(rng.choice([2, 2, 3]))
    )


# English letter frequencies (per mille): names drawn from them split into every kind of token
# piece, so copying them cannot lean on a few syllables the way pseudo-words let it.
_LETTERS = "etaoinshrdlcumwfgypbvkjxqz"
_LETTER_WEIGHTS = [127, 91, 82, 75, 70, 67, 63, 61, 60, 43, 40, 28, 28, 24, 24, 22, 20, 20, 19,
                   15, 10, 8, 2, 2, 1, 1]  # fmt: skip
_CODE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789-_#./"


def letter_word(rng: random.Random, low: int = 2, high: int = 10) -> str:
    """A run of ``low``..``high`` letters at English frequencies (no syllable structure)."""
    return "".join(rng.choices(_LETTERS, _LETTER_WEIGHTS, k=rng.randint(low, high)))


def free_text(rng: random.Random) -> str:
    """Text a person might type, beyond the label words: names (made-up, or letters at random),
    e-mail addresses, numbers, codes, mixed-case words (teaches copying the task's text, whatever
    its tokens, not recalling a word from the labels)."""
    kind = rng.randrange(7)
    if kind == 0:  # a made-up name
        return " ".join(pseudo_word(rng).capitalize() for _ in range(rng.randint(1, 3)))
    if kind == 1:  # an e-mail address
        domain = rng.choice(["example.com", "mail.org", "work.net"])
        return f"{pseudo_word(rng)}{rng.choice(['', '.', '_'])}{pseudo_word(rng)}@{domain}"
    if kind == 2:  # a number, a date or a phone number
        return rng.choice(
            [
                str(rng.randint(0, 99999)),
                f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1990, 2030)}",
                f"+{rng.randint(1, 99)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
            ]
        )
    if kind == 3:  # a name of letters at random
        return " ".join(letter_word(rng).capitalize() for _ in range(rng.randint(1, 3)))
    if kind == 4:  # a code, a password, a file name
        return "".join(rng.choice(_CODE_CHARS) for _ in range(rng.randint(3, 12)))
    words = rng.sample(UI_WORDS, rng.randint(1, 4))  # kind 5-6: words in any case
    casing = rng.choice([str.lower, str.capitalize, str.upper, str.title])
    return casing(" ".join(words)) + rng.choice(["", "", ".", "!", "?", " 2"])


def _split_of(word: str) -> Split:
    """A stable split by a hash of the word (not Python's randomized hash)."""
    value = 0
    for char in word:
        value = (value * 131 + ord(char)) % 1_000_003
    return "heldout" if value % 5 == 0 else "train"


class Vocabulary:
    """Draws labels from one split."""

    def __init__(
        self,
        split: Split,
        rng: random.Random,
        pseudo: float = 0.34,
        limit: int | None = None,
        free: float = 0.0,
        quote: float = 0.0,
    ) -> None:
        """``limit`` keeps the split's first ``limit`` words and makes every label one word (a
        reading curriculum's first rung); ``pseudo`` is then ignored. ``free`` is how often the
        text to type is free text (names, addresses, numbers: ``free_text``) instead of words, and
        ``quote`` how often a task shows it in double quotes (``type "Ada" into Name``: the quoted
        text splits into the same tokens as in the tool call, so it can be copied token by token)."""
        if split not in ("train", "heldout"):
            raise ValueError(f"unknown split {split!r}: use 'train' or 'heldout'")
        self.split = split
        self.rng = rng
        self.pseudo = pseudo if limit is None else 0.0  # how often a word is a made-up one
        self.words = [w for w in UI_WORDS if _split_of(w) == split][:limit]
        if not self.words:
            raise ValueError(f"a vocabulary needs at least one word (limit {limit})")
        self.max_words = 1 if limit is not None else 2
        self.free, self.quote = free, quote

    def word(self) -> str:
        """One label word: a UI word, or (``pseudo`` of the time) a pseudo-word of this split."""
        if self.rng.random() >= self.pseudo:
            return self.rng.choice(self.words)
        while True:
            candidate = pseudo_word(self.rng)
            if _split_of(candidate) == self.split:
                return candidate

    def label(self, max_words: int | None = None) -> str:
        """A capitalized label of one to ``max_words`` words (default: the vocabulary's)."""
        most = self.max_words if max_words is None or self.max_words == 1 else max_words
        words = [self.word() for _ in range(self.rng.randint(1, most))]
        text = " ".join(words)
        return text[:1].upper() + text[1:]

    def label_not_in(self, taken: set[str], max_words: int | None = None) -> str:
        """A label whose lower case is not in ``taken``; a ``ValueError`` when the vocabulary
        has run out (a small ``limit`` and a busy screen) instead of drawing forever."""
        for _ in range(10_000):
            label = self.label(max_words)
            if label.lower() not in taken:
                return label
        raise ValueError(f"the vocabulary ({len(self.words)} words) has no label left")

    def shown(self, text: str) -> str:
        """``text`` as a task shows it: quoted ``quote`` of the time."""
        if self.quote > 0 and self.rng.random() < self.quote:
            return f'"{text}"'
        return text

    def text(self) -> str:
        """Short text to type into a field."""
        if self.free > 0 and self.rng.random() < self.free:
            return free_text(self.rng)
        return " ".join(self.word() for _ in range(self.rng.randint(1, 3)))
