"""What every question template shares: the item type, names in both languages, options.

Every item carries the claims it rests on, so its answer can be checked against the facts
later (tests do exactly that), the template it was made by, and the topic it asks about. A
judgement's "No" is only ever written for a claim that :meth:`FactSet.holds` finds false.

Yes and No per template are balanced by construction: judgements are made in pairs, one Yes
and one No from the same template on two different topics of one image. A topic is asked in
one direction only (its *polarity*, fixed from the image's facts alone, whatever the language
or template), so the same fact is never asked both ways on one image.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from visinstruct.facts.describe import display, join_list, with_unit
from visinstruct.facts.extract import ZH_NAMES
from visinstruct.facts.lexicon import zh_name
from visinstruct.facts.measure import COLOUR_NAMES
from visinstruct.facts.model import GLOBAL_TYPES, Claim, Fact, FactSet, norm
from visinstruct.records import Kind, Language, content_id

__all__ = [
    "LONG_MIN_WORDS",
    "SHORT_MAX_WORDS",
    "VOCAB",
    "GroundedItem",
    "claim_of",
    "false_pool",
    "long_enough",
    "long_units",
    "make_mc",
    "object_name",
    "polarities",
    "short_text",
    "stable",
    "text_transcript",
    "unit_of",
    "yes_no",
]

SHORT_MAX_WORDS = 5
"""The composer's own cap on short answers, well inside the rule book's ``short_max_words``."""
LONG_MIN_WORDS = 20
"""The rule book's default ``generate.long_min_words``: a long answer needs at least this many
English words, or twice as many Chinese units; the generate stage passes the configured value."""
VOCAB: Mapping[str, tuple[str, ...]] = {
    "orientation": ("landscape", "portrait", "square"),
    "brightness": ("bright", "dark"),
    "sharpness": ("sharp", "blurry"),
    "palette": ("black and white", "colour"),
    "chart_type": ("bar", "line", "pie", "scatter"),
    "colour": COLOUR_NAMES,
    "object_colour": COLOUR_NAMES,
}
LETTERS = "ABCD"


@dataclass(frozen=True)
class GroundedItem:
    """One instruction, the claims its answer rests on, and the template that made it."""

    kind: Kind
    question: str
    answer: str
    claims: tuple[Claim, ...]
    choices: tuple[str, ...] = ()
    seed: str | None = None
    template: str = ""
    """The question template's id, e.g. ``judge.count``; seed fills are ``seed.<rule>``."""
    topic: str = ""
    """What the item asks about (a fact's type and subject), for pairing and variety."""

    @property
    def is_global(self) -> bool:
        """Whether it asks only about the whole picture's look (format, colour, brightness)."""
        return bool(self.claims) and all(c.type in GLOBAL_TYPES for c in self.claims)

    def as_json(self) -> dict[str, object]:
        """The item in the shape the generator's reply parser reads."""
        return {
            "kind": self.kind,
            "question": self.question,
            "choices": list(self.choices),
            "answer": self.answer,
        }


# A Chinese unit (rule book, "Length limits"): one CJK ideograph or one run of Latin letters or
# digits; punctuation does not count. The same definition as the validator's
# ``generate.fields.length_units`` (a test holds them equal); facts cannot import generate,
# whose stage imports the backend that imports this package.
_ZH_UNIT = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]|[A-Za-z0-9]+"
)


def long_units(text: str, language: Language) -> int:
    """Length as the rule book counts it: whitespace words (en), Chinese units (zh)."""
    return len(_ZH_UNIT.findall(text)) if language == "zh" else len(text.split())


def long_enough(text: str, language: Language, min_words: int = LONG_MIN_WORDS) -> bool:
    """Whether ``text`` is long enough for a long answer: ``min_words`` words, or twice that
    in Chinese units."""
    return long_units(text, language) >= min_words * (2 if language == "zh" else 1)


def stable(*parts: object) -> int:
    """A number fixed by ``parts``: choices that must not depend on the language or a run."""
    return int(content_id("stable", *[str(p) for p in parts])[:12], 16)


def polarities(image_id: str, family: str, topics: Iterable[str]) -> dict[str, bool]:
    """Topic → whether it is asked as a Yes (True) or a No (False) question.

    Topics are put in an order fixed by the image and alternate, so any family with two topics
    or more has both a Yes and a No to pair.
    """
    ordered = sorted(set(topics), key=lambda t: (stable(image_id, family, t), t))
    return {t: i % 2 == 0 for i, t in enumerate(ordered)}


def yes_no(holds: bool, language: Language) -> str:
    if language == "zh":
        return "是" if holds else "否"
    return "Yes" if holds else "No"


def unit_of(facts: FactSet, language: Language) -> str | None:
    unit = facts.first("chart_unit")
    if unit is None:
        return None
    return unit.zh or unit.value if language == "zh" else unit.value


def object_name(name: str, facts: FactSet, language: Language) -> str | None:
    """An object's name in ``language``: the manifest's translation, else the lexicon's."""
    if language == "en":
        return name
    for fact in facts.positives("label"):
        if fact.value == name and fact.zh:
            return fact.zh
    for type_ in ("count", "object_colour"):
        for fact in facts.positives(type_, name):
            if fact.subject_zh:
                return fact.subject_zh
    return zh_name(name)


def subject_name(fact: Fact, language: Language) -> str | None:
    """A chart category (or other subject) as written in ``language``."""
    if language == "en":
        return fact.subject
    return fact.subject_zh


def claim_of(fact: Fact, holds: bool = True) -> Claim:
    return Claim(fact.type, fact.value, fact.subject, holds)


def vocab_fact(type_: str, value: str, subject: str = "") -> Fact:
    return Fact(type_, value, "measured", subject, zh=ZH_NAMES.get(value))  # type: ignore[arg-type]


def _false_values(facts: FactSet, peers: Sequence[FactSet], type_: str) -> Iterable[Fact]:
    """Values of ``type_`` from other images first, then the type's vocabulary."""
    if type_ in ("chart_max", "chart_min"):
        # Distractors for "which category is highest" are the chart's other categories.
        for fact in facts.positives("chart_value"):
            yield Fact(type_, fact.subject, "manifest", zh=fact.subject_zh)  # type: ignore[arg-type]
        return
    if type_ == "chart_value":
        own = facts.positives("chart_value")
        for fact in own:
            for other in own:
                if other.value != fact.value:
                    yield Fact("chart_value", other.value, "manifest", subject=fact.subject)
    for peer in peers:
        yield from peer.positives(type_)
    for value in VOCAB.get(type_, ()):
        yield vocab_fact(type_, value)


def false_pool(
    facts: FactSet, peers: Sequence[FactSet], type_: str, subject: str = ""
) -> list[Fact]:
    """Facts of ``type_`` that are false of this image, other images' first."""
    pool: list[Fact] = []
    for fact in _false_values(facts, peers, type_):
        fact = Fact(fact.type, fact.value, fact.source, subject or fact.subject, zh=fact.zh)
        if facts.holds(type_, fact.value, fact.subject) is False:
            pool.append(fact)
    return pool


def make_mc(
    question: str,
    correct: Fact,
    distractors: Sequence[Fact],
    language: Language,
    pick: Sequence[int],
    seed: str | None = None,
    unit: str | None = None,
    shown: Mapping[Fact, str] | None = None,
) -> GroundedItem | None:
    """Four options: ``correct`` and three ``distractors``, placed in the order ``pick`` says.

    ``pick`` is a permutation of 0-3 chosen by the caller's seeded random generator; ``unit``
    is appended to every option (chart values); ``shown`` overrides how a fact is written.
    """
    options: list[tuple[str, Claim]] = []

    def text(fact: Fact) -> str | None:
        if shown is not None and fact in shown:
            return shown[fact]
        value = display(fact, language)
        return None if value is None else with_unit(value, unit, language)

    right = text(correct)
    if right is None:
        return None
    options.append((right, claim_of(correct)))
    for fact in distractors:
        option = text(fact)
        if option is not None and norm(option) not in {norm(o) for o, _ in options}:
            options.append((option, claim_of(fact, holds=False)))
        if len(options) == 4:
            break
    if len(options) < 4:
        return None
    ordered = [options[i] for i in pick]
    letter = LETTERS[list(pick).index(0)]
    return GroundedItem(
        "multiple_choice",
        question,
        letter,
        tuple(claim for _, claim in ordered),
        choices=tuple(t for t, _ in ordered),
        seed=seed,
    )


def short_text(fact: Fact, language: Language, facts: FactSet) -> str | None:
    """The fact as a short answer, or ``None`` when it is longer than a short answer may be."""
    shown = display(fact, language)
    if shown is None:
        return None
    if fact.type == "chart_value":
        shown = with_unit(shown, unit_of(facts, language), language)
    if len(shown.split()) > SHORT_MAX_WORDS:
        return None
    if language == "en" and fact.type not in ("text", "chart_title", "chart_max", "chart_min"):
        shown = shown[:1].upper() + shown[1:]
    return shown


def text_transcript(facts: FactSet, language: Language) -> list[str]:
    lines = facts.values("text")
    if len(lines) < 2:
        return []
    if language == "zh":
        quoted = join_list([f"“{line}”" for line in lines], language)
        return [f"图中共有{len(lines)}行文字。", f"依次为：{quoted}。"]
    quoted = join_list([f'"{line}"' for line in lines], language)
    return [f"The image holds {len(lines)} lines of text.", f"In reading order they say {quoted}."]
