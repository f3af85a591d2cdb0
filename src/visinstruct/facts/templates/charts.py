"""Templates about charts: values, orderings, thresholds, extremes, totals, type."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import replace

from visinstruct.facts.describe import with_unit
from visinstruct.facts.model import Claim, Fact, FactSet, format_number
from visinstruct.facts.questions import (
    GroundedItem,
    claim_of,
    false_pool,
    make_mc,
    polarities,
    short_text,
    stable,
    subject_name,
    unit_of,
)
from visinstruct.facts.templates.base import (
    Build,
    TemplateContext,
    judge_item,
    tagged,
)

# -- charts -------------------------------------------------------------------------------


def _categories(ctx: TemplateContext) -> list[tuple[Fact, str]]:
    found = []
    for fact in ctx.facts.positives("chart_value"):
        shown = subject_name(fact, ctx.language)
        if shown is not None and fact.number is not None:
            found.append((fact, shown))
    return found


def _value(ctx: TemplateContext, number: str) -> str:
    return with_unit(number, unit_of(ctx.facts, ctx.language), ctx.language)


def judge_chart_value(ctx: TemplateContext) -> list[GroundedItem]:
    found = _categories(ctx)
    polarity = polarities(ctx.facts.image_id, "chart_value", [f.subject for f, _ in found])
    items = []
    for fact, shown in found:
        holds = polarity[fact.subject]
        others = sorted({f.value for f, _ in found} - {fact.value})
        if not holds and not others:
            continue
        wrong = others[stable(ctx.facts.image_id, fact.subject) % len(others)] if others else ""
        v = _value(ctx, fact.value if holds else wrong)
        q = (
            f"图表中{shown}的数值是{v}吗？"
            if ctx.zh
            else (f"Does the chart show a value of {v} for {shown}?")
        )
        claim = Claim("chart_value", fact.value if holds else wrong, fact.subject, holds)
        items.append(judge_item(ctx, q, claim, f"chart_value:{fact.subject}"))
    return items


def judge_chart_order(ctx: TemplateContext) -> list[GroundedItem]:
    items = []
    for (a, a_name), (b, b_name), holds in chart_pairs(ctx.facts, _categories(ctx)):
        q = (
            f"{a_name}的数值是否高于{b_name}？"
            if ctx.zh
            else (f"Is the value for {a_name} higher than the value for {b_name}?")
        )
        claim = Claim("chart_order", b.subject, a.subject, holds)
        items.append(judge_item(ctx, q, claim, f"chart_order:{a.subject}|{b.subject}"))
    return items


def chart_pairs(
    facts: FactSet, found: Sequence[tuple[Fact, str]]
) -> Iterator[tuple[tuple[Fact, str], tuple[Fact, str], bool]]:
    """Pairs of categories with different values, each oriented so truths alternate.

    The orientation of a pair depends only on the image, so no pair is asked both ways.
    """
    pairs = [(x, y) for i, x in enumerate(found) for y in found[i + 1 :]]
    pairs = [(x, y) for x, y in pairs if x[0].number != y[0].number]
    pairs.sort(key=lambda p: stable(facts.image_id, p[0][0].subject, p[1][0].subject))
    for i, (x, y) in enumerate(pairs):
        high, low = (x, y) if (x[0].number or 0) > (y[0].number or 0) else (y, x)
        yield (high, low, True) if i % 2 == 0 else (low, high, False)


def judge_chart_above(ctx: TemplateContext) -> list[GroundedItem]:
    found = _categories(ctx)
    polarity = polarities(ctx.facts.image_id, "chart_above", [f.subject for f, _ in found])
    items = []
    for fact, shown in found:
        holds, value = polarity[fact.subject], float(fact.number or 0)
        step = 10 if value >= 30 else 5
        threshold = (
            math.floor(value * 0.8 / step) * step if holds else math.ceil(value * 1.2 / step) * step
        )
        if threshold <= 0 or threshold == value:
            continue
        t = _value(ctx, format_number(threshold))
        q = f"{shown}的数值是否超过{t}？" if ctx.zh else f"Is the value for {shown} above {t}?"
        claim = Claim("chart_above", format_number(threshold), fact.subject, holds)
        items.append(judge_item(ctx, q, claim, f"chart_above:{fact.subject}"))
    return items


def mc_chart_value(ctx: TemplateContext) -> list[GroundedItem]:
    items = []
    for fact, shown in _categories(ctx):
        pool = false_pool(ctx.facts, ctx.peers, "chart_value", fact.subject)
        q = (
            f"图表中{shown}的数值是多少？"
            if ctx.zh
            else f"What value does the chart show for {shown}?"
        )
        unit = unit_of(ctx.facts, ctx.language)
        item = make_mc(q, fact, pool, ctx.language, ctx.pick("cv", fact.subject), unit=unit)
        items.append(item and replace(item, topic=f"chart_value:{fact.subject}"))
    return [i for i in items if i]


_EXTREME_Q = {
    "chart_max": (
        "Which category has the highest value in the chart?",
        "图表中哪个类别的数值最高？",
    ),
    "chart_min": (
        "Which category has the lowest value in the chart?",
        "图表中哪个类别的数值最低？",
    ),
}


def mc_extreme(type_: str) -> Build:
    def build(ctx: TemplateContext) -> list[GroundedItem]:
        fact = ctx.facts.first(type_)
        if fact is None:
            return []
        q = _EXTREME_Q[type_][1 if ctx.zh else 0]
        pool = false_pool(ctx.facts, ctx.peers, type_)
        return tagged([make_mc(q, fact, pool, ctx.language, ctx.pick(type_))], "")

    return build


def short_extreme(type_: str) -> Build:
    def build(ctx: TemplateContext) -> list[GroundedItem]:
        fact = ctx.facts.first(type_)
        answer = short_text(fact, ctx.language, ctx.facts) if fact else None
        if fact is None or answer is None:
            return []
        q = _EXTREME_Q[type_][1 if ctx.zh else 0]
        return [GroundedItem("short_vqa", q, answer, (claim_of(fact),), topic=type_)]

    return build


def mc_chart_type(ctx: TemplateContext) -> list[GroundedItem]:
    fact = ctx.facts.first("chart_type")
    if fact is None:
        return []
    q = "图中展示的是哪种图表？" if ctx.zh else "What type of chart is shown in the image?"
    pool = false_pool(ctx.facts, ctx.peers, "chart_type")
    return tagged([make_mc(q, fact, pool, ctx.language, ctx.pick("chart_type"))], "")


def short_chart_value(ctx: TemplateContext) -> list[GroundedItem]:
    items = []
    for fact, shown in _categories(ctx):
        q = (
            f"图表中{shown}的数值是多少？"
            if ctx.zh
            else f"What value does the chart show for {shown}?"
        )
        answer = _value(ctx, fact.value)
        topic = f"chart_value:{fact.subject}"
        items.append(GroundedItem("short_vqa", q, answer, (claim_of(fact),), topic=topic))
    return items


def short_chart_total(ctx: TemplateContext) -> list[GroundedItem]:
    numbers = ctx.facts.chart_numbers()
    if len(numbers) < 3 or (ctx.facts.first("chart_unit") and unit_of(ctx.facts, "en") == "%"):
        return []  # shares of a whole add up to 100 by definition: not worth asking
    total = format_number(sum(numbers.values()))
    q = (
        "图表中所有数值的总和是多少？"
        if ctx.zh
        else "What is the total of all the values in the chart?"
    )
    claim = Claim("chart_total", total)
    return [GroundedItem("short_vqa", q, _value(ctx, total), (claim,), topic="chart_total")]
