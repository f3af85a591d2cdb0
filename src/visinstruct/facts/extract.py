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
from visinstruct.facts.lexicon import LINES, OPPOSITE, zh_name
from visinstruct.facts.measure import ImageProperties, measure_image, measure_region, subject_colour
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
            zh = names[i] if i < len(names) else (zh_name(value) if type_ == "label" else None)
            facts.append(Fact(type_, value, "manifest", zh=zh))  # type: ignore[arg-type]
    facts += _object_facts(prior)
    facts += _poster_facts(prior)
    titles, zh_titles = _strings(prior.get("title")), _translated(prior, "title")
    if titles:
        facts.append(Fact("title", titles[0], "manifest", zh=zh_titles[0] if zh_titles else None))
    lines = _strings(prior.get("text"))
    facts += [Fact("text", line, "manifest") for line in lines]
    if len(lines) >= 2:
        facts.append(Fact("count", str(len(lines)), "manifest", LINES, number=len(lines),
                          subject_zh=zh_name(LINES)))  # fmt: skip
    chart = prior.get("chart")
    if isinstance(chart, dict):
        zh = prior.get("zh")
        chart_zh = zh.get("chart") if isinstance(zh, dict) else None
        facts += _chart_facts(chart, chart_zh if isinstance(chart_zh, dict) else {})
    return facts


def _objects(prior: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = prior.get("objects")
    if not isinstance(found, list):
        return []
    return [o for o in found if isinstance(o, dict) and isinstance(o.get("name"), str)]


def _object_facts(prior: Mapping[str, Any]) -> list[Fact]:
    """Counts of objects and the relative positions of pairs, as the manifest gives them."""
    facts: list[Fact] = []
    for obj in _objects(prior):
        name, count = obj["name"], obj.get("count")
        if isinstance(count, int) and not isinstance(count, bool) and count > 0:
            zh = obj.get("zh") if isinstance(obj.get("zh"), str) else zh_name(name)
            facts.append(
                Fact("count", str(count), "manifest", subject=name, number=count, subject_zh=zh)
            )
    positions = prior.get("positions")
    for row in positions if isinstance(positions, list) else []:
        if not (isinstance(row, list) and len(row) == 3 and all(isinstance(x, str) for x in row)):
            continue
        first, direction, second = row
        if direction in OPPOSITE and first != second:
            facts.append(Fact("position", direction, "manifest", subject=f"{first}|{second}"))
            facts.append(
                Fact("position", OPPOSITE[direction], "manifest", subject=f"{second}|{first}")
            )
    return facts


def _poster_facts(prior: Mapping[str, Any]) -> list[Fact]:
    """Named lines of the visible text (``fields``: a poster's event, date, venue, price)."""
    poster = prior.get("fields")
    if not isinstance(poster, dict):
        return []
    zh = prior.get("zh")
    names = zh.get("fields") if isinstance(zh, dict) else None
    names = names if isinstance(names, dict) else {}
    facts = []
    for field_, value in poster.items():
        if isinstance(value, str) and value.strip():
            translated = names.get(field_)
            translated = translated if isinstance(translated, str) else None
            facts.append(Fact("poster_field", value.strip(), "manifest", field_, zh=translated))
    return facts


def _chart_facts(chart: Mapping[str, Any], zh: Mapping[str, Any]) -> list[Fact]:
    """The chart's facts; ``zh`` (the manifest's ``zh.chart``) names title, unit, categories."""
    facts: list[Fact] = []
    kind = chart.get("type")
    if isinstance(kind, str) and kind.strip():
        facts.append(Fact("chart_type", kind.strip().lower(), "manifest"))
    for key, type_ in (("title", "chart_title"), ("unit", "chart_unit")):
        value, translated = chart.get(key), zh.get(key)
        if isinstance(value, str) and value.strip():
            name = translated if isinstance(translated, str) else None
            facts.append(Fact(type_, value.strip(), "manifest", zh=name))  # type: ignore[arg-type]
    xs, ys = chart.get("x"), chart.get("y")
    if not (isinstance(xs, list) and isinstance(ys, list)) or len(xs) != len(ys):
        return facts
    names = {str(x): n for x, n in zip(xs, _strings(zh.get("x")), strict=False)}
    pairs = [
        (str(x), float(y))
        for x, y in zip(xs, ys, strict=True)
        if isinstance(y, (int, float)) and not isinstance(y, bool)
    ]
    if len({norm(x) for x, _ in pairs}) != len(pairs):
        return facts  # repeated categories make "the value for X" ambiguous
    for x, y in pairs:
        facts.append(
            Fact("chart_value", format_number(y), "manifest", x, number=y, subject_zh=names.get(x))
        )
    ranked = sorted(y for _, y in pairs)
    for type_, ends in (("chart_max", ranked[::-1]), ("chart_min", ranked)):
        if len(ends) >= 2 and ends[0] != ends[1]:
            top = next(x for x, y in pairs if y == ends[0])
            facts.append(Fact(type_, top, "manifest", zh=names.get(top)))  # type: ignore[arg-type]
    return facts


def _colour_facts(image: ImageRecord) -> list[Fact]:
    """Each object's colour, measured in the region the manifest marks as showing it."""
    facts: list[Fact] = []
    for obj in _objects(image.prior):
        box = obj.get("colour_box")
        if not (isinstance(box, list) and len(box) == 4 and all(isinstance(v, int) for v in box)):
            continue
        try:
            shares = _region_cached(image.path, image.id, tuple(box))
        except InputError:
            continue
        main, absent = subject_colour(shares)
        name = obj["name"]
        zh = obj.get("zh") if isinstance(obj.get("zh"), str) else zh_name(name)
        if main is None:
            continue  # no clear colour: neither a colour nor its absence is stated
        facts.append(
            Fact("object_colour", main, "measured", name, zh=ZH_NAMES[main], subject_zh=zh)
        )
        for colour in absent:
            facts.append(
                Fact("object_colour", colour, "measured", name, holds=False, zh=ZH_NAMES[colour],
                     subject_zh=zh)
            )  # fmt: skip
    return facts


@lru_cache(maxsize=512)
def _region_cached(path: str, image_id: str, box: tuple[int, ...]) -> dict[str, float]:
    del image_id
    left, top, right, bottom = box
    return measure_region(Path(path), (left, top, right, bottom))


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
    facts += _colour_facts(image)
    props = properties if properties is not None else measured_properties(image)
    if props is not None:
        facts += _measured_facts(props)
    return FactSet(image_id=image.id, facts=_dedupe(facts))
