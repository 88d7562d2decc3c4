"""The key vocabulary of the `key` tool: canonical names, aliases, and the generated schema pattern.

A combination is written ``mod+mod+key`` (``ctrl+s``, ``ctrl+shift+t``, ``alt+F4``, ``Return``).
Names are case-insensitive for words; single letters keep their case (``A`` is shift+a to X11).
"""

from __future__ import annotations

import re
import string

MODIFIERS = ("ctrl", "alt", "shift", "super")

NAMED_KEYS = (
    "enter",
    "tab",
    "escape",
    "space",
    "backspace",
    "delete",
    "insert",
    "home",
    "end",
    "pageup",
    "pagedown",
    "up",
    "down",
    "left",
    "right",
    "capslock",
    "printscreen",
    "menu",
    "plus",
    *(f"f{i}" for i in range(1, 13)),
)

ALIASES = {
    "control": "ctrl",
    "cmd": "super",
    "win": "super",
    "meta": "super",
    "option": "alt",
    "return": "enter",
    "esc": "escape",
    "del": "delete",
    "pgup": "pageup",
    "pgdn": "pagedown",
    "page_up": "pageup",
    "page_down": "pagedown",
    "arrowup": "up",
    "arrowdown": "down",
    "arrowleft": "left",
    "arrowright": "right",
}

CHAR_KEYS = tuple(string.ascii_letters + string.digits + "-=[];',./\\`")

MAX_MODIFIERS = 3


def _word_variants(word: str) -> list[str]:
    return sorted({word, word.capitalize(), word.upper()})


def _alternation(names: list[str]) -> str:
    # Longest first so that e.g. "f12" is tried before "f1".
    return "|".join(re.escape(n) for n in sorted(set(names), key=lambda n: (-len(n), n)))


def key_combo_pattern() -> str:
    """The JSON Schema ``pattern`` that accepts exactly the combinations `parse_combo` accepts."""
    modifier_words = [*MODIFIERS, *(a for a, c in ALIASES.items() if c in MODIFIERS)]
    key_words = [*NAMED_KEYS, *(a for a, c in ALIASES.items() if c not in MODIFIERS)]
    modifiers = [v for w in modifier_words for v in _word_variants(w)]
    keys = [v for w in [*key_words] for v in _word_variants(w)] + list(CHAR_KEYS) + modifiers
    return f"^(?:(?:{_alternation(modifiers)})\\+){{0,{MAX_MODIFIERS}}}(?:{_alternation(keys)})$"


def canonical_key(name: str) -> str:
    """The canonical name of one key, or raise ValueError naming the unknown key."""
    if len(name) == 1 and name in CHAR_KEYS:
        return name
    lowered = name.lower()
    lowered = ALIASES.get(lowered, lowered)
    if lowered in MODIFIERS or lowered in NAMED_KEYS:
        return lowered
    raise ValueError(f"unknown key {name!r}")


def parse_combo(combo: str) -> tuple[str, ...]:
    """Split ``ctrl+shift+s`` into canonical key names, modifiers first.

    Raises:
        ValueError: An unknown key, an empty part, a repeated key, or a non-modifier before the last.
    """
    parts = combo.split("+")
    if any(part == "" for part in parts):
        raise ValueError(f"{combo!r} has an empty key (write 'plus' for the + key)")
    keys = tuple(canonical_key(p) for p in parts)
    if len(set(keys)) != len(keys):
        raise ValueError(f"{combo!r} repeats a key")
    for key in keys[:-1]:
        if key not in MODIFIERS:
            raise ValueError(f"{combo!r}: only modifiers {MODIFIERS} may come before the last key")
    if len(keys) - 1 > MAX_MODIFIERS:
        raise ValueError(f"{combo!r} has more than {MAX_MODIFIERS} modifiers")
    return keys


# Keys that X11 reaches with shift on a US layout, written as the key pressed under the shift.
SHIFTED = {"plus": "="}


def pressed_keys(combo: str) -> frozenset[str]:
    """The keys a combination physically presses: ``ctrl+J``, ``shift+ctrl+J`` and
    ``ctrl+shift+j`` are all ``{ctrl, shift, j}``; ``plus`` is ``{shift, =}``.

    Policies compare these sets, so that no spelling of a combination gets around a key rule.

    Raises:
        ValueError: ``combo`` is not a valid combination (see `parse_combo`).
    """
    keys = set(parse_combo(combo))
    last = combo.split("+")[-1]
    if len(last) == 1 and last.isupper():
        keys.discard(last)
        keys |= {"shift", last.lower()}
    elif (base := SHIFTED.get(canonical_key(last))) is not None:
        keys.discard(canonical_key(last))
        keys |= {"shift", base}
    return frozenset(keys)
