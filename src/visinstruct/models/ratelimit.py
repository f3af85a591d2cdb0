"""Requests- and tokens-per-minute limits, counted before a request is sent.

Waiting before sending is cheaper than being told 429 after: a refused request still costs a
round trip and a backoff, and at scale a burst of refusals turns into a thundering herd of
retries. Requests are paced (evenly spaced starts, never a burst of a minute's quota at once);
tokens come out of a bucket that refills continuously at ``tokens_per_minute / 60`` per second.

Both limits work by reservation: :meth:`RateLimiter.acquire` books the earliest start that
satisfies both, synchronously, and only then sleeps. On one asyncio loop that makes the order
fair (first come, first served) and the waits exact, which is what lets tests use a fake clock.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import Awaitable, Callable, Iterable

__all__ = [
    "Clock",
    "RateLimiter",
    "Sleep",
    "estimate_request_tokens",
    "estimate_text_tokens",
]

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# Scripts that tokenizers spend about one token per character on: CJK ideographs, kana, hangul
# and full-width forms.
_DENSE = re.compile(
    "[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]"
)
_CHARS_PER_TOKEN = 4
# Chat formatting adds a few tokens per message (role markers, separators).
_TOKENS_PER_MESSAGE = 4


def estimate_text_tokens(text: str) -> int:
    """A tokenizer-free estimate: ~4 characters per token for Latin text, 1 per CJK char."""
    dense = len(_DENSE.findall(text))
    rest = len(text) - dense
    return dense + math.ceil(rest / _CHARS_PER_TOKEN)


def estimate_request_tokens(texts: Iterable[str], image_tokens: int, max_tokens: int) -> int:
    """What a request counts against a tokens-per-minute limit: prompt, images and the
    completion it may produce (providers count ``max_tokens`` up front too)."""
    prompt = sum(estimate_text_tokens(t) + _TOKENS_PER_MESSAGE for t in texts)
    return prompt + image_tokens + max_tokens


class RateLimiter:
    """Paces request starts and meters tokens; ``None`` for a limit means unlimited.

    One limiter belongs to one endpoint; share the instance between backends that call the
    same endpoint with the same key so they split its quota rather than each using all of it.
    """

    def __init__(
        self,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        headroom: float = 0.0,
    ):
        self.requests_per_minute = requests_per_minute
        self.tokens_per_minute = tokens_per_minute
        self._clock = clock
        self._sleep = sleep
        # Starts are spaced ``1 + headroom`` times the exact interval: a server counting a
        # sliding window sees one request too many whenever an earlier start ran a little late
        # and a later one did not, so an exact pace turns timer jitter into 429s.
        self._interval = (
            (1.0 + headroom) * 60.0 / requests_per_minute if requests_per_minute else 0.0
        )
        self._next_start = -math.inf
        self._capacity = float(tokens_per_minute) if tokens_per_minute else 0.0
        self._rate = self._capacity / 60.0
        self._level = self._capacity  # a fresh bucket is full
        self._refilled_at: float | None = None

    @property
    def unlimited(self) -> bool:
        return not self.requests_per_minute and not self.tokens_per_minute

    def _tokens_ready_at(self, now: float, tokens: int) -> float:
        """Take ``tokens`` from the bucket (it may go into debt); return when they are covered.

        A request larger than the whole bucket is charged the bucket's size: it could never
        be sent otherwise, and the server is the one to refuse it if it really is too big.
        """
        if self._refilled_at is not None:
            elapsed = max(0.0, now - self._refilled_at)
            self._level = min(self._capacity, self._level + elapsed * self._rate)
        self._refilled_at = now
        self._level -= min(float(tokens), self._capacity)
        return now if self._level >= 0 else now + (-self._level) / self._rate

    def reserve(self, tokens: int) -> float:
        """Book a start for a request of ``tokens``; return how long to wait for it."""
        if self.unlimited:
            return 0.0
        now = self._clock()
        start = now
        if self.tokens_per_minute:
            start = self._tokens_ready_at(now, tokens)
        if self.requests_per_minute:
            start = max(start, self._next_start)
            self._next_start = start + self._interval
        return max(0.0, start - now)

    async def acquire(self, tokens: int = 0) -> float:
        """Wait until a request of ``tokens`` may start; return the seconds waited."""
        wait = self.reserve(tokens)
        if wait > 0:
            await self._sleep(wait)
        return wait
