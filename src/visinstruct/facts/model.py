"""Grounded facts about one image, and the rule that decides whether a claim about it holds.

A fact comes from somewhere checkable: an OCR line, a field of the label manifest, or a pixel
measurement. :meth:`FactSet.holds` is the single place that says whether a statement is true
(``True``), false (``False``) or not decidable from the facts (``None``); the template
generator only writes a "No" for statements it returns ``False`` on.

Closed fact types are those where the facts list every value the image has: the text lines of
an image that has any, the labels of a labelled image (the manifest's ``labels`` name every
notable object), the single orientation, the chart's values, an object's count, the relative
position of a pair of objects the manifest relates (one dominant direction per pair). A value
missing from a closed type is absent; a value missing from an open type (tags, colours) is
unknown, unless a measurement recorded its absence (``holds=False``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

__all__ = [
    "CLOSED_TYPES",
    "GLOBAL_TYPES",
    "Claim",
    "Fact",
    "FactSet",
    "FactSource",
    "FactType",
    "format_number",
    "norm",
]

FactType = Literal[
    "text",
    "label",
    "tag",
    "title",
    "chart_type",
    "chart_title",
    "chart_unit",
    "chart_value",
    "chart_max",
    "orientation",
    "brightness",
    "sharpness",
    "palette",
    "colour",
    "count",
    "object_colour",
    "position",
    "poster_field",
    "chart_min",
]
FactSource = Literal["ocr", "manifest", "measured"]

# Every type but tags and colours: an image's tags and colours are never a complete list.
CLOSED_TYPES: frozenset[str] = frozenset(get_args(FactType)) - {"tag", "colour", "object_colour"}
# Claims computed from several facts rather than looked up: "chart_order" (subject's value is
# higher than value's), "chart_range" (highest minus lowest value), "chart_total" (the sum of
# the values) and "chart_above" (subject's value is above the number ``value``).
COMPUTED_TYPES: frozenset[str] = frozenset(
    {"chart_order", "chart_range", "chart_total", "chart_above"}
)
# Properties of the whole picture rather than of anything in it.
GLOBAL_TYPES: frozenset[str] = frozenset(
    {"orientation", "brightness", "sharpness", "palette", "colour"}
)


def norm(text: str) -> str:
    """Case- and spacing-insensitive form used to compare values."""
    return " ".join(re.sub(r"[^\w\s%.-]", " ", text.casefold()).split())


def format_number(value: float) -> str:
    """``12.0`` → ``12``, ``3.25`` → ``3.25``: how chart values are written in questions."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Fact:
    """One thing known about an image. ``holds=False`` records a measured absence."""

    type: FactType
    value: str
    source: FactSource
    subject: str = ""
    """What the value belongs to, e.g. the chart category of a ``chart_value``."""
    holds: bool = True
    number: float | None = None
    zh: str | None = None
    """The value in Chinese when it is known (measured names, manifest translations)."""
    subject_zh: str | None = None
    """The subject in Chinese when it is known (a chart category, an object's name)."""


@dataclass(frozen=True)
class Claim:
    """A statement an instruction makes: ``(type, subject, value)`` holds or does not."""

    type: str
    value: str
    subject: str = ""
    holds: bool = True


@dataclass(frozen=True)
class FactSet:
    image_id: str
    facts: tuple[Fact, ...]

    def positives(self, type_: str, subject: str | None = None) -> list[Fact]:
        return [
            f
            for f in self.facts
            if f.type == type_ and f.holds and (subject is None or f.subject == subject)
        ]

    def values(self, type_: str) -> list[str]:
        return [f.value for f in self.positives(type_)]

    def first(self, type_: str) -> Fact | None:
        found = self.positives(type_)
        return found[0] if found else None

    def has(self, type_: str) -> bool:
        return bool(self.positives(type_))

    def chart_numbers(self) -> dict[str, float]:
        """Category → value of the image's chart, in the chart's order."""
        return {f.subject: f.number for f in self.positives("chart_value") if f.number is not None}

    def holds(self, type_: str, value: str, subject: str = "") -> bool | None:
        """Whether "``subject``'s ``type_`` is ``value``" is true of the image, if decidable."""
        if type_ in COMPUTED_TYPES:
            return self._computed(type_, value, subject)
        target = norm(value)
        for fact in self.facts:
            if fact.type == type_ and fact.subject == subject and norm(fact.value) == target:
                return fact.holds
        own = [norm(f.value) for f in self.positives(type_, subject)]
        if type_ == "text" and any(target and target in line for line in own):
            return True
        if self._overlaps(type_, target, own) or type_ not in CLOSED_TYPES or not own:
            return None
        return False

    @staticmethod
    def _overlaps(type_: str, target: str, own: list[str]) -> bool:
        """Near matches ("cup" and "coffee cup") are undecidable, never false."""
        if type_ in ("text", "title", "chart_title"):
            return any(line in target for line in own)
        if type_ == "label":
            words = set(target.split())
            return any(words & set(label.split()) for label in own)
        return False

    def _computed(self, type_: str, value: str, subject: str) -> bool | None:
        numbers = self.chart_numbers()
        if type_ == "chart_order":
            if subject not in numbers or value not in numbers:
                return None
            return numbers[subject] > numbers[value]
        if type_ == "chart_above":
            if subject not in numbers:
                return None
            return numbers[subject] > float(value)
        if not numbers:
            return None
        if type_ == "chart_total":
            return format_number(sum(numbers.values())) == value
        spread = max(numbers.values()) - min(numbers.values())
        return format_number(spread) == value
