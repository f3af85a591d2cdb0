"""Long-answer templates: paragraphs stating only the image's facts, in English or Chinese.

No answer states the collection's title or tags as something seen: a template that uses the
title gives it in the question, as prior knowledge the answer may rely on. A paragraph too
short for the rule book's ``long_min_words`` is dropped by :mod:`compose`, never padded: each
template says everything its facts support (the objects named as well as counted, colours
measured absent as well as present, the chart's runner-up as well as its extremes).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from visinstruct.facts.describe import (
    _object_sentences,
    chart_sentence,
    display,
    join_list,
    look_sentences,
    sentences,
    with_article,
    with_unit,
)
from visinstruct.facts.model import Fact, FactSet, format_number
from visinstruct.facts.questions import (
    GroundedItem,
    claim_of,
    stable,
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
    if len(parts) < 2:
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


def absent_colours(facts: FactSet, language: Language) -> tuple[list[str], list[Fact]]:
    """A sentence naming up to three colours measured absent (under 2% of the pixels), and
    the facts behind it; chosen by the image, so en and zh name the same ones."""
    absent = [f for f in facts.facts if f.type == "colour" and not f.holds]
    absent = [f for f in absent if display(f, language) is not None]
    absent.sort(key=lambda f: (stable(facts.image_id, "absent", f.value), f.value))
    picked = absent[:3]
    if not picked:
        return [], []
    shown = [str(display(f, language)) for f in picked]
    if language == "zh":
        return [f"画面中几乎看不到{join_list(shown, 'zh')}。"], picked
    listed = join_list(shown, "en").replace(" and ", " or ")
    return [f"There is almost no {listed} in it."], picked


def long_look(facts: FactSet, language: Language) -> list[GroundedItem]:
    absent, facts_absent = absent_colours(facts, language)
    parts = look_sentences(facts, language) + absent
    claims = [claim_of(f) for f in _used(facts, _LOOK, language)]
    claims += [claim_of(f, holds=False) for f in facts_absent]
    items = _item("look", language, parts, ())
    return [replace(i, claims=tuple(claims)) for i in items]


def long_text(facts: FactSet, language: Language) -> list[GroundedItem]:
    return _item("text", language, text_transcript(facts, language), facts.positives("text"))


def long_chart(facts: FactSet, language: Language) -> list[GroundedItem]:
    chart = chart_sentence(facts, language)
    if not chart:
        return []
    parts = [chart, *chart_extremes(facts, language)[1:]]
    types = ("chart_type", "chart_title", "chart_value", "chart_max")
    return _item("chart", language, parts, _used(facts, types, language))


def _chart_head(facts: FactSet, language: Language) -> list[str]:
    """What kind of chart it is and its title, as one sentence (or none)."""
    kind, title = facts.first("chart_type"), facts.first("chart_title")
    shown_kind = display(kind, language) if kind else None
    if language == "zh":
        head = f"这是一张{shown_kind or '图表'}" if shown_kind else "这是一张图表"
        return [f"{head}，标题为“{title.zh}”。"] if title and title.zh else []
    head = f"This is a {shown_kind} chart" if shown_kind else "This is a chart"
    return [f'{head} titled "{title.value}".'] if title else []


def _runner_up(facts: FactSet, language: Language) -> list[str]:
    """The second-highest value, when it is a clear second (no tie with either neighbour)."""
    ranked = sorted(facts.positives("chart_value"), key=lambda f: -(f.number or 0))
    if len(ranked) < 3 or len({f.number for f in ranked[:3]}) < 3:
        return []
    second, unit = ranked[1], unit_of(facts, language)
    value = with_unit(second.value, unit, language)
    if language == "zh":
        return [f"其次是{second.subject_zh}，为{value}。"] if second.subject_zh else []
    return [f"The second highest is {second.subject}, at {value}."]


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
    extremes = chart_extremes(facts, language)
    if not extremes:
        return []
    parts = [*_chart_head(facts, language), *extremes[:1], *_runner_up(facts, language)]
    parts += extremes[1:]
    types = ("chart_type", "chart_title", "chart_value")
    return _item("extremes", language, parts, _used(facts, types, language))


def _objects_named(facts: FactSet, language: Language) -> list[str]:
    labels = [d for f in facts.positives("label") if (d := display(f, language)) is not None]
    if not labels:
        return []
    if language == "zh":
        return [f"图中可以看到{join_list(labels, 'zh')}。"]
    return [f"The image shows {join_list([with_article(x) for x in labels], 'en')}."]


def long_layout(facts: FactSet, language: Language) -> list[GroundedItem]:
    objects = _object_sentences(facts, language)
    if not objects:
        return []
    parts = _objects_named(facts, language) + objects
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
