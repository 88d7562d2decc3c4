"""Typed text and shell commands refuse invisible characters by Unicode category (Cc, Cf, Co, Zl,
Zp, the tag block, and default-ignorable marks), not by a list; visible text of any script passes."""

from __future__ import annotations

import json
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deskpilot.errors import ToolCallError
from deskpilot.tools import ToolRegistry

REGISTRY = ToolRegistry()

INVISIBLE = {
    "\u00ad": "soft hyphen",
    "\u034f": "combining grapheme joiner",
    "\u061c": "Arabic letter mark",
    "\u180e": "Mongolian vowel separator",
    "\u2028": "line separator",
    "\u2029": "paragraph separator",
    "\U000e0001": "language tag",
    "\U000e0041": "tag latin capital A",
    "\U000e007f": "cancel tag",
    "\u2064": "invisible plus",
    "\ue000": "private use",
    "\U000f0000": "supplementary private use",
    "\u3164": "Hangul filler",
    "\U0001d173": "musical symbol begin beam",
}


def _parse(name: str, field: str, value: str) -> None:
    REGISTRY.parse(json.dumps({"name": name, "arguments": {field: value}}))


@pytest.mark.parametrize("char", INVISIBLE, ids=list(INVISIBLE.values()))
@pytest.mark.parametrize(("tool", "field"), [("type_text", "text"), ("shell", "command")])
def test_invisible_characters_are_refused(char: str, tool: str, field: str) -> None:
    with pytest.raises(ToolCallError, match=f"forbidden character U\\+{ord(char):04X}"):
        _parse(tool, field, f"ls{char}x")


@given(st.characters(categories=["Cc", "Cf", "Co", "Zl", "Zp"], exclude_characters="\t\n"))
def test_every_character_of_the_forbidden_categories_is_refused(char: str) -> None:
    with pytest.raises(ToolCallError, match="forbidden character"):
        _parse("type_text", "text", f"a{char}b")


@given(st.text(st.characters(categories=["L", "M", "N", "P", "S", "Zs"]), min_size=1, max_size=40))
def test_visible_text_of_any_script_passes(text: str) -> None:
    if any(ord(c) in (0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0) for c in text):
        return  # the default-ignorable characters outside the control categories
    if any(unicodedata.category(c) == "Cs" for c in text):
        return
    _parse("type_text", "text", text)


def test_tab_and_newline_may_be_typed() -> None:
    _parse("type_text", "text", "a\tb\nc")
