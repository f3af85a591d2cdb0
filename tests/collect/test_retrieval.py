"""Retrieval expansion: each seed's nearest pool images above the threshold join its domain,
with the similarity in their prior; exact (numpy) and faiss agree."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from collect.corpus import picture
from visinstruct.collect.retrieval import load_pool, load_seeds, search
from visinstruct.collect.run import ExpandRequest
from visinstruct.config import ProjectConfig
from visinstruct.errors import InputError
from visinstruct.project import Project


def _pool(tmp_path: Path) -> tuple[Path, Path]:
    """Two seeds, each with three close neighbours, plus far-away images."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(2, 32))
    vectors, paths = [], []
    folder = tmp_path / "pool"
    folder.mkdir()
    for c in range(2):
        for j in range(4):  # j == 0 is the seed itself
            vectors.append(centres[c] + 0.05 * j * rng.normal(size=32))
            paths.append(f"c{c}_{j}.png")
    for j in range(10):
        vectors.append(rng.normal(size=32))
        paths.append(f"far_{j}.png")
    for n, name in enumerate(paths):
        picture(100 + n).save(folder / name)
    table = pa.table({"path": paths, "embedding": [list(map(float, v)) for v in vectors]})
    pq.write_table(table, folder / "pool.parquet")
    seeds = tmp_path / "seeds.jsonl"
    seeds.write_text(
        json.dumps({"ref": "c0_0.png", "domain": "landmark"}) + "\n"
        + json.dumps({"ref": "c1_0.png", "domain": "Brand Recognition"}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    return folder / "pool.parquet", seeds


@pytest.mark.parametrize("index", ["exact", "faiss"])
def test_search_finds_the_neighbours(tmp_path: Path, index: str) -> None:
    pool_file, seeds_file = _pool(tmp_path)
    pool = load_pool(pool_file)
    seeds = load_seeds(seeds_file, pool)
    hits = search(pool, seeds, k=3, threshold=0.9, index=index)  # type: ignore[arg-type]
    found = {(h.seed.domain, h.ref) for h in hits}
    assert found == {("landmark", f"c0_{j}.png") for j in (1, 2, 3)} | {
        ("brand_recognition", f"c1_{j}.png") for j in (1, 2, 3)
    }
    assert all(0.9 <= h.similarity <= 1.0 for h in hits)
    assert len(search(pool, seeds, k=1, threshold=0.9, index=index)) == 2  # type: ignore[arg-type]


def test_expand_adds_images_with_similarity(tmp_path: Path) -> None:
    pool_file, seeds_file = _pool(tmp_path)
    with Project(tmp_path / "project", ProjectConfig()) as project:
        report = project.expand_collection(
            ExpandRequest(seeds=seeds_file, pool=pool_file, k=2, threshold=0.9)
        )
        images = list(project.store.images())
    assert report.accepted == 4
    assert {i.domain for i in images} == {"landmark", "brand_recognition"}
    for image in images:
        assert image.source == "retrieval"
        assert image.prior["retrieval"]["seed"] in ("c0_0.png", "c1_0.png")
        assert image.prior["retrieval"]["similarity"] >= 0.9


def test_npy_pool_with_refs_and_given_seed_embeddings(tmp_path: Path) -> None:
    vectors = np.eye(4, dtype=np.float32)
    vectors[1] = [0.99, 0.1, 0, 0]
    np.save(tmp_path / "pool.npy", vectors)
    (tmp_path / "refs.txt").write_text("a.png\nb.png\nc.png\nd.png\n", encoding="utf-8")
    np.save(tmp_path / "seeds.npy", np.array([[1, 0, 0, 0]], dtype=np.float32))
    (tmp_path / "seeds.jsonl").write_text('{"ref": "outside.png", "domain": "ocr"}\n')
    pool = load_pool(tmp_path / "pool.npy", tmp_path / "refs.txt")
    seeds = load_seeds(tmp_path / "seeds.jsonl", pool, tmp_path / "seeds.npy")
    hits = search(pool, seeds, k=5, threshold=0.5, index="exact")
    assert [h.ref for h in hits] == ["a.png", "b.png"]
    with pytest.raises(InputError, match="not in the pool"):
        load_seeds(tmp_path / "seeds.jsonl", pool)
    with pytest.raises(InputError, match="needs its list"):
        load_pool(tmp_path / "pool.npy")
