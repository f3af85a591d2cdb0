"""An independent re-derivation of claims from an image's raw sources.

It reads the manifest prior, the OCR lines and the pixel measurements directly, without
FactSet, so a bug in the fact model or the question builders cannot hide behind itself.
Used by the compose tests and the demo's must-show tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from visinstruct.facts.measure import ABSENT_BELOW, MAIN_SHARE, measure_image, measure_region
from visinstruct.facts.model import Claim
from visinstruct.records import ImageRecord


def _fold(text: str) -> str:
    return " ".join(text.casefold().replace("-", " ").split())


def _chart(prior: dict[str, Any]) -> dict[str, float]:
    chart = prior.get("chart") or {}
    return {str(x): float(y) for x, y in zip(chart.get("x", []), chart.get("y", []), strict=True)}


def _number(text: str) -> float:
    return float(text)


def _object_truth(image: ImageRecord, claim: Claim) -> bool | None:
    prior, t, v, s = image.prior, claim.type, claim.value, claim.subject
    objects = {o["name"]: o for o in prior.get("objects", [])}
    if t == "count":
        if s == "lines of text":
            return len(prior.get("text", [])) == int(v)
        return None if "count" not in objects.get(s, {}) else objects[s]["count"] == int(v)
    if t == "poster_field":
        fields = prior.get("fields", {})
        return None if s not in fields else _fold(fields[s]) == _fold(v)
    if t == "position":
        first, second = s.split("|")
        for a, rel, b in prior.get("positions", []):
            if {a, b} == {first, second}:
                actual = rel if (a, b) == (first, second) else _INVERSE[rel]
                return actual == v
        return None
    box = tuple(objects[s]["colour_box"])
    shares = measure_region(Path(image.path), box)
    ranked = [*sorted(shares.values(), reverse=True), 0.0, 0.0]
    top = max(shares, key=lambda k: shares[k])
    if ranked[0] >= 0.45 and ranked[0] - ranked[1] >= 0.20 and top == v:
        return True
    return False if shares.get(v, 0.0) < 0.03 else None


_INVERSE = {"left of": "right of", "right of": "left of", "above": "below", "below": "above"}


def truth(image: ImageRecord, claim: Claim) -> bool | None:
    """Whether ``claim`` is true of ``image`` (None when the sources cannot say)."""
    prior, t, v, s = image.prior, claim.type, claim.value, claim.subject
    chart = _chart(prior)
    if t == "chart_value":
        return None if s not in chart else chart[s] == _number(v)
    if t == "chart_order":
        return chart[s] > chart[v]
    if t == "chart_range":
        return max(chart.values()) - min(chart.values()) == _number(v)
    if t == "chart_total":
        return sum(chart.values()) == _number(v)
    if t == "chart_above":
        return chart[s] > _number(v)
    if t == "chart_max":
        return max(chart, key=lambda k: chart[k]) == v
    if t == "chart_min":
        return min(chart, key=lambda k: chart[k]) == v
    if t in ("count", "position", "poster_field", "object_colour"):
        return _object_truth(image, claim)
    if t in ("chart_type", "chart_title", "chart_unit"):
        return _fold(str(prior["chart"][t.removeprefix("chart_")])) == _fold(v)
    if t in ("label", "tag"):
        values = [_fold(x) for x in prior.get(t + "s", [])]
        if _fold(v) in values:
            return True
        overlap = any(set(_fold(v).split()) & set(x.split()) for x in values)
        return None if overlap or t == "tag" or not values else False
    if t == "title":
        return _fold(prior["title"]) == _fold(v)
    if t == "text":
        lines = [_fold(x) for x in prior.get("text", [])] + [_fold(o.text) for o in image.ocr]
        return True if any(_fold(v) in line for line in lines) else (False if lines else None)
    if t == "orientation":
        w, h = image.width, image.height
        actual = (
            "square" if abs(w - h) <= 0.02 * max(w, h) else ("landscape" if w > h else "portrait")
        )
        return actual == v
    props = measure_image(Path(image.path))
    if t in ("brightness", "sharpness", "palette"):
        measured = getattr(props, t)
        return None if measured is None else measured == v
    if t == "colour":
        share = props.colour_shares.get(v, 0.0)
        return True if share >= MAIN_SHARE else (False if share < ABSENT_BELOW else None)
    raise AssertionError(f"unknown claim type {t}")
