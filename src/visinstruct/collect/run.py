"""A project's collect step: every configured (or given) source through one pipeline.

Order matters only for which copy of an exact duplicate is kept: manifests first (so a folder
walk sees their files as already collected, with the manifest's labels), then the folder, URL
lists, shards and parquet files. The near-duplicate pass runs once, at the end, over everything
this run accepted, and the JSON report is written to ``reports/collect.json``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from visinstruct.collect.checks import CheckLimits
from visinstruct.collect.download import DownloadSettings
from visinstruct.collect.pipeline import Collector, CollectSettings
from visinstruct.collect.report import CollectReport, write_report
from visinstruct.collect.retrieval import (
    IndexKind,
    expansion_candidates,
    load_pool,
    load_seeds,
    search,
)
from visinstruct.collect.sources import (
    Candidate,
    Problem,
    folder_source,
    manifest_source,
    parquet_source,
    url_list_source,
    webdataset_source,
)
from visinstruct.config import CollectConfig
from visinstruct.errors import ConfigError
from visinstruct.store import Store

__all__ = ["REPORT_PATH", "ExpandRequest", "Sources", "collect_sources", "expand", "settings_of"]

REPORT_PATH = Path("reports") / "collect.json"


@dataclass
class Sources:
    """Sources for one run; empty lists mean "what the config names"."""

    folder: Path | None = None
    manifests: list[Path] = field(default_factory=list)
    urls: list[Path] = field(default_factory=list)
    webdataset: list[Path] = field(default_factory=list)
    parquet: list[Path] = field(default_factory=list)

    @classmethod
    def of(cls, c: CollectConfig) -> Sources:
        return cls(
            folder=c.path,
            manifests=[c.manifest] if c.manifest is not None else [],
            urls=[c.urls] if c.urls is not None else [],
            webdataset=list(c.webdataset),
            parquet=list(c.parquet),
        )

    def empty(self) -> bool:
        return not (self.folder or self.manifests or self.urls or self.webdataset or self.parquet)


def settings_of(c: CollectConfig, root: Path, cpu_workers: int = 0) -> CollectSettings:
    """Pipeline settings from the ``collect:`` config of the project in ``root``;
    ``cpu_workers`` is ``executor.cpu_workers`` (0: every core)."""
    cache = c.cache_dir if c.cache_dir.is_absolute() else root / c.cache_dir
    return CollectSettings(
        default_domain=c.default_domain,
        limits=CheckLimits(c.max_pixels, c.min_side, c.max_aspect_ratio, tuple(c.formats)),
        rules=tuple((r.match, r.domain) for r in c.domain_rules),
        near_duplicate_distance=c.near_duplicate_distance,
        cache_dir=cache,
        cpu_workers=cpu_workers,
        download=DownloadSettings(
            timeout_s=c.download_timeout_s, max_bytes=c.max_download_bytes,
            max_redirects=c.max_redirects, concurrency=c.download_concurrency,
            per_host=c.per_host_concurrency, allow_private_addresses=c.allow_private_addresses,
        ),
    )  # fmt: skip


def _streams(sources: Sources, c: CollectConfig) -> Iterator[Iterable[Candidate | Problem]]:
    for manifest in sources.manifests:
        yield manifest_source(manifest)
    if sources.folder is not None:
        yield folder_source(sources.folder)
    for url_list in sources.urls:
        yield url_list_source(url_list)
    for shard in sources.webdataset:
        yield webdataset_source(shard)
    for table in sources.parquet:
        yield parquet_source(table, c.parquet_image_column)


def collect_sources(
    store: Store,
    c: CollectConfig,
    root: Path,
    sources: Sources | None = None,
    on_item: Callable[[], None] | None = None,
    cpu_workers: int = 0,
) -> CollectReport:
    """Collect ``sources`` (default: the configured ones) into ``store``, decoding on
    ``cpu_workers`` processes (0: every core)."""
    sources = sources if sources is not None and not sources.empty() else Sources.of(c)
    if sources.empty():
        raise ConfigError(
            "no images are configured; set collect.path (a folder), collect.manifest (JSONL or "
            "CSV), collect.urls, collect.webdataset or collect.parquet, or pass IMAGES_DIR",
            field="collect.path",
        )
    collector = Collector(store, settings_of(c, root, cpu_workers), on_item)
    for stream in _streams(sources, c):
        collector.add(stream)
    report = collector.finish()
    report.report_path = write_report(store, report, root / REPORT_PATH)
    return report


@dataclass(frozen=True)
class ExpandRequest:
    """Retrieval expansion: ``k`` nearest pool images per seed at similarity ≥ ``threshold``."""

    seeds: Path
    pool: Path
    pool_refs: Path | None = None
    seed_embeddings: Path | None = None
    k: int = 20
    threshold: float = 0.8
    index: IndexKind = "auto"
    embedding_column: str = "embedding"


def expand(
    store: Store, c: CollectConfig, root: Path, request: ExpandRequest, cpu_workers: int = 0
) -> CollectReport:
    """Add each seed's nearest pool images to the seed's domain, checked and deduplicated
    like any other source, with the seed and the similarity in their prior."""
    pool = load_pool(request.pool, request.pool_refs, request.embedding_column)
    seeds = load_seeds(request.seeds, pool, request.seed_embeddings)
    hits = search(pool, seeds, request.k, request.threshold, request.index)
    collector = Collector(store, settings_of(c, root, cpu_workers))
    collector.add(expansion_candidates(hits, pool.base))
    report = collector.finish()
    report.report_path = write_report(store, report, root / REPORT_PATH)
    return report
