"""Which tokens of an answer copy the task: training targets for a copying attention head.

A typing task's call repeats the task's text (``type "Ada" into Name`` -> ``{"text": "Ada"}``) and
many ``done``/``fail`` answers repeat its label ("clicked Save", "Save is not on the screen"). A
small model trained from scratch learns such copying late, if at all; telling one attention head
where to look (for each copied answer token, the task token it comes from) makes it a pointing
problem, which the model already learns for coordinates. Pure string work, no tokenizer: the
caller passes each token's text ("pieces").
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Mapping, Sequence

LEAST = 3  # a shared run shorter than this is a coincidence ("e", "ed"), not a copy


def char_map(value: str, task: str, least: int = LEAST) -> dict[int, int]:
    """``value``'s characters that copy ``task``: value offset -> task offset, greedily taking the
    longest shared run (at least ``least`` characters) from left to right."""
    mapping: dict[int, int] = {}
    i = 0
    while i < len(value):
        length, at = 0, -1
        for end in range(len(value), i + least - 1, -1):
            at = task.find(value[i:end])
            if at >= 0:
                length = end - i
                break
        if length:
            mapping.update({i + k: at + k for k in range(length)})
            i += length
        else:
            i += 1
    return mapping


def _starts(pieces: Sequence[str]) -> list[int]:
    starts, at = [], 0
    for piece in pieces:
        starts.append(at)
        at += len(piece)
    return starts


def copy_pairs(
    task: str,
    arguments: Mapping[str, object],
    prompt_pieces: Sequence[str],
    answer_pieces: Sequence[str],
) -> list[tuple[int, int]]:
    """(answer token index, prompt token index) for every answer token that starts a copy of the
    task: the prompt token holding the task character the answer token's first character copies.
    Empty when the task cannot be found in the prompt (``"Task: " + task``) or nothing is copied."""
    prompt, answer = "".join(prompt_pieces), "".join(answer_pieces)
    task_at = prompt.find("Task: " + task)
    if task_at < 0:
        return []
    task_at += len("Task: ")
    prompt_starts, answer_starts = _starts(prompt_pieces), _starts(answer_pieces)
    pairs: list[tuple[int, int]] = []
    for value in arguments.values():
        if not isinstance(value, str) or not value:
            continue
        quoted = json.dumps(value, ensure_ascii=False)
        if quoted[1:-1] != value:  # escapes shift offsets: not worth aligning
            continue
        value_at = answer.find(quoted)
        if value_at < 0:
            continue
        value_at += 1
        mapping = char_map(value, task)
        for index, start in enumerate(answer_starts):
            offset = start - value_at
            if 0 <= offset < len(value) and offset in mapping and answer_pieces[index]:
                source = bisect.bisect_right(prompt_starts, task_at + mapping[offset]) - 1
                while source > 0 and not prompt_pieces[source]:  # a piece-less (special) token
                    source -= 1
                pairs.append((index, source))
    return pairs
