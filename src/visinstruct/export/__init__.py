"""Exports in the formats trainers read."""

from __future__ import annotations

from visinstruct.export.llava import ExportReport, write_llava

__all__ = ["FORMATS", "ExportReport", "write_llava"]

FORMATS = ("llava",)
