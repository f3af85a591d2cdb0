"""Fill seed questions from facts, for the seeds whose meaning a fact can answer.

A seed is only used when a rule here recognises what it asks; a seed no rule understands is
left alone (the template questions cover the image instead). Guessing at a seed's meaning would
write answers that the facts do not support, which is the one thing this generator must not do.

Judgement seeds are filled only as a Yes/No pair on two different topics of the image (two
pairs of chart categories). A seed about the whole picture (``<sharp/blurry>``, "black and
white") has one topic per image, so filling it would give the same answer on nearly every
photo (all demo photos are sharp) or ask one fact both ways; such seeds are left alone.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from visinstruct.facts.describe import chart_sentence, display, with_unit
from visinstruct.facts.longform import chart_extremes
from visinstruct.facts.model import Claim, FactSet, format_number
from visinstruct.facts.questions import (
    LONG_MIN_WORDS,
    GroundedItem,
    claim_of,
    false_pool,
    long_enough,
    make_mc,
    short_text,
    text_transcript,
    unit_of,
)
from visinstruct.facts.templates import chart_pairs
from visinstruct.records import Kind, Language

__all__ = ["FitContext", "fit_seed"]

_PLACEHOLDER = re.compile(r"<([^<>]+)>")
_YES_NO = {"en": ("Yes", "No"), "zh": ("是", "否")}


@dataclass(frozen=True)
class FitContext:
    facts: FactSet
    peers: Sequence[FactSet]
    language: Language
    rng: random.Random
    long_min_words: int = LONG_MIN_WORDS


Rule = Callable[[str, FitContext], list[GroundedItem]]


def _judge(seed: str, question: str, claim: Claim, ctx: FitContext) -> GroundedItem:
    yes, no = _YES_NO[ctx.language]
    answer = yes if claim.holds else no
    topic = f"chart_order:{claim.subject}|{claim.value}"
    return GroundedItem("judgement", question, answer, (claim,), seed=seed, topic=topic)


def _chart_order(seed: str, ctx: FitContext) -> list[GroundedItem]:
    """Two pairs of categories, one answered Yes and one No, each asked one way only."""
    found = [(f, f.subject) for f in ctx.facts.positives("chart_value") if f.number is not None]
    if len(_PLACEHOLDER.findall(seed)) != 2 or len(found) < 3:
        return []
    if ctx.language == "zh":
        found = [(f, f.subject_zh) for f, _ in found if f.subject_zh]
    pairs = list(chart_pairs(ctx.facts, found))
    picked = [next((p for p in pairs if p[2] is want), None) for want in (True, False)]
    items = []
    for pair in picked:
        if pair is None:
            return []
        (a, a_name), (b, b_name), holds = pair
        question = _PLACEHOLDER.sub(a_name, seed, count=1)
        question = _PLACEHOLDER.sub(b_name, question, count=1)
        claim = Claim("chart_order", b.subject, a.subject, holds)
        items.append(_judge(seed, question, claim, ctx))
    return items


def _mc_of(type_: str) -> Rule:
    def rule(seed: str, ctx: FitContext) -> list[GroundedItem]:
        fact = ctx.facts.first(type_)
        if _PLACEHOLDER.search(seed) or fact is None:
            return []
        pool = false_pool(ctx.facts, ctx.peers, type_)
        pick = ctx.rng.sample(range(4), 4)
        item = make_mc(seed, fact, pool, ctx.language, pick, seed=seed)
        return [item] if item else []

    return rule


def _short_of(type_: str) -> Rule:
    def rule(seed: str, ctx: FitContext) -> list[GroundedItem]:
        fact = ctx.facts.first(type_)
        if _PLACEHOLDER.search(seed) or fact is None:
            return []
        answer = short_text(fact, ctx.language, ctx.facts)
        if answer is None:
            return []
        return [GroundedItem("short_vqa", seed, answer, (claim_of(fact),), seed=seed)]

    return rule


def _palette_short(seed: str, ctx: FitContext) -> list[GroundedItem]:
    fact = ctx.facts.first("palette")
    if _PLACEHOLDER.search(seed) or fact is None:
        return []
    colour = fact.value == "colour"
    if ctx.language == "zh":
        answer = "彩色" if colour else ("单色" if "单色" in seed else "黑白")
    else:
        answer = (
            "Colour" if colour else ("Monochrome" if "monochrome" in seed else "Black and white")
        )
    return [GroundedItem("short_vqa", seed, answer, (claim_of(fact),), seed=seed)]


def _chart_range(seed: str, ctx: FitContext) -> list[GroundedItem]:
    numbers = ctx.facts.chart_numbers()
    if _PLACEHOLDER.search(seed) or len(numbers) < 2:
        return []
    spread = format_number(max(numbers.values()) - min(numbers.values()))
    answer = with_unit(spread, unit_of(ctx.facts, ctx.language), ctx.language)
    claim = Claim("chart_range", spread)
    return [GroundedItem("short_vqa", seed, answer, (claim,), seed=seed)]


def _long_of(build: Callable[[FactSet, Language], list[str]], types: Sequence[str]) -> Rule:
    def rule(seed: str, ctx: FitContext) -> list[GroundedItem]:
        parts = build(ctx.facts, ctx.language)
        answer = ("" if ctx.language == "zh" else " ").join(parts)
        if _PLACEHOLDER.search(seed) or not long_enough(answer, ctx.language, ctx.long_min_words):
            return []
        claims = tuple(
            claim_of(f)
            for t in types
            for f in ctx.facts.positives(t)
            if display(f, ctx.language) is not None
        )
        return [GroundedItem("long_vqa", seed, answer, claims, seed=seed)]

    return rule


def _chart_parts(facts: FactSet, language: Language) -> list[str]:
    sentence = chart_sentence(facts, language)
    extremes = chart_extremes(facts, language)
    if sentence is None or not extremes:
        return []
    return [sentence, *extremes[1:]]


def _poster_parts(facts: FactSet, language: Language) -> list[str]:
    parts = text_transcript(facts, language)
    title = facts.first("title")
    shown = display(title, language) if title else None
    if parts and shown:
        parts.insert(
            0,
            f"这张海报的主题是“{shown}”。"
            if language == "zh"
            else f'The poster is about "{shown}".',
        )
    return parts


_CHART_TYPES = ("chart_value", "chart_type", "chart_title", "chart_max")

# (kind, English pattern, Chinese pattern, rule). Patterns match the seed bank's wording.
_RULES: tuple[tuple[Kind, str, str, Rule], ...] = (
    ("judgement", r"value for <.+> higher than", r"<.+>的数值是否高于<.+>", _chart_order),
    ("multiple_choice", r"type of chart", r"哪种类型的图表|哪种图表", _mc_of("chart_type")),
    ("multiple_choice", r"category has the highest value", r"哪个类别的数值最高",
     _mc_of("chart_max")),
    ("short_vqa", r"title of the chart", r"图表的标题", _short_of("chart_title")),
    ("short_vqa", r"name of the event on the poster", r"海报上的活动叫什么", _short_of("title")),
    ("short_vqa", r"colou?r or (monochrome|black and white)", r"彩色的还是(单色|黑白)",
     _palette_short),
    ("short_vqa", r"difference between the highest and the lowest", r"最高值与最低值相差",
     _chart_range),
    ("long_vqa", r"summarise the main findings the chart", r"总结这张图表",
     _long_of(_chart_parts, _CHART_TYPES)),
    ("long_vqa", r"key information on this poster", r"海报上的全部关键信息",
     _long_of(_poster_parts, ("title", "text"))),
)  # fmt: skip


def fit_seed(seed: str, kind: Kind, ctx: FitContext) -> list[GroundedItem]:
    """Items made by filling ``seed`` from the facts; empty when no rule understands it."""
    for rule_kind, en, zh, rule in _RULES:
        pattern = zh if ctx.language == "zh" else en
        if rule_kind == kind and re.search(pattern, seed, re.IGNORECASE):
            items = rule(seed, ctx)
            if items:
                return [replace(i, template=f"seed:{en}") for i in items]
    return []
