"""Small, valid seed-bank files built in tests (never the shipped bank or the reference)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

EN = {
    "judgement": [
        "Is the photo <sharp/blurry> overall?",
        "Does the sky take up more than half of the frame?",
        "Is there visible noise in the shadows?",
    ],
    "multiple_choice": [
        "Which flaw is most visible in the image?",
        "What kind of lighting does the scene have?",
        "Where is the main subject placed in the frame?",
    ],
    "long_vqa": [
        "Describe how the exposure affects the mood of the picture.",
        "Explain what makes <specific object> stand out from the background.",
        "How could the photographer have improved the composition?",
    ],
    "short_vqa": [
        "What colour dominates the image?",
        "Which object is in focus?",
        "What time of day was the photo taken?",
    ],
}
ZH = {
    "judgement": [
        "这张照片整体是否<清晰／模糊>？",
        "天空是否占据了画面的一半以上？",
        "暗部是否有明显的噪点？",
    ],
    "multiple_choice": [
        "图像中最明显的缺陷是什么？", "场景的光线属于哪一种？", "主体位于画面的什么位置？",
    ],
    "long_vqa": [
        "描述曝光如何影响画面的氛围。",
        "解释<特定物体>为何从背景中突出。",
        "摄影师可以如何改进构图？",
    ],
    "short_vqa": [
        "图像的主色调是什么颜色？", "哪个物体是清晰对焦的？", "照片是在一天中的什么时候拍的？",
    ],
}  # fmt: skip


def domain_data(name: str = "image_quality") -> dict[str, Any]:
    """A valid domain mapping (a fresh deep copy, safe to mutate)."""
    seeds = {k: {"en": list(EN[k]), "zh": list(ZH[k])} for k in EN}
    return copy.deepcopy(
        {
            "domain": name,
            "title": name.replace("_", " ").capitalize(),
            "description": "Test domain.",
            "seeds": seeds,
        }
    )


def write_domain(folder: Path, data: dict[str, Any], stem: str | None = None) -> Path:
    """Write ``data`` as ``<folder>/<stem or domain>.yaml``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem or data['domain']}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
