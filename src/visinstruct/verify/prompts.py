"""What the verifier is asked, and how its one-word replies become scores.

Every question asks for a single word (Yes/No, or an option letter), so that the first token
of the reply is the verdict and its log-probability is a calibrated score: P(Yes) over
P(Yes) + P(No) among the top alternatives. Without log-probabilities the plain verdict scores
1.0 or 0.0. Prompts are in English whatever the instruction's language: verifier models follow
English instructions best, and they read Chinese questions fine.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence

from visinstruct.errors import UnitError
from visinstruct.generate.validate import LETTERS
from visinstruct.records import Instruction
from visinstruct.verify.local import answer_text
from visinstruct.verify.text import yes_no_of

__all__ = [
    "PROMPT_VERSIONS",
    "answer_prompt",
    "blind_prompt",
    "caption_prompt",
    "letter_scores",
    "yes_score",
]

PROMPT_VERSIONS = ("v1",)

SYSTEM = (
    "You check question-answer pairs written about images for a training dataset. "
    "Reply with exactly one word and nothing else."
)
ANSWER_MARK = "Is the proposed answer correct for this image?"
BLIND_MARK = "Answer the question about this image."
CAPTION_MARK = "Is the answer supported by the description and the text?"


def _options(ins: Instruction) -> str:
    return "\n".join(f"{LETTERS[i]}. {c}" for i, c in enumerate(ins.choices))


def _proposed(ins: Instruction) -> str:
    if ins.kind == "multiple_choice":
        return f"{ins.answer.strip()[:1].upper()}. {answer_text(ins)}"
    return ins.answer


def answer_prompt(ins: Instruction) -> str:
    """Image-grounded check: the VLM sees the image, question and proposed answer."""
    parts = [f"Question: {ins.question}"]
    if ins.kind == "multiple_choice":
        parts.append(f"Options:\n{_options(ins)}")
    parts += [f"Proposed answer: {_proposed(ins)}", f"{ANSWER_MARK} Reply Yes or No."]
    return "\n".join(parts)


def blind_prompt(ins: Instruction) -> str:
    """Blind check: the VLM answers the question itself, without the proposed answer."""
    if ins.kind == "multiple_choice":
        how = "Reply with the letter of the correct option only."
        return f"{BLIND_MARK}\nQuestion: {ins.question}\nOptions:\n{_options(ins)}\n{how}"
    return f"{BLIND_MARK}\nQuestion: {ins.question}\nReply Yes or No."


def caption_prompt(ins: Instruction, captions: Sequence[str], ocr: str) -> str:
    """Consistency check: a text model compares the answer with caption and OCR text."""
    parts = [f"Image description:\n{captions[0] if captions else '(none)'}"]
    if ocr.strip():
        parts.append(f"Text read in the image:\n{ocr.strip()}")
    parts.append(f"Question: {ins.question}")
    if ins.kind == "multiple_choice":
        parts.append(f"Options:\n{_options(ins)}")
    parts += [f"Answer: {_proposed(ins)}", f"{CAPTION_MARK} Reply Yes or No."]
    return "\n\n".join(parts)


def _token_word(token: str) -> str:
    return unicodedata.normalize("NFKC", token).strip(" \t\n*_`\"'.:,()[]").casefold()


def _verdict_tokens(
    top_logprobs: Sequence[Mapping[str, float]] | None, classify: dict[str, str]
) -> dict[str, float] | None:
    """Probability mass per class at the first reply token that names any class."""
    for alternatives in top_logprobs or ():
        mass: dict[str, float] = {}
        for token, logprob in alternatives.items():
            label = classify.get(_token_word(token))
            if label is not None:
                mass[label] = mass.get(label, 0.0) + math.exp(logprob)
        if mass:
            return mass
    return None


_YES_NO_TOKENS = {"yes": "yes", "no": "no", "是": "yes", "否": "no", "对": "yes", "错": "no",
                  "true": "yes", "false": "no", "correct": "yes", "incorrect": "no"}  # fmt: skip


def yes_score(
    text: str, top_logprobs: Sequence[Mapping[str, float]] | None, use_logprobs: bool
) -> tuple[str, float, bool]:
    """(verdict, P(yes), whether log-probabilities gave the score) for a Yes/No reply.

    Raises :class:`UnitError` when the reply is neither, so the unit is asked again."""
    verdict = yes_no_of(text)
    mass = _verdict_tokens(top_logprobs, _YES_NO_TOKENS) if use_logprobs else None
    if mass is not None:
        p_yes = mass.get("yes", 0.0) / sum(mass.values())
        return ("yes" if p_yes >= 0.5 else "no"), p_yes, True
    if verdict is None:
        raise UnitError(f"the verifier answered {text[:80]!r}, not Yes or No", raw=text)
    return verdict, 1.0 if verdict == "yes" else 0.0, False


_LETTER = re.compile(r"^\W*(?:option\s+|选项\s*)?([A-Da-d])(?:\W|$)", re.IGNORECASE)


def letter_scores(
    text: str,
    top_logprobs: Sequence[Mapping[str, float]] | None,
    n_options: int,
    use_logprobs: bool,
) -> tuple[str, dict[str, float], bool]:
    """(letter chosen, P per letter, whether log-probabilities gave them) for an MC reply."""
    letters = LETTERS[:n_options]
    classify = {L.casefold(): L for L in letters}
    mass = _verdict_tokens(top_logprobs, classify) if use_logprobs else None
    if mass is not None:
        total = sum(mass.values())
        probs = {L: mass.get(L, 0.0) / total for L in letters}
        return max(probs, key=lambda L: probs[L]), probs, True
    match = _LETTER.match(text.strip())
    if match is None or match.group(1).upper() not in letters:
        raise UnitError(f"the verifier answered {text[:80]!r}, not an option letter", raw=text)
    chosen = match.group(1).upper()
    return chosen, {L: float(chosen == L) for L in letters}, False
