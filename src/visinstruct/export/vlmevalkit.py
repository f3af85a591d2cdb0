"""VLMEvalKit benchmark TSVs for the held-out test split.

Two files, because VLMEvalKit scores the two kinds differently: a multiple-choice TSV
(``index, image, question, A, B, C, D, answer, category``) and a Yes/No TSV (``index, image,
question, answer, category``). ``image`` is the base64 of the image file; a row whose image
already appeared holds the index of that earlier row instead, as VLMEvalKit allows, so an image
with many questions is stored once.
"""

from __future__ import annotations

import base64
import csv
from collections.abc import Iterator
from pathlib import Path

from visinstruct.errors import InputError
from visinstruct.export._io import atomic_file
from visinstruct.export.llava import ExportReport
from visinstruct.export.source import ExportSource, ImageGroup
from visinstruct.records import Instruction

__all__ = ["write_vlmevalkit"]

_MCQ = ["index", "image", "question", "A", "B", "C", "D", "answer", "category", "l2-category"]
_YORN = ["index", "image", "question", "answer", "category", "l2-category"]
_YES_NO = {"Yes": "Yes", "No": "No", "是": "Yes", "否": "No"}


def _items(source: ExportSource, kind: str) -> Iterator[tuple[Instruction, ImageGroup]]:
    for group in source.groups("test"):
        for instruction in group.instructions:
            if instruction.kind == kind:
                yield instruction, group


def _write(source: ExportSource, path: Path, kind: str) -> ExportReport:
    first_row: dict[str, int] = {}
    count = 0
    with atomic_file(path, "w") as out:
        writer = csv.writer(out, delimiter="\t", lineterminator="\n")
        writer.writerow(_MCQ if kind == "multiple_choice" else _YORN)
        for instruction, group in _items(source, kind):
            image_id = group.image.id
            if image_id in first_row:
                image = str(first_row[image_id])
            else:
                first_row[image_id] = count
                image = base64.b64encode(Path(group.image.path).read_bytes()).decode("ascii")
            if kind == "multiple_choice":
                answer = instruction.answer
                row = [count, image, instruction.question, *instruction.choices, answer]
            else:
                row = [count, image, instruction.question, _YES_NO[instruction.answer]]
            writer.writerow([*row, group.image.domain, instruction.language])
            count += 1
    return ExportReport("vlmevalkit", "test", path, count, len(first_row))


def write_vlmevalkit(source: ExportSource, out_dir: Path) -> list[ExportReport]:
    if "test" not in source.split_names():
        raise InputError(
            "the vlmevalkit export is built from the held-out test split, which is empty: "
            "set export.split.test (e.g. 0.1) in visinstruct.yaml"
        )
    name = source.config.export.dataset_name
    return [
        _write(source, out_dir / f"{name}_mcq_test.tsv", "multiple_choice"),
        _write(source, out_dir / f"{name}_yorn_test.tsv", "judgement"),
    ]
