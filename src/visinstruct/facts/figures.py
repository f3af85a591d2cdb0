"""Quality figures of composed items: how many question templates, how balanced, how global.

One definition, used by the demo's tests and by the dataset card (through
:mod:`visinstruct.generate.traces`, which finds the item behind each stored instruction): a
template is the id an item carries (``judge.count``, ``long.layout``, ``seed:<rule>``); a
template's Yes share is over its judgements; an item is *global* when every claim it rests on
is about the whole picture's look (:data:`~visinstruct.facts.model.GLOBAL_TYPES`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from visinstruct.facts.questions import GroundedItem

__all__ = ["template_figures", "yes_shares"]


def yes_shares(items: Iterable[GroundedItem]) -> dict[str, float]:
    """Judgement template id → the share of its judgements whose answer is Yes."""
    answers: dict[str, Counter[bool]] = {}
    for item in items:
        if item.kind == "judgement" and item.claims:
            answers.setdefault(item.template, Counter())[item.claims[0].holds] += 1
    return {t: round(c[True] / (c[True] + c[False]), 3) for t, c in sorted(answers.items())}


def template_figures(items: Iterable[GroundedItem]) -> dict[str, Any]:
    """Distinct templates, the range of per-template Yes shares, and the global share."""
    listed = list(items)
    shares = yes_shares(listed)
    look = sum(item.is_global for item in listed)
    return {
        "items": len(listed),
        "templates": len({item.template for item in listed if item.template}),
        "yes_share": {
            "min": min(shares.values()) if shares else None,
            "max": max(shares.values()) if shares else None,
            "by_template": shares,
        },
        "global_share": round(look / len(listed), 3) if listed else None,
    }
