"""Small datasets written in each public format's documented layout, with made-up pictures.

Every sample holds the cases an importer must get right: the common shape, the shapes it must
skip honestly, and one malformed row.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from visinstruct.config import ProjectConfig, write_config
from visinstruct.store import Store


def picture(seed: int, size: tuple[int, int] = (64, 48)) -> Image.Image:
    """A distinct small picture per seed (different bytes, so a different image id)."""
    im = Image.new("RGB", size, ((37 * seed) % 256, (91 * seed) % 256, 140))
    draw = ImageDraw.Draw(im)
    draw.rectangle((4 + seed % 9, 4, 20 + seed % 9, 30), fill=(250, 250, 250))
    draw.text((24, 8), str(seed), fill=(0, 0, 0))
    return im


def save_picture(path: Path, seed: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    picture(seed).save(path)
    return path


def picture_bytes(seed: int, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    picture(seed).save(buffer, format=fmt)
    return buffer.getvalue()


def write_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def new_project(root: Path) -> Path:
    """A project folder with a default config, as ``visinstruct init`` leaves it."""
    root.mkdir(parents=True, exist_ok=True)
    write_config(ProjectConfig(), root / "visinstruct.yaml")
    return root


def open_store(root: Path) -> Store:
    return Store(root / "visinstruct.db")


def scienceqa(root: Path) -> Path:
    """ScienceQA ``problems.json`` with images at ``<root>/<split>/<id>/image.png``."""
    base = {"task": "closed choice", "grade": "grade4", "lecture": "", "solution": ""}
    problems: dict[str, dict[str, Any]] = {
        "1": {**base, "question": "Which of these states is farthest north?",
              "choices": ["West Virginia", "Louisiana", "Arizona", "Oklahoma"], "answer": 0,
              "hint": "", "image": "image.png", "subject": "social science",
              "topic": "geography", "category": "Geography", "split": "train"},
        "2": {**base, "question": "Which animal's feet are also adapted for digging?",
              "choices": ["aardvark", "bearded dragon", "mole", "otter"], "answer": 2,
              "hint": "Moles live underground.", "image": "image.png",
              "subject": "natural science", "topic": "biology", "split": "val"},
        "3": {**base, "question": "Is the following trait inherited or acquired?",
              "choices": ["inherited", "acquired", "neither"], "answer": 1,
              "hint": "", "image": "image.png", "subject": "natural science", "split": "train"},
        "4": {**base, "question": "Does this magnet attract the other one?",
              "choices": ["yes", "no"], "answer": 1, "hint": "Look at the poles.",
              "image": "image.png", "subject": "natural science", "split": "train"},
        "5": {**base, "question": "Which word would you find on a dictionary page?",
              "choices": ["cook", "carry", "lamb", "dock"], "answer": 0,
              "hint": "", "image": None, "subject": "language science", "split": "train"},
        "6": {**base, "question": "Which is a compound?",
              "choices": ["water", "neon"], "answer": 0, "hint": "",
              "image": "image.png", "subject": "natural science", "split": "test"},
        "7": {**base, "question": "What is the capital of Ohio?",
              "choices": ["Columbus", "Salem", "Dover", "Austin"], "answer": 7,
              "hint": "", "image": "image.png", "subject": "social science", "split": "train"},
    }  # fmt: skip
    for pid, problem in problems.items():
        if problem["image"]:
            save_picture(root / problem["split"] / pid / "image.png", int(pid))
    return write_json(root / "problems.json", problems)


def figureqa(root: Path) -> Path:
    """FigureQA ``qa_pairs.json`` beside ``png/<image_index>.png``."""
    pairs = [
        {"image_index": 0, "question_string": "Is Dark Violet the minimum?", "answer": 1,
         "question_id": 0, "color1_name": "Dark Violet", "color2_name": "--None--"},
        {"image_index": 0, "question_string": "Is Lime Green greater than Red?", "answer": 0,
         "question_id": 5, "color1_name": "Lime Green", "color2_name": "Red"},
        {"image_index": 1, "question_string": "Does Navy Blue have the lowest value?",
         "answer": 1, "question_id": 6},
        {"image_index": 2, "question_string": "Is Gold the smoothest?", "answer": "maybe"},
    ]  # fmt: skip
    for index in (0, 1, 2):
        save_picture(root / "png" / f"{index}.png", 100 + index)
    return write_json(root / "qa_pairs.json", {"qa_pairs": pairs})


def dvqa(root: Path) -> Path:
    """DVQA ``qa.json`` list with the charts in ``images/``."""
    items = [
        {"image": "bar_train_00000000.png", "question": "Which bar has the largest value?",
         "answer": "brass", "question_id": 10, "template_id": "reasoning"},
        {"image": "bar_train_00000000.png", "question": "Is the value of brass larger than 6?",
         "answer": "yes", "question_id": 11, "template_id": "reasoning"},
        {"image": "bar_train_00000001.png", "question": "How many bars are there?",
         "answer": "4", "question_id": 12, "template_id": "structure"},
        {"image": "bar_train_00000009.png", "question": "What is the label of the first bar?",
         "answer": "dog", "question_id": 13, "template_id": "data"},
    ]  # fmt: skip
    for n in (0, 1):
        save_picture(root / "images" / f"bar_train_0000000{n}.png", 200 + n)
    return write_json(root / "qa.json", items)


def tabmwp(root: Path) -> Path:
    """TabMWP ``problems.json`` with table images at ``tables/<id>.png``."""
    base = {"table_for_pd": {}, "row_num": 3, "column_num": 2, "solution": "", "grade": 4}
    problems: dict[str, dict[str, Any]] = {
        "11": {**base, "question": "How many cups of flour does Ann need in all?",
               "choices": None, "answer": "12", "ques_type": "free_text",
               "ans_type": "integer_number", "unit": "cups", "split": "train",
               "table_title": "Flour", "table": "Day | Cups\nMonday | 5\nTuesday | 7"},
        "12": {**base, "question": "Which day had the most visitors?",
               "choices": ["Monday", "Tuesday", "Wednesday", "Thursday"], "answer": "Tuesday",
               "ques_type": "multi_choice", "ans_type": "extractive_text", "unit": "",
               "split": "train", "table_title": "Visitors", "table": "Day | Visitors"},
        "13": {**base, "question": "At a price of $5, is there a shortage or a surplus?",
               "choices": ["shortage", "surplus"], "answer": "surplus",
               "ques_type": "multi_choice", "ans_type": "extractive_text", "unit": "",
               "split": "dev", "table_title": "", "table": "Price | Demand | Supply"},
        "14": {**base, "question": "Is the number of apples even or odd?",
               "choices": ["even", "odd"], "answer": "five", "ques_type": "multi_choice",
               "ans_type": "extractive_text", "unit": "", "split": "train",
               "table_title": "Fruit", "table": "Fruit | Count"},
    }  # fmt: skip
    for pid in problems:
        save_picture(root / "tables" / f"{pid}.png", 300 + int(pid))
    return write_json(root / "problems.json", problems)
