"""The key vocabulary: the generated schema pattern and the parser agree."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deskpilot.keys import (
    ALIASES,
    CHAR_KEYS,
    MODIFIERS,
    NAMED_KEYS,
    key_combo_pattern,
    parse_combo,
)

PATTERN = re.compile(key_combo_pattern())
WORDS = [*MODIFIERS, *NAMED_KEYS, *ALIASES, *CHAR_KEYS, "hyper", "", "++", "ctrl+", "f13", "Ctrl"]


def _canonical(part: str) -> str:
    lowered = part.lower() if len(part) > 1 else part
    return ALIASES.get(lowered, lowered)


@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=5))
def test_pattern_and_parser_accept_the_same_combinations(parts: list[str]) -> None:
    combo = "+".join(parts)
    try:
        parse_combo(combo)
        parsed = True
    except ValueError:
        parsed = False
    matched = PATTERN.fullmatch(combo) is not None
    # the pattern cannot see repeated keys (ctrl+control); everything else must agree
    if len({_canonical(p) for p in parts}) == len(parts):
        assert parsed == matched, combo
    else:
        assert not parsed


def test_aliases_become_canonical_names() -> None:
    assert parse_combo("Control+Return") == ("ctrl", "enter")
    assert parse_combo("cmd+shift+Esc") == ("super", "shift", "escape")


@pytest.mark.parametrize("combo", ["a+ctrl", "ctrl+ctrl", "ctrl+alt+shift+super+x", "ctrl++"])
def test_malformed_combinations_are_rejected(combo: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(combo)) + "|unknown"):
        parse_combo(combo)
