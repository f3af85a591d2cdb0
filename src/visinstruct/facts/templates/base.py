"""What every question template shares: the context it reads, its record, small helpers.

A template is a function of a :class:`TemplateContext` (the image's facts, its peers' facts
and the language) returning every item it can make; :mod:`~visinstruct.facts.compose`
picks among them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from visinstruct.facts.lexicon import (
    plural,
)
from visinstruct.facts.model import Claim, FactSet
from visinstruct.facts.questions import (
    GroundedItem,
    claim_of,
    object_name,
    short_text,
    stable,
    yes_no,
)
from visinstruct.records import Kind, Language

__all__ = ["Build", "Template", "TemplateContext", "en_count", "judge_item", "short_of", "tagged"]


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


def tagged(items: Sequence[GroundedItem | None], template: str) -> list[GroundedItem]:
    return [replace(i, template=template) for i in items if i is not None]


def judge_item(ctx: TemplateContext, question: str, claim: Claim, topic: str) -> GroundedItem:
    answer = yes_no(claim.holds, ctx.language)
    return GroundedItem("judgement", question, answer, (claim,), topic=topic)


def en_count(n: int, obj: str) -> str:
    return f"one {obj}" if n == 1 else f"{n} {plural(obj)}"


def short_of(type_: str, en: str, zh: str) -> Build:
    def build(ctx: TemplateContext) -> list[GroundedItem]:
        fact = ctx.facts.first(type_)
        answer = short_text(fact, ctx.language, ctx.facts) if fact else None
        if fact is None or answer is None:
            return []
        return [GroundedItem("short_vqa", zh if ctx.zh else en, answer, (claim_of(fact),))]

    return build
