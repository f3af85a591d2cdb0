"""A 200-instruction project built straight into the store, for the export tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from visinstruct.collect import collect_folder
from visinstruct.config import ProjectConfig
from visinstruct.project import Project
from visinstruct.records import Instruction, Provenance

from conftest import make_images

PROV = Provenance(model="import:test", prompt_version="-", config_hash="import:test")


def _instruction(image_id: str, domain: str, n: int, **kw: object) -> Instruction:
    data: dict[str, object] = {
        "image_id": image_id, "domain": domain, "choices": [], "provenance": PROV, **kw,
    }  # fmt: skip
    data["id"] = Instruction.make_id(
        image_id, str(data["kind"]), str(data["language"]), f"{data['question']} #{n}",
        list(data["choices"]), str(data["answer"]),  # type: ignore[call-overload]
        caption_id=None, config_hash=PROV.config_hash,
    )  # fmt: skip
    data["question"] = f"{data['question']} #{n}"
    return Instruction.model_validate(data)


def instructions_for(image_id: str, domain: str) -> list[Instruction]:
    """Eight per image: every kind, both languages, balanced Yes/No."""
    return [
        _instruction(image_id, domain, 1, kind="judgement", language="en",
                     question="Is the square red?", answer="Yes"),
        _instruction(image_id, domain, 2, kind="judgement", language="en",
                     question="Is the circle green?", answer="No"),
        _instruction(image_id, domain, 3, kind="multiple_choice", language="en",
                     question="What colour is the circle?",
                     choices=["red", "blue", "green", "white"], answer="B"),
        _instruction(image_id, domain, 4, kind="multiple_choice", language="en",
                     question="Which shape is larger?",
                     choices=["the square", "the circle", "both", "neither"], answer="A"),
        _instruction(image_id, domain, 5, kind="long_vqa", language="en",
                     question="Describe the picture.",
                     answer="A red square on the left and a blue circle on the right."),
        _instruction(image_id, domain, 6, kind="short_vqa", language="en",
                     question="What colour is the square?", answer="red"),
        _instruction(image_id, domain, 7, kind="judgement", language="zh",
                     question="方块是红色的吗？", answer="是"),
        _instruction(image_id, domain, 8, kind="short_vqa", language="zh",
                     question="圆是什么颜色？", answer="蓝色"),
    ]  # fmt: skip


@pytest.fixture
def project(tmp_path: Path) -> Project:
    images = tmp_path / "images"
    make_images(images, {"landmark": 10, "ocr": 10, "posters": 5})
    config = ProjectConfig.model_validate({"collect": {"path": str(images)}})
    project = Project(tmp_path / "project", config)
    collect_folder(project.store, images, "image_description")
    for image in project.store.images():
        project.store.complete_unit(
            "import", image.id, "import:test", instructions_for(image.id, image.domain)
        )
    return project
