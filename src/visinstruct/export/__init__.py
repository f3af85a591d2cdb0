"""Exports in the formats trainers and benchmarks read, and the dataset card."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from visinstruct.config import EXPORT_FORMATS
from visinstruct.export.card import PLOTS, write_card
from visinstruct.export.internvl import write_internvl
from visinstruct.export.llava import ExportReport, write_llava
from visinstruct.export.parquet import write_parquet
from visinstruct.export.sharegpt import write_sharegpt
from visinstruct.export.source import ExportSource, ImageGroup, failed_a_check
from visinstruct.export.split import SPLITS, assign_splits
from visinstruct.export.stats import compute_stats
from visinstruct.export.vlmevalkit import write_vlmevalkit

__all__ = [
    "EXPORT_FORMATS",
    "PLOTS",
    "SPLITS",
    "WRITERS",
    "ExportReport",
    "ExportSource",
    "ImageGroup",
    "assign_splits",
    "compute_stats",
    "failed_a_check",
    "write_card",
]

WRITERS: dict[str, Callable[[ExportSource, Path], list[ExportReport]]] = {
    "llava": write_llava,
    "sharegpt": write_sharegpt,
    "internvl": write_internvl,
    "parquet": write_parquet,
    "vlmevalkit": write_vlmevalkit,
}
