"""InternVL chat fine-tuning data: a JSONL annotation file per split and the meta JSON that
points InternVL's training script at it (``root``, ``annotation``, ``data_augment``,
``repeat_time``, ``length``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from visinstruct.export._io import write_json, write_jsonl
from visinstruct.export.llava import ExportReport
from visinstruct.export.source import ExportSource

__all__ = ["write_internvl"]


def write_internvl(source: ExportSource, out_dir: Path) -> list[ExportReport]:
    reports = []
    meta: dict[str, Any] = {}
    name = source.config.export.dataset_name
    root = source.config.export.image_root
    for split in source.split_names() or ["train"]:
        images: set[str] = set()

        def items(split: str = split, images: set[str] = images) -> Iterator[dict[str, Any]]:
            for n, (conv, group) in enumerate(source.conversations(split)):
                images.add(group.image.id)
                yield {
                    "id": n,
                    "image": conv.image_path,
                    "width": group.image.width,
                    "height": group.image.height,
                    "conversations": [{"from": t.role, "value": t.text} for t in conv.turns],
                }

        path = source.out_path(out_dir, "internvl", split, ".jsonl")
        count = write_jsonl(path, items())
        meta[f"{name}_{split}"] = {
            # InternVL joins root and image; absolute image paths need an empty root.
            "root": "" if root is None else str(root),
            "annotation": str(path.resolve()),
            "data_augment": split == "train",
            "repeat_time": 1,
            "length": count,
        }
        reports.append(ExportReport("internvl", split, path, count, len(images)))
    write_json(out_dir / "internvl_meta.json", meta)
    return reports
