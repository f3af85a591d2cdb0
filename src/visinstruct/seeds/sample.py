"""Choosing which seed questions go into one generation prompt.

Two properties matter. *Reproducible*: a resumed run must build the same prompt for the same
unit, whatever order the executor happens to run units in, or resuming would change the data.
*Even*: every seed of a cell should be imitated about equally often, or the generated questions
drift towards whichever seeds a naive sampler favours.

Both come from one construction. ``run_seed`` fixes a shuffled cyclic order of each cell; the
unit key, hashed with ``run_seed`` and the cell, picks a start and a stride into that cycle, and
the prompt takes ``k`` seeds stepping by the stride. Each call uses each seed with probability
exactly ``k / n``, so counts over many units are binomial around ``N * k / n`` (for N = 1,000
calls, n = 10 seeds and k = 3 that is 300 ± 15), and nothing depends on call order.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from functools import lru_cache

from visinstruct.records import Kind, Language
from visinstruct.seeds.loader import SeedBank

__all__ = ["SeedSampler"]


def _digest(*parts: object) -> int:
    canonical = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return int.from_bytes(hashlib.sha256(canonical.encode("utf-8")).digest()[:8], "big")


@lru_cache(maxsize=256)
def _coprime_strides(n: int) -> tuple[int, ...]:
    """Strides that visit every position of an ``n``-cycle before repeating one."""
    return tuple(s for s in range(1, n) if math.gcd(s, n) == 1) or (1,)


class SeedSampler:
    """Deterministic, evenly spread sampling of seed questions for generation prompts."""

    def __init__(self, bank: SeedBank, run_seed: int = 0) -> None:
        self.bank = bank
        self.run_seed = run_seed
        self._orders: dict[tuple[str, Kind, Language], list[str]] = {}

    def _order(self, domain: str, kind: Kind, language: Language) -> list[str]:
        """The cell's seeds in the cyclic order ``run_seed`` fixes (computed once per cell)."""
        key = (domain, kind, language)
        if key not in self._orders:
            order = list(self.bank.questions(domain, kind, language))
            random.Random(_digest("order", self.run_seed, *key)).shuffle(order)
            self._orders[key] = order
        return self._orders[key]

    def sample(
        self, domain: str, kind: Kind, language: Language, k: int, unit_key: str
    ) -> list[str]:
        """``k`` distinct seeds of the cell for the unit ``unit_key`` (fewer if the cell is small).

        The same ``(run_seed, domain, kind, language, k, unit_key)`` always gives the same list.
        Raises :class:`~visinstruct.errors.InputError` for a domain the bank does not have.
        """
        if k < 0:
            raise ValueError(f"k must be 0 or more, got {k}")
        order = self._order(domain, kind, language)
        n = len(order)
        take = min(k, n)
        if take == 0:
            return []
        h = _digest("pick", self.run_seed, domain, kind, language, unit_key)
        strides = _coprime_strides(n)
        start, stride = h % n, strides[(h // n) % len(strides)]
        return [order[(start + j * stride) % n] for j in range(take)]
