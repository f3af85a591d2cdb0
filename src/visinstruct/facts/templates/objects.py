"""Templates about objects: presence, category, counts, colours and relative positions.

Distractors come from the object's own category (:mod:`~visinstruct.facts.lexicon`); colour
distractors are colours measured absent from the object's box.
"""

from __future__ import annotations

from dataclasses import replace

from visinstruct.facts.describe import display, is_plural, with_article
from visinstruct.facts.lexicon import (
    CATEGORIES,
    CATEGORY_NAMES,
    DIRECTIONS,
    OPPOSITE,
    category_of,
    measure_word,
    plural,
)
from visinstruct.facts.model import Claim, Fact
from visinstruct.facts.questions import (
    GroundedItem,
    claim_of,
    make_mc,
    polarities,
    short_text,
    stable,
)
from visinstruct.facts.templates.base import (
    TemplateContext,
    en_count,
    judge_item,
)

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
            items.append(judge_item(ctx, q, claim_of(fact), f"label:{fact.value}"))
        for absent in _absent(ctx, str(category_of(fact.value)))[:1]:
            q = _there_is(ctx, absent.value)
            claim = claim_of(absent, holds=False)
            if q:
                items.append(judge_item(ctx, q, claim, f"label:{absent.value}"))
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
    return f"{n}{measure_word(obj)}{shown}" if ctx.zh else en_count(n, shown)


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
        items.append(judge_item(ctx, q, claim, f"count:{fact.subject}"))
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
        items.append(judge_item(ctx, q, claim, f"object_colour:{fact.subject}"))
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
        items.append(judge_item(ctx, q, claim, f"position:{fact.subject}"))
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
