"""Near-duplicate questions: within one image, and the same text across images.

Within an image, questions of one kind and language are compared pairwise on the tokens that
carry their meaning (:func:`~visinstruct.verify.text.question_tokens`); an image holds tens of
instructions, so this is cheap at any dataset size. Yes/No and multiple-choice pairs count as
duplicates only when their answers agree too: "Is the cup left of the plate?" (Yes) and "Is
the plate left of the cup?" (No) share every word but ask different things. A short answer
pair counts only when the answers do not conflict. One question asked twice with conflicting
answers is a ``contradiction`` instead (:func:`contradictions`), which flags both.

What the duplicate check sees: rewordings that keep the content words (articles, fillers,
auxiliaries, inflection, "image" synonyms, 的/吗/图中 in Chinese). What it cannot see:
paraphrases in other content words ("perched" / "sitting", 停着 / 站着) below
``duplicate_similarity``.

Across images a question alone says little ("Describe the image." is fine on every image), so
the unit compared is question + answer, and only pairs long enough to be distinctive
(``verify.across_min_words``). Each such pair gets a bottom-k MinHash sketch (the k smallest
32-bit hashes of its word 3-gram shingles: an unbiased Jaccard estimate, exact for short
texts); candidates meet in buckets keyed by their few smallest hashes (two texts with Jaccard
J share their minimum with probability J), and each item is compared with at most
``_MAX_REPRESENTATIVES`` cluster representatives per bucket, so a bucket of a hundred thousand
boilerplate answers costs linear time, not quadratic. One item of each cluster is kept: within an
image the one no local check flagged, tidily written, in the fewest characters; across images
the one no check flagged, then the smallest id. The others point at it.
"""

from __future__ import annotations

import itertools
import zlib
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from visinstruct.records import CheckResult, Instruction
from visinstruct.verify.local import answer_text
from visinstruct.verify.text import (
    counts_in,
    names_in,
    option_tokens,
    question_sequence,
    question_tokens,
    tokens,
    yes_no_of,
    zh_names_in,
)

__all__ = [
    "AcrossImages",
    "Sketch",
    "answers_conflict",
    "contradictions",
    "jaccard",
    "sketch",
    "within_image",
]

_BLOCKING_HASHES = 3
_MAX_REPRESENTATIVES = 16
_SHINGLE = 3


def jaccard(a: set[str], b: set[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 1.0


def answers_conflict(a: Instruction, b: Instruction) -> bool:
    """Whether two answers of one kind cannot both be right for one question: judgement and
    multiple-choice answers (by the option's text) that differ; short answers that state
    different numbers, opposite Yes/No, different names, or share no word. Long answers never
    conflict here: two descriptions may differ and both be right."""
    if a.kind in ("judgement", "multiple_choice"):
        return set(tokens(answer_text(a))) != set(tokens(answer_text(b)))
    if a.kind != "short_vqa":
        return False
    numbers = counts_in(a.answer), counts_in(b.answer)
    if all(numbers) and numbers[0] != numbers[1]:
        return True
    said = yes_no_of(a.answer), yes_no_of(b.answer)
    if all(said) and said[0] != said[1]:
        return True
    names = _names(a.answer), _names(b.answer)
    if all(names) and not names[0] & names[1]:
        return True
    words = set(option_tokens(a.answer)), set(option_tokens(b.answer))
    return all(words) and not words[0] & words[1] and not all(numbers)


def _names(text: str) -> set[str]:
    return names_in(text) | zh_names_in(text)


def _same_answer(a: Instruction, b: Instruction) -> bool:
    return a.kind == "long_vqa" or not answers_conflict(a, b)


def _untidy(question: str) -> bool:
    """A lower-case start or a space before the final mark: the sloppier of two copies."""
    text = question.strip()
    return bool(text) and (text[0].islower() or text[-2:-1].isspace())


def _keeper_rank(ins: Instruction, flagged: set[str]) -> tuple[bool, bool, int, str]:
    """Which of near-duplicates to keep: one no local check flagged, tidily written, in the
    fewest words (the plainest wording), then the smallest id (so the choice is stable)."""
    return (ins.id in flagged, _untidy(ins.question), len(ins.question), ins.id)


def within_image(
    instructions: Sequence[Instruction], flagged: set[str], threshold: float
) -> dict[str, CheckResult]:
    """``duplicate`` verdicts for one image's instructions. ``flagged`` holds the ids a local
    check failed: they are kept only when nothing better is on offer."""
    ordered = sorted(instructions, key=lambda i: _keeper_rank(i, flagged))
    words = {i.id: question_tokens(i.question) for i in ordered}
    keeper_of: dict[str, tuple[str, float]] = {}
    closest: dict[str, float] = {i.id: 0.0 for i in ordered}
    for a, b in itertools.combinations(ordered, 2):
        if a.kind != b.kind or a.language != b.language or b.id in keeper_of:
            continue
        similarity = jaccard(words[a.id], words[b.id])
        closest[a.id] = max(closest[a.id], similarity)
        closest[b.id] = max(closest[b.id], similarity)
        if similarity >= threshold and a.id not in keeper_of and _same_answer(a, b):
            keeper_of[b.id] = (a.id, similarity)
    results = {}
    for ins in ordered:
        if ins.id in keeper_of:
            keeper, similarity = keeper_of[ins.id]
            reason = f"near-duplicate of {keeper} on the same image (similarity {similarity:.2f})"
            results[ins.id] = CheckResult(
                instruction_id=ins.id, name="duplicate", passed=False,
                score=round(1 - similarity, 4), reason=reason, details={"duplicate_of": keeper},
            )  # fmt: skip
        else:
            results[ins.id] = CheckResult(
                instruction_id=ins.id, name="duplicate", passed=True,
                score=round(1 - closest[ins.id], 4), reason="no near-duplicate on the image",
            )  # fmt: skip
    return results


def _same_question(a: list[str], b: list[str], threshold: float) -> float:
    """How surely two token sequences ask one question: their set overlap and their order
    must both reach ``threshold`` ("cup left of plate" and "plate left of cup" share every
    word, not the order). 0.0 when either falls short."""
    overlap = jaccard(set(a), set(b))
    order = SequenceMatcher(None, a, b, autojunk=False).ratio()
    return min(overlap, order) if min(overlap, order) >= threshold else 0.0


def contradictions(instructions: Sequence[Instruction], threshold: float) -> dict[str, CheckResult]:
    """``contradiction`` verdicts for one image's judgement, multiple-choice and short
    instructions: one question asked twice (same kind and language, the same words in the
    same order up to ``threshold``) with answers that conflict (:func:`answers_conflict`).
    Both are flagged, since nothing here tells which answer is right.

    Sees: a question repeated with a reworded surface (case, articles, auxiliaries,
    inflection, 的/吗/图中) and a different answer. Cannot see: paraphrases in other words
    ("perched" / "sitting"), the two directions of one relation ("cup left of plate" Yes and
    "plate left of cup" Yes), or conflicts between items of different kinds.
    """
    sequences = {i.id: question_sequence(i.question) for i in instructions}
    found: dict[str, tuple[Instruction, float]] = {}
    for a, b in itertools.combinations(instructions, 2):
        if a.kind != b.kind or a.language != b.language or a.kind == "long_vqa":
            continue
        similarity = _same_question(sequences[a.id], sequences[b.id], threshold)
        if similarity and answers_conflict(a, b):
            for one, other in ((a, b), (b, a)):
                if similarity > found.get(one.id, (other, 0.0))[1]:
                    found[one.id] = (other, similarity)
    results = {}
    for ins in instructions:
        if ins.kind == "long_vqa":
            continue
        if ins.id not in found:
            results[ins.id] = CheckResult(
                instruction_id=ins.id, name="contradiction", passed=True, score=1.0,
                reason="no other answer to the same question on the image",
            )  # fmt: skip
            continue
        other, similarity = found[ins.id]
        reason = (
            f"{other.id} asks the same question ({other.question[:60]!r}) and answers "
            f"{answer_text(other)[:40]!r}, where this answers {answer_text(ins)[:40]!r}"
        )
        results[ins.id] = CheckResult(
            instruction_id=ins.id, name="contradiction", passed=False,
            score=round(1 - similarity, 4), reason=reason, details={"contradicts": other.id},
        )  # fmt: skip
    return results


@dataclass(frozen=True)
class Sketch:
    """The k smallest shingle hashes of one text, ascending."""

    values: array[int]
    members: frozenset[int]

    def similarity(self, other: Sketch) -> float:
        """Bottom-k Jaccard estimate: of the k smallest hashes of the union, the share in both."""
        k = max(len(self.values), len(other.values))
        shared = self.members & other.members
        if not shared:
            return 0.0 if self.members or other.members else 1.0
        union_smallest = sorted(self.members | other.members)[:k]
        return sum(1 for v in union_smallest if v in shared) / len(union_smallest)


def sketch(text_tokens: Sequence[str], k: int) -> Sketch:
    shingles = {
        " ".join(text_tokens[i : i + _SHINGLE])
        for i in range(max(1, len(text_tokens) - _SHINGLE + 1))
    }
    hashes = sorted({zlib.crc32(s.encode("utf-8")) for s in shingles})[:k]
    return Sketch(array("I", hashes), frozenset(hashes))


@dataclass
class AcrossImages:
    """Collects sketches of distinctive question + answer pairs, then clusters them."""

    k: int
    min_words: int
    threshold: float
    _ids: list[str] = field(default_factory=list)
    _images: list[str] = field(default_factory=list)
    _rank: list[tuple[bool, str]] = field(default_factory=list)
    _sketches: list[Sketch] = field(default_factory=list)
    _buckets: dict[tuple[str, int], list[int]] = field(default_factory=dict)

    def eligible(self, ins: Instruction) -> bool:
        return len(self._tokens(ins)) >= self.min_words

    @staticmethod
    def _tokens(ins: Instruction) -> list[str]:
        return [*tokens(ins.question), "|", *tokens(answer_text(ins))]

    def add(self, ins: Instruction, flagged: bool) -> None:
        """Remember ``ins`` if it is long enough to be compared across images."""
        words = self._tokens(ins)
        if len(words) < self.min_words:
            return
        index = len(self._ids)
        s = sketch(words, self.k)
        self._ids.append(ins.id)
        self._images.append(ins.image_id)
        self._rank.append((flagged, ins.id))
        self._sketches.append(s)
        for value in s.values[:_BLOCKING_HASHES]:
            self._buckets.setdefault((f"{ins.kind}:{ins.language}", value), []).append(index)

    def __len__(self) -> int:
        return len(self._ids)

    def _root(self, parent: list[int], i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def _union(self, parent: list[int], a: int, b: int) -> None:
        ra, rb = self._root(parent, a), self._root(parent, b)
        if ra != rb:
            first, second = sorted((ra, rb), key=lambda r: self._rank[r])
            parent[second] = first

    def _cluster(self) -> tuple[list[int], dict[int, float]]:
        parent = list(range(len(self._ids)))
        best: dict[int, float] = {}
        for members in self._buckets.values():
            if len(members) < 2:
                continue
            representatives: list[int] = []
            for i in sorted(members, key=lambda m: self._rank[m]):
                for r in representatives:
                    if self._images[r] == self._images[i]:
                        continue  # within one image is the other check's business
                    similarity = self._sketches[i].similarity(self._sketches[r])
                    if similarity >= self.threshold:
                        self._union(parent, r, i)
                        best[i] = max(best.get(i, 0.0), similarity)
                        break
                else:
                    if len(representatives) < _MAX_REPRESENTATIVES:
                        representatives.append(i)
        return parent, best

    def results(self) -> Iterable[CheckResult]:
        """A ``duplicate_across`` verdict for every remembered item."""
        parent, best = self._cluster()
        for i, instruction_id in enumerate(self._ids):
            root = self._root(parent, i)
            if root == i:
                yield CheckResult(
                    instruction_id=instruction_id, name="duplicate_across", passed=True,
                    score=1.0, reason="no near-copy on another image",
                )  # fmt: skip
                continue
            similarity = best.get(i, self.threshold)
            keeper = self._ids[root]
            yield CheckResult(
                instruction_id=instruction_id, name="duplicate_across", passed=False,
                score=round(1 - similarity, 4),
                reason=f"near-copy of {keeper} on another image (similarity {similarity:.2f})",
                details={"duplicate_of": keeper},
            )  # fmt: skip
