"""ShareGPT for LLaMA-Factory: ``{messages: [{role, content}], images: [path]}`` records and
the ``dataset_info.json`` entries that tell LLaMA-Factory how to read them.

LLaMA-Factory checks that the number of ``<image>`` tokens in a sample equals the number of its
images; the conversation builder puts exactly one token in the first user turn, and literal
tokens in the text are escaped (``source``). Image paths are relative to the image root, which
each entry names as ``media_dir`` (LLaMA-Factory's ``media_dir`` argument; ms-swift reads the
same root from ``ROOT_IMAGE_DIR``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from visinstruct.export._io import write_json, write_json_list
from visinstruct.export.llava import ExportReport
from visinstruct.export.source import ExportSource

__all__ = ["write_sharegpt"]

_ROLES = {"human": "user", "gpt": "assistant"}


def _entry(file_name: str, media_dir: Path | None) -> dict[str, Any]:
    root = {} if media_dir is None else {"media_dir": str(media_dir)}
    return {
        "file_name": file_name,
        **root,
        "formatting": "sharegpt",
        "columns": {"messages": "messages", "images": "images"},
        "tags": {
            "role_tag": "role",
            "content_tag": "content",
            "user_tag": "user",
            "assistant_tag": "assistant",
        },
    }


def write_sharegpt(source: ExportSource, out_dir: Path) -> list[ExportReport]:
    reports = []
    info: dict[str, Any] = {}
    name = source.config.export.dataset_name
    for split in source.split_names() or ["train"]:
        images: set[str] = set()

        def items(split: str = split, images: set[str] = images) -> Iterator[dict[str, Any]]:
            for conv, group in source.conversations(split):
                images.add(group.image.id)
                yield {
                    "id": conv.id,
                    "messages": [{"role": _ROLES[t.role], "content": t.text} for t in conv.turns],
                    "images": [conv.image_path],
                }

        path = source.out_path(out_dir, "sharegpt", split, ".json")
        count = write_json_list(path, items())
        info[f"{name}_{split}"] = _entry(path.name, source.image_root)
        reports.append(ExportReport("sharegpt", split, path, count, len(images)))
    write_json(out_dir / "dataset_info.json", info)
    return reports
