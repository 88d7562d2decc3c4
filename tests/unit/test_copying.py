"""The copying targets: which answer tokens repeat the task, and the task token each one copies."""

from __future__ import annotations

from training.data.copying import char_map, copy_pairs

PROMPT = ["<bos>", "Answer", ".", "\n", "Task", ":", " type", ' "', "A", "d", "a", ' L', "ove", '"',
          " into", " Name", "\n", "History", ":", " none"]  # fmt: skip


def test_char_map_takes_the_longest_runs_and_skips_short_coincidences() -> None:
    mapping = char_map("typed Ada into Name", 'type "Ada" into Name')
    assert [mapping[i] for i in range(4)] == [0, 1, 2, 3]  # "type" of "typed"
    assert 4 not in mapping  # the "d" of "typed" copies nothing
    assert mapping[6] == 6 and mapping[18] == 'type "Ada" into Name'.index("Name") + 3
    assert char_map("xyz", "abc") == {}
    assert char_map("ab", "ab") == {}  # shorter than three characters: a coincidence


def test_copy_pairs_point_each_copied_token_at_its_source() -> None:
    answer = ['{"', "text", '":"', "A", "d", "a", " L", "ove", '"}}']
    pairs = copy_pairs('type "Ada Love" into Name', {"text": "Ada Love"}, PROMPT, answer)
    assert [(answer[a], PROMPT[s]) for a, s in pairs] == [
        ("A", "A"),
        ("d", "d"),
        ("a", "a"),
        (" L", " L"),
        ("ove", "ove"),
    ]


def test_copy_pairs_find_nothing_without_the_task_or_a_copy() -> None:
    answer = ['{"', "text", '":"', "Q", "rs", '"}}']
    assert copy_pairs('type "Ada Love" into Name', {"text": "Qrs"}, PROMPT, answer) == []
    assert copy_pairs("click Save", {"text": "Ada"}, PROMPT, answer) == []
    assert copy_pairs('type "Ada Love" into Name', {"x": 5}, PROMPT, answer) == []
