"""An lmms-eval task for the held-out test split: ``lmms_eval/<name>/`` holds the task YAML,
the JSONL it reads and the ``utils.py`` its ``!function`` entries name.

Every row is one instruction (a multi-round training conversation would be cut to its first
round by a single-turn task, so the task is built from instructions, not conversations) of a
kind exact match can score: judgement, multiple choice and short VQA. ``utils.process_results``
reads the first Yes/No (or 是/否) or option letter in a reply (``答案：C`` counts as C), so
Chinese rows score without an LLM judge. Run it with
``lmms-eval --include_path <export>/lmms_eval --tasks <name>_test ...``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from visinstruct.errors import InputError
from visinstruct.expand import human_prompt
from visinstruct.export._io import atomic_file, write_jsonl
from visinstruct.export.llava import ExportReport
from visinstruct.export.source import ExportSource
from visinstruct.export.vlmevalkit import NEEDS_TEST

__all__ = ["SCORED_KINDS", "write_lmms_eval"]

SCORED_KINDS = ("judgement", "multiple_choice", "short_vqa")
_YES_NO = {"是": "Yes", "否": "No"}

_UTILS = '''"""Written by visinstruct's lmms_eval export: how lmms-eval reads and scores it."""

import os
import re

from PIL import Image

# The folder the rows' relative image paths start from; VISINSTRUCT_IMAGE_ROOT overrides it
# when the images were moved.
IMAGE_ROOT = os.environ.get("VISINSTRUCT_IMAGE_ROOT", {root!r})
_YES = re.compile(r"\\b(yes)\\b|是", re.IGNORECASE)
_NO = re.compile(r"\\b(no)\\b|否|不是", re.IGNORECASE)
_LETTER = re.compile(r"(?<![A-Za-z])([ABCD])(?![A-Za-z])")


def doc_to_visual(doc):
    return [Image.open(os.path.join(IMAGE_ROOT, doc["image"])).convert("RGB")]


def doc_to_text(doc, lmms_eval_specific_kwargs=None):
    return doc["prompt"]


def extract(doc, reply):
    """The answer a reply gives, in the form of the answer key."""
    reply = reply.strip()
    if doc["kind"] == "judgement":
        yes, no = _YES.search(reply), _NO.search(reply)
        if yes and (not no or yes.start() < no.start()):
            return "Yes"
        return "No" if no else ""
    if doc["kind"] == "multiple_choice":
        found = _LETTER.search(reply)
        return found.group(1) if found else ""
    return reply.rstrip(".。").strip().lower()


def process_results(doc, results):
    answer = doc["answer"] if doc["kind"] != "short_vqa" else doc["answer"].strip().lower()
    return {{"exact_match": float(extract(doc, results[0]) == answer)}}
'''

_YAML = """# Written by visinstruct's lmms_eval export.
task: {task}
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: generate_until
doc_to_visual: !function utils.doc_to_visual
doc_to_text: !function utils.doc_to_text
doc_to_target: answer
generation_kwargs:
  max_new_tokens: 64
  temperature: 0
  do_sample: false
process_results: !function utils.process_results
metric_list:
  - metric: exact_match
    aggregation: mean
    higher_is_better: true
metadata:
  version: 1.0
"""


def _rows(source: ExportSource, images: set[str]) -> Iterator[dict[str, Any]]:
    for group in source.groups("test"):
        for instruction in group.instructions:
            if instruction.kind not in SCORED_KINDS:
                continue
            images.add(group.image.id)
            yield {
                "id": instruction.id,
                "image": group.path,
                "image_id": group.image.id,
                "kind": instruction.kind,
                "language": instruction.language,
                "domain": group.image.domain,
                "prompt": human_prompt(instruction),
                "answer": _YES_NO.get(instruction.answer, instruction.answer),
            }


def write_lmms_eval(source: ExportSource, out_dir: Path) -> list[ExportReport]:
    if "test" not in source.split_names():
        raise InputError(f"the lmms_eval export cannot be written: {NEEDS_TEST}")
    name = source.config.export.dataset_name
    folder = out_dir / "lmms_eval" / name
    images: set[str] = set()
    data = folder / f"{name}_test.jsonl"
    count = write_jsonl(data, _rows(source, images))
    root = source.image_root
    with atomic_file(folder / "utils.py") as out:
        out.write(_UTILS.format(root="" if root is None else str(root)))
    task = folder / f"{name}_test.yaml"
    with atomic_file(task) as out:
        out.write(_YAML.format(task=f"{name}_test", data=source.final_path(out_dir, data)))
    return [ExportReport("lmms_eval", "test", task, count, len(images))]
