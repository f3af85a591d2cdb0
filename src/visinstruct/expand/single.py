"""Single-turn training conversations from instructions.

The answer-format suffix tells the trained model what shape of answer is wanted; without it a
model trained on mixed kinds cannot tell "Yes" from a paragraph.
"""

from __future__ import annotations

from collections.abc import Mapping

from visinstruct.records import Conversation, ImageRecord, Instruction, Kind, Language, Turn

__all__ = ["IMAGE_TOKEN", "human_prompt", "single_turn"]

IMAGE_TOKEN = "<image>"
LETTERS = "ABCD"

_SUFFIX: Mapping[Language, Mapping[Kind, str]] = {
    "en": {
        "judgement": "Reply with Yes or No.",
        "multiple_choice": "Reply with the letter of the correct option.",
        "short_vqa": "Reply with a single word or a short phrase.",
        "long_vqa": "",
    },
    "zh": {
        "judgement": "请回答“是”或“否”。",
        "multiple_choice": "请直接回答正确选项的字母。",
        "short_vqa": "请用一个词或短语回答。",
        "long_vqa": "",
    },
}


def human_prompt(instruction: Instruction) -> str:
    """The question as the trained model sees it: options and answer-format hint included."""
    parts = [instruction.question]
    if instruction.kind == "multiple_choice":
        labelled = zip(LETTERS, instruction.choices, strict=False)
        parts.extend(f"{letter}. {text}" for letter, text in labelled)
    suffix = _SUFFIX[instruction.language][instruction.kind]
    if suffix:
        parts.append(suffix)
    return "\n".join(parts)


def single_turn(instruction: Instruction, image: ImageRecord, image_path: str) -> Conversation:
    """One human turn (with the image token) and one answer."""
    return Conversation(
        id=instruction.id,
        image_id=image.id,
        image_path=image_path,
        instruction_ids=[instruction.id],
        turns=[
            Turn(role="human", text=f"{IMAGE_TOKEN}\n{human_prompt(instruction)}"),
            Turn(role="gpt", text=instruction.answer),
        ],
    )
