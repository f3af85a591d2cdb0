"""Grounded facts about images, and the instructions and descriptions made only from them.

Facts come from OCR lines, the label manifest (tags, labels, titles, text, chart data) and
measurements of the pixels. The ``template`` generator and the ``annotations`` captioner are
thin backends over this package, so both run with no model and no network.
"""

from __future__ import annotations

from visinstruct.facts.compose import compose
from visinstruct.facts.describe import describe
from visinstruct.facts.extract import extract_facts, measured_properties
from visinstruct.facts.measure import ImageProperties, measure_image
from visinstruct.facts.model import CLOSED_TYPES, Claim, Fact, FactSet
from visinstruct.facts.questions import GroundedItem

__all__ = [
    "CLOSED_TYPES",
    "Claim",
    "Fact",
    "FactSet",
    "GroundedItem",
    "ImageProperties",
    "compose",
    "describe",
    "extract_facts",
    "measure_image",
    "measured_properties",
]
