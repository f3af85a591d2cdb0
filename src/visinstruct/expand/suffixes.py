"""Answer-format suffixes: what shape of answer the trained model should give.

Without them a model trained on mixed kinds cannot tell when "Yes" is wanted and when a
paragraph is. Each kind has a small pool per language, and the pick is a hash of the
instruction id, so a sample always gets the same wording while the dataset as a whole varies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from visinstruct.records import Kind, Language

__all__ = ["SUFFIXES", "suffix_for"]

SUFFIXES: Mapping[Language, Mapping[Kind, Sequence[str]]] = {
    "en": {
        "judgement": (
            "Reply with Yes or No.",
            "Answer with a single word: Yes or No.",
            "Is this true? Say Yes or No.",
            "Respond with Yes or No only.",
        ),
        "multiple_choice": (
            "Reply with the letter of the correct option.",
            "Answer with the option's letter from the choices above.",
            "Give only the letter (A, B, C or D) of the right answer.",
            "Choose one option and reply with its letter.",
        ),
        "short_vqa": (
            "Reply with a single word or a short phrase.",
            "Answer in a word or a few words.",
            "Keep the answer to one word or a short phrase.",
        ),
        "long_vqa": (
            "Answer in detail.",
            "Give a detailed answer based on what the image shows.",
            "Explain your answer in a few sentences.",
            "",
        ),
    },
    "zh": {
        "judgement": (
            "请回答“是”或“否”。",
            "请只用“是”或“否”作答。",
            "这一说法是否正确？请回答是或否。",
        ),
        "multiple_choice": (
            "请直接回答正确选项的字母。",
            "请从上面的选项中选择，并只回答字母。",
            "请只给出正确答案的字母（A、B、C 或 D）。",
        ),
        "short_vqa": (
            "请用一个词或短语回答。",
            "请用简短的词语作答。",
            "答案请控制在一个词或一个短语。",
        ),
        "long_vqa": (
            "请详细回答。",
            "请根据图片内容给出详细的回答。",
            "请用几句话解释你的答案。",
            "",
        ),
    },
}


def suffix_for(instruction_id: str, kind: Kind, language: Language) -> str:
    """The suffix of this instruction: fixed per id, varied across ids."""
    pool = SUFFIXES[language][kind]
    pick = int.from_bytes(hashlib.sha256(instruction_id.encode()).digest()[:4], "big")
    return pool[pick % len(pool)]
