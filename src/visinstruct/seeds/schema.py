"""The typed shape of one seed-bank file (``<domain>.yaml``).

Every mapping rejects unknown keys, so a misspelt kind or language fails when the file is read
instead of silently leaving a cell without seeds.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from visinstruct.records import KINDS, LANGUAGES, Kind, Language

__all__ = ["DOMAIN_PATTERN", "Domain", "KindSeeds", "Seeds"]

DOMAIN_PATTERN = r"^[a-z][a-z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class KindSeeds(_Strict):
    """The seeds of one kind; ``zh[i]`` translates ``en[i]``."""

    en: list[StrictStr] = Field(min_length=1)
    zh: list[StrictStr] = Field(min_length=1)


class Seeds(_Strict):
    """All four kinds; each must be present because generation asks for every kind."""

    judgement: KindSeeds
    multiple_choice: KindSeeds
    long_vqa: KindSeeds
    short_vqa: KindSeeds


class Domain(_Strict):
    """One domain's file: what it covers and the expert questions the generator imitates."""

    domain: StrictStr = Field(pattern=DOMAIN_PATTERN)
    title: StrictStr = Field(min_length=1)
    description: StrictStr = Field(min_length=1)
    seeds: Seeds

    def questions(self, kind: Kind, language: Language) -> list[str]:
        """The seed questions of one cell (kind × language)."""
        cell: KindSeeds = getattr(self.seeds, kind)
        questions: list[str] = getattr(cell, language)
        return questions

    def counts(self) -> dict[Kind, dict[Language, int]]:
        """How many seeds each cell holds, in the canonical kind and language order."""
        return {k: {lang: len(self.questions(k, lang)) for lang in LANGUAGES} for k in KINDS}

    def total(self) -> int:
        """All seed questions of the domain, both languages."""
        return sum(n for per_lang in self.counts().values() for n in per_lang.values())
