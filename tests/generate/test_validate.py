"""The validator's fast seed-copy check against the plain definition it replaces."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from visinstruct.generate.validate import _seed_copy
from visinstruct.records import KINDS
from visinstruct.seeds import load_bank
from visinstruct.seeds._text import canonical, trigram_jaccard

EDITS = ("the", "photo", "picture", "this", "please", "red", "under", "?", "图片", "的", "猫")


def _reference(question: str, seeds: list[str], threshold: float) -> str | None:
    """The check as the rule book states it: every seed, canonical forms, trigram Jaccard."""
    for seed in seeds:
        if trigram_jaccard(canonical(question), canonical(seed)) >= threshold:
            return seed
    return None


def _bank_questions() -> list[str]:
    bank = load_bank()
    found = {
        q
        for name in bank.names()
        for kind in KINDS
        for language in ("en", "zh")
        for q in bank.domain(name).questions(kind, language)
    }
    return sorted(found)


def _variant(rng: random.Random, text: str) -> str:
    """A near or far rewording: words dropped, inserted, swapped, recased, punctuated."""
    words = text.split() or [text]
    for _ in range(rng.randint(0, 3)):
        action = rng.randrange(4)
        at = rng.randrange(len(words))
        if action == 0 and len(words) > 1:
            del words[at]
        elif action == 1:
            words.insert(at, rng.choice(EDITS))
        elif action == 2:
            words[at] = words[at].upper()
        else:
            words[at] = words[at] + rng.choice(",.!？")
    return " ".join(words)


def test_fast_seed_copy_gives_the_reference_verdicts_on_bank_pairs() -> None:
    rng = random.Random(17)
    questions = _bank_questions()
    assert len(questions) > 100
    copies = 0
    for _ in range(400):
        seeds = rng.sample(questions, 6)
        question = _variant(rng, rng.choice(seeds if rng.random() < 0.6 else questions))
        # the configured default, a few others, and each pair's own score: the boundary case
        scores = [trigram_jaccard(canonical(question), canonical(s)) for s in seeds]
        for threshold in (0.85, 0.5, 0.95, 1.0, 0.0, rng.choice(scores)):
            expected = _reference(question, seeds, threshold)
            assert _seed_copy(question, seeds, threshold) == expected, (question, threshold)
            copies += expected is not None
    assert copies > 100  # the pairs include real near-copies, not only strangers


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=40),
    st.lists(st.text(max_size=40), max_size=4),
    st.floats(min_value=0.0, max_value=1.0),
)
def test_fast_seed_copy_gives_the_reference_verdicts_on_any_text(
    question: str, seeds: list[str], threshold: float
) -> None:
    assert _seed_copy(question, seeds, threshold) == _reference(question, seeds, threshold)
