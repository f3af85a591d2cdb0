"""Training conversations from instructions: single-turn, or several rounds about one image.

The image token appears once, in the first human turn, whatever the number of rounds: trainers
that count image tokens against images (LLaMA-Factory, InternVL) reject anything else.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from visinstruct.expand.suffixes import suffix_for
from visinstruct.records import Conversation, ImageRecord, Instruction, Turn, content_id

__all__ = ["IMAGE_TOKEN", "LETTERS", "conversations_for_image", "human_prompt", "single_turn"]

IMAGE_TOKEN = "<image>"
LETTERS = "ABCD"


def human_prompt(instruction: Instruction) -> str:
    """The question as the trained model sees it: options and answer-format hint included."""
    parts = [instruction.question]
    if instruction.kind == "multiple_choice":
        labelled = zip(LETTERS, instruction.choices, strict=False)
        parts.extend(f"{letter}. {text}" for letter, text in labelled)
    suffix = suffix_for(instruction.id, instruction.kind, instruction.language)
    if suffix:
        parts.append(suffix)
    return "\n".join(parts)


def _conversation(
    instructions: Sequence[Instruction], image: ImageRecord, image_path: str
) -> Conversation:
    turns: list[Turn] = []
    for i, instruction in enumerate(instructions):
        prompt = human_prompt(instruction)
        turns.append(Turn(role="human", text=f"{IMAGE_TOKEN}\n{prompt}" if i == 0 else prompt))
        turns.append(Turn(role="gpt", text=instruction.answer))
    ids = [i.id for i in instructions]
    return Conversation(
        id=ids[0] if len(ids) == 1 else content_id("conversation", ids),
        image_id=image.id,
        image_path=image_path,
        instruction_ids=ids,
        turns=turns,
    )


def single_turn(instruction: Instruction, image: ImageRecord, image_path: str) -> Conversation:
    """One human turn (with the image token) and one answer."""
    return _conversation([instruction], image, image_path)


def conversations_for_image(
    instructions: Iterable[Instruction],
    image: ImageRecord,
    image_path: str,
    turns: int = 1,
) -> Iterator[Conversation]:
    """Group one image's instructions into conversations of up to ``turns`` rounds.

    Rounds never mix languages: a conversation that switches language mid-way teaches the
    model nothing useful. Order is the store's (stable), so the grouping is reproducible.
    """
    by_language: dict[str, list[Instruction]] = {}
    for instruction in instructions:
        by_language.setdefault(instruction.language, []).append(instruction)
    size = max(1, turns)
    for group in by_language.values():
        for start in range(0, len(group), size):
            yield _conversation(group[start : start + size], image, image_path)
