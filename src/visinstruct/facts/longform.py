"""Long-answer templates: paragraphs stating only the image's facts, in English or Chinese.

No answer states the collection's title or tags as something seen: a template that uses the
title gives it in the question, as prior knowledge the answer may rely on.
"""

from __future__ import annotations

from collections.abc import Iterable

from visinstruct.facts.describe import (
    _object_sentences,
    chart_sentence,
    display,
    look_sentences,
    sentences,
    with_unit,
)
from visinstruct.facts.model import Fact, FactSet, format_number
from visinstruct.facts.questions import (
    LONG_MIN_CHARS,
    GroundedItem,
    claim_of,
    length_units,
    text_transcript,
    unit_of,
)
from visinstruct.records import Language

__all__ = ["LONG_TEMPLATES", "chart_extremes"]

_QUESTIONS = {
    "describe": ("Describe this image in detail: what it shows, any text in it, and its colours.",
                 "请详细描述这张图片：它展示了什么、其中的文字，以及它的颜色。"),
    "look": ("Describe the visual qualities of this image: its format, palette, colours, "
             "brightness and sharpness.",
             "请描述这张图片的视觉特征：构图比例、色调、主要颜色、亮度和清晰度。"),
    "text": ("Transcribe all the readable text in the image.", "请转录图中所有可辨认的文字。"),
    "chart": ("Summarise the data shown in the chart, citing specific values.",
              "请概括图表所展示的数据，并引用具体数值。"),
    "layout": ("Describe the objects in the image: how many there are, their colours and where "
               "they are relative to each other.",
               "请描述图中的物体：它们的数量、颜色以及彼此之间的位置关系。"),
    "poster": ("What information does the poster give about the event?",
               "这张海报提供了哪些关于活动的信息？"),
    "extremes": ("Compare the highest and the lowest values in the chart.",
                 "请比较图表中的最高值和最低值。"),
}  # fmt: skip
_CONTENT = ("label", "count", "object_colour", "position", "text", "chart_type", "chart_title",
            "chart_value", "chart_max", "chart_unit")  # fmt: skip
_LOOK = ("palette", "colour", "brightness", "sharpness", "orientation")


def _used(facts: FactSet, types: Iterable[str], language: Language) -> list[Fact]:
    return [f for t in types for f in facts.positives(t) if display(f, language) is not None]


def _item(
    key: str, language: Language, parts: list[str], claims: Iterable[Fact], question: str = ""
) -> list[GroundedItem]:
    answer = ("" if language == "zh" else " ").join(parts)
    if length_units(answer) < LONG_MIN_CHARS or len(parts) < 2:
        return []
    question = question or _QUESTIONS[key][1 if language == "zh" else 0]
    return [GroundedItem("long_vqa", question, answer, tuple(claim_of(f) for f in claims))]


def long_describe(facts: FactSet, language: Language) -> list[GroundedItem]:
    parts = sentences(facts, language)
    return _item("describe", language, parts, _used(facts, (*_CONTENT, *_LOOK), language))


def long_titled(facts: FactSet, language: Language) -> list[GroundedItem]:
    """The title as prior knowledge in the question; the answer says only what is seen."""
    title = facts.first("title")
    shown = display(title, language) if title else None
    visible = {line.casefold() for line in facts.values("text")}
    if title is None or shown is None or title.value.casefold() in visible:
        return []
    question = (
        f"这张照片的标题是“{shown}”。请描述照片中实际可以看到的内容。"
        if language == "zh"
        else f'This photo is titled "{shown}". Describe what can actually be seen in it.'
    )
    parts = sentences(facts, language, look=False)
    return _item("describe", language, parts, _used(facts, _CONTENT, language), question)


def long_look(facts: FactSet, language: Language) -> list[GroundedItem]:
    return _item("look", language, look_sentences(facts, language), _used(facts, _LOOK, language))


def long_text(facts: FactSet, language: Language) -> list[GroundedItem]:
    return _item("text", language, text_transcript(facts, language), facts.positives("text"))


def long_chart(facts: FactSet, language: Language) -> list[GroundedItem]:
    chart = chart_sentence(facts, language)
    if not chart:
        return []
    parts = [chart, *chart_extremes(facts, language)[1:]]
    types = ("chart_type", "chart_title", "chart_value", "chart_max")
    return _item("chart", language, parts, _used(facts, types, language))


def chart_extremes(facts: FactSet, language: Language) -> list[str]:
    """Sentences on the highest and lowest values and the gap between them."""
    values = facts.positives("chart_value")
    if len(values) < 2 or any(f.number is None for f in values):
        return []
    high = max(values, key=lambda f: f.number or 0)
    low = min(values, key=lambda f: f.number or 0)
    unit = unit_of(facts, language)
    gap = with_unit(format_number((high.number or 0) - (low.number or 0)), unit, language)
    hv, lv = with_unit(high.value, unit, language), with_unit(low.value, unit, language)
    if language == "zh":
        if high.subject_zh is None or low.subject_zh is None:
            return []
        return [f"数值最高的是{high.subject_zh}，为{hv}。",
                f"数值最低的是{low.subject_zh}，为{lv}。", f"两者相差{gap}。"]  # fmt: skip
    return [f"The highest value is {high.subject}, at {hv}.",
            f"The lowest is {low.subject}, at {lv}.", f"They are {gap} apart."]  # fmt: skip


def long_extremes(facts: FactSet, language: Language) -> list[GroundedItem]:
    return _item(
        "extremes", language, chart_extremes(facts, language), facts.positives("chart_value")
    )


def long_layout(facts: FactSet, language: Language) -> list[GroundedItem]:
    parts = _object_sentences(facts, language)
    types = ("count", "object_colour", "position", "label")
    return _item("layout", language, parts, _used(facts, types, language))


def long_poster(facts: FactSet, language: Language) -> list[GroundedItem]:
    fields = {f.subject: display(f, language) for f in facts.positives("poster_field")}
    if not {"event", "date", "venue"} <= fields.keys() or None in fields.values():
        return []
    zh = language == "zh"
    parts = [
        f"这张海报宣传的是{fields['event']}。"
        if zh
        else f'The poster advertises "{fields["event"]}".',
        f"活动时间是{fields['date']}。" if zh else f"It takes place on {fields['date']}.",
        f"地点是{fields['venue']}。" if zh else f"The venue is {fields['venue']}.",
    ]
    if fields.get("price"):
        parts.append(
            f"票价信息：{fields['price']}。" if zh else f'About entry it says "{fields["price"]}".'
        )
    return _item("poster", language, parts, facts.positives("poster_field"))


LONG_TEMPLATES = (
    ("long.describe", long_describe),
    ("long.titled", long_titled),
    ("long.look", long_look),
    ("long.text", long_text),
    ("long.chart", long_chart),
    ("long.extremes", long_extremes),
    ("long.layout", long_layout),
    ("long.poster", long_poster),
)
