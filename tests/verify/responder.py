"""A scripted verifier for the test server: answers the three verification prompts from the
planted ground truth, with log-probabilities when asked, and a little deterministic noise
(it doubts 1 in 20 correct answers and misses 1 in 10 wrong ones), as a real model would."""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections import Counter
from typing import Any

from verify.planted import Truth
from visinstruct.seeds._text import normalise
from visinstruct.verify.prompts import ANSWER_MARK, BLIND_MARK

from fakeserver import Reply
from responders import _parts


def _bucket(text: str, n: int) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) % n


def _field(prompt: str, name: str) -> str:
    match = re.search(rf"^{name}: (.*)$", prompt, re.MULTILINE)
    return match.group(1).strip() if match else ""


def _options(prompt: str) -> dict[str, str]:
    return dict(re.findall(r"^([A-D])\. (.*)$", prompt, re.MULTILINE))


def _same(a: str, b: str) -> bool:
    return normalise(a) == normalise(b)


class VerifierResponder:
    """Call it with a request body; ``seen`` counts the prompts by check."""

    def __init__(self, truth: dict[str, Truth], *, logprobs: bool = True) -> None:
        self.truth = truth
        self.logprobs = logprobs
        self.seen: Counter[str] = Counter()
        self.lock = threading.Lock()

    def _yes(self, p_yes: float) -> Reply:
        content = "Yes" if p_yes >= 0.5 else "No"
        alternatives = {"Yes": math.log(p_yes), "No": math.log(1 - p_yes), "The": math.log(0.001)}
        return Reply(content, logprobs=[alternatives] if self.logprobs else None)

    def _letter(self, chosen: str, letters: list[str]) -> Reply:
        alternatives = {L: math.log(0.85 if chosen == L else 0.05) for L in letters}
        return Reply(chosen, logprobs=[alternatives] if self.logprobs else None)

    def __call__(self, body: dict[str, Any]) -> Reply | str:
        prompt, _ = _parts(body)
        question = _field(prompt, "Question")
        truth = self.truth.get(question)
        if truth is None:
            return Reply(f"unknown question {question!r}", status=500)
        options = _options(prompt)
        if BLIND_MARK in prompt:
            with self.lock:
                self.seen["blind"] += 1
            if options:
                chosen = next(L for L, text in options.items() if _same(text, truth.answer))
                return self._letter(chosen, sorted(options))
            return self._yes(0.9 if truth.answer == "Yes" else 0.1)
        key = "answer" if ANSWER_MARK in prompt else "caption"
        with self.lock:
            self.seen[key] += 1
        proposed = _field(prompt, "Proposed answer" if key == "answer" else "Answer")
        if options:
            proposed = options.get(proposed[:1], proposed)
        right = _same(proposed, truth.answer)
        grounded = truth.in_image if key == "answer" else truth.in_caption
        if right and grounded:
            p = 0.4 if key == "answer" and _bucket(question, 20) == 0 else 0.93
        else:
            p = 0.62 if key == "answer" and _bucket(question, 10) == 3 else 0.08
        return self._yes(p)
