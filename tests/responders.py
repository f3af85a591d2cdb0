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


_QUESTIONS = {
    "en": {
        "judgement": ("Is the square on the left red?", "Is there a green triangle at the top?"),
        "multiple_choice": ("Which colour is the shape on the left?",),
        "short_vqa": ("What colour is the circle on the right?",),
        "long_vqa": ("Describe how the shapes are arranged in the picture.",),
    },
    "zh": {
        "judgement": ("图中左边的方块是红色的吗？", "图的上方有绿色的三角形吗？"),
        "multiple_choice": ("图中左边的形状是什么颜色？",),
        "short_vqa": ("图中右边的圆形是什么颜色？",),
        "long_vqa": ("请描述图中各个形状的排列方式。",),
    },
}
_LONG = {
    "en": (
        "A red square sits on the left of the picture and a blue circle sits on the right. "
        "The square is clearly larger than the circle, and the plain white background keeps "
        "both shapes easy to see."
    ),
    "zh": (
        "图中左侧有一个红色的方块，右侧有一个蓝色的圆形。"
        "方块明显比圆形大，白色的背景让两个形状都清晰可见。"
    ),
}
_OPTIONS = {"en": ["red", "blue", "green", "yellow"], "zh": ["红色", "蓝色", "绿色", "黄色"]}


def requested(prompt: str) -> dict[str, int]:
    """kind -> count, as the generation prompt's task line asks (empty for other prompts)."""
    wanted: dict[str, int] = {}
    for n, kind in _WANT.findall(prompt):
        wanted.setdefault(kind, int(n))
    return wanted


def generation_items(prompt: str) -> tuple[str, list[dict[str, Any]]]:
    """(language, items) a well-behaved generator would write for ``prompt``."""
    lang = "zh" if "简体中文" in prompt else "en"
    tag = hashlib.sha256(prompt.encode()).hexdigest()[:8]
    items: list[dict[str, Any]] = []
    for kind, n in requested(prompt).items():
        for i in range(n):
            texts = _QUESTIONS[lang][kind]
            q = f"({tag}-{i}) " + texts[i % len(texts)]
            if kind == "judgement":
                yes, no = ("是", "否") if lang == "zh" else ("Yes", "No")
                items.append({"kind": kind, "question": q, "answer": yes if i % 2 == 0 else no})
            elif kind == "multiple_choice":
                items.append(
                    {"kind": kind, "question": q, "choices": _OPTIONS[lang], "answer": "A"}
                )
            elif kind == "short_vqa":
                items.append({"kind": kind, "question": q, "answer": _OPTIONS[lang][1]})
            else:
                items.append({"kind": kind, "question": q, "answer": _LONG[lang]})
    return lang, items


def render_tagged(items: list[dict[str, Any]]) -> str:
    """Items in the tagged format; one block per kind when there are several kinds."""
    kinds = list(dict.fromkeys(item["kind"] for item in items))
    blocks = []
    for kind in kinds:
        lines = []
        for n, item in enumerate((i for i in items if i["kind"] == kind), start=1):
            line = f"<Q{n}>{item['question']}</Q{n}>"
            if item.get("choices"):
                options = " ".join(
                    f"{L}. {c}" for L, c in zip("ABCD", item["choices"], strict=True)
                )
                line += f"<C{n}>{options}</C{n}>"
            lines.append(line + f"<A{n}>{item['answer']}</A{n}>")
        body = "\n".join(lines)
        blocks.append(f"<{kind}>\n{body}\n</{kind}>" if len(kinds) > 1 else body)
    return "\n".join(blocks)


def generation_for(prompt: str) -> str:
    """A reply in the format the prompt asks for: tagged when it shows <Q1>, else JSON."""
    _, items = generation_items(prompt)
    if "<Q1>" in prompt:
        return render_tagged(items)
    return json.dumps({"instructions": items}, ensure_ascii=False)


def engine_responder(body: dict[str, Any]) -> str:
    """Instructions for a generation prompt (with or without the image), else a caption."""
    text, images = _parts(body)
    if requested(text):
        return generation_for(text)
    if images:
        return caption_for(images[0])
    return generation_for(text)
