"""Rate limiting before sending: exact waits on a fake clock."""

from __future__ import annotations

import asyncio

import pytest

from visinstruct.models.ratelimit import (
    RateLimiter,
    estimate_request_tokens,
    estimate_text_tokens,
)


class FakeTime:
    """A clock that only moves when someone sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _limiter(t: FakeTime, rpm: float | None = None, tpm: float | None = None) -> RateLimiter:
    return RateLimiter(rpm, tpm, clock=t.clock, sleep=t.sleep)


def test_unlimited_never_sleeps() -> None:
    t = FakeTime()
    limiter = _limiter(t)

    async def run() -> None:
        for _ in range(100):
            await limiter.acquire(10**9)

    asyncio.run(run())
    assert t.sleeps == []


def test_rpm_paces_sequential_requests_evenly() -> None:
    t = FakeTime()
    limiter = _limiter(t, rpm=60)

    async def run() -> list[float]:
        return [await limiter.acquire() for _ in range(4)]

    assert asyncio.run(run()) == [0.0, 1.0, 1.0, 1.0]


def test_rpm_spreads_a_burst_instead_of_sending_it_at_once() -> None:
    t = FakeTime()
    limiter = _limiter(t, rpm=120)  # one start every 0.5 s
    waits = [limiter.reserve(0) for _ in range(5)]
    assert waits == [0.0, 0.5, 1.0, 1.5, 2.0]


def test_rpm_idle_time_is_not_banked_into_a_burst() -> None:
    t = FakeTime()
    limiter = _limiter(t, rpm=60)
    assert limiter.reserve(0) == 0.0
    t.now += 10  # idle for ten intervals
    assert [limiter.reserve(0) for _ in range(3)] == [0.0, 1.0, 2.0]


def test_tpm_bucket_starts_full_then_waits_for_refill() -> None:
    t = FakeTime()
    limiter = _limiter(t, tpm=600)  # refills 10 tokens per second

    async def run() -> list[float]:
        return [await limiter.acquire(500), await limiter.acquire(200), await limiter.acquire(50)]

    # 500 fits; 200 leaves a debt of 100 → 10 s; then 50 more → 5 s.
    assert asyncio.run(run()) == [0.0, 10.0, 5.0]


def test_tpm_refills_with_elapsed_time_up_to_capacity() -> None:
    t = FakeTime()
    limiter = _limiter(t, tpm=600)
    assert limiter.reserve(600) == 0.0
    t.now += 30  # 300 tokens back
    assert limiter.reserve(300) == 0.0
    assert limiter.reserve(100) == pytest.approx(10.0)
    t.now += 1000  # far more than a minute: the bucket is full, not fuller
    assert limiter.reserve(600) == 0.0
    assert limiter.reserve(60) == pytest.approx(6.0)


def test_request_larger_than_bucket_is_charged_the_bucket() -> None:
    t = FakeTime()
    limiter = _limiter(t, tpm=600)
    assert limiter.reserve(10_000) == 0.0
    assert limiter.reserve(600) == pytest.approx(60.0)


def test_both_limits_take_the_later_start() -> None:
    t = FakeTime()
    limiter = _limiter(t, rpm=60, tpm=600)
    assert limiter.reserve(600) == 0.0
    assert limiter.reserve(5) == pytest.approx(1.0)  # RPM binds (TPM alone: 0.5 s)
    assert limiter.reserve(100) == pytest.approx(10.5)  # TPM binds: debt 105 (RPM alone: 2 s)


def test_text_token_estimate() -> None:
    assert estimate_text_tokens("") == 0
    assert estimate_text_tokens("abcd" * 10) == 10
    assert estimate_text_tokens("abcde") == 2
    assert estimate_text_tokens("图片中有一只猫") == 7
    assert estimate_text_tokens("猫 cat") == 1 + 1  # one CJK char + ceil(4/4)


def test_request_estimate_adds_images_completion_and_message_overhead() -> None:
    assert (
        estimate_request_tokens(["abcd" * 25, "图片"], 765, 256) == (25 + 4) + (2 + 4) + 765 + 256
    )
