"""Generation prompts, versioned, per kind and language, and the reply shapes they ask for.

A new wording is a new version (``generate.prompt_version``), so every instruction stays
traceable to the exact prompt that made it. v2 follows the paper's method: questions close in
meaning to sampled seed questions, answers drawn from what is known about the image (caption,
the text read from it, prior knowledge such as tags or titles), and per-kind rules. The same
builder serves both layouts: ``combined`` puts every requested kind in one prompt (the image's
description is sent once), ``per_kind`` sends one kind per prompt.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from visinstruct.errors import ConfigError
from visinstruct.records import KINDS, Kind, Language

__all__ = [
    "PROMPT_VERSIONS",
    "REPLY_SCHEMA",
    "GenerationFormat",
    "GenerationMode",
    "PromptInput",
    "generation_messages",
    "repair_message",
    "reply_schema",
]

PROMPT_VERSIONS = ("v2",)
GenerationMode = Literal["caption", "vision"]
GenerationFormat = Literal["json", "tagged"]

_PRIOR_LIMIT = 1500  # characters of prior knowledge shown; tags and titles fit, dumps do not
_OCR_LIMIT = 60  # OCR lines shown


def reply_schema(kinds: Sequence[Kind]) -> dict[str, Any]:
    """The JSON schema of a reply holding instructions of ``kinds``."""
    return {
        "type": "object",
        "properties": {
            "instructions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "kind": {"type": "string", "enum": list(kinds)},
                        "question": {"type": "string"},
                        "choices": {"type": "array", "items": {"type": "string"}},
                        "answer": {"type": "string"},
                    },
                    "required": ["kind", "question", "choices", "answer"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["instructions"],
        "additionalProperties": False,
    }


REPLY_SCHEMA: dict[str, Any] = reply_schema(KINDS)


@dataclass(frozen=True)
class PromptInput:
    """Everything one generation prompt is built from."""

    language: Language
    domain: str
    caption: str
    counts: Mapping[Kind, int]
    seeds: Mapping[Kind, Sequence[str]] = field(default_factory=dict)
    ocr: Sequence[str] = ()
    prior: Mapping[str, Any] = field(default_factory=dict)
    mode: GenerationMode = "caption"
    format: GenerationFormat = "json"
    short_max_words: int = 8
    long_min_words: int = 20


# -- wording ---------------------------------------------------------------------------------

_SYSTEM: Mapping[Language, Mapping[str, str]] = {
    "en": {
        "caption": (
            "You write training data for vision-language models: questions about one image, "
            "each with its correct answer. You cannot see the image. You are given what is "
            "known about it: a detailed description, the text read from it and background "
            "knowledge such as tags or titles."
        ),
        "vision": (
            "You write training data for vision-language models: questions about the attached "
            "image, each with its correct answer. A description, the text read from the image "
            "and background knowledge come with it as help; where they disagree with the "
            "image, the image is right."
        ),
        "rules": (
            "Rules:\n"
            "- Ask about the image itself, as a person looking at it would. Never refer to a "
            "description, caption, text or information you were given: no 'according to the "
            "description', no 'as mentioned'.\n"
            "- Every answer must follow from what is known about the image; invent nothing.\n"
            "- Each question should be close in meaning to one of the example questions, but "
            "written afresh for this image: never copy an example, and replace every "
            "<placeholder> with a concrete detail of this image.\n"
            "- Write every question, option and answer in English."
        ),
    },
    "zh": {
        "caption": (
            "你负责为视觉语言模型编写训练数据：针对一张图片提出问题并给出正确答案。"
            "你看不到这张图片，只能得到关于它的信息：一段详细描述、从图中识别出的文字，"
            "以及标签、标题等背景知识。"
        ),
        "vision": (
            "你负责为视觉语言模型编写训练数据：针对所附图片提出问题并给出正确答案。"
            "同时提供的描述、图中识别出的文字和背景知识仅作参考；若与图片不符，以图片为准。"
        ),
        "rules": (
            "要求：\n"
            "- 像一个正在看图的人那样直接针对图片提问。不要提及你得到的描述、说明或文字，"
            "不要写“根据描述”“描述中提到”之类的话。\n"
            "- 每个答案都必须能从已知信息中得出，不要编造。\n"
            "- 每个问题的含义应与某个示例问题相近，但要针对这张图片重新撰写：不要照抄示例，"
            "并把所有<占位符>替换成这张图片的具体内容。\n"
            "- 所有问题、选项和答案都用简体中文书写。"
        ),
    },
}

_KIND_NAME: Mapping[Language, Mapping[Kind, str]] = {
    "en": {
        "judgement": "yes/no questions",
        "multiple_choice": "multiple-choice questions",
        "long_vqa": "questions answered by a paragraph",
        "short_vqa": "questions answered by a word or phrase",
    },
    "zh": {
        "judgement": "判断题",
        "multiple_choice": "单项选择题",
        "long_vqa": "长回答问题",
        "short_vqa": "短回答问题",
    },
}

_LABELS: Mapping[Language, Mapping[str, str]] = {
    "en": {
        "domain": "Image domain",
        "description": "Description",
        "ocr": "Text in the image",
        "prior": "Background knowledge",
        "none": "(none)",
        "examples": (
            "Example questions for this domain (write new questions close to them in "
            "meaning; do not copy them)"
        ),
        "task": "Write",
    },
    "zh": {
        "domain": "图片领域",
        "description": "描述",
        "ocr": "图中文字",
        "prior": "背景知识",
        "none": "（无）",
        "examples": "本领域的示例问题（请写出含义相近的新问题，不要照抄）",
        "task": "要写的题目",
    },
}


def _kind_rule(kind: Kind, n: int, inp: PromptInput) -> str:
    yes = math.ceil(n / 2)
    no = n - yes
    if inp.language == "zh":
        return {
            "judgement": f"判断题：答案只能是“是”或“否”；其中 {yes} 道答“是”、{no} 道答“否”。"
            "答“否”的题目要问一个与图片相关、看似合理但图中并不存在的细节。",
            "multiple_choice": "单项选择题：恰好四个选项，只有一个正确；其余选项要与图片相关、"
            "看似合理但明显错误；答案写正确选项的字母 A、B、C 或 D。",
            "short_vqa": f"短回答问题：答案是一个词、一个数字或一个短语（不超过 "
            f"{inp.short_max_words * 2} 个字）。",
            "long_vqa": f"长回答问题：答案是一段有依据的完整段落，由几句话组成（至少 "
            f"{inp.long_min_words * 2} 个字）。",
        }[kind]
    return {
        "judgement": f"judgement: answer exactly Yes or No; {yes} answered Yes and {no} "
        "answered No. For a No, ask about a plausible detail the image does not have.",
        "multiple_choice": "multiple_choice: exactly four options, one correct; the wrong "
        "options must be plausible for this image but clearly wrong; answer with the letter "
        "of the correct option, A, B, C or D.",
        "short_vqa": "short_vqa: answered by one word, a number or a short phrase (at most "
        f"{inp.short_max_words} words).",
        "long_vqa": "long_vqa: answered by a grounded paragraph of several sentences (at "
        f"least {inp.long_min_words} words).",
    }[kind]


def _format_rule(inp: PromptInput, kinds: Sequence[Kind]) -> str:
    zh = inp.language == "zh"
    if inp.format == "json":
        shape = json.dumps(
            {"instructions": [{"kind": kinds[0], "question": "…", "choices": [], "answer": "…"}]},
            ensure_ascii=False,
        )
        if zh:
            return (
                f"只输出一个 JSON 对象，不要任何其他文字，格式为：{shape}。kind 取 "
                f"{', '.join(kinds)} 之一；单项选择题的 choices 是四个选项的文字（不带字母），"
                "其他题型的 choices 为空列表。"
            )
        return (
            f"Reply with one JSON object and nothing else, shaped as {shape}. kind is one of "
            f"{', '.join(kinds)}; for multiple_choice, choices holds the four option texts "
            "(no letters); for every other kind it is an empty list."
        )
    lines = []
    for kind in kinds:
        if kind == "multiple_choice":
            lines.append("<Q1>…</Q1><C1>A. … B. … C. … D. …</C1><A1>B</A1>")
        else:
            lines.append("<Q1>…</Q1><A1>…</A1>")
    if len(kinds) == 1:
        example = lines[0]
        intro = (
            "只按以下带标签的格式输出，每题一行："
            if zh
            else ("Reply in this tagged format only, one line per question:")
        )
        return f"{intro}\n{example}"
    blocks = "\n".join(f"<{k}>\n{line}\n…\n</{k}>" for k, line in zip(kinds, lines, strict=True))
    intro = (
        "只按以下带标签的格式输出：每种题型放在以其名称命名的块中，块内从 1 开始编号："
        if zh
        else "Reply in this tagged format only: each kind in a block named after it, "
        "questions numbered from 1 within each block:"
    )
    return f"{intro}\n{blocks}"


def _prior_text(prior: Mapping[str, Any]) -> str:
    lines = []
    for key, value in prior.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        lines.append(f"- {key}: {shown}")
    text = "\n".join(lines)
    return text if len(text) <= _PRIOR_LIMIT else text[:_PRIOR_LIMIT] + " …"


def _user_prompt(inp: PromptInput) -> str:
    labels = _LABELS[inp.language]
    kinds = [k for k in KINDS if inp.counts.get(k, 0) > 0]
    ocr = "\n".join(f"- {line}" for line in list(inp.ocr)[:_OCR_LIMIT])
    prior = _prior_text(inp.prior)
    parts = [
        f"{labels['domain']}: {inp.domain.replace('_', ' ')}",
        f"{labels['description']}:\n{inp.caption.strip()}",
        f"{labels['ocr']}:\n{ocr or labels['none']}",
        f"{labels['prior']}:\n{prior or labels['none']}",
    ]
    examples = [f"- [{kind}] {seed}" for kind in kinds for seed in inp.seeds.get(kind, ())]
    if examples:
        parts.append(f"{labels['examples']}:\n" + "\n".join(examples))
    sep = "、" if inp.language == "zh" else ", "
    wanted = sep.join(f"{inp.counts[k]} {k}" for k in kinds)
    rules = "\n".join(f"- {_kind_rule(k, inp.counts[k], inp)}" for k in kinds)
    colon = "：" if inp.language == "zh" else ": "
    parts.append(f"{labels['task']}{colon}{wanted}.\n{rules}")
    parts.append(_format_rule(inp, kinds))
    return "\n\n".join(parts)


def generation_messages(version: str, inp: PromptInput) -> tuple[str, str]:
    """(system prompt, user prompt) asking for ``inp.counts`` instructions of each kind."""
    if version not in PROMPT_VERSIONS:
        raise ConfigError(
            f"unknown generation prompt version {version!r}; known: {', '.join(PROMPT_VERSIONS)}",
            field="generate.prompt_version",
        )
    if not any(n > 0 for n in inp.counts.values()):
        raise ConfigError("a generation prompt needs at least one kind", field="generate.counts")
    system = _SYSTEM[inp.language]
    return f"{system[inp.mode]}\n{system['rules']}", _user_prompt(inp)


def repair_message(language: Language, problems: Sequence[str], fmt: GenerationFormat) -> str:
    """The follow-up turn after an unusable reply: what was wrong, and to answer again."""
    listed = "\n".join(f"- {p}" for p in problems[:8]) or "-"
    if language == "zh":
        shape = "JSON 对象" if fmt == "json" else "带标签的格式"
        return (
            f"你的回复无法使用，问题如下：\n{listed}\n"
            f"请改正这些问题，按要求的{shape}重新完整输出全部题目，不要附加其他文字。"
        )
    shape = "JSON object" if fmt == "json" else "tagged format"
    return (
        f"Your reply could not be used:\n{listed}\n"
        f"Fix these problems and reply again with every requested question, in the required "
        f"{shape} only."
    )
