"""Exports in the formats trainers and benchmarks read, and the dataset card."""

from __future__ import annotations

from visinstruct.config import EXPORT_FORMATS
from visinstruct.export.card import PLOTS, write_card
from visinstruct.export.llava import ExportReport
from visinstruct.export.run import KEPT_FILES, NEEDS_SPLIT, WRITERS, write_export
from visinstruct.export.source import ExportSource, ImageGroup, escape_reserved, failed_a_check
from visinstruct.export.split import SPLITS, assign_splits
from visinstruct.export.stats import compute_stats

__all__ = [
    "EXPORT_FORMATS",
    "KEPT_FILES",
    "NEEDS_SPLIT",
    "PLOTS",
    "SPLITS",
    "WRITERS",
    "ExportReport",
    "ExportSource",
    "ImageGroup",
    "assign_splits",
    "compute_stats",
    "escape_reserved",
    "failed_a_check",
    "write_card",
    "write_export",
]
