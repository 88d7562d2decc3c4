"""The vocabulary: disjoint splits, made-up words, limited vocabularies and free text to type."""

from __future__ import annotations

import random

import pytest

from deskpilot.data.dataset import synthetic_samples
from deskpilot.data.vocab import UI_WORDS, Vocabulary, _split_of


def test_splits_never_share_a_word() -> None:
    train = {w for w in UI_WORDS if _split_of(w) == "train"}
    held = {w for w in UI_WORDS if _split_of(w) == "heldout"}
    assert train and held and not train & held
    rng = random.Random(0)
    words = {Vocabulary("heldout", rng).word() for _ in range(300)}
    assert all(_split_of(w) == "heldout" for w in words)


def test_the_share_of_made_up_words_is_a_setting() -> None:
    real = {w.lower() for w in UI_WORDS}
    only_real = Vocabulary("train", random.Random(2), pseudo=0.0)
    assert all(only_real.word().lower() in real for _ in range(300))
    only_made_up = Vocabulary("train", random.Random(2), pseudo=1.0)
    assert not any(only_made_up.word().lower() in real for _ in range(300))


def test_an_unknown_split_is_an_error_not_an_endless_loop() -> None:
    with pytest.raises(ValueError, match="unknown split"):
        Vocabulary("val", random.Random(0))  # type: ignore[arg-type]


def test_a_limited_vocabulary_draws_one_word_labels_from_its_first_words() -> None:
    rng = random.Random(1)
    vocab = Vocabulary("train", rng, limit=5)
    labels = {vocab.label() for _ in range(200)}
    assert {label.lower() for label in labels} == set(vocab.words) and len(vocab.words) == 5
    assert vocab.pseudo == 0.0
    samples = list(synthetic_samples(10, "train", seed=2, widgets=3, words=5))
    assert {e.label.lower() for s in samples for e in s.elements} <= set(vocab.words)


def test_a_vocabulary_that_runs_out_of_labels_says_so_instead_of_looping() -> None:
    vocab = Vocabulary("train", random.Random(1), limit=2)
    with pytest.raises(ValueError, match="no label left"):
        vocab.label_not_in(set(vocab.words))
    with pytest.raises(ValueError, match="at least one word"):
        Vocabulary("train", random.Random(1), limit=0)


def test_free_text_to_type_goes_beyond_the_label_words() -> None:
    vocab = Vocabulary("train", random.Random(5), 0.0, 12, free=1.0)
    texts = [vocab.text() for _ in range(200)]
    words = set(vocab.words)
    beyond = [t for t in texts if not set(t.split()) <= words]
    assert len(beyond) > 150
    assert any("@" in t for t in texts) and any(t[:1].isdigit() or t[:1] == "+" for t in texts)
    assert any(t != t.lower() for t in texts)
    plain = Vocabulary("train", random.Random(5), 0.0, 12)
    assert all(set(plain.text().split()) <= words for _ in range(200))


def test_free_text_reaches_letters_and_codes_beyond_syllables() -> None:
    import re

    from deskpilot.data.vocab import free_text

    rng = random.Random(11)
    texts = [free_text(rng) for _ in range(700)]
    # names of letters at random: five consonants in a row, which syllables (onset, vowel, coda)
    # and the UI words never give
    assert sum(bool(re.search("[bcdfghjklmnpqrstvwxz]{5}", t.lower())) for t in texts) >= 5
    # codes: letters and digits in one word, not an address (the other kinds never mix them)
    codes = [
        t
        for t in texts
        if " " not in t
        and "@" not in t
        and any(c.isdigit() for c in t)
        and any(c.isalpha() for c in t)
    ]
    assert len(codes) >= 30
