"""The collect pipeline: candidates from any source → checks → exact and near-duplicate dedup →
the store, every rejection recorded with its reason.

Downloading runs on a small thread pool; decoding, checks and hashing run in a pool of
``cpu_workers`` processes (``executor.cpu_workers``, every core by default: the hash is Python
arithmetic that threads would serialise on the GIL), each reading its file itself so no image
crosses processes. The store is written from the calling thread only. Only a bounded window of
candidates is in flight, so memory stays flat however large the source. Accepted images wait in
``collect_pending`` for the near-duplicate pass, which :meth:`Collector.finish` runs; a run
stopped before it leaves them pending, and the next run finishes the pass.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from visinstruct.collect.checks import (
    CheckLimits,
    Inspected,
    inspect_bytes,
    inspect_file,
    reason_kind,
)
from visinstruct.collect.dedup import leader_pass, pack_hashes
from visinstruct.collect.domains import DomainRules, known_domains
from visinstruct.collect.download import Downloader, DownloadSettings, windowed
from visinstruct.collect.report import Cluster, CollectReport
from visinstruct.collect.sources import Candidate, Problem
from visinstruct.executors.cpu import CpuPool
from visinstruct.records import ImageRecord, Rejection
from visinstruct.store import Store

__all__ = ["CollectSettings", "Collector"]

POOL_AFTER_S = 0.25  # seconds of decoding here before worker processes pay off (bench/cpu.py)
_RETRIED_KINDS = {"download failed"}  # a rerun tries these again; other rejections stand
_SUFFIX = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "BMP": "bmp",
           "TIFF": "tif", "MPO": "jpg"}  # fmt: skip


@dataclass(frozen=True)
class CollectSettings:
    default_domain: str = "image_description"
    limits: CheckLimits = field(default_factory=CheckLimits)
    rules: tuple[tuple[str, str], ...] = ()
    near_duplicate_distance: int = 8
    cache_dir: Path | None = None
    download: DownloadSettings = field(default_factory=DownloadSettings)
    workers: int = 4
    cpu_workers: int = 1
    """Processes decoding and hashing (0: every core; 1: in this process, one at a time)."""


@dataclass
class _Outcome:
    candidate: Candidate
    result: Inspected | Rejection | None  # None: fetched, not yet inspected
    path: str = ""  # where the image is: the candidate's key, or the downloaded file


def _settled(outcome: _Outcome, job: Future[Inspected | Rejection] | None) -> _Outcome:
    return outcome if job is None else _Outcome(outcome.candidate, job.result(), outcome.path)


class Collector:
    """Feed it sources with :meth:`add`, then call :meth:`finish` for the dedup pass."""

    def __init__(
        self, store: Store, settings: CollectSettings, on_item: Callable[[], None] | None = None
    ):
        self.store = store
        self.settings = settings
        self.report = CollectReport()
        self._rules = DomainRules(settings.rules)
        self._on_item = on_item
        self._downloader: Downloader | None = None
        self._unknown: set[str] = set()

    # -- admission ------------------------------------------------------------------------

    def add(self, items: Iterable[Candidate | Problem]) -> None:
        """Check and admit every candidate of a source; problems are recorded as rejected."""
        if self.settings.cache_dir is not None:
            self._downloader = Downloader(
                self.settings.cache_dir / "downloads", self.settings.download
            )
        threads = max(self.settings.workers, self.settings.download.concurrency)
        try:
            with CpuPool(self.settings.cpu_workers, start_after_s=POOL_AFTER_S) as cpu:
                fetched = windowed(self._fresh(items), self._fetch, threads)
                for outcome in self._inspected(cpu, fetched):
                    self._admit(outcome)
                    if self._on_item is not None:
                        self._on_item()
        finally:
            if self._downloader is not None:
                self._downloader.close()
                self._downloader = None

    def _inspected(self, cpu: CpuPool, fetched: Iterable[_Outcome]) -> Iterator[_Outcome]:
        """Decode and check what was fetched on the CPU workers, a window at a time, in order.
        Submitted from this thread: with one worker the work runs right here, so memory is
        one image's, not one per download thread."""
        window: deque[tuple[_Outcome, Future[Inspected | Rejection] | None]] = deque()
        limit = 4 * cpu.workers
        for outcome in fetched:
            window.append((outcome, self._submit(cpu, outcome)))
            if len(window) >= limit:
                yield _settled(*window.popleft())
        while window:
            yield _settled(*window.popleft())

    def _submit(self, cpu: CpuPool, outcome: _Outcome) -> Future[Inspected | Rejection] | None:
        if isinstance(outcome.result, Rejection):
            return None  # the download failed: nothing to decode
        item, limits, path = outcome.candidate, self.settings.limits, outcome.path
        if item.data is None and item.file is not None:
            return cpu.submit(inspect_file, str(item.file), path, limits, item.source)
        return cpu.submit(_inspect_data, item.data or b"", path, limits, item.source)

    def _fresh(self, items: Iterable[Candidate | Problem]) -> Iterator[Candidate]:
        """Candidates not already collected in this form; problems recorded on the way."""
        for item in items:
            if isinstance(item, Problem):
                if self.store.source_status(item.key) == ("rejected", item.reason):
                    self.report.unchanged += 1  # the same problem as last run: counted then
                else:
                    self._reject(item.key, item.reason, 0, 0.0)
                continue
            if item.url is not None:
                state = self.store.source_status(item.key)
                if state is not None and (
                    state[0] == "accepted" or reason_kind(state[1] or "") not in _RETRIED_KINDS
                ):
                    self.report.unchanged += 1
                    continue
            elif self.store.source_state(item.key) == (item.size, item.mtime):
                self._refresh_prior(item)
                self.report.unchanged += 1
                continue
            yield item

    def _refresh_prior(self, item: Candidate) -> None:
        """An unchanged file whose manifest row changed gets the row's new prior."""
        if item.source != "manifest" or item.file is None:
            return
        state = self.store.source_status(item.key)
        if state is None or state[0] != "accepted":
            return
        image_id = hashlib.sha256(item.file.read_bytes()).hexdigest()
        known = self.store.image_id_with_hash(image_id) is not None
        if known and self.store.image(image_id).prior != item.prior:
            self.store.set_prior(image_id, item.prior)

    def _fetch(self, item: Candidate) -> _Outcome:
        """Download thread: fetch a URL's bytes into the cache. No decoding, no store."""
        if item.url is None:
            return _Outcome(item, None, item.key)
        fetched = self._fetcher().fetch(item.url)
        if fetched.file is None:
            return _Outcome(item, Rejection(path=item.key, reason=fetched.reason or "?"), item.key)
        item.file = fetched.file
        return _Outcome(item, None, str(fetched.file))

    def _fetcher(self) -> Downloader:
        if self._downloader is None:
            raise RuntimeError("downloads need a cache folder (CollectSettings.cache_dir)")
        return self._downloader

    def _store_bytes(self, data: bytes, record: ImageRecord) -> Path:
        """Images that arrived as bytes (tar, parquet) get a file: the store keeps paths."""
        if self.settings.cache_dir is None:
            raise RuntimeError("shards and parquet need a cache folder (CollectSettings.cache_dir)")
        target = self.settings.cache_dir / "images" / record.id[:2]
        target = target / f"{record.id}.{_SUFFIX.get(record.format, 'img')}"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".part")
            partial.write_bytes(data)
            partial.replace(target)
        return target

    def _domain_of(self, item: Candidate) -> str:
        domain = (
            item.domain
            or self._rules.domain_for(item.name, item.prior)
            or self.settings.default_domain
        )
        if domain not in self._unknown and domain not in known_domains():
            self._unknown.add(domain)
        return domain

    def _admit(self, outcome: _Outcome) -> None:
        item, result = outcome.candidate, outcome.result
        if isinstance(result, Inspected) and item.file is None and item.data is not None:
            stored = self._store_bytes(item.data, result.record)
            result = Inspected(result.record.model_copy(update={"path": str(stored)}), result.notes)
        if result is None:
            raise RuntimeError("an outcome reached admission without its inspection")
        if isinstance(result, Rejection):
            reason = f"{result.reason} ({item.where})" if item.where else result.reason
            self._reject(item.key, reason, item.size, item.mtime)
            return
        record = result.record
        first = self.store.image_id_with_hash(record.id)
        if first is not None:
            same_source = item.data is None or self.store.source_status(item.key) is not None
            if first == record.path and same_source:
                self.store.record_source(item.key, record.id, item.size, item.mtime)
                self.report.unchanged += 1
                return
            if item.file is not None and item.url is None and not Path(first).exists():
                # Same bytes, and the file it was collected from is gone: the folder moved
                # (a project copied to another machine). The image keeps its id and records.
                self.store.move_image(record.id, record.path, item.size, item.mtime)
                self.report.moved += 1
                return
            self._reject(item.key, f"exact duplicate: same bytes as {first}", item.size, item.mtime)
            return
        record = record.model_copy(update={"domain": self._domain_of(item), "prior": item.prior})
        if item.url is not None:
            record = record.model_copy(update={"prior": {"url": item.url, **item.prior}})
        self.store.record_collected_image(record, item.key, item.size, item.mtime)
        self.report.accepted += 1
        for note in result.notes:
            self.report.notes[note] = self.report.notes.get(note, 0) + 1

    def _reject(self, key: str, reason: str, size: int, mtime: float) -> None:
        self.store.record_rejection(Rejection(path=key, reason=reason), size, mtime)
        self.report.count_reason(reason_kind(reason))

    # -- near duplicates ------------------------------------------------------------------

    def finish(self) -> CollectReport:
        """Run the near-duplicate pass over the images waiting for it; return the report."""
        pending = self.store.dedup_images(pending=True)
        distance = self.settings.near_duplicate_distance
        if pending and distance > 0:
            self._near_duplicate_pass(pending, distance)
        elif pending:
            self.store.clear_dedup_pending([p[0] for p in pending])
        self.report.unknown_domains = sorted(self._unknown)
        return self.report

    def _near_duplicate_pass(self, pending: list[tuple[str, str, str, int]], distance: int) -> None:
        """Keep rule: an image from an earlier run stays; among new ones the largest pixel area
        wins, then the earliest collected. Each other one points at the kept image."""
        kept = self.store.dedup_images(pending=False)
        rows = kept + pending
        hashes, colours = pack_hashes([row[2] for row in rows])
        first = len(kept)
        del kept
        order = sorted(range(len(pending)), key=lambda n: (-pending[n][3], n))
        clusters: dict[tuple[str, str], list[tuple[str, int]]] = {}

        def demote(image: int, leader: int, gap: int) -> bool:
            image_id, path = rows[image][:2]
            key = rows[leader][0], rows[leader][1]
            reason = f"near duplicate: of {key[1]} (distance {gap})"
            if not self.store.demote_near_duplicate(image_id, path, key, gap, reason):
                return False
            clusters.setdefault(key, []).append((path, gap))
            self.report.accepted = max(0, self.report.accepted - 1)
            self.report.near_duplicates += 1
            self.report.count_reason("near duplicate")
            return True

        stayed = leader_pass(hashes, colours, distance, first, (first + n for n in order), demote)
        done = [rows[n][0] for n in stayed]
        self.store.clear_dedup_pending(done)
        self.report.clusters = [
            Cluster(k[1], k[0], tuple(v))
            for k, v in sorted(clusters.items(), key=lambda c: c[0][1])
        ]


def _inspect_data(
    data: bytes, path: str, limits: CheckLimits, source: str
) -> Inspected | Rejection:
    """CPU worker: :func:`inspect_bytes` of bytes that arrived without a file (tar, parquet)."""
    return inspect_bytes(data, path, "", limits, source=source)
