"""InternVL chat fine-tuning data: a JSONL annotation file per split and the meta JSON files
that point InternVL's training script at them (``root``, ``annotation``, ``data_augment``,
``repeat_time``, ``length``).

InternVL's ``build_datasets`` trains on every entry of the meta file it is given, so
``internvl_meta.json`` lists the train split only; validation and test go to
``internvl_meta_eval.json``. ``root`` is the image root the relative image paths start from.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from visinstruct.export._io import write_json, write_jsonl
from visinstruct.export.llava import ExportReport
from visinstruct.export.source import ExportSource

__all__ = ["META_EVAL_FILE", "META_FILE", "write_internvl"]

META_FILE = "internvl_meta.json"
META_EVAL_FILE = "internvl_meta_eval.json"


def _items(source: ExportSource, split: str, images: set[str]) -> Iterator[dict[str, Any]]:
    for conv, group in source.conversations(split):
        images.add(group.image.id)
        yield {
            "id": conv.id,
            "image": conv.image_path,
            "width": group.image.width,
            "height": group.image.height,
            "conversations": [{"from": t.role, "value": t.text} for t in conv.turns],
        }


def write_internvl(source: ExportSource, out_dir: Path) -> list[ExportReport]:
    reports = []
    metas: dict[str, dict[str, Any]] = {META_FILE: {}, META_EVAL_FILE: {}}
    name = source.config.export.dataset_name
    root = source.image_root
    for split in source.split_names() or ["train"]:
        images: set[str] = set()
        path = source.out_path(out_dir, "internvl", split, ".jsonl")
        count = write_jsonl(path, _items(source, split, images))
        meta = metas[META_FILE if split == "train" else META_EVAL_FILE]
        meta[f"{name}_{split}"] = {
            # InternVL joins root and image; absolute image paths need an empty root.
            "root": "" if root is None else str(root),
            "annotation": str(source.final_path(out_dir, path)),
            "data_augment": split == "train",
            "repeat_time": 1,
            "length": count,
        }
        reports.append(ExportReport("internvl", split, path, count, len(images)))
    for file_name, meta in metas.items():
        if meta:
            write_json(out_dir / file_name, meta)
    return reports
