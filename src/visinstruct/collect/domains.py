"""Which domain an image belongs to: what its source says, else keyword rules, else a default."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

__all__ = ["DomainRule", "DomainRules", "known_domains"]


@cache
def known_domains() -> frozenset[str]:
    """The domains the seed bank has questions for (the paper's 24)."""
    from visinstruct.seeds import load_bank

    return frozenset(load_bank().names())


@dataclass(frozen=True)
class DomainRule:
    """``match`` is a case-insensitive regular expression; the first rule that matches wins."""

    pattern: re.Pattern[str]
    domain: str


_RULE_FIELDS = ("title", "tags", "labels", "bing_tag", "retrieval_keyword", "alt", "alt_text")


def _text_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return " ".join(v for v in value if isinstance(v, str))
    return ""


class DomainRules:
    """Keyword rules over an image's file name, title, tags and other prior text."""

    def __init__(self, rules: Iterable[tuple[str, str]] = ()):
        self.rules = [DomainRule(re.compile(m, re.IGNORECASE), d) for m, d in rules]

    def domain_for(self, name: str, prior: Mapping[str, Any]) -> str | None:
        if not self.rules:
            return None
        text = " ".join([name, *(_text_of(prior.get(f)) for f in _RULE_FIELDS)])
        for rule in self.rules:
            if rule.pattern.search(text):
                return rule.domain
        return None
