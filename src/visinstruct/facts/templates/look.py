"""Templates about the whole picture's look: its main colours, measured from the pixels."""

from __future__ import annotations

from visinstruct.facts.describe import display
from visinstruct.facts.questions import (
    GroundedItem,
    claim_of,
    make_mc,
    stable,
)
from visinstruct.facts.templates.base import (
    TemplateContext,
    judge_item,
    tagged,
)

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
        items.append(judge_item(ctx, q, claim_of(fact, fact.holds), f"colour:{fact.value}"))
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
    return tagged(items, "")
