"""Templates about written text: lines read from the image and named poster fields.

Distractors are other images' lines or fields of the same name, then made-up ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from visinstruct.facts.describe import display
from visinstruct.facts.lexicon import (
    FAKE_FIELDS,
)
from visinstruct.facts.model import Fact
from visinstruct.facts.questions import (
    SHORT_MAX_WORDS,
    GroundedItem,
    claim_of,
    false_pool,
    make_mc,
    polarities,
)
from visinstruct.facts.templates.base import (
    TemplateContext,
    judge_item,
)

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
            items.append(judge_item(ctx, _text_question(ctx, fact.value), claim_of(fact), "text"))
    for fact in false_pool(ctx.facts, ctx.peers, "text")[:4]:
        if len(fact.value.split()) <= 8:
            claim = claim_of(fact, holds=False)
            items.append(judge_item(ctx, _text_question(ctx, fact.value), claim, "text"))
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
        items.append(judge_item(ctx, q, claim, f"field:{fact.subject}"))
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
