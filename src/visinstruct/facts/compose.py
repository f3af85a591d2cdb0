"""Choose the instructions for one image: seed fills first, then template questions.

Choices are made by a random generator seeded from the image, the language, the counts and the
seeds, so the same inputs always give the same instructions. Judgements are split evenly
between Yes and No (an odd count leans the way the seed says), and every kind draws from as
many fact types as it can before it repeats one.

One reply never asks a question twice, across kinds as well (a multiple-choice and a short
"How many coins are there?" are duplicates to the rule book, decision 12), and every long
answer meets the rule book's ``long_min_words``: what the validator would refuse is never
composed.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from visinstruct.facts.longform import LONG_TEMPLATES
from visinstruct.facts.model import FactSet
from visinstruct.facts.questions import LONG_MIN_WORDS, GroundedItem, long_enough
from visinstruct.facts.seedfit import FitContext, fit_seed
from visinstruct.facts.templates import TEMPLATES, TemplateContext
from visinstruct.records import KINDS, Kind, Language, content_id

__all__ = ["candidates", "compose"]

LANGUAGES: tuple[Language, ...] = ("en", "zh")


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


def same_question(question: str) -> str:
    """The form in which the rule book compares questions: case and whitespace ignored."""
    return re.sub(r"\s+", "", question).casefold()


def candidates(
    facts: FactSet,
    peers: Sequence[FactSet],
    language: Language,
    long_min_words: int = LONG_MIN_WORDS,
) -> dict[Kind, dict[str, list[GroundedItem]]]:
    """Kind → template id → the items that template makes for the image in ``language``.

    Long answers shorter than ``long_min_words`` (the rule book's count) are left out."""
    ctx = TemplateContext(facts, peers, language)
    found: dict[Kind, dict[str, list[GroundedItem]]] = {k: {} for k in KINDS}
    for template in TEMPLATES:
        made = [replace(i, template=template.id) for i in template.build(ctx)]
        made = [i for i in made if language_fits(i, language)]
        if made and (template.kind != "judgement" or _take_pair(list(made), set())):
            found[template.kind][template.id] = made
    for name, build in LONG_TEMPLATES:
        made = [replace(i, template=name) for i in build(facts, language)]
        made = [i for i in made if language_fits(i, language)]
        made = [i for i in made if long_enough(i.answer, language, long_min_words)]
        if made:
            found["long_vqa"][name] = made
    return found


def _plan(
    facts: FactSet,
    both: Mapping[Language, Mapping[str, list[GroundedItem]]],
    slots: int,
    rng: random.Random,
) -> dict[Language, list[str]]:
    """Template ids per language, ``slots`` each: en and zh of one image ask different things.

    Content templates come first, in an order fixed by the image; templates about the whole
    picture's look only after them, so they fill what content cannot.
    """
    names = sorted({t for by in both.values() for t in by})
    look = {t for t in names if all(i.is_global for by in both.values() for i in by.get(t, []))}
    content = [t for t in names if t not in look]
    rng.shuffle(content)
    rest = sorted(look)
    rng.shuffle(rest)
    order = content + rest
    plan: dict[Language, list[str]] = {lang: [] for lang in both}
    langs = list(both)
    rng.shuffle(langs)
    taken: set[str] = set()
    for allow_taken in (False, True):
        for name in order:
            for lang in langs:
                free = allow_taken or name not in taken
                if (
                    len(plan[lang]) < slots
                    and name in both[lang]
                    and name not in plan[lang]
                    and free
                ):
                    plan[lang].append(name)
                    taken.add(name)
                    break
    return plan


def _fill(
    plan: Sequence[str],
    found: Mapping[str, list[GroundedItem]],
    n: int,
    judged: bool,
    rng: random.Random,
    questions: set[str],
) -> list[GroundedItem]:
    """``n`` items from the planned templates: one each (a Yes/No pair for judgements), then
    more from the same templates on other topics while any are left. ``questions`` holds the
    reply's questions so far (in :func:`same_question` form) and gains the new ones."""
    out: list[GroundedItem] = []
    pools = {t: list(found[t]) for t in plan}
    for t in plan:
        rng.shuffle(pools[t])
    while len(out) < n and any(pools.values()):
        for t in plan:
            batch = _take_pair(pools[t], questions) if judged else _take_one(pools[t], questions)
            out += batch[: n - len(out)]
    return out


def _take_one(pool: list[GroundedItem], questions: set[str]) -> list[GroundedItem]:
    while pool:
        item = pool.pop(0)
        if same_question(item.question) not in questions:
            questions.add(same_question(item.question))
            return [item]
    return []


def _take_pair(pool: list[GroundedItem], questions: set[str]) -> list[GroundedItem]:
    """One Yes and one No on two different topics, or nothing: a lone answer unbalances."""
    yes = [i for i in pool if i.claims[0].holds and same_question(i.question) not in questions]
    no = [i for i in pool if not i.claims[0].holds and same_question(i.question) not in questions]
    for a in yes:
        for b in no:
            if a.topic != b.topic or a.topic in ("", "text"):
                pool.remove(a)
                pool.remove(b)
                questions.update({same_question(a.question), same_question(b.question)})
                return [a, b]
    pool.clear()
    return []


def compose(
    facts: FactSet,
    peers: Sequence[FactSet],
    language: Language,
    counts: Mapping[Kind, int],
    seeds: Mapping[Kind, Sequence[str]] | None = None,
    long_min_words: int = LONG_MIN_WORDS,
) -> list[GroundedItem]:
    """The instructions for the image ``facts`` describes, at most ``counts[kind]`` per kind.

    Both languages' candidates are built so that the plan, which depends on the image and not
    on the language, gives each language its own templates; seeds fill first. No question is
    asked twice in the result, and no long answer is shorter than ``long_min_words``.
    """
    seeds = seeds or {}
    key = content_id("template", facts.image_id, dict(counts))
    both = {lang: candidates(facts, peers, lang, long_min_words) for lang in LANGUAGES}
    ctx = FitContext(facts, peers, language, random.Random(key + language), long_min_words)
    out: list[GroundedItem] = []
    questions: set[str] = set()
    for kind in KINDS:
        n = counts.get(kind, 0)
        if not n:
            continue
        seeded = _seeded(seeds.get(kind, ()), kind, ctx, questions)
        seeded = seeded[: n - n % 2] if kind == "judgement" else seeded[:n]
        questions.update(same_question(i.question) for i in seeded)
        judged = kind == "judgement"
        slots = (n + 1) // 2 if judged else n
        plan = _plan(
            facts, {lang: both[lang][kind] for lang in LANGUAGES}, slots, random.Random(key + kind)
        )
        items = _fill(
            plan[language],
            both[language][kind],
            n - len(seeded),
            judged,
            random.Random(key + kind + language),
            questions,
        )
        out += seeded + items
    return out


def _seeded(
    seeds: Sequence[str], kind: Kind, ctx: FitContext, questions: set[str]
) -> list[GroundedItem]:
    """Seed fills in ``ctx.language`` whose questions the reply has not asked yet.

    A judgement seed's Yes/No pair is kept or dropped whole, so the balance holds."""
    out: list[GroundedItem] = []
    for seed in seeds:
        made = [i for i in fit_seed(seed, kind, ctx) if language_fits(i, ctx.language)]
        asked = questions | {same_question(i.question) for i in out}
        fresh = [i for i in made if same_question(i.question) not in asked]
        if kind == "judgement" and len(fresh) != len(made):
            continue
        out += fresh
    return out
