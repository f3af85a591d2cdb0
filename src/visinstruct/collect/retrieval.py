"""Retrieval expansion: the pool images most like each seed image join the seed's domain.

The pool is user-supplied, with embeddings already computed (as LAION-style indexes ship them):
a parquet file with an embedding column and a path/URL column, or a ``.npy`` matrix with a
text file of paths/URLs, one per row. Seeds are rows of a JSONL/CSV file naming an image of the
pool (``ref``) and its ``domain``; their embeddings come from the pool, or from a ``.npy`` given
with ``seed_embeddings`` (rows in the seed file's order). Similarity is cosine. The search is
exact (numpy, in blocks) or, with ``faiss`` installed (the ``retrieval`` extra), faiss's exact
inner-product index, or HNSW for pools over a million. Computing embeddings with a local CLIP
model is not done here; the engine never calls a public retrieval service.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from visinstruct.collect.sources import Candidate, Problem
from visinstruct.errors import InputError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["Hit", "Pool", "Seed", "expansion_candidates", "load_pool", "load_seeds", "search"]

IndexKind = Literal["auto", "exact", "faiss"]
_HINT = "retrieval expansion needs numpy: pip install 'visinstruct[retrieval]'"
_HNSW_ABOVE = 1_000_000


def _np() -> Any:
    try:
        import numpy
    except ImportError as exc:
        raise InputError(_HINT) from exc
    return numpy


@dataclass(frozen=True)
class Pool:
    vectors: npt.NDArray[np.float32]
    refs: list[str]
    base: Path


@dataclass(frozen=True)
class Seed:
    ref: str
    domain: str
    vector: npt.NDArray[np.float32]


@dataclass(frozen=True)
class Hit:
    seed: Seed
    ref: str
    similarity: float


def _normalised(matrix: Any) -> Any:
    np = _np()
    m = np.asarray(matrix, dtype=np.float32)
    if m.ndim != 2 or m.shape[0] == 0:
        raise InputError(f"embeddings must be a non-empty 2-D matrix, got shape {m.shape}")
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.maximum(norms, 1e-12)


def load_pool(path: Path, refs: Path | None = None, column: str = "embedding") -> Pool:
    """A pool from parquet (``column`` + a ``url``/``path``/``image_path`` column) or ``.npy``
    plus ``refs`` (one path or URL a line)."""
    np = _np()
    if path.suffix.lower() == ".npy":
        if refs is None:
            raise InputError(f"{path}: a .npy pool needs its list of paths/URLs (--pool-refs)")
        names = [ln.strip() for ln in refs.read_text(encoding="utf-8").splitlines() if ln.strip()]
        vectors = np.load(path, mmap_mode="r")
    else:
        try:
            import pyarrow.parquet as pq
        except ImportError as exc:
            hint = "parquet pools need pyarrow: pip install 'visinstruct[parquet]'"
            raise InputError(hint) from exc
        table = pq.read_table(path)  # type: ignore[no-untyped-call]
        ref_col = next((c for c in ("url", "path", "image_path") if c in table.column_names), None)
        if column not in table.column_names or ref_col is None:
            raise InputError(
                f"{path}: a pool needs an {column!r} column and a url/path column "
                f"(it has {', '.join(table.column_names)})"
            )
        names = [str(v) for v in table.column(ref_col).to_pylist()]
        vectors = np.asarray(table.column(column).to_pylist(), dtype=np.float32)
    if len(names) != len(vectors):
        raise InputError(f"{path}: {len(vectors)} embeddings but {len(names)} paths/URLs")
    return Pool(_normalised(vectors), names, path.parent)


def _seed_rows(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8", newline="") as handle:
        if path.suffix.lower() == ".csv":
            yield from csv.DictReader(handle)
            return
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"{path} line {number}: not JSON ({exc.msg})") from exc


def load_seeds(path: Path, pool: Pool, embeddings: Path | None = None) -> list[Seed]:
    """Seeds (``ref``, ``path`` or ``url``, and ``domain``), embedded from ``embeddings``
    (one row per seed) or else looked up in the pool."""
    from visinstruct.collect.folder import domain_name

    np = _np()
    rows = list(_seed_rows(path))
    given = _normalised(np.load(embeddings)) if embeddings is not None else None
    if given is not None and len(given) != len(rows):
        raise InputError(f"{embeddings}: {len(given)} embeddings but {len(rows)} seeds in {path}")
    where = {ref: i for i, ref in enumerate(pool.refs)}
    seeds = []
    for n, row in enumerate(rows):
        ref = str(row.get("ref") or row.get("path") or row.get("url") or "")
        if not ref or not row.get("domain"):
            raise InputError(f"{path}: seed {n + 1} needs a ref (path or URL) and a domain")
        if given is not None:
            vector = given[n]
        elif ref in where:
            vector = pool.vectors[where[ref]]
        else:
            raise InputError(f"{path}: seed {ref!r} is not in the pool; give --seed-embeddings")
        seeds.append(Seed(ref, domain_name(str(row["domain"])), vector))
    return seeds


def _top_exact(pool: Pool, queries: Any, k: int) -> tuple[Any, Any]:
    np = _np()
    scores = queries @ pool.vectors.T
    k = min(k, scores.shape[1])
    idx = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    top = np.take_along_axis(scores, idx, axis=1)
    order = np.argsort(-top, axis=1)
    return np.take_along_axis(top, order, axis=1), np.take_along_axis(idx, order, axis=1)


def _top_faiss(pool: Pool, queries: Any, k: int) -> tuple[Any, Any]:
    import faiss

    dim = pool.vectors.shape[1]
    index: Any
    if len(pool.refs) > _HNSW_ABOVE:
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
    else:
        index = faiss.IndexFlatIP(dim)
    index.add(pool.vectors)
    found: tuple[Any, Any] = index.search(queries, min(k, len(pool.refs)))
    return found


def search(
    pool: Pool, seeds: list[Seed], k: int, threshold: float, index: IndexKind = "auto"
) -> list[Hit]:
    """Each seed's ``k`` nearest pool images at cosine similarity ≥ ``threshold`` (the seed
    itself left out). A pool image several seeds find goes to the most similar seed."""
    np = _np()
    use_faiss = index == "faiss"
    if index == "auto":
        try:
            import faiss  # noqa: F401

            use_faiss = True
        except ImportError:
            use_faiss = False
    queries = np.stack([s.vector for s in seeds]).astype(np.float32)
    scores, ids = (_top_faiss if use_faiss else _top_exact)(pool, queries, k + 1)
    best: dict[str, Hit] = {}
    seed_refs = {s.ref for s in seeds}
    for s, seed in enumerate(seeds):
        taken = 0
        for score, i in zip(scores[s], ids[s], strict=True):
            ref = pool.refs[int(i)]
            if int(i) < 0 or ref in seed_refs or float(score) < threshold or taken >= k:
                continue
            taken += 1
            if ref not in best or best[ref].similarity < float(score):
                best[ref] = Hit(seed, ref, round(float(score), 4))
    return sorted(best.values(), key=lambda h: (h.seed.ref, -h.similarity, h.ref))


def expansion_candidates(hits: list[Hit], base: Path) -> Iterator[Candidate | Problem]:
    """Hits as candidates of their seed's domain, similarity and seed kept in the prior."""
    for hit in hits:
        prior = {"retrieval": {"seed": hit.seed.ref, "similarity": hit.similarity}}
        if hit.ref.lower().startswith(("http://", "https://")):
            yield Candidate(key=hit.ref, source="retrieval", domain=hit.seed.domain, prior=prior,
                            url=hit.ref, name=hit.ref.rsplit("/", 1)[-1])  # fmt: skip
            continue
        file = Path(hit.ref)
        file = (file if file.is_absolute() else base / file).resolve()
        if not file.is_file():
            yield Problem(str(file), f"missing file: pool image {hit.ref!r} does not exist")
            continue
        stat = file.stat()
        yield Candidate(
            key=str(file), source="retrieval", domain=hit.seed.domain, prior=prior, file=file,
            size=stat.st_size, mtime=stat.st_mtime, name=file.name,
        )  # fmt: skip
