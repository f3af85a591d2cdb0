"""Question templates over facts: candidate instructions of the four kinds, each with its claims.

Every item carries the claims it rests on, so its answer can be checked against the facts
later (tests do exactly that). A judgement's "No" is only ever written for a claim that
:meth:`FactSet.holds` finds false; the false values are taken from other images' facts first
and from the fact type's own vocabulary after.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from visinstruct.facts.describe import (
    chart_sentence,
    display,
    is_plural,
    join_list,
    look_sentences,
    sentences,
    with_article,
    with_unit,
)
from visinstruct.facts.extract import ZH_NAMES
from visinstruct.facts.measure import COLOUR_NAMES
from visinstruct.facts.model import Claim, Fact, FactSet, norm
from visinstruct.records import Kind, Language

__all__ = [
    "LONG_MIN_CHARS",
    "SHORT_MAX_WORDS",
    "GroundedItem",
    "judgement_candidates",
    "length_units",
    "long_candidates",
    "make_mc",
    "mc_candidates",
    "short_candidates",
    "short_text",
]

SHORT_MAX_WORDS = 5
LONG_MIN_CHARS = 80
VOCAB: Mapping[str, tuple[str, ...]] = {
    "orientation": ("landscape", "portrait", "square"),
    "brightness": ("bright", "dark"),
    "sharpness": ("sharp", "blurry"),
    "palette": ("black and white", "colour"),
    "chart_type": ("bar", "line", "pie", "scatter"),
    "colour": COLOUR_NAMES,
}
LETTERS = "ABCD"

_JUDGE: Mapping[Language, Mapping[str, str]] = {
    "en": {
        "text": 'Does the text "{v}" appear in the image?',
        "label": "Is there {av} in the image?",
        "label_plural": "Are there {v} in the image?",
        "chart_type": "Is this a {v} chart?",
        "chart_value": "Does the chart show a value of {vu} for {s}?",
        "orientation": "Is the image in {v} format?",
        "brightness": "Is the image {v} overall?",
        "sharpness": "Is the image {v}?",
        "palette": "Is this a {v} image?",
        "colour": "Is {v} one of the main colours in the image?",
    },
    "zh": {
        "text": "图中是否出现了文字“{v}”？",
        "label": "图中有{v}吗？",
        "chart_type": "这是一张{v}吗？",
        "chart_value": "图表中{s}的数值是{vu}吗？",
        "orientation": "这张图片是{v}构图吗？",
        "brightness": "这张图片整体{v}吗？",
        "sharpness": "这张图片{v}吗？",
        "palette": "这是一张{v}图片吗？",
        "colour": "{v}是图中的主要颜色之一吗？",
    },
}
_MC: Mapping[Language, Mapping[str, str]] = {
    "en": {
        "label": "Which of these objects can be seen in the image?",
        "text": "Which of these lines of text appears in the image?",
        "colour": "Which of these colours is one of the main colours of the image?",
        "chart_type": "What type of chart is shown in the image?",
        "chart_max": "Which category has the highest value in the chart?",
        "chart_value": "What value does the chart show for {s}?",
    },
    "zh": {
        "label": "下列哪个物体出现在图中？",
        "text": "下列哪行文字出现在图中？",
        "colour": "下列哪种颜色是图中的主要颜色之一？",
        "chart_type": "图中展示的是哪种图表？",
        "chart_max": "图表中哪个类别的数值最高？",
        "chart_value": "图表中{s}的数值是多少？",
    },
}
_SHORT: Mapping[Language, Mapping[str, str]] = {
    "en": {
        "label": "What is the main subject of the image?",
        "text": "What does the first line of text in the image say?",
        "chart_title": "What is the title of the chart?",
        "chart_unit": "In what unit are the chart's values given?",
        "chart_value": "What value does the chart show for {s}?",
        "chart_max": "Which category has the highest value in the chart?",
        "orientation": "Is the image in landscape, portrait or square format?",
        "palette": "Is the image in colour or black and white?",
        "brightness": "Is the image bright or dark overall?",
    },
    "zh": {
        "label": "图片的主体是什么？",
        "text": "图中第一行文字写的是什么？",
        "chart_title": "图表的标题是什么？",
        "chart_unit": "图表数值的单位是什么？",
        "chart_value": "图表中{s}的数值是多少？",
        "chart_max": "图表中哪个类别的数值最高？",
        "orientation": "这张图片是横向、纵向还是正方形构图？",
        "palette": "这张图片是彩色的还是黑白的？",
        "brightness": "这张图片整体是明亮还是昏暗？",
    },
}
_LONG: Mapping[Language, Mapping[str, str]] = {
    "en": {
        "describe": "Describe this image in detail: what it shows, any text in it, and its "
        "colours and lighting.",
        "chart": "Summarise the data shown in the chart, citing specific values.",
        "look": "Describe the visual qualities of this image: its format, palette, colours, "
        "brightness and sharpness.",
        "text": "Transcribe all the readable text in the image.",
    },
    "zh": {
        "describe": "请详细描述这张图片：它展示了什么、其中的文字，以及它的颜色和光线。",
        "chart": "请概括图表所展示的数据，并引用具体数值。",
        "look": "请描述这张图片的视觉特征：构图比例、色调、主要颜色、亮度和清晰度。",
        "text": "请转录图中所有可辨认的文字。",
    },
}


@dataclass(frozen=True)
class GroundedItem:
    """One instruction and the claims its answer rests on."""

    kind: Kind
    question: str
    answer: str
    claims: tuple[Claim, ...]
    choices: tuple[str, ...] = ()
    seed: str | None = None

    def as_json(self) -> dict[str, object]:
        """The item in the shape the generator's reply parser reads."""
        return {
            "kind": self.kind,
            "question": self.question,
            "choices": list(self.choices),
            "answer": self.answer,
        }


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def length_units(text: str) -> int:
    """Characters, a Chinese one counted as three: the same information as English letters."""
    return len(text.strip()) + 2 * len(_CJK.findall(text))


def _unit(facts: FactSet) -> str | None:
    unit = facts.first("chart_unit")
    return unit.value if unit else None


def claim_of(fact: Fact, holds: bool = True) -> Claim:
    return Claim(fact.type, fact.value, fact.subject, holds)


def vocab_fact(type_: str, value: str) -> Fact:
    return Fact(type_, value, "measured", zh=ZH_NAMES.get(value))  # type: ignore[arg-type]


def judgement_question(fact: Fact, facts: FactSet, language: Language) -> str | None:
    """The yes/no question asking whether ``fact`` is true of the image."""
    shown = display(fact, language)
    plural = fact.type == "label" and language == "en" and is_plural(fact.value)
    template = _JUDGE[language].get("label_plural" if plural else fact.type)
    if shown is None or template is None:
        return None
    if fact.type == "text" and len(fact.value.split()) > 8:
        return None
    return template.format(
        v=shown,
        av=with_article(shown),
        s=fact.subject,
        vu=with_unit(shown, _unit(facts)),
    )


def _false_values(facts: FactSet, peers: Sequence[FactSet], type_: str) -> Iterable[Fact]:
    """Values of ``type_`` from other images first, then the type's vocabulary."""
    if type_ == "chart_max":
        # Distractors for "which category is highest" are the chart's other categories.
        for fact in facts.positives("chart_value"):
            yield Fact("chart_max", fact.subject, "manifest")
        return
    if type_ == "chart_value":
        # A category's wrong values: the chart's other values first, other charts' after.
        own = facts.positives("chart_value")
        for fact in own:
            for other in own:
                if other.value != fact.value:
                    yield Fact("chart_value", other.value, "manifest", subject=fact.subject)
    for peer in peers:
        yield from peer.positives(type_)
    for value in VOCAB.get(type_, ()):
        yield vocab_fact(type_, value)


def judgement_candidates(
    facts: FactSet, peers: Sequence[FactSet], language: Language
) -> tuple[list[GroundedItem], list[GroundedItem]]:
    """(items answered Yes, items answered No)."""
    yes_word, no_word = ("Yes", "No") if language == "en" else ("是", "否")
    true_items: list[GroundedItem] = []
    false_items: list[GroundedItem] = []
    for type_ in _JUDGE[language]:
        if type_ == "label_plural":
            continue
        for fact in facts.positives(type_):
            question = judgement_question(fact, facts, language)
            if question:
                true_items.append(GroundedItem("judgement", question, yes_word, (claim_of(fact),)))
        seen: set[tuple[str, str]] = set()
        for fact in _false_values(facts, peers, type_):
            key = (fact.subject, norm(fact.value))
            if key in seen or facts.holds(type_, fact.value, fact.subject) is not False:
                continue
            seen.add(key)
            question = judgement_question(fact, facts, language)
            if question:
                claim = claim_of(fact, holds=False)
                false_items.append(GroundedItem("judgement", question, no_word, (claim,)))
    return true_items, false_items


def make_mc(
    question: str,
    correct: Fact,
    distractors: Sequence[Fact],
    language: Language,
    pick: Sequence[int],
    seed: str | None = None,
    unit: str | None = None,
) -> GroundedItem | None:
    """Four options: ``correct`` and three ``distractors``, placed in the order ``pick`` says.

    ``pick`` is a permutation of 0-3 chosen by the caller's seeded random generator; ``unit``
    is appended to every option (chart values).
    """
    options: list[tuple[str, Claim]] = []
    right = display(correct, language)
    if right is None:
        return None
    options.append((with_unit(right, unit), claim_of(correct)))
    for fact in distractors:
        shown = display(fact, language)
        shown = shown if shown is None else with_unit(shown, unit)
        if shown is not None and norm(shown) not in {norm(o) for o, _ in options}:
            options.append((shown, claim_of(fact, holds=False)))
        if len(options) == 4:
            break
    if len(options) < 4:
        return None
    ordered = [options[i] for i in pick]
    letter = LETTERS[[i for i in pick].index(0)]
    return GroundedItem(
        "multiple_choice",
        question,
        letter,
        tuple(claim for _, claim in ordered),
        choices=tuple(text for text, _ in ordered),
        seed=seed,
    )


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


def mc_candidates(
    facts: FactSet, peers: Sequence[FactSet], language: Language, picks: Iterable[Sequence[int]]
) -> list[GroundedItem]:
    items: list[GroundedItem] = []
    pick_iter = iter(picks)
    questions = _MC[language]
    for type_ in ("label", "text", "colour", "chart_type", "chart_max"):
        for fact in facts.positives(type_)[:3]:
            if type_ == "text" and len(fact.value.split()) > 10:
                continue
            pool = false_pool(facts, peers, type_)
            item = make_mc(questions[type_], fact, pool, language, next(pick_iter))
            if item:
                items.append(item)
    for fact in facts.positives("chart_value"):
        pool = false_pool(facts, peers, "chart_value", fact.subject)
        question = questions["chart_value"].format(s=fact.subject)
        item = make_mc(question, fact, pool, language, next(pick_iter), unit=_unit(facts))
        if item:
            items.append(item)
    return items


def short_text(fact: Fact, language: Language, facts: FactSet) -> str | None:
    """The fact as a short answer, or ``None`` when it is longer than a short answer may be."""
    shown = display(fact, language)
    if shown is None:
        return None
    if fact.type == "chart_value":
        shown = with_unit(shown, _unit(facts))
    if len(shown.split()) > SHORT_MAX_WORDS:
        return None
    if language == "en" and fact.type not in ("text", "chart_title", "chart_max"):
        shown = shown[:1].upper() + shown[1:]
    return shown


def short_candidates(facts: FactSet, language: Language) -> list[GroundedItem]:
    items: list[GroundedItem] = []
    for type_, template in _SHORT[language].items():
        chosen = facts.positives(type_)
        if type_ != "chart_value":
            chosen = chosen[:1]
        for fact in chosen:
            answer = short_text(fact, language, facts)
            if answer is not None:
                question = template.format(s=fact.subject)
                items.append(GroundedItem("short_vqa", question, answer, (claim_of(fact),)))
    return items


def _long(
    key: str, language: Language, parts: list[str], claims: Iterable[Fact]
) -> GroundedItem | None:
    answer = ("" if language == "zh" else " ").join(parts)
    if length_units(answer) < LONG_MIN_CHARS or len(parts) < 2:
        return None
    return GroundedItem(
        "long_vqa", _LONG[language][key], answer, tuple(claim_of(f) for f in claims)
    )


_DESCRIBED = ("title", "label", "tag", "text", "chart_type", "chart_title", "chart_value",
              "chart_max", "chart_unit", "palette", "colour", "brightness", "sharpness",
              "orientation")  # fmt: skip
_LOOK = ("palette", "colour", "brightness", "sharpness", "orientation")


def _used(facts: FactSet, types: Iterable[str], language: Language) -> list[Fact]:
    return [f for t in types for f in facts.positives(t) if display(f, language) is not None]


def chart_summary(facts: FactSet, language: Language) -> str | None:
    return chart_sentence(facts, language)


def text_transcript(facts: FactSet, language: Language) -> list[str]:
    lines = facts.values("text")
    if len(lines) < 2:
        return []
    if language == "zh":
        quoted = join_list([f"“{line}”" for line in lines], language)
        return [f"图中共有{len(lines)}行文字。", f"依次为：{quoted}。"]
    quoted = join_list([f'"{line}"' for line in lines], language)
    return [f"The image holds {len(lines)} lines of text.", f"In reading order they say {quoted}."]


def long_candidates(facts: FactSet, language: Language) -> list[GroundedItem]:
    found = [
        _long("describe", language, sentences(facts, language), _used(facts, _DESCRIBED, language)),
        _long("look", language, look_sentences(facts, language), _used(facts, _LOOK, language)),
        _long("text", language, text_transcript(facts, language), facts.positives("text")),
    ]
    chart = chart_summary(facts, language)
    if chart:
        parts = [chart, *look_sentences(facts, language)[:1]]
        chart_types = ("chart_type", "chart_title", "chart_value", "chart_max", "palette")
        found.append(_long("chart", language, parts, _used(facts, chart_types, language)))
    return [item for item in found if item is not None]
