"""Parquet in the Hugging Face ``datasets`` layout, with the image bytes inside.

A plain table of paths is useless once the data leaves the machine, so each row carries the
image file's bytes in an ``{bytes, path}`` struct, and the schema metadata declares that column
an ``Image`` feature: ``datasets.load_dataset("parquet", ...)`` then decodes it to a picture.
Rows are written in batches, so memory stays flat whatever the dataset's size.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from visinstruct.errors import InputError
from visinstruct.export.llava import ExportReport
from visinstruct.export.source import ExportSource

__all__ = ["write_parquet"]

_BATCH = 256
_VALUE = {"dtype": "string", "_type": "Value"}
_FEATURES = {
    "id": _VALUE,
    "image": {"_type": "Image"},
    "conversations": [{"from": _VALUE, "value": _VALUE}],
    "image_id": _VALUE,
    "instruction_ids": [_VALUE],
    "kind": _VALUE,
    "language": _VALUE,
    "domain": _VALUE,
    "split": _VALUE,
}


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as exc:
        raise InputError(
            "the parquet export needs pyarrow: pip install 'visinstruct[parquet]'"
        ) from exc
    return pyarrow


def _rows(source: ExportSource, split: str, images: set[str]) -> Iterator[dict[str, Any]]:
    cached: tuple[str, bytes] = ("", b"")
    for conv, group in source.conversations(split):
        if cached[0] != group.image.id:  # conversations arrive grouped by image
            cached = (group.image.id, Path(group.image.path).read_bytes())
            images.add(group.image.id)
        made_from = [i for i in group.instructions if i.id in set(conv.instruction_ids)]
        kinds = {i.kind for i in made_from}
        yield {
            "id": conv.id,
            "image": {"bytes": cached[1], "path": conv.image_path},
            "conversations": [{"from": t.role, "value": t.text} for t in conv.turns],
            "image_id": group.image.id,
            "instruction_ids": list(conv.instruction_ids),
            # A multi-round conversation may mix kinds; it never mixes languages.
            "kind": kinds.pop() if len(kinds) == 1 else "mixed",
            "language": made_from[0].language if made_from else "",
            "domain": group.image.domain,
            "split": split,
        }


def write_parquet(source: ExportSource, out_dir: Path) -> list[ExportReport]:
    pa = _pyarrow()
    turn = pa.struct([("from", pa.string()), ("value", pa.string())])
    schema = pa.schema(
        [
            ("id", pa.string()),
            ("image", pa.struct([("bytes", pa.binary()), ("path", pa.string())])),
            ("conversations", pa.list_(turn)),
            ("image_id", pa.string()),
            ("instruction_ids", pa.list_(pa.string())),
            ("kind", pa.string()),
            ("language", pa.string()),
            ("domain", pa.string()),
            ("split", pa.string()),
        ],
        metadata={"huggingface": json.dumps({"info": {"features": _FEATURES}})},
    )
    reports = []
    for split in source.split_names() or ["train"]:
        path = out_dir / "parquet" / f"{source.config.export.dataset_name}-{split}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".partial")
        images: set[str] = set()
        count = 0
        batch: list[dict[str, Any]] = []
        with pa.parquet.ParquetWriter(tmp, schema) as writer:
            for row in _rows(source, split, images):
                batch.append(row)
                if len(batch) >= _BATCH:
                    writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                    count, batch = count + len(batch), []
            if batch or count == 0:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                count += len(batch)
        tmp.replace(path)
        reports.append(ExportReport("parquet", split, path, count, len(images)))
    return reports
