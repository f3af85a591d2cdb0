"""The seed text helpers against their plain definitions."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from visinstruct.seeds import _text
from visinstruct.seeds._text import (
    first_cjk,
    has_cjk_ideograph,
    jaccard_from,
    normalise,
    trigram_jaccard,
    trigrams,
)

# Characters on and around the edges of every CJK range, and ordinary text.
_EDGES = [
    chr(c + d)
    for lo, hi in (*_text._IDEOGRAPH_RANGES, *_text._CJK_EXTRA_RANGES)
    for c in (lo, hi)
    for d in (-1, 0, 1)
]
_MIXED = st.text(alphabet=st.sampled_from([*_EDGES, "a", " ", "?", "？", "图"]), max_size=12)


def _reference_normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = [" " if unicodedata.category(c)[0] in "PSZ" else c for c in folded]
    return " ".join("".join(kept).split())


def _in(ranges: tuple[tuple[int, int], ...], char: str) -> bool:
    return any(lo <= ord(char) <= hi for lo, hi in ranges)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=60))
def test_normalise_matches_the_category_definition(text: str) -> None:
    assert normalise(text) == _reference_normalise(text)


def test_normalise_blanks_punctuation_symbols_and_separators() -> None:
    assert normalise("What's\u3000the  COLOR？ (of <x>)\u00a0+cat") == "what s the color of x cat"


@settings(max_examples=500, deadline=None)
@given(_MIXED | st.text(max_size=20))
def test_cjk_tests_match_the_range_definition(text: str) -> None:
    ideographs = _text._IDEOGRAPH_RANGES
    assert has_cjk_ideograph(text) == any(_in(ideographs, c) for c in text)
    every = (*ideographs, *_text._CJK_EXTRA_RANGES)
    assert first_cjk(text) == next((c for c in text if _in(every, c)), None)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="abc ", max_size=12), st.text(alphabet="abc ", max_size=12))
def test_bounded_jaccard_reaches_the_same_verdicts(a: str, b: str) -> None:
    exact = trigram_jaccard(a, b)
    for floor in (0.0, 0.3, 0.5, 0.85, 1.0, exact):
        bounded = jaccard_from(frozenset(trigrams(a)), frozenset(trigrams(b)), floor)
        assert (bounded >= floor) == (exact >= floor)
        assert bounded == exact or bounded < floor
