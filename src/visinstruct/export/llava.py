"""LLaVA-1.5 JSON: a list of ``{id, image, conversations: [{from, value}]}``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from visinstruct.export._io import write_json_list
from visinstruct.export.source import ExportSource

__all__ = ["ExportReport", "write_llava"]


@dataclass(frozen=True)
class ExportReport:
    format: str
    split: str
    path: Path
    records: int
    images: int
    skipped: str = ""
    """Why this format was not written (``--all-formats`` on a project it does not fit)."""


def write_llava(source: ExportSource, out_dir: Path) -> list[ExportReport]:
    reports = []
    for split in source.split_names() or ["train"]:
        images: set[str] = set()

        def items(split: str = split, images: set[str] = images) -> Iterator[dict[str, Any]]:
            for conv, group in source.conversations(split):
                images.add(group.image.id)
                yield {
                    "id": conv.id,
                    "image": conv.image_path,
                    "conversations": [{"from": t.role, "value": t.text} for t in conv.turns],
                }

        path = source.out_path(out_dir, "llava", split, ".json")
        count = write_json_list(path, items())
        reports.append(ExportReport("llava", split, path, count, len(images)))
    return reports
