"""The seed text helpers against their plain definitions."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from visinstruct.seeds._text import normalise


def _reference_normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = [" " if unicodedata.category(c)[0] in "PSZ" else c for c in folded]
    return " ".join("".join(kept).split())


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=60))
def test_normalise_matches_the_category_definition(text: str) -> None:
    assert normalise(text) == _reference_normalise(text)


def test_normalise_blanks_punctuation_symbols_and_separators() -> None:
    assert normalise("What's\u3000the  COLOR？ (of <x>)\u00a0+cat") == "what s the color of x cat"
