"""VLMEvalKit benchmark TSVs for the held-out test split, and the data config that runs them.

Two files, because VLMEvalKit scores the two kinds differently: a multiple-choice TSV
(``index, image, question, A, B, C, D, answer, category, l2-category``) and a Yes/No TSV
(``index, image, question, answer, category, l2-category``). ``image`` is the base64 of the
image file; a row whose image already appeared holds the index of that earlier row instead, as
VLMEvalKit allows, so an image with many questions is stored once. ``id`` (the instruction id)
and ``image_id`` ride along, so scored results join back to the dataset.

VLMEvalKit takes a TSV it does not know for a generic VQA set unless its config names the
class, so ``vlmevalkit_data.json`` holds the ``data`` section for ``run.py --config``:
``ImageMCQDataset`` and ``ImageYORNDataset``. Answer keys are English (``Yes``/``No``, a letter)
because VLMEvalKit's matchers are; Chinese Yes/No questions say so in the question itself
(``请用 Yes 或 No 回答。``), since its Y/N matcher reads only ``yes``/``no`` in a reply.
"""

from __future__ import annotations

import base64
import csv
from collections.abc import Iterator
from pathlib import Path

from visinstruct.errors import InputError
from visinstruct.export._io import atomic_file, write_json
from visinstruct.export.llava import ExportReport
from visinstruct.export.source import ExportSource, ImageGroup
from visinstruct.records import Instruction

__all__ = ["DATA_CONFIG", "NEEDS_TEST", "ZH_YORN_HINT", "write_vlmevalkit"]

_TAIL = ["category", "l2-category", "id", "image_id"]
_MCQ = ["index", "image", "question", "A", "B", "C", "D", "answer", *_TAIL]
_YORN = ["index", "image", "question", "answer", *_TAIL]
_YES_NO = {"Yes": "Yes", "No": "No", "是": "Yes", "否": "No"}
ZH_YORN_HINT = "请用 Yes 或 No 回答。"
DATA_CONFIG = "vlmevalkit_data.json"
NEEDS_TEST = (
    "it is built from the held-out test split, which is empty: set export.split.test "
    "(e.g. 0.1) in visinstruct.yaml"
)


def _items(source: ExportSource, kind: str) -> Iterator[tuple[Instruction, ImageGroup]]:
    for group in source.groups("test"):
        for instruction in group.instructions:
            if instruction.kind == kind:
                yield instruction, group


def _question(instruction: Instruction) -> str:
    if instruction.kind == "judgement" and instruction.language == "zh":
        return f"{instruction.question}{ZH_YORN_HINT}"
    return instruction.question


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
                row = [count, image, _question(instruction), *instruction.choices, answer]
            else:
                row = [count, image, _question(instruction), _YES_NO[instruction.answer]]
            tail = [group.image.domain, instruction.language, instruction.id, image_id]
            writer.writerow([*row, *tail])
            count += 1
    return ExportReport("vlmevalkit", "test", path, count, len(first_row))


def write_vlmevalkit(source: ExportSource, out_dir: Path) -> list[ExportReport]:
    if "test" not in source.split_names():
        raise InputError(f"the vlmevalkit export cannot be written: {NEEDS_TEST}")
    name = source.config.export.dataset_name
    reports = [
        _write(source, out_dir / f"{name}_mcq_test.tsv", "multiple_choice"),
        _write(source, out_dir / f"{name}_yorn_test.tsv", "judgement"),
    ]
    classes = {"multiple_choice": "ImageMCQDataset", "judgement": "ImageYORNDataset"}
    data = {
        r.path.stem: {"class": cls, "dataset": r.path.stem}
        for r, cls in zip(reports, classes.values(), strict=True)
    }
    write_json(out_dir / DATA_CONFIG, {"data": data})
    return reports
