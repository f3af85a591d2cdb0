"""Facts in words: value display names and the sentences that describe an image, en and zh.

The annotations captioner and the template generator's long answers both speak through this
module, so a fact is worded the same way wherever it appears.
"""

from __future__ import annotations

from collections.abc import Sequence

from visinstruct.facts.extract import ZH_NAMES
from visinstruct.facts.lexicon import DIRECTIONS, LINES, measure_word, plural
from visinstruct.facts.model import Fact, FactSet
from visinstruct.records import Language

__all__ = [
    "chart_sentence",
    "describe",
    "display",
    "is_plural",
    "join_list",
    "look_sentences",
    "prior_sentences",
    "sentences",
    "with_article",
    "with_unit",
]

_DISPLAY_EN = {"black and white": "black-and-white"}


def display(fact: Fact, language: Language) -> str | None:
    """The fact's value as written in ``language``; ``None`` when it has no such wording.

    Manifest labels, tags and titles are English unless the manifest gives a ``zh``
    translation; text lines, chart categories and numbers are shown as they are.
    """
    if language == "en":
        return _DISPLAY_EN.get(fact.value, fact.value)
    if fact.zh:
        return fact.zh
    if fact.type in ("text", "chart_title", "chart_unit", "chart_value", "chart_max"):
        return fact.value
    if fact.type in ("label", "tag", "title"):
        return None  # an English label in a Chinese sentence would teach mixed language
    return ZH_NAMES.get(fact.value)


def is_plural(noun: str) -> bool:
    """A rough English plural test for labels: ``coins`` yes, ``glass`` and ``bus`` no."""
    words = noun.lower().split()
    last = words[-1] if words else ""
    return last.endswith("s") and not last.endswith(("ss", "us", "is"))


def with_article(noun: str) -> str:
    """``cat`` → ``a cat``, ``owl`` → ``an owl``; leaves plurals and nouns with a determiner."""
    first = noun.split()[0].lower() if noun.split() else ""
    if first in ("a", "an", "the", "some", "two", "three", "several") or is_plural(noun):
        return noun
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def with_unit(number: str, unit: str | None, language: Language = "en") -> str:
    if not unit:
        return number
    tight = language == "zh" or unit in ("%", "°", "°C", "°F")
    return f"{number}{unit}" if tight else f"{number} {unit}"


def join_list(items: Sequence[str], language: Language) -> str:
    if language == "zh":
        return "、".join(items[:-1]) + ("和" if len(items) > 1 else "") + items[-1]
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def _shown(facts: FactSet, type_: str, language: Language) -> list[str]:
    return [d for f in facts.positives(type_) if (d := display(f, language)) is not None]


def _quoted(lines: Sequence[str], language: Language) -> str:
    if language == "zh":
        return join_list([f"“{line}”" for line in lines], language)
    return join_list([f'"{line}"' for line in lines], language)


def chart_sentence(facts: FactSet, language: Language) -> str | None:
    """The chart's type, title and every value, then which category is highest."""
    numbers = facts.positives("chart_value")
    if not numbers:
        return None
    unit_fact = facts.first("chart_unit")
    unit = unit_fact.value if unit_fact else None
    pairs = [f"{f.subject}: {with_unit(f.value, unit)}" for f in numbers]
    kind = facts.first("chart_type")
    title = facts.first("chart_title")
    top = facts.first("chart_max")
    if language == "zh":
        if any(f.subject_zh is None for f in numbers):
            return None  # untranslated categories would leave English in a Chinese answer
        zh_unit = (unit_fact.zh or unit) if unit_fact else None
        bare = [f"{f.subject_zh}{with_unit(f.value, zh_unit, 'zh')}" for f in numbers]
        head = f"这是一张{display(kind, 'zh') or '图表'}" if kind else "这是一张图表"
        head += f"，标题为“{title.zh}”" if title and title.zh else ""
        text = f"{head}，数据为：{'，'.join(bare)}。"
        return text + (f"其中{top.zh}的数值最高。" if top and top.zh else "")
    head = f"This is a {kind.value} chart" if kind else "This is a chart"
    head += f' titled "{title.value}"' if title else ""
    text = f"{head}, showing {'; '.join(pairs)}."
    return text + (f" {top.value} has the highest value." if top else "")


def prior_sentences(facts: FactSet, language: Language) -> list[str]:
    """The collection's title and tags, said to be the collection's words, not things seen."""
    out: list[str] = []
    zh = language == "zh"
    title = facts.first("title")
    shown_title = display(title, language) if title else None
    if shown_title:
        out.append(
            f"图片所在的收藏给它的标题是“{shown_title}”。"
            if zh
            else f'The collection titles the image "{shown_title}".'
        )
    tags = _shown(facts, "tag", language)
    if tags:
        listed = join_list(tags, language)
        out.append(f"收藏为它加的标签是{listed}。" if zh else f"The collection tags it {listed}.")
    return out


def _counted(facts: FactSet, language: Language) -> list[str]:
    out = []
    for fact in facts.positives("count"):
        if fact.subject == LINES or fact.number is None or fact.number < 2:
            continue
        n = int(fact.number)
        if language == "zh":
            if fact.subject_zh:
                out.append(f"{n}{measure_word(fact.subject)}{fact.subject_zh}")
        else:
            out.append(f"{n} {plural(fact.subject)}")
    return out


def _object_sentences(facts: FactSet, language: Language) -> list[str]:
    zh = language == "zh"
    out: list[str] = []
    counted = _counted(facts, language)
    if counted:
        listed = join_list(counted, language)
        out.append(f"可以数出{listed}。" if zh else f"There are {listed}.")
    for fact in facts.positives("object_colour"):
        name = fact.value if not zh else fact.zh
        obj = fact.subject if not zh else fact.subject_zh
        if name and obj:
            out.append(f"{obj}是{name}的。" if zh else f"The {obj} is {name}.")
    seen: set[frozenset[str]] = set()
    for fact in facts.positives("position"):
        pair = frozenset(fact.subject.split("|"))
        if pair in seen:
            continue
        seen.add(pair)
        first, second = fact.subject.split("|")
        a, b = _label_name(facts, first, language), _label_name(facts, second, language)
        en_dir, zh_dir, _ = DIRECTIONS[fact.value]
        if a and b:
            out.append(f"{a}在{b}的{zh_dir}。" if zh else f"The {a} is {en_dir} the {b}.")
    return out


def _label_name(facts: FactSet, name: str, language: Language) -> str | None:
    for fact in facts.positives("label"):
        if fact.value == name:
            return display(fact, language)
    return None


def _content_sentences(facts: FactSet, language: Language) -> list[str]:
    out: list[str] = []
    zh = language == "zh"
    labels = _shown(facts, "label", language)
    if labels:
        listed = join_list(labels if zh else [with_article(x) for x in labels], language)
        out.append(f"图中可以看到{listed}。" if zh else f"It shows {listed}.")
    out += _object_sentences(facts, language)
    lines = facts.values("text")
    if lines:
        quoted = _quoted(lines, language)
        out.append(f"图中的文字写着{quoted}。" if zh else f"The text in the image reads {quoted}.")
    chart = chart_sentence(facts, language)
    if chart:
        out.append(chart)
    return out


def _look_sentences(facts: FactSet, language: Language) -> list[str]:
    out: list[str] = []
    zh = language == "zh"
    palette = facts.first("palette")
    colours = _shown(facts, "colour", language)
    if palette is not None:
        name = display(palette, language)
        out.append(f"这是一张{name}图片。" if zh else f"It is a {name} image.")
    if colours:
        listed = join_list(colours, language)
        en = (
            f"Its main colours are {listed}."
            if len(colours) > 1
            else f"Its main colour is {listed}."
        )
        out.append(f"画面的主要颜色是{listed}。" if zh else en)
    for type_, zh_form, en_form in (
        ("brightness", "从亮度上看，画面整体{}。", "Overall the image is {}."),
        ("sharpness", "从清晰度上看，画面{}。", "The image looks {}."),
        ("orientation", "图片采用{}构图。", "The image is in {} format."),
    ):
        fact = facts.first(type_)
        if fact is not None:
            out.append((zh_form if zh else en_form).format(display(fact, language)))
    return out


def sentences(facts: FactSet, language: Language, *, look: bool = True) -> list[str]:
    """Sentences stating the image's facts: content first, then (with ``look``) its look."""
    return _content_sentences(facts, language) + (_look_sentences(facts, language) if look else [])


def look_sentences(facts: FactSet, language: Language) -> list[str]:
    """Only the measured look: palette, colours, brightness, sharpness, format."""
    return _look_sentences(facts, language)


def describe(facts: FactSet, language: Language) -> str:
    """A structured description of the image built only from its facts.

    What is seen comes first; the collection's title and tags close it, said to be the
    collection's words, so nobody reads them as things the image shows.
    """
    glue = "" if language == "zh" else " "
    return glue.join(sentences(facts, language) + prior_sentences(facts, language))
