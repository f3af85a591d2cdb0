"""Near-duplicates: planted copies (resized, re-encoded, lightly cropped) are found with recall
≥ 0.95 and distinct pictures are never merged; the band index finds what brute force finds."""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from collect.corpus import picture
from collect.dedupkit import reference_pass
from visinstruct.collect.dedup import BandIndex, bands_for
from visinstruct.collect.phash import hamming
from visinstruct.config import ProjectConfig
from visinstruct.project import Project

_PHOTOS = ("astronaut", "coffee", "chelsea", "camera", "rocket", "coins", "moon", "page",
           "text", "horse", "hubble_deep_field", "immunohistochemistry", "brick", "grass",
           "gravel", "colorwheel", "clock", "retina", "cell", "logo", "microaneurysms")  # fmt: skip


def _photos() -> list[Image.Image]:
    """Real photographs scikit-image ships in its wheel (no download)."""
    data = pytest.importorskip("skimage.data")
    out = []
    for name in _PHOTOS:
        array = np.asarray(getattr(data, name)())
        if array.dtype != np.uint8:
            array = array.astype(float)
            array = 255 * (array - array.min()) / max(array.max() - array.min(), 1e-9)
            array = array.astype(np.uint8)
        out.append(Image.fromarray(array).convert("RGB"))
    return out


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue()))


def _crop(image: Image.Image, left: float, top: float, right: float, bottom: float) -> Image.Image:
    w, h = image.size
    return image.crop((int(left * w), int(top * h), w - int(right * w), h - int(bottom * h)))


VARIANTS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "half": lambda im: im.resize((im.width // 2, im.height // 2), Image.Resampling.LANCZOS),
    "three_quarter": lambda im: im.resize((im.width * 3 // 4, im.height * 3 // 4)),
    "jpeg60": lambda im: _jpeg(im, 60),
    "crop_corner3": lambda im: _crop(im, 0.03, 0.03, 0, 0),
    "crop_sides2": lambda im: _crop(im, 0.02, 0.02, 0.02, 0.02),
}


def test_planted_near_duplicates_are_found_and_distinct_pictures_kept(tmp_path: Path) -> None:
    originals = _photos() + [picture(seed, (320, 240)) for seed in range(120)]
    folder = tmp_path / "images"
    folder.mkdir()
    for n, image in enumerate(originals):
        image.save(folder / f"g{n:03d}_a_original.png")
        for name, make in VARIANTS.items():
            make(image).convert("RGB").save(folder / f"g{n:03d}_b_{name}.jpg", quality=90)
    config = ProjectConfig.model_validate(
        {"collect": {"path": str(folder), "near_duplicate_distance": 8}}
    )
    with Project(tmp_path / "project", config) as project:
        report = project.collect()
        kept = {Path(i.path).name for i in project.store.images()}
        pointers = project.store.near_duplicates()
    groups_kept = {name[:4] for name in kept}
    assert all(f"g{n:03d}_a_original.png" in kept for n in range(len(originals)))
    assert len(groups_kept) == len(originals)  # no original was merged into another
    false_merges = [p for p in pointers if Path(p[0]).name[:4] != Path(p[2]).name[:4]]
    assert false_merges == []
    planted = len(originals) * len(VARIANTS)
    missed = [name for name in kept if "_b_" in name]  # a copy that was kept was not found
    recall = (planted - len(missed)) / planted
    assert recall >= 0.95, f"recall {recall:.3f}, missed {sorted(missed)}"
    assert report.near_duplicates == len(pointers) == planted - len(missed)
    report_file = tmp_path / "project" / "reports" / "collect.json"
    assert report_file.is_file() and '"clusters"' in report_file.read_text(encoding="utf-8")


def test_keep_rule_largest_then_earliest_and_earlier_runs_stay(tmp_path: Path) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    big = picture(3, (400, 300))
    big.resize((200, 150)).save(folder / "a_small.png")
    big.save(folder / "b_big.png")
    config = ProjectConfig.model_validate(
        {"collect": {"path": str(folder), "near_duplicate_distance": 8}}
    )
    with Project(tmp_path / "project", config) as project:
        project.collect()
        assert [Path(i.path).name for i in project.store.images()] == ["b_big.png"]
        (reason,) = [r.reason for r in project.store.rejections()]
        assert reason.startswith("near duplicate: of ") and "b_big.png (distance" in reason
        big.resize((800, 600)).save(folder / "c_bigger.png")  # a later, larger copy
        again = project.collect()
        assert [Path(i.path).name for i in project.store.images()] == ["b_big.png"]
        assert again.near_duplicates == 1


def test_near_duplicates_are_dropped_by_default_and_kept_when_off(tmp_path: Path) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    picture(3).save(folder / "a.png")
    picture(3).resize((120, 90)).save(folder / "b.png")
    off = {"collect": {"path": str(folder), "near_duplicate_distance": 0}}
    with Project(tmp_path / "off", ProjectConfig.model_validate(off)) as project:
        assert project.collect().accepted == 2
    default = {"collect": {"path": str(folder)}}  # near duplicates are dropped by default
    with Project(tmp_path / "default", ProjectConfig.model_validate(default)) as project:
        assert project.collect().accepted == 1


def test_bands_grow_with_collection_size() -> None:
    assert bands_for(100, 8) == 8
    assert bands_for(10_000, 8) == 4
    assert bands_for(1_000_000, 8) == 3
    assert bands_for(1_000_000, 1) == 2


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    distance=st.integers(0, 12),
    n=st.integers(1, 300),
)
def test_band_index_finds_what_brute_force_finds(seed: int, distance: int, n: int) -> None:
    rng = random.Random(seed)
    base = [rng.getrandbits(64) for _ in range(max(1, n // 10))]
    hashes = []
    for _ in range(n):  # clusters of nearby hashes, so matches exist at every distance
        value = rng.choice(base)
        for bit in rng.sample(range(64), rng.randint(0, 14)):
            value ^= 1 << bit
        hashes.append(value)
    index: BandIndex[int] = BandIndex(distance, n)
    for slot, value in enumerate(hashes[: n // 2]):
        index.add(value, slot)
    for query in hashes[n // 2 :]:
        found = index.nearest(query)
        brute = min(((hamming(query, v), s) for s, v in enumerate(hashes[: n // 2])), default=None)
        if brute is None or brute[0] > distance:
            assert found is None
        else:
            assert found is not None and found.distance == brute[0]


def _planted_hashes(n: int, seed: int) -> list[str]:
    """Stored-form hashes: random pictures, a third of them with near copies (a few bits and
    a few colour units away), some far copies, and a few without a mean colour."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < n:
        base = rng.getrandbits(63)
        colour = [rng.randrange(256) for _ in range(3)]
        for copy in range(1 + (rng.random() < 0.33) * rng.randrange(1, 5)):
            value = base
            flips = rng.choice((0, 1, 2, 4, 6, 8, 9, 12)) if copy else 0
            for bit in rng.sample(range(63), flips):
                value ^= 1 << bit
            spread = 30 if copy and flips else 0
            shade = [min(255, max(0, c + rng.randrange(-spread, spread + 1))) for c in colour]
            tail = "" if rng.random() < 0.02 else "".join(f"{c:02x}" for c in shade)
            out.append(f"{value:016x}{tail}")
    return out[:n]


@pytest.mark.parametrize(("n", "distance"), [(20_000, 8), (3_000, 4), (500, 12), (400, 0)])
def test_vectorised_pass_gives_the_same_clusters_as_the_band_index(n: int, distance: int) -> None:
    from visinstruct.collect.dedup import leader_pass, pack_hashes

    phashes = _planted_hashes(n, seed=n + distance)
    kept = n // 10  # images of an earlier run
    order = sorted(range(kept, n), key=lambda i: (-(i * 7919 % 13), i))  # a keep-rule order
    expected_stayed, expected_joined = reference_pass(phashes, kept, order, distance)
    joined: dict[int, tuple[int, int]] = {}

    def demote(image: int, leader: int, gap: int) -> bool:
        joined[image] = (leader, gap)
        return True

    hashes, colours = pack_hashes(phashes)
    stayed = leader_pass(hashes, colours, distance, kept, order, demote)
    assert stayed == expected_stayed
    assert joined == expected_joined
    assert len(joined) > (n // 50 if distance else 2)  # the set really has clusters to find


def test_an_image_that_cannot_be_demoted_stays_a_leader() -> None:
    from visinstruct.collect.dedup import leader_pass, pack_hashes

    hashes, colours = pack_hashes(["0" * 16, "0" * 15 + "1", "0" * 15 + "3"])
    calls: list[tuple[int, int, int]] = []

    def refuse_first(image: int, leader: int, gap: int) -> bool:
        calls.append((image, leader, gap))
        return len(calls) > 1

    assert leader_pass(hashes, colours, 8, 0, [0, 1, 2], refuse_first) == [0, 1]
    assert calls == [(1, 0, 1), (2, 1, 1)]  # 2 joins its nearest leader: 1, which stayed


def test_packed_hashes_read_as_the_stored_form_says() -> None:
    from visinstruct.collect.dedup import pack_hashes
    from visinstruct.collect.phash import colour_of, hash_int

    stored = [*_planted_hashes(200, seed=3), "", "abc", "zz" * 11, "0123456789ABCDEF", "é" * 22,
              "ffffffffffffffff12345", "7fffffffffffffffa0b0c0ff"]  # fmt: skip
    hashes, colours = pack_hashes(stored)
    assert [int(h) for h in hashes] == [hash_int(p) for p in stored]
    expected = [colour_of(p) or (-1, -1, -1) for p in stored]
    assert [tuple(int(x) for x in c) for c in colours] == expected
