"""LLaVA-1.5 JSON: a list of ``{id, image, conversations: [{from, value}]}``.

Written as a stream to a temporary file and renamed into place, so a large export never sits
in memory and a crash never leaves a half-written file where a trainer would read it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from visinstruct.records import Conversation

__all__ = ["ExportReport", "write_llava"]


@dataclass(frozen=True)
class ExportReport:
    path: Path
    records: int
    images: int


def write_llava(conversations: Iterable[Conversation], path: Path) -> ExportReport:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    count = 0
    images: set[str] = set()
    with tmp.open("w", encoding="utf-8") as out:
        out.write("[")
        for conv in conversations:
            item = {
                "id": conv.id,
                "image": conv.image_path,
                "conversations": [{"from": t.role, "value": t.text} for t in conv.turns],
            }
            out.write(("," if count else "") + "\n" + json.dumps(item, ensure_ascii=False))
            count += 1
            images.add(conv.image_id)
        out.write("\n]\n")
        out.flush()
        os.fsync(out.fileno())
    tmp.replace(path)
    return ExportReport(path=path, records=count, images=len(images))
