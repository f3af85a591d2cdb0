"""Scripted model behaviour for the test server: a captioner and a generator that follow the
engine's prompts closely enough to exercise every stage end to end."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

_WANT = re.compile(r"(\d+) (judgement|multiple_choice|long_vqa|short_vqa)")


def _parts(body: dict[str, Any]) -> tuple[str, list[str]]:
    texts: list[str] = []
    images: list[str] = []
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
            continue
        for part in content or []:
            if part.get("type") == "text":
                texts.append(part["text"])
            elif part.get("type") == "image_url":
                images.append(part["image_url"]["url"])
    return "\n".join(texts), images


def caption_for(image_url: str) -> str:
    tag = hashlib.sha256(image_url.encode()).hexdigest()[:8]
    return (
        f"A photograph labelled {tag}. A red square sits on the left of a white background, "
        "and a blue circle sits on the right. The square is larger than the circle. There is "
        "no text in the image and the lighting is even."
    )


def generation_for(prompt: str) -> str:
    zh = "简体中文" in prompt
    tag = hashlib.sha256(prompt.encode()).hexdigest()[:8]
    items: list[dict[str, Any]] = []
    for n, kind in _WANT.findall(prompt):
        for i in range(int(n)):
            q = f"({tag}-{i}) " + (
                "图中左边的方块是红色的吗？" if zh else "Is the square on the left red?"
            )
            if kind == "judgement":
                answer = ("是" if i % 2 == 0 else "否") if zh else ("Yes" if i % 2 == 0 else "No")
                items.append({"kind": kind, "question": q, "answer": answer})
            elif kind == "multiple_choice":
                choices = (
                    ["红色", "蓝色", "绿色", "黄色"] if zh else ["red", "blue", "green", "yellow"]
                )
                items.append({"kind": kind, "question": q, "choices": choices, "answer": "A"})
            elif kind == "short_vqa":
                items.append({"kind": kind, "question": q, "answer": "红色" if zh else "red"})
            else:
                text = (
                    "图中左侧有一个红色方块，右侧有一个蓝色圆形。"
                    if zh
                    else ("A red square is on the left and a blue circle is on the right.")
                )
                items.append({"kind": kind, "question": q, "answer": text})
    return json.dumps({"instructions": items}, ensure_ascii=False)


def engine_responder(body: dict[str, Any]) -> str:
    """Caption when the request carries an image, instructions otherwise."""
    text, images = _parts(body)
    if images:
        return caption_for(images[0])
    return generation_for(text)
