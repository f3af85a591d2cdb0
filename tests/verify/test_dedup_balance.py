"""Near-duplicates across images at scale, and the balance plans."""

from __future__ import annotations

import random
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from visinstruct.config import VerifyConfig
from visinstruct.records import Instruction, Provenance
from visinstruct.verify.balance import (
    ChoiceItem,
    JudgementItem,
    plan_choice_moves,
    plan_yes_no,
    swap_to,
)
from visinstruct.verify.dedup import AcrossImages

PROV = Provenance(model="m", prompt_version="v", config_hash="h")
WORDS = str.split(
    "red blue green house tree river car road bridge tower cloud lamp window door cat dog bird "
    "boat sky grass stone wall roof hill lake path bench sign shop market"
)


def _long(image: int, n: int, text: str) -> Instruction:
    return Instruction(
        id=f"{n:08d}", image_id=f"img{image}", domain="d", kind="long_vqa", language="en",
        question="Describe the image.", answer=text, provenance=PROV,
    )  # fmt: skip


def test_across_images_finds_planted_copies_among_thousands() -> None:
    rng = random.Random(7)
    texts = [" ".join(rng.choice(WORDS) for _ in range(40)) for _ in range(3000)]
    across = AcrossImages(k=64, min_words=20, threshold=0.85)
    copies: dict[str, str] = {}
    n = 0
    for i, text in enumerate(texts):
        across.add(_long(i, n, text), flagged=False)
        n += 1
    for j in range(60):  # copies onto other images, a word changed in some
        words = texts[j].split()
        if j % 2:
            words[-1] = "zebra"
        copy = _long(10_000 + j, n, " ".join(words))
        copies[copy.id] = f"{j:08d}"
        across.add(copy, flagged=False)
        n += 1
    # Generic boilerplate repeated on many images is one cluster, in linear time.
    for j in range(500):
        across.add(_long(20_000 + j, n, "The image shows " + " ".join(WORDS)), flagged=False)
        n += 1
    results = {r.instruction_id: r for r in across.results()}
    flagged = {i for i, r in results.items() if r.passed is False}
    assert set(copies) <= flagged
    assert all(results[c].details["duplicate_of"] == copies[c] for c in copies)
    assert len(flagged - set(copies)) == 499
    assert len(results) == n


def test_short_pairs_are_not_compared_across_images() -> None:
    across = AcrossImages(k=64, min_words=20, threshold=0.85)
    for i in range(3):
        across.add(_long(i, i, "Yes"), flagged=False)
    assert len(across) == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("xyz"), st.sampled_from("ABCD"), st.booleans()),
                min_size=1, max_size=120))  # fmt: skip
def test_choice_moves_reach_even_letters_and_keep_texts(rows: list[tuple[str, str, bool]]) -> None:
    items = [ChoiceItem(f"{i:04d}", d, L, movable=True) for i, (d, L, _) in enumerate(rows)]
    moves = plan_choice_moves(items)
    for domain in {i.domain for i in items}:
        letters = Counter(moves.get(i.id, i.letter) for i in items if i.domain == domain)
        counts = [letters[L] for L in "ABCD"]
        assert max(counts) - min(counts) <= 1
    assert (
        plan_choice_moves(
            [ChoiceItem(i.id, i.domain, moves.get(i.id, i.letter), True) for i in items]
        )
        == {}
    )
    choices = ["one", "two", "three", "four"]
    for item in items[:5]:
        target = moves.get(item.id, item.letter)
        new, letter = swap_to(choices, item.letter, target)
        assert new["ABCD".index(letter)] == choices["ABCD".index(item.letter)]


def test_unmovable_options_stay() -> None:
    items = [ChoiceItem(f"{i}", "d", "A", movable=False) for i in range(8)]
    assert plan_choice_moves(items) == {}


def test_yes_no_flags_the_least_confident_surplus_only_in_big_domains() -> None:
    config = VerifyConfig()
    big = [JudgementItem(f"b{i:03d}", "big", yes=i < 60, confidence=i / 100) for i in range(80)]
    small = [JudgementItem(f"s{i}", "small", yes=True, confidence=1.0) for i in range(10)]
    results, shares = plan_yes_no(big + small, config)
    flagged = {r.instruction_id for r in results if r.passed is False}
    assert flagged == {f"b{i:03d}" for i in range(36)}  # the 36 least confident Yes
    assert shares["big"]["after"] == round(24 / 44, 4)
    assert shares["small"]["skewed"] and not shares["small"]["balanced"]
    assert not any(r.instruction_id.startswith("s") for r in results)
