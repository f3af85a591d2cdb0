"""The question templates: each turns one family of facts into candidate items of one kind.

A template returns every item it can make for the image in one language; :mod:`compose`
picks among them. Judgement templates return items with their polarity already fixed (see
:func:`~visinstruct.facts.questions.polarities`), so picking a Yes and a No from one template
never asks one fact both ways. Objects' distractors come from the object's own category
(:mod:`~visinstruct.facts.lexicon`); text fields' distractors are other images' fields of the
same name, then made-up ones; colours' are colours measured absent.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from visinstruct.facts.describe import display, is_plural, with_article, with_unit
from visinstruct.facts.lexicon import (
    CATEGORIES,
    CATEGORY_NAMES,
    DIRECTIONS,
    FAKE_FIELDS,
    OPPOSITE,
    category_of,
    measure_word,
    plural,
)
from visinstruct.facts.model import Claim, Fact, FactSet, format_number
from visinstruct.facts.questions import (
    SHORT_MAX_WORDS,
    GroundedItem,
    claim_of,
    false_pool,
    make_mc,
    object_name,
    polarities,
    short_text,
    stable,
    subject_name,
    unit_of,
    yes_no,
)
from visinstruct.records import Kind, Language

__all__ = ["TEMPLATES", "Template", "TemplateContext"]


@dataclass(frozen=True)
class TemplateContext:
    facts: FactSet
    peers: Sequence[FactSet]
    language: Language

    @property
    def zh(self) -> bool:
        return self.language == "zh"

    def pick(self, *parts: object) -> list[int]:
        """Option order for one item: fixed by the image, the language and ``parts``."""
        rng = random.Random(stable(self.facts.image_id, self.language, *parts))
        return rng.sample(range(4), 4)

    def name(self, obj: str) -> str | None:
        return object_name(obj, self.facts, self.language)


Build = Callable[[TemplateContext], list[GroundedItem]]


@dataclass(frozen=True)
class Template:
    id: str
    kind: Kind
    build: Build


def _tag(items: Sequence[GroundedItem | None], template: str) -> list[GroundedItem]:
    return [replace(i, template=template) for i in items if i is not None]


def _judge(ctx: TemplateContext, question: str, claim: Claim, topic: str) -> GroundedItem:
    answer = yes_no(claim.holds, ctx.language)
    return GroundedItem("judgement", question, answer, (claim,), topic=topic)


def _en_count(n: int, obj: str) -> str:
    return f"one {obj}" if n == 1 else f"{n} {plural(obj)}"


# -- objects ------------------------------------------------------------------------------


def _categorised(ctx: TemplateContext) -> list[Fact]:
    return [f for f in ctx.facts.positives("label") if category_of(f.value)]


def _absent(ctx: TemplateContext, category: str) -> list[Fact]:
    """Members of ``category`` the image's closed label list rules out."""
    found = []
    for en, zh, _ in CATEGORIES[category]:
        if ctx.facts.holds("label", en) is False:
            found.append(Fact("label", en, "manifest", zh=zh))
    return sorted(found, key=lambda f: stable(ctx.facts.image_id, category, f.value))


def _there_is(ctx: TemplateContext, obj: str) -> str | None:
    shown = ctx.name(obj)
    if shown is None:
        return None
    if ctx.zh:
        return f"图中有{shown}吗？"
    if is_plural(obj):
        return f"Are there {shown} in the image?"
    return f"Is there {with_article(shown)} in the image?"


def judge_object(ctx: TemplateContext) -> list[GroundedItem]:
    items: list[GroundedItem | None] = []
    for fact in _categorised(ctx):
        q = _there_is(ctx, fact.value)
        if q:
            items.append(_judge(ctx, q, claim_of(fact), f"label:{fact.value}"))
        for absent in _absent(ctx, str(category_of(fact.value)))[:1]:
            q = _there_is(ctx, absent.value)
            claim = claim_of(absent, holds=False)
            if q:
                items.append(_judge(ctx, q, claim, f"label:{absent.value}"))
    return [i for i in items if i]


def _object_mc(ctx: TemplateContext, with_category: bool) -> list[GroundedItem]:
    items = []
    for fact in _categorised(ctx):
        category = str(category_of(fact.value))
        pool = _absent(ctx, category)
        if with_category:
            en, zh = CATEGORY_NAMES[category]
            q = f"图中出现的是哪种{zh}？" if ctx.zh else f"Which {en} can be seen in the image?"
        else:
            q = "下列哪个物体出现在图中？" if ctx.zh else "Which of these objects is in the image?"
        pick = ctx.pick("object", fact.value, with_category)
        item = make_mc(q, fact, pool, ctx.language, pick)
        items.append(item and replace(item, topic=f"label:{fact.value}"))
    return [i for i in items if i]


def mc_object(ctx: TemplateContext) -> list[GroundedItem]:
    return _object_mc(ctx, with_category=False)


def mc_category(ctx: TemplateContext) -> list[GroundedItem]:
    return _object_mc(ctx, with_category=True)


def short_subject(ctx: TemplateContext) -> list[GroundedItem]:
    first = ctx.facts.first("label")
    shown = ctx.name(first.value) if first else None
    if first is None or shown is None:
        return []
    q = "图片的主体是什么？" if ctx.zh else "What is the main subject of the image?"
    answer = shown if ctx.zh else shown[:1].upper() + shown[1:]
    return [GroundedItem("short_vqa", q, answer, (claim_of(first),), topic="subject")]


# -- counts -------------------------------------------------------------------------------


def _counts(ctx: TemplateContext) -> list[tuple[Fact, int, str]]:
    found = []
    for fact in ctx.facts.positives("count"):
        shown = ctx.name(fact.subject)
        if shown is not None and fact.number is not None:
            found.append((fact, int(fact.number), shown))
    return found


def _count_phrase(ctx: TemplateContext, n: int, obj: str, shown: str) -> str:
    return f"{n}{measure_word(obj)}{shown}" if ctx.zh else _en_count(n, shown)


def judge_count(ctx: TemplateContext) -> list[GroundedItem]:
    found = _counts(ctx)
    polarity = polarities(ctx.facts.image_id, "count", [f.subject for f, _, _ in found])
    items = []
    for fact, n, shown in found:
        holds = polarity[fact.subject]
        wrong = n + 1 if n == 1 or stable(ctx.facts.image_id, fact.subject) % 2 else n - 1
        asked = n if holds else wrong
        phrase = _count_phrase(ctx, asked, fact.subject, shown)
        if ctx.zh:
            q = f"图中是否恰好有{phrase}？"
        else:
            q = (
                f"Is there exactly {phrase} in the image?"
                if asked == 1
                else (f"Are there exactly {phrase} in the image?")
            )
        claim = Claim("count", str(asked), fact.subject, holds)
        items.append(_judge(ctx, q, claim, f"count:{fact.subject}"))
    return items


def _how_many(ctx: TemplateContext, obj: str, shown: str) -> str:
    if ctx.zh:
        return f"图中有几{measure_word(obj)}{shown}？"
    return f"How many {plural(shown)} are there in the image?"


def mc_count(ctx: TemplateContext) -> list[GroundedItem]:
    items = []
    for fact, n, shown in _counts(ctx):
        wrong = [k for k in (n + 1, n - 1, n + 2, n - 2, n + 3) if k > 0][:3]
        pool = [Fact("count", str(k), "manifest", fact.subject) for k in wrong]
        mw = measure_word(fact.subject) if ctx.zh else ""
        texts = {f: f"{f.value}{mw}" for f in [fact, *pool]}
        q = _how_many(ctx, fact.subject, shown)
        pick = ctx.pick("count", fact.subject)
        item = make_mc(q, fact, pool, ctx.language, pick, shown=texts)
        items.append(item and replace(item, topic=f"count:{fact.subject}"))
    return [i for i in items if i]


def short_count(ctx: TemplateContext) -> list[GroundedItem]:
    items = []
    for fact, n, shown in _counts(ctx):
        answer = f"{n}{measure_word(fact.subject)}" if ctx.zh else str(n)
        q = _how_many(ctx, fact.subject, shown)
        items.append(
            GroundedItem("short_vqa", q, answer, (claim_of(fact),), topic=f"count:{fact.subject}")
        )
    return items


# -- object colours -----------------------------------------------------------------------


def _coloured(ctx: TemplateContext) -> list[tuple[Fact, str, list[Fact]]]:
    found = []
    for fact in ctx.facts.positives("object_colour"):
        shown = ctx.name(fact.subject)
        absent = [
            f for f in ctx.facts.facts
            if f.type == "object_colour" and f.subject == fact.subject and not f.holds
        ]  # fmt: skip
        absent.sort(key=lambda f: stable(ctx.facts.image_id, f.subject, f.value))
        if shown is not None:
            found.append((fact, shown, absent))
    return found


def judge_object_colour(ctx: TemplateContext) -> list[GroundedItem]:
    found = _coloured(ctx)
    polarity = polarities(ctx.facts.image_id, "object_colour", [f.subject for f, _, _ in found])
    items = []
    for fact, shown, absent in found:
        asked = fact if polarity[fact.subject] else (absent[0] if absent else None)
        colour = display(asked, ctx.language) if asked else None
        if asked is None or colour is None:
            continue
        q = f"{shown}是{colour}的吗？" if ctx.zh else f"Is the {shown} {colour}?"
        claim = claim_of(asked, holds=asked.holds)
        items.append(_judge(ctx, q, claim, f"object_colour:{fact.subject}"))
    return items


def _what_colour(ctx: TemplateContext, shown: str) -> str:
    return f"{shown}是什么颜色的？" if ctx.zh else f"What colour is the {shown}?"


def mc_object_colour(ctx: TemplateContext) -> list[GroundedItem]:
    items = []
    for fact, shown, absent in _coloured(ctx):
        pick = ctx.pick("object_colour", fact.subject)
        item = make_mc(_what_colour(ctx, shown), fact, absent, ctx.language, pick)
        items.append(item and replace(item, topic=f"object_colour:{fact.subject}"))
    return [i for i in items if i]


def short_object_colour(ctx: TemplateContext) -> list[GroundedItem]:
    items = []
    for fact, shown, _ in _coloured(ctx):
        answer = short_text(fact, ctx.language, ctx.facts)
        if answer:
            topic = f"object_colour:{fact.subject}"
            q = _what_colour(ctx, shown)
            items.append(GroundedItem("short_vqa", q, answer, (claim_of(fact),), topic=topic))
    return items


# -- relative positions -------------------------------------------------------------------


def _pairs(ctx: TemplateContext) -> list[tuple[Fact, str, str]]:
    """One fact per related pair, oriented the way the image fixes, with both names shown."""
    chosen: dict[frozenset[str], Fact] = {}
    for fact in ctx.facts.positives("position"):
        key = frozenset(fact.subject.split("|"))
        if key not in chosen or stable(ctx.facts.image_id, fact.subject) < stable(
            ctx.facts.image_id, chosen[key].subject
        ):
            chosen[key] = fact
    found = []
    for fact in chosen.values():
        first, second = fact.subject.split("|")
        a, b = ctx.name(first), ctx.name(second)
        if a is not None and b is not None:
            found.append((fact, a, b))
    return sorted(found, key=lambda x: x[0].subject)


def judge_position(ctx: TemplateContext) -> list[GroundedItem]:
    found = _pairs(ctx)
    polarity = polarities(ctx.facts.image_id, "position", [f.subject for f, _, _ in found])
    items = []
    for fact, a, b in found:
        holds = polarity[fact.subject]
        direction = fact.value if holds else OPPOSITE[fact.value]
        en, zh, _ = DIRECTIONS[direction]
        q = f"{a}在{b}的{zh}吗？" if ctx.zh else f"Is the {a} {en} the {b}?"
        claim = Claim("position", direction, fact.subject, holds)
        items.append(_judge(ctx, q, claim, f"position:{fact.subject}"))
    return items


def _where(ctx: TemplateContext, a: str, b: str) -> str:
    return f"{a}位于{b}的什么位置？" if ctx.zh else f"Where is the {a} relative to the {b}?"


def mc_position(ctx: TemplateContext) -> list[GroundedItem]:
    items = []
    for fact, a, b in _pairs(ctx):
        pool = [
            Fact("position", d, "manifest", fact.subject) for d in DIRECTIONS if d != fact.value
        ]
        texts = {f: DIRECTIONS[f.value][1 if ctx.zh else 2] for f in [fact, *pool]}
        pick = ctx.pick("position", fact.subject)
        item = make_mc(_where(ctx, a, b), fact, pool, ctx.language, pick, shown=texts)
        items.append(item and replace(item, topic=f"position:{fact.subject}"))
    return [i for i in items if i]


def short_position(ctx: TemplateContext) -> list[GroundedItem]:
    items = []
    for fact, a, b in _pairs(ctx):
        answer = DIRECTIONS[fact.value][1 if ctx.zh else 2]
        topic = f"position:{fact.subject}"
        items.append(
            GroundedItem("short_vqa", _where(ctx, a, b), answer, (claim_of(fact),), topic=topic)
        )
    return items


# -- text ---------------------------------------------------------------------------------


def _text_question(ctx: TemplateContext, line: str) -> str:
    return (
        f"图中是否出现了文字“{line}”？"
        if ctx.zh
        else f'Does the text "{line}" appear in the image?'
    )


def judge_text(ctx: TemplateContext) -> list[GroundedItem]:
    items = []
    for fact in ctx.facts.positives("text"):
        if len(fact.value.split()) <= 8:
            items.append(_judge(ctx, _text_question(ctx, fact.value), claim_of(fact), "text"))
    for fact in false_pool(ctx.facts, ctx.peers, "text")[:4]:
        if len(fact.value.split()) <= 8:
            claim = claim_of(fact, holds=False)
            items.append(_judge(ctx, _text_question(ctx, fact.value), claim, "text"))
    return items


def mc_text(ctx: TemplateContext) -> list[GroundedItem]:
    q = (
        "下列哪行文字出现在图中？"
        if ctx.zh
        else "Which of these lines of text appears in the image?"
    )
    pool = [f for f in false_pool(ctx.facts, ctx.peers, "text") if len(f.value.split()) <= 10]
    items = []
    for fact in ctx.facts.positives("text")[:4]:
        if len(fact.value.split()) <= 10:
            item = make_mc(q, fact, pool, ctx.language, ctx.pick("text", fact.value))
            items.append(item and replace(item, topic=f"text:{fact.value}"))
    return [i for i in items if i]


def short_first_line(ctx: TemplateContext) -> list[GroundedItem]:
    first = ctx.facts.first("text")
    if first is None or len(first.value.split()) > SHORT_MAX_WORDS:
        return []
    q = (
        "图中第一行文字写的是什么？"
        if ctx.zh
        else "What does the first line of text in the image say?"
    )
    return [GroundedItem("short_vqa", q, first.value, (claim_of(first),), topic="text:first")]


_FIELD_Q: Mapping[str, tuple[str, str]] = {
    "event": ("What event does the poster advertise?", "这张海报宣传的是什么活动？"),
    "date": ("When does the event take place?", "活动在什么时间举行？"),
    "venue": ("Where is the event held?", "活动在哪里举行？"),
    "price": ("What does the poster say about the price of entry?", "海报上写的票价信息是什么？"),
    "heading": ("What is the heading of the page?", "这一页的标题是什么？"),
}
_FIELD_JUDGE: Mapping[str, tuple[str, str]] = {
    "event": ("Does the poster advertise {v}?", "这张海报宣传的是{v}吗？"),
    "date": ("Does the event take place on {v}?", "活动是在{v}举行吗？"),
    "venue": ("Is the event held at {v}?", "活动的举办地点是{v}吗？"),
    "price": ('Does the poster give the price as "{v}"?', "海报上写的票价信息是“{v}”吗？"),
}


def _fields(ctx: TemplateContext) -> list[tuple[Fact, str, list[Fact]]]:
    """(field, its value as shown, false values of the same field) for each named field."""
    found = []
    for fact in ctx.facts.positives("poster_field"):
        shown = display(fact, ctx.language)
        if shown is None or fact.subject not in _FIELD_Q:
            continue
        others = [f for p in ctx.peers for f in p.positives("poster_field", fact.subject)]
        others += [
            Fact("poster_field", en, "manifest", fact.subject, zh=zh)
            for en, zh in FAKE_FIELDS.get(fact.subject, ())
        ]
        pool = [f for f in others if ctx.facts.holds("poster_field", f.value, f.subject) is False]
        found.append((fact, shown, pool))
    return found


def judge_field(ctx: TemplateContext) -> list[GroundedItem]:
    found = [x for x in _fields(ctx) if x[0].subject in _FIELD_JUDGE]
    polarity = polarities(ctx.facts.image_id, "field", [f.subject for f, _, _ in found])
    items = []
    for fact, _shown, pool in found:
        asked = fact if polarity[fact.subject] else (pool[0] if pool else None)
        value = display(asked, ctx.language) if asked else None
        if asked is None or value is None:
            continue
        en, zh = _FIELD_JUDGE[fact.subject]
        q = (zh if ctx.zh else en).format(v=value)
        claim = claim_of(asked, holds=polarity[fact.subject])
        items.append(_judge(ctx, q, claim, f"field:{fact.subject}"))
    return items


def mc_field(ctx: TemplateContext) -> list[GroundedItem]:
    items = []
    for fact, _, pool in _fields(ctx):
        q = _FIELD_Q[fact.subject][1 if ctx.zh else 0]
        item = make_mc(q, fact, pool, ctx.language, ctx.pick("field", fact.subject))
        items.append(item and replace(item, topic=f"field:{fact.subject}"))
    return [i for i in items if i]


def short_field(ctx: TemplateContext) -> list[GroundedItem]:
    items = []
    for fact, shown, _ in _fields(ctx):
        if len(shown.split()) <= SHORT_MAX_WORDS:
            q = _FIELD_Q[fact.subject][1 if ctx.zh else 0]
            topic = f"field:{fact.subject}"
            items.append(GroundedItem("short_vqa", q, shown, (claim_of(fact),), topic=topic))
    return items


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
        items.append(_judge(ctx, q, claim, f"chart_value:{fact.subject}"))
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
        items.append(_judge(ctx, q, claim, f"chart_order:{a.subject}|{b.subject}"))
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
        items.append(_judge(ctx, q, claim, f"chart_above:{fact.subject}"))
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


def _mc_extreme(type_: str) -> Build:
    def build(ctx: TemplateContext) -> list[GroundedItem]:
        fact = ctx.facts.first(type_)
        if fact is None:
            return []
        q = _EXTREME_Q[type_][1 if ctx.zh else 0]
        pool = false_pool(ctx.facts, ctx.peers, type_)
        return _tag([make_mc(q, fact, pool, ctx.language, ctx.pick(type_))], "")

    return build


def _short_extreme(type_: str) -> Build:
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
    return _tag([make_mc(q, fact, pool, ctx.language, ctx.pick("chart_type"))], "")


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


def _short_of(type_: str, en: str, zh: str) -> Build:
    def build(ctx: TemplateContext) -> list[GroundedItem]:
        fact = ctx.facts.first(type_)
        answer = short_text(fact, ctx.language, ctx.facts) if fact else None
        if fact is None or answer is None:
            return []
        return [GroundedItem("short_vqa", zh if ctx.zh else en, answer, (claim_of(fact),))]

    return build


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


# -- the whole picture --------------------------------------------------------------------


def judge_colour(ctx: TemplateContext) -> list[GroundedItem]:
    items = []
    for fact in ctx.facts.facts:
        if fact.type != "colour":
            continue
        shown = display(fact, ctx.language)
        if shown is None:
            continue
        q = (
            f"{shown}是图中的主要颜色之一吗？"
            if ctx.zh
            else (f"Is {shown} one of the main colours in the image?")
        )
        items.append(_judge(ctx, q, claim_of(fact, fact.holds), f"colour:{fact.value}"))
    return items


def mc_colour(ctx: TemplateContext) -> list[GroundedItem]:
    q = (
        "下列哪种颜色是图中的主要颜色之一？"
        if ctx.zh
        else ("Which of these colours is one of the main colours of the image?")
    )
    absent = [f for f in ctx.facts.facts if f.type == "colour" and not f.holds]
    absent.sort(key=lambda f: stable(ctx.facts.image_id, "colour", f.value))
    items = [
        make_mc(q, fact, absent, ctx.language, ctx.pick("colour", fact.value))
        for fact in ctx.facts.positives("colour")[:2]
    ]
    return _tag(items, "")


TEMPLATES: tuple[Template, ...] = (
    Template("judge.object", "judgement", judge_object),
    Template("judge.count", "judgement", judge_count),
    Template("judge.object_colour", "judgement", judge_object_colour),
    Template("judge.position", "judgement", judge_position),
    Template("judge.text", "judgement", judge_text),
    Template("judge.field", "judgement", judge_field),
    Template("judge.chart_value", "judgement", judge_chart_value),
    Template("judge.chart_order", "judgement", judge_chart_order),
    Template("judge.chart_above", "judgement", judge_chart_above),
    Template("judge.colour", "judgement", judge_colour),
    Template("mc.object", "multiple_choice", mc_object),
    Template("mc.category", "multiple_choice", mc_category),
    Template("mc.count", "multiple_choice", mc_count),
    Template("mc.object_colour", "multiple_choice", mc_object_colour),
    Template("mc.position", "multiple_choice", mc_position),
    Template("mc.text", "multiple_choice", mc_text),
    Template("mc.field", "multiple_choice", mc_field),
    Template("mc.chart_value", "multiple_choice", mc_chart_value),
    Template("mc.chart_max", "multiple_choice", _mc_extreme("chart_max")),
    Template("mc.chart_min", "multiple_choice", _mc_extreme("chart_min")),
    Template("mc.chart_type", "multiple_choice", mc_chart_type),
    Template("mc.colour", "multiple_choice", mc_colour),
    Template("short.subject", "short_vqa", short_subject),
    Template("short.count", "short_vqa", short_count),
    Template("short.object_colour", "short_vqa", short_object_colour),
    Template("short.position", "short_vqa", short_position),
    Template("short.first_line", "short_vqa", short_first_line),
    Template("short.field", "short_vqa", short_field),
    Template("short.chart_value", "short_vqa", short_chart_value),
    Template("short.chart_max", "short_vqa", _short_extreme("chart_max")),
    Template("short.chart_min", "short_vqa", _short_extreme("chart_min")),
    Template("short.chart_total", "short_vqa", short_chart_total),
    Template("short.chart_title", "short_vqa",
             _short_of("chart_title", "What is the title of the chart?", "图表的标题是什么？")),
    Template("short.chart_unit", "short_vqa",
             _short_of("chart_unit", "In what unit are the chart's values given?",
                       "图表数值的单位是什么？")),
    Template("short.chart_type", "short_vqa",
             _short_of("chart_type", "What type of chart is this?", "这是哪种类型的图表？")),
    Template("short.orientation", "short_vqa",
             _short_of("orientation", "Is the image in landscape, portrait or square format?",
                       "这张图片是横向、纵向还是正方形构图？")),
    Template("short.palette", "short_vqa",
             _short_of("palette", "Is the image in colour or black and white?",
                       "这张图片是彩色的还是黑白的？")),
    Template("short.brightness", "short_vqa",
             _short_of("brightness", "Is the image bright or dark overall?",
                       "这张图片整体是明亮还是昏暗？")),
)  # fmt: skip
