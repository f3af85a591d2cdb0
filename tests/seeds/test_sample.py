"""Seed sampling is reproducible, independent of call order and spread evenly."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from seeds.seedfiles import domain_data, write_domain
from visinstruct.errors import InputError
from visinstruct.records import Kind
from visinstruct.seeds import SeedBank, SeedSampler, load_bank

CALLS = 1000


@pytest.fixture
def bank(tmp_path: Path) -> SeedBank:
    data = domain_data("wide")
    data["seeds"]["judgement"]["en"] = [f"Is there a sign number {i} here?" for i in range(12)]  # type: ignore[index]
    data["seeds"]["judgement"]["zh"] = [f"这里有{i}号标志吗？" for i in range(12)]  # type: ignore[index]
    return load_bank(extra_paths=[write_domain(tmp_path, data)])


@pytest.mark.parametrize(("kind", "k"), [("judgement", 3), ("judgement", 1), ("long_vqa", 2)])
def test_every_seed_used_and_spread_within_factor_two(bank: SeedBank, kind: Kind, k: int) -> None:
    sampler = SeedSampler(bank, run_seed=7)
    uses: Counter[str] = Counter()
    for i in range(CALLS):
        picked = sampler.sample("wide", kind, "en", k, f"image-{i:05d}")
        assert len(picked) == len(set(picked)) == k
        uses.update(picked)
    cell = bank.questions("wide", kind, "en")
    assert set(uses) == set(cell)
    assert max(uses.values()) <= 2 * min(uses.values())


def test_same_inputs_same_seeds_whatever_the_call_order(bank: SeedBank) -> None:
    keys = [f"unit-{i}" for i in range(50)]
    forward = SeedSampler(bank, run_seed=3)
    first = {key: forward.sample("wide", "judgement", "zh", 3, key) for key in keys}
    backward = SeedSampler(bank, run_seed=3)
    second = {key: backward.sample("wide", "judgement", "zh", 3, key) for key in reversed(keys)}
    assert first == second
    assert forward.sample("wide", "judgement", "zh", 3, "unit-0") == first["unit-0"]


def test_run_seed_changes_the_choice(bank: SeedBank) -> None:
    keys = [f"unit-{i}" for i in range(20)]
    a = [SeedSampler(bank, run_seed=1).sample("wide", "judgement", "en", 3, k) for k in keys]
    b = [SeedSampler(bank, run_seed=2).sample("wide", "judgement", "en", 3, k) for k in keys]
    assert a != b


def test_small_cell_and_edge_values(bank: SeedBank) -> None:
    sampler = SeedSampler(bank)
    assert sorted(sampler.sample("wide", "short_vqa", "en", 10, "u")) == sorted(
        bank.questions("wide", "short_vqa", "en")
    )
    assert sampler.sample("wide", "short_vqa", "en", 0, "u") == []
    with pytest.raises(ValueError, match="k must be"):
        sampler.sample("wide", "short_vqa", "en", -1, "u")
    with pytest.raises(InputError, match="no seed questions for domain"):
        sampler.sample("unknown", "short_vqa", "en", 2, "u")


def test_combinations_vary_not_just_the_start(bank: SeedBank) -> None:
    sampler = SeedSampler(bank, run_seed=0)
    combos = {
        frozenset(sampler.sample("wide", "judgement", "en", 3, f"u{i}")) for i in range(CALLS)
    }
    assert len(combos) > 12  # more than the 12 windows a fixed stride would give


def test_shipped_bank_cells_spread_within_factor_two_at_the_default_k() -> None:
    """The issue's bar, on the real bank: 1,000 prompts per domain, every cell checked."""
    from visinstruct.config import SeedsConfig
    from visinstruct.records import KINDS, LANGUAGES

    shipped = load_bank()
    sampler = SeedSampler(shipped, run_seed=0)
    k = SeedsConfig().per_call
    worst = 1.0
    for domain in shipped.names():
        for kind in KINDS:
            for language in LANGUAGES:
                uses: Counter[str] = Counter()
                for i in range(CALLS):
                    uses.update(sampler.sample(domain, kind, language, k, f"{i}:{language}"))
                assert set(uses) == set(shipped.questions(domain, kind, language))
                worst = max(worst, max(uses.values()) / min(uses.values()))
    assert worst <= 2.0
