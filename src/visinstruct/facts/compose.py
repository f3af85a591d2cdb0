"""Choose the instructions for one image: seed fills first, then template questions.

Choices are made by a random generator seeded from the image, the language, the counts and the
seeds, so the same inputs always give the same instructions. Judgements are split evenly
between Yes and No (an odd count leans the way the seed says), and every kind draws from as
many fact types as it can before it repeats one.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator, Mapping, Sequence

from visinstruct.facts.model import FactSet
from visinstruct.facts.questions import (
    GroundedItem,
    judgement_candidates,
    long_candidates,
    mc_candidates,
    short_candidates,
)
from visinstruct.facts.seedfit import FitContext, fit_seed
from visinstruct.records import KINDS, Kind, Language, content_id

__all__ = ["compose"]


_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def _han_share(text: str) -> float:
    han, latin = len(_HAN.findall(text)), len(_LATIN.findall(text))
    return han / (han + latin) if han + latin else 0.0


def language_fits(item: GroundedItem, language: Language) -> bool:
    """Whether ``item`` reads as ``language``.

    English facts (a poster's text, a chart's categories) quoted into a Chinese item can leave
    it mostly English; such items are dropped rather than passed off as Chinese data. A
    Chinese answer may still be a number or a single foreign word (a category name).
    """
    texts = [item.question, *item.choices]
    if item.kind != "multiple_choice":
        texts.append(item.answer)
    if language == "en":
        return not any(_HAN.search(t) for t in texts)
    if _han_share(item.question) < 0.5:
        return False
    rest = texts[1:]
    return all(_han_share(t) >= 0.5 or len(t.split()) <= 1 for t in rest)


def _permutations(rng: random.Random) -> Iterator[list[int]]:
    while True:
        yield rng.sample(range(4), 4)


def _diverse(items: Sequence[GroundedItem], n: int, rng: random.Random) -> list[GroundedItem]:
    """Up to ``n`` items: seed fills first, then round-robin over the claims' fact types."""
    chosen: list[GroundedItem] = []
    questions: set[str] = set()

    def take(item: GroundedItem) -> None:
        if len(chosen) < n and item.question.casefold() not in questions:
            questions.add(item.question.casefold())
            chosen.append(item)

    for item in items:
        if item.seed is not None:
            take(item)
    groups: dict[str, list[GroundedItem]] = {}
    for item in items:
        if item.seed is None:
            groups.setdefault(item.claims[0].type if item.claims else "", []).append(item)
    order = sorted(groups)
    rng.shuffle(order)
    for name in order:
        rng.shuffle(groups[name])
    while len(chosen) < n and any(groups.values()):
        for name in order:
            if groups[name]:
                take(groups[name].pop(0))
    return chosen


def _judgements(
    yes: list[GroundedItem], no: list[GroundedItem], n: int, rng: random.Random
) -> list[GroundedItem]:
    """``n`` judgements, as many Yes as No (off by at most one), interleaved."""
    want_yes = (n + rng.randrange(2)) // 2
    n_yes = min(want_yes, len(yes))
    n_no = min(n - n_yes, len(no))
    n_yes, n_no = min(n_yes, n_no + 1), min(n_no, n_yes + 1)
    picked_yes, picked_no = _diverse(yes, n_yes, rng), _diverse(no, n_no, rng)
    mixed: list[GroundedItem] = []
    for i in range(max(len(picked_yes), len(picked_no))):
        pair = [picked_yes[i : i + 1], picked_no[i : i + 1]]
        rng.shuffle(pair)
        mixed += pair[0] + pair[1]
    return mixed


def compose(
    facts: FactSet,
    peers: Sequence[FactSet],
    language: Language,
    counts: Mapping[Kind, int],
    seeds: Mapping[Kind, Sequence[str]] | None = None,
) -> list[GroundedItem]:
    """The instructions for the image ``facts`` describes, at most ``counts[kind]`` per kind."""
    seeds = seeds or {}
    key = content_id("template", facts.image_id, language, dict(counts), dict(seeds))
    rng = random.Random(key)
    ctx = FitContext(facts, peers, language, rng)
    fitted: dict[Kind, list[GroundedItem]] = {k: [] for k in KINDS}
    for kind in KINDS:
        for seed in seeds.get(kind, ()):
            fitted[kind] += [i for i in fit_seed(seed, kind, ctx) if language_fits(i, language)]
    out: list[GroundedItem] = []
    n = counts.get("judgement", 0)
    if n:
        yes, no = (
            [i for i in group if language_fits(i, language)]
            for group in judgement_candidates(facts, peers, language)
        )
        seeded = fitted["judgement"]
        yes = [i for i in seeded if i.claims[0].holds] + yes
        no = [i for i in seeded if not i.claims[0].holds] + no
        out += _judgements(yes, no, n, rng)
    builders: tuple[tuple[Kind, Callable[[], list[GroundedItem]]], ...] = (
        ("multiple_choice", lambda: mc_candidates(facts, peers, language, _permutations(rng))),
        ("short_vqa", lambda: short_candidates(facts, language)),
        ("long_vqa", lambda: long_candidates(facts, language)),
    )
    for kind, build in builders:
        n = counts.get(kind, 0)
        if n:
            fitting = [i for i in build() if language_fits(i, language)]
            out += _diverse(fitted[kind] + fitting, n, rng)
    return out
