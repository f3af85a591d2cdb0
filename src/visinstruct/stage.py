"""The small base every model-calling stage derives from.

A stage names its settings (what determines its output); their hash keys its work units, so a
changed setting reruns that stage alone while an unchanged one skips what is done. The base
does the bookkeeping: planning against the store, the call ledger, commits and failures.

Inputs are read on the driver: :meth:`ModelStage.prepare` turns a planned unit into one whose
payload holds everything ``process`` reads (records, peers, seeds, caption texts), and both
executors call it before a unit is attempted, so ``process`` never reads the store. For a
worker on another machine, :meth:`ModelStage.ship` adds the bytes of the image files the unit
reads (files up to ``executor.ray_ship_max_mb``; larger ones travel by path, which must then be
readable on every node); the worker writes them under its own temporary folder while units use
them. Workers get no store at all (:class:`_NoStore`), so a read that slipped into ``process``
fails on the first unit instead of working on one machine and not across several.

Planning streams: candidates are checked against the store a slice at a time, so the memory a
plan needs does not grow with the collection. Writes are batched in a write-behind buffer
(``visinstruct.writer``): unit outcomes and ledger rows commit together in one short transaction
every ``executor.flush_units`` units or ``executor.flush_ms`` milliseconds. A unit's results and
its done mark always commit together; a crash loses only the buffered outcomes, whose units the
next run does again. A commit that fails stops the run (``CommitError``); a locked database is
waited for without blocking the event loop.
"""

from __future__ import annotations

import itertools
import logging
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, cast

from visinstruct.config import ProjectConfig, Role
from visinstruct.errors import VisinstructError
from visinstruct.executors.base import NullProgress, Progress, RemoteJobFactory, WorkUnit
from visinstruct.models.base import CallContext, ModelBackend
from visinstruct.records import ImageRecord, ModelCall, Record, content_id
from visinstruct.store import Head, Store
from visinstruct.store.sqlite import UnitWrite
from visinstruct.writer import WriteBehind

__all__ = ["ModelStage", "Shipment", "WriteBehind", "moved"]

log = logging.getLogger(__name__)

_PLAN_SLICE = 512


class _CallCollector:
    """The ledger of a stage running inside a worker: rows are handed to the driver."""

    def __init__(self) -> None:
        self.calls: list[ModelCall] = []


@dataclass(frozen=True)
class Shipment:
    """A prepared unit's payload on its way to a worker, with the bytes of the image files it
    reads (image id → file bytes; images over the size cap are absent and go by path)."""

    payload: Any
    files: Mapping[str, bytes] = field(default_factory=dict)


def moved(image: ImageRecord, paths: Mapping[str, str]) -> ImageRecord:
    """``image`` pointing at its worker-local copy, when it has one."""
    local = paths.get(image.id)
    return image if local is None else image.model_copy(update={"path": local})


class _NoStore:
    """What a stage on a worker has instead of a store: every use is a bug (see module doc)."""

    path = "<no store on a worker>"

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(
            f"a stage on a worker read the store (Store.{name}); every store read belongs "
            "in the stage's prepare(), which runs on the driver"
        )


class _LocalFiles:
    """Image files a worker was sent, kept under its own temporary folder while units use
    them. Named by image id (the hash of the bytes), so a peer shared by units in flight is
    written once and keeps one path (the measurement cache of :mod:`visinstruct.facts` is
    keyed by path); removed when its last unit ends, so a long run does not fill the disk."""

    def __init__(self) -> None:
        self._dir: Path | None = None
        self._users: dict[str, int] = {}

    def hold(self, images: Sequence[ImageRecord], files: Mapping[str, bytes]) -> dict[str, str]:
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="visinstruct-worker-"))
        paths: dict[str, str] = {}
        for image in images:
            data = files.get(image.id)
            if data is None or image.id in paths:
                continue
            path = self._dir / f"{image.id}{Path(image.path).suffix}"
            if not self._users.get(image.id):
                path.write_bytes(data)
            self._users[image.id] = self._users.get(image.id, 0) + 1
            paths[image.id] = str(path)
        return paths

    def release(self, paths: Mapping[str, str]) -> None:
        for image_id, path in paths.items():
            self._users[image_id] -= 1
            if not self._users[image_id]:
                del self._users[image_id]
                Path(path).unlink(missing_ok=True)

    def close(self) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)


class ModelStage(ABC):
    name: ClassVar[str]
    role: ClassVar[Role]

    def __init__(
        self,
        config: ProjectConfig,
        store: Store,
        backend: ModelBackend,
        *,
        progress: Progress | None = None,
        retry_failed: bool = False,
        root: Path | None = None,
    ):
        self.config = config
        self.root = root
        """The project folder, for stages that read project files (e.g. user seed files)."""
        self.store = store
        self.backend = backend
        self.progress: Progress = progress or NullProgress()
        self.retry_failed = retry_failed
        self.config_hash = self.hash_of(config)
        ex = config.executor
        self.writer = WriteBehind(store, ex.flush_units, ex.flush_ms, ex.lock_wait_s)
        backend.bind_store(store)
        self._collector: _CallCollector | None = None
        self._files = _LocalFiles()

    # -- what a concrete stage says ---------------------------------------------------------

    @classmethod
    @abstractmethod
    def settings_of(cls, config: ProjectConfig) -> dict[str, Any]:
        """Everything that changes this stage's output (model, prompt version, parameters)."""

    @classmethod
    def hash_of(cls, config: ProjectConfig) -> str:
        """The key of this stage's work units under ``config``."""
        return content_id(cls.name, cls.settings_of(config))

    def settings(self) -> dict[str, Any]:
        return self.settings_of(self.config)

    @abstractmethod
    def candidates(self) -> Iterator[WorkUnit]:
        """Every unit this stage has under the current settings, done or not."""

    @classmethod
    @abstractmethod
    def count_units(cls, config: ProjectConfig, store: Store) -> int:
        """How many units the stage has under ``config`` (done or not), without a backend."""

    def count_candidates(self) -> int:
        return self.count_units(self.config, self.store)

    @abstractmethod
    async def process(self, unit: WorkUnit, context: CallContext) -> Sequence[Record]:
        """Do one unit; raise UnitError when the reply cannot be used."""

    @property
    @abstractmethod
    def max_attempts(self) -> int: ...

    # -- the Job protocol -----------------------------------------------------------------

    @property
    def concurrency(self) -> int:
        return self.backend.concurrency

    def plan(self) -> tuple[int, int, Iterator[WorkUnit]]:
        self.writer.remember_config(self.name, self.config_hash, self.settings())
        done = self.store.unit_counts(self.name, self.config_hash).done
        return self.count_candidates(), done, self._todo()

    def _todo(self) -> Iterator[WorkUnit]:
        candidates = self.candidates()
        while chunk := list(itertools.islice(candidates, _PLAN_SLICE)):
            keys = [unit.key for unit in chunk]
            states = self.store.unit_states_for(self.name, self.config_hash, keys)
            for unit in chunk:
                status, attempts = states.get(unit.key, ("", 0))
                if status == "done":
                    continue
                if status == "failed" and attempts >= self.max_attempts:
                    if not self.retry_failed:
                        continue
                    attempts = 0
                yield WorkUnit(unit.key, unit.payload, attempts)

    # -- a unit's inputs, read on the driver -------------------------------------------------

    def prepare(self, unit: WorkUnit) -> WorkUnit:
        """``unit`` with everything :meth:`process` reads in its payload (the driver reads the
        store here; ``process`` never does). The default: the planned payload is enough."""
        return unit

    def files_of(self, payload: Any) -> Sequence[ImageRecord]:
        """The images whose files doing a prepared unit reads (sent to a remote worker)."""
        return ()

    def relocated(self, payload: Any, paths: Mapping[str, str]) -> Any:
        """The prepared ``payload`` with those images at their worker copies (see :func:`moved`)."""
        return payload

    def ship(self, unit: WorkUnit) -> WorkUnit:
        """The prepared unit for a worker on any node: with the bytes of its image files up to
        ``executor.ray_ship_max_mb`` each (larger ones, or unreadable here, go by path)."""
        work = self.prepare(unit)
        cap = self.config.executor.ray_ship_max_mb * 2**20
        files: dict[str, bytes] = {}
        for image in self.files_of(work.payload):
            if image.id in files or image.bytes > cap:
                continue
            try:
                files[image.id] = Path(image.path).read_bytes()
            except OSError:
                continue  # the worker reports the missing file as the local run would
        return WorkUnit(work.key, Shipment(work.payload, files), work.attempts)

    async def attempt(self, unit: WorkUnit) -> Sequence[Record]:
        context = CallContext(stage=self.name, unit_key=unit.key, record=self._record_call)
        if not isinstance(unit.payload, Shipment):
            return await self.process(unit, context)
        shipment: Shipment = unit.payload
        originals = {i.id: i.path for i in self.files_of(shipment.payload)}
        paths = self._files.hold(self.files_of(shipment.payload), shipment.files)
        local = WorkUnit(unit.key, self.relocated(shipment.payload, paths), unit.attempts)
        try:
            return await self.process(local, context)
        except VisinstructError as exc:  # name the user's file, not the worker's copy
            if exc.args and isinstance(exc.args[0], str):
                message = exc.args[0]
                for image_id, path in paths.items():
                    message = message.replace(path, originals[image_id])
                exc.args = (message, *exc.args[1:])
            raise
        finally:
            self._files.release(paths)

    def head_of(self, unit: WorkUnit) -> Head | None:
        """What a done unit makes current in the dataset (generation says; others none)."""
        return None

    def commit(self, unit: WorkUnit, results: Sequence[Record]) -> None:
        self.writer.add_unit(
            UnitWrite(self.name, unit.key, self.config_hash, results, head=self.head_of(unit))
        )

    def fail(self, unit: WorkUnit, error: str, raw: str | None, attempts: int) -> None:
        self.writer.add_unit(
            UnitWrite(
                self.name, unit.key, self.config_hash, error=error, raw=raw, attempts=attempts
            )
        )

    def flush(self) -> None:
        self.writer.flush()

    def _record_call(self, call: ModelCall) -> None:
        if self._collector is not None:
            self._collector.calls.append(call)
            return
        self.writer.add_calls([call])
        if call.cost_usd:
            self.progress.cost_added(self.name, call.cost_usd)

    # -- running on workers of a distributed executor ---------------------------------------

    @property
    def distributable(self) -> bool:
        """Whether units can run on workers without the store: not with a backend that keeps
        state of its own there (``openai-batch``'s journal), which then runs on the driver."""
        return not self.backend.keeps_state_in_store

    def remote_factory(self, workers: int) -> RemoteJobFactory:
        """A picklable recipe that rebuilds this stage inside a worker process."""
        return _StageFactory(
            stage_cls=type(self),
            config=self.config,
            root=None if self.root is None else str(self.root),
            share=max(1, workers),
        )

    def limits(self) -> dict[str, Any]:
        """This stage's backend's share of the endpoint's limits (per worker under Ray)."""
        spec = self.backend.spec
        return {
            "requests_per_minute": spec.requests_per_minute,
            "tokens_per_minute": spec.tokens_per_minute,
            "concurrency": spec.concurrency,
        }

    def record_calls(self, calls: Sequence[Any]) -> None:
        rows = [c for c in calls if isinstance(c, ModelCall)]
        self.writer.add_calls(rows)
        for call in rows:
            if call.cost_usd:
                self.progress.cost_added(self.name, call.cost_usd)

    def take_calls(self) -> list[Any]:
        """Ledger rows made on a worker since the last take (see :meth:`remote_factory`)."""
        if self._collector is None:
            return []
        calls, self._collector.calls = self._collector.calls, []
        return list(calls)


@dataclass(frozen=True)
class _StageFactory:
    """Builds a stage in a worker: no store (inputs come in the units, results go back to
    the driver), its own backend with ``1/share`` of the endpoint's limits."""

    stage_cls: type[ModelStage]
    config: ProjectConfig
    root: str | None
    share: int

    def __call__(self) -> ModelStage:
        from visinstruct.models.registry import create_backend  # the worker's own client

        spec = self.config.models.get(self.stage_cls.role)
        share = self.share
        spec = spec.model_copy(
            update={
                "requests_per_minute": spec.requests_per_minute
                and spec.requests_per_minute / share,
                "tokens_per_minute": spec.tokens_per_minute and spec.tokens_per_minute / share,
                "concurrency": max(1, -(-spec.concurrency // share)),
            }
        )
        backend = create_backend(spec, self.stage_cls.role)
        stage = self.stage_cls(
            self.config,
            cast(Store, _NoStore()),
            backend,
            root=None if self.root is None else Path(self.root),
        )
        stage._collector = _CallCollector()
        return stage
