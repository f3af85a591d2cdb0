"""FactSet.holds: true, false, or undecidable — and never false without grounds."""

from __future__ import annotations

from visinstruct.facts.model import Fact, FactSet


def _facts(*facts: Fact) -> FactSet:
    return FactSet("img", facts)


def test_closed_type_missing_value_is_false() -> None:
    facts = _facts(Fact("label", "cat", "manifest"), Fact("orientation", "landscape", "measured"))
    assert facts.holds("label", "cat") is True
    assert facts.holds("label", "dog") is False
    assert facts.holds("orientation", "portrait") is False


def test_open_or_absent_types_are_undecidable() -> None:
    facts = _facts(Fact("tag", "pet", "manifest"))
    assert facts.holds("tag", "pet") is True
    assert facts.holds("tag", "vintage") is None  # tags never claim completeness
    assert facts.holds("label", "dog") is None  # no labels at all: unknown, not absent


def test_near_matches_are_never_false() -> None:
    facts = _facts(Fact("label", "coffee cup", "manifest"), Fact("text", "BIG SUMMER SALE", "ocr"))
    assert facts.holds("label", "cup") is None
    assert facts.holds("text", "SUMMER SALE") is True  # part of a line that is there
    assert facts.holds("text", "BIG SUMMER SALE TODAY") is None
    assert facts.holds("text", "WINTER") is False


def test_measured_absence_is_false_and_unmeasured_colour_unknown() -> None:
    facts = _facts(
        Fact("colour", "blue", "measured"), Fact("colour", "red", "measured", holds=False)
    )
    assert facts.holds("colour", "blue") is True
    assert facts.holds("colour", "red") is False
    assert facts.holds("colour", "green") is None


def test_chart_values_order_and_range() -> None:
    facts = _facts(
        Fact("chart_value", "12", "manifest", subject="Jan", number=12.0),
        Fact("chart_value", "30", "manifest", subject="Feb", number=30.0),
    )
    assert facts.holds("chart_value", "12", "Jan") is True
    assert facts.holds("chart_value", "30", "Jan") is False
    assert facts.holds("chart_value", "5", "Mar") is None
    assert facts.holds("chart_order", "Jan", "Feb") is True
    assert facts.holds("chart_order", "Feb", "Jan") is False
    assert facts.holds("chart_range", "18") is True
    assert facts.holds("chart_range", "17") is False
