"""CPU work over every core: an ordered, windowed map over a pool of worker processes.

Decoding, hashing and OCR hold the GIL for most of their time (the perceptual hash is Python
arithmetic; RapidOCR's pre- and post-processing are Python around ONNX Runtime), so threads
share one core between them. A :class:`CpuPool` runs them in ``workers`` processes instead
(``executor.cpu_workers``, default every core this process may use). It streams: at most
``window`` items are in flight, results come back in the order the items went in (so a run's
outcome does not depend on timing), and nothing else is kept. With one worker, the work runs
in the calling process, without a pool (the baseline ``bench/cpu.py`` compares against), and
so does the work until it has taken ``start_after_s`` seconds here: starting a worker costs
about half a second of imports, more than a small collection's whole decode, while a big one
gets its workers after its first few images.

Workers are forked from a ``forkserver`` (a fresh, single-threaded interpreter that imported
the work modules once), never from the caller itself: the caller may hold threads (downloads)
and open SQLite connections, neither of which survives a fork, and a spawned worker would pay
the package's imports (about half a second) once per worker. The store is never touched in a
worker: work functions take paths or bytes and return records; the caller writes them.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import forkserver
from types import TracebackType
from typing import Any, TypeVar

__all__ = ["CpuPool", "available_cores"]

_PRELOAD = ("visinstruct.collect.checks", "visinstruct.caption.ocr")
T = TypeVar("T")
R = TypeVar("R")


def _context() -> Any:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(_PRELOAD))  # no effect once the server runs
    return context


def available_cores() -> int:
    """The cores this process may run on (its affinity, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class CpuPool:
    """``workers`` processes (0 or None: every available core), each set up once by
    ``initializer(*initargs)``, started once work done in this process took ``start_after_s``
    seconds; use as a context manager."""

    def __init__(
        self,
        workers: int | None = None,
        initializer: Callable[..., None] | None = None,
        initargs: tuple[Any, ...] = (),
        start_after_s: float = 0.0,
    ):
        self.workers = workers or available_cores()
        self._initializer = initializer
        self._initargs = initargs
        self._start_after_s = start_after_s
        self._busy_s = 0.0  # time the work took in this process so far
        self._pool: ProcessPoolExecutor | None = None
        self._set_up_here = False
        self._alone = threading.Lock()  # in this process: one piece of CPU work at a time

    @property
    def started(self) -> bool:
        """Whether worker processes run (else the work runs in this process)."""
        return self._pool is not None

    def __enter__(self) -> CpuPool:
        if self.workers > 1:
            # The server's imports (~0.5 s) overlap the first work done here, so the workers
            # fork at once when they are wanted.
            _context()
            forkserver.ensure_running()
        return self

    def _start(self) -> None:
        context = _context()
        self._pool = ProcessPoolExecutor(
            self.workers,
            mp_context=context,
            initializer=self._initializer,
            initargs=self._initargs,
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=exc is not None)
            self._pool = None

    def submit(self, work: Callable[..., R], *args: Any) -> Future[R]:
        """``work(*args)`` on a worker (in this process when there is one worker)."""
        with self._alone:
            if self._pool is None and self.workers > 1 and self._busy_s >= self._start_after_s:
                self._start()
        if self._pool is not None:
            return self._pool.submit(work, *args)
        done: Future[R] = Future()
        with self._alone:  # callers may be threads (downloads): still one core's worth
            if not self._set_up_here and self._initializer is not None:
                self._initializer(*self._initargs)
            self._set_up_here = True
            began = time.perf_counter()
            try:
                done.set_result(work(*args))
            except Exception as exc:
                done.set_exception(exc)
            self._busy_s += time.perf_counter() - began
        return done

    def map(
        self, work: Callable[[T], R], items: Iterable[T], window: int | None = None
    ) -> Iterator[R]:
        """``work`` over ``items``, in order, with at most ``window`` (default 4 per worker)
        in flight."""
        limit = window or 4 * self.workers
        queue: deque[Future[R]] = deque()
        for item in items:
            queue.append(self.submit(work, item))
            if len(queue) >= limit:
                yield queue.popleft().result()
        while queue:
            yield queue.popleft().result()
