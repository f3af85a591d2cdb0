"""Collect the grounded facts of an image: OCR lines, manifest labels and measurements.

``image.prior`` is read defensively: priors come from manifests and, later, from imported
datasets, so a field of an unexpected shape is skipped rather than trusted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from visinstruct.errors import InputError
from visinstruct.facts.measure import ImageProperties, measure_image
from visinstruct.facts.model import Fact, FactSet, format_number, norm
from visinstruct.records import ImageRecord

__all__ = ["ZH_NAMES", "extract_facts", "measured_properties"]

ZH_NAMES: Mapping[str, str] = {
    "landscape": "横向",
    "portrait": "纵向",
    "square": "正方形",
    "bright": "明亮",
    "dark": "昏暗",
    "sharp": "清晰",
    "blurry": "模糊",
    "black and white": "黑白",
    "colour": "彩色",
    "red": "红色",
    "orange": "橙色",
    "yellow": "黄色",
    "green": "绿色",
    "blue": "蓝色",
    "purple": "紫色",
    "pink": "粉色",
    "brown": "棕色",
    "black": "黑色",
    "white": "白色",
    "gray": "灰色",
    "bar": "柱状图",
    "line": "折线图",
    "pie": "饼图",
    "scatter": "散点图",
    "area": "面积图",
}


@lru_cache(maxsize=256)
def _measure_cached(path: str, image_id: str) -> ImageProperties:
    # image_id is part of the key: a file replaced in place gets measured again.
    del image_id
    return measure_image(Path(path))


def measured_properties(image: ImageRecord) -> ImageProperties | None:
    """The image's measurements, or ``None`` when its file can no longer be read."""
    try:
        return _measure_cached(image.path, image.id)
    except InputError:
        return None


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [" ".join(v.split()) for v in value if isinstance(v, str) and v.strip()]


def _translated(prior: Mapping[str, Any], key: str) -> list[str]:
    zh = prior.get("zh")
    return _strings(zh.get(key)) if isinstance(zh, dict) else []


def _manifest_facts(prior: Mapping[str, Any]) -> list[Fact]:
    facts: list[Fact] = []
    for key, type_ in (("labels", "label"), ("tags", "tag")):
        values, names = _strings(prior.get(key)), _translated(prior, key)
        for i, value in enumerate(values):
            zh = names[i] if i < len(names) else None
            facts.append(Fact(type_, value, "manifest", zh=zh))  # type: ignore[arg-type]
    titles, zh_titles = _strings(prior.get("title")), _translated(prior, "title")
    if titles:
        facts.append(Fact("title", titles[0], "manifest", zh=zh_titles[0] if zh_titles else None))
    facts += [Fact("text", line, "manifest") for line in _strings(prior.get("text"))]
    chart = prior.get("chart")
    if isinstance(chart, dict):
        facts += _chart_facts(chart)
    return facts


def _chart_facts(chart: Mapping[str, Any]) -> list[Fact]:
    facts: list[Fact] = []
    kind = chart.get("type")
    if isinstance(kind, str) and kind.strip():
        facts.append(Fact("chart_type", kind.strip().lower(), "manifest"))
    for key, type_ in (("title", "chart_title"), ("unit", "chart_unit")):
        value = chart.get(key)
        if isinstance(value, str) and value.strip():
            facts.append(Fact(type_, value.strip(), "manifest"))  # type: ignore[arg-type]
    xs, ys = chart.get("x"), chart.get("y")
    if not (isinstance(xs, list) and isinstance(ys, list)) or len(xs) != len(ys):
        return facts
    pairs = [
        (str(x), float(y))
        for x, y in zip(xs, ys, strict=True)
        if isinstance(y, (int, float)) and not isinstance(y, bool)
    ]
    if len({norm(x) for x, _ in pairs}) != len(pairs):
        return facts  # repeated categories make "the value for X" ambiguous
    for x, y in pairs:
        facts.append(Fact("chart_value", format_number(y), "manifest", subject=x, number=y))
    top = sorted((y for _, y in pairs), reverse=True)
    if len(top) >= 2 and top[0] > top[1]:
        facts.append(Fact("chart_max", next(x for x, y in pairs if y == top[0]), "manifest"))
    return facts


def _measured_facts(props: ImageProperties) -> list[Fact]:
    facts: list[Fact] = []
    for type_, value in (
        ("orientation", props.orientation),
        ("brightness", props.brightness),
        ("sharpness", props.sharpness),
        ("palette", props.palette),
    ):
        if value is not None:
            facts.append(Fact(type_, value, "measured", zh=ZH_NAMES[value]))  # type: ignore[arg-type]
    for colour in props.main_colours[:3]:
        facts.append(Fact("colour", colour, "measured", zh=ZH_NAMES[colour]))
    for colour in props.absent_colours:
        facts.append(Fact("colour", colour, "measured", holds=False, zh=ZH_NAMES[colour]))
    return facts


def _dedupe(facts: Sequence[Fact]) -> tuple[Fact, ...]:
    seen: set[tuple[str, str, str]] = set()
    kept: list[Fact] = []
    for fact in facts:
        key = (fact.type, fact.subject, norm(fact.value))
        if key not in seen:
            seen.add(key)
            kept.append(fact)
    return tuple(kept)


def extract_facts(image: ImageRecord, properties: ImageProperties | None = None) -> FactSet:
    """Every grounded fact about ``image``; measures its file unless ``properties`` is given."""
    facts = [Fact("text", line.text.strip(), "ocr") for line in image.ocr if line.text.strip()]
    facts += _manifest_facts(image.prior)
    props = properties if properties is not None else measured_properties(image)
    if props is not None:
        facts += _measured_facts(props)
    return FactSet(image_id=image.id, facts=_dedupe(facts))
