"""OCR before captioning: the text in each image, read offline, stored on the image.

A vision model asked to "read out any text" misreads small or dense text, and misread text
becomes wrong answers in every OCR question made from the caption. So the text is read first
by a dedicated engine and handed to the captioner as a hint (see ``prompts``).

The engine is RapidOCR (PP-OCRv4 Chinese + English models on ONNX Runtime), from the optional
``ocr`` extra: its models ship inside the wheel, so nothing is downloaded at run time. It is
imported only when OCR runs. Anything with ``engine_id`` and ``read_text(path)`` can stand in
for it (:class:`TextReader`). Results are cached by image hash: an image whose stored lines
came from the same engine id (which includes the settings) is not read again.

Images are read on ``executor.cpu_workers`` processes (every core by default), each with its
own engine limited to one ONNX Runtime thread: RapidOCR spends much of an image in Python
around the model, which one process cannot spread over cores (``bench/cpu.py`` measures it).
The plan streams: pending images are paged from the store and their lines written in one
transaction per slice, so neither grows with the collection.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from PIL import Image, ImageOps, UnidentifiedImageError

from visinstruct.config import OcrConfig
from visinstruct.errors import ConfigError, InputError
from visinstruct.executors.base import NullProgress, Progress
from visinstruct.executors.cpu import CpuPool
from visinstruct.records import OcrLine
from visinstruct.store import Store

__all__ = [
    "OCR_INSTALL_HINT",
    "OcrReport",
    "RapidOcrReader",
    "TextReader",
    "ocr_installed",
    "open_reader",
    "run_ocr",
]

OCR_INSTALL_HINT = "pip install 'visinstruct[ocr]'"
_MODULE = "rapidocr_onnxruntime"
_DISTRIBUTION = "rapidocr-onnxruntime"
_SLICE = 256  # pending images paged from the store, and lines written, this many at a time
POOL_AFTER_S = 0.0  # workers at once: the engine loads as fast there, and the parent stays small
log = logging.getLogger("visinstruct.ocr")


class TextReader(Protocol):
    """What OCR needs from an engine."""

    @property
    def engine_id(self) -> str:
        """Names the engine and every setting that changes its output (the cache key)."""
        ...

    def read_text(self, path: Path) -> list[OcrLine]:
        """The text lines in the image at ``path``; raise InputError if it cannot be read."""
        ...


def ocr_installed() -> bool:
    """Whether the ``ocr`` extra's engine can be imported."""
    return importlib.util.find_spec(_MODULE) is not None


def _box(points: Any) -> tuple[int, int, int, int]:
    """An axis-aligned (left, top, right, bottom) box around the engine's four corners."""
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    return (max(0, round(min(xs))), max(0, round(min(ys))), round(max(xs)), round(max(ys)))


class RapidOcrReader:
    """RapidOCR with its bundled PP-OCRv4 models.

    The models load on the first read (about a second), so a pass over images that are all
    cached costs nothing; build one reader and reuse it.
    """

    def __init__(self, min_confidence: float = 0.5, det_max_side: int = 960, threads: int = 1):
        if not ocr_installed():
            raise ConfigError(
                f"OCR needs the ocr extra, which is not installed: {OCR_INSTALL_HINT} "
                "(or set ocr.enabled: false)",
                field="ocr.enabled",
            )
        self.min_confidence = min_confidence
        self.det_max_side = det_max_side
        self.threads = threads  # ONNX Runtime threads per engine; parallelism is processes
        self._engine: Any = None
        version = importlib.metadata.version(_DISTRIBUTION)
        self._engine_id = (
            f"rapidocr-onnxruntime {version} ppocrv4 det{det_max_side} min{min_confidence:g}"
        )

    def _loaded(self) -> Any:
        if self._engine is None:
            module = importlib.import_module(_MODULE)
            # "max" keeps small images at their size; the default ("min" 736) blows a 200-px
            # thumbnail up to 736 px on its short side and makes detection ~5x slower.
            self._engine = module.RapidOCR(
                det_limit_type="max",
                det_limit_side_len=self.det_max_side,
                text_score=self.min_confidence,
                intra_op_num_threads=self.threads,
                inter_op_num_threads=1,
            )
        return self._engine

    def __getstate__(self) -> dict[str, Any]:
        """Sent to a worker without the loaded engine: each worker loads its own."""
        return {**self.__dict__, "_engine": None}

    @property
    def engine_id(self) -> str:
        return self._engine_id

    def read_text(self, path: Path) -> list[OcrLine]:
        try:
            with Image.open(path) as opened:
                # Upright first: boxes must match the image as stored (and as the model sees it).
                image = ImageOps.exif_transpose(opened).convert("RGB")
        except FileNotFoundError as exc:
            raise InputError(f"{path}: no such image file") from exc
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            raise InputError(f"{path}: cannot read this image for OCR ({exc})") from exc
        try:
            found, _timings = self._loaded()(image)
        except Exception as exc:  # the engine's own errors have no common base
            raise InputError(f"{path}: the OCR engine failed on this image ({exc})") from exc
        lines = []
        for points, text, score in found or []:
            text = " ".join(str(text).split())
            if text and float(score) >= self.min_confidence:
                lines.append(OcrLine(text=text, box=_box(points), confidence=float(score)))
        return lines


def open_reader(config: OcrConfig) -> tuple[TextReader | None, str | None]:
    """The reader ``config`` asks for, or (None, why not).

    ``enabled: auto`` reads text when the extra is installed and quietly does without it
    otherwise; ``true`` makes a missing extra an error; ``false`` never reads.
    """
    if config.enabled is False:
        return None, "ocr.enabled is false"
    if config.enabled == "auto" and not ocr_installed():
        return None, f"the ocr extra is not installed ({OCR_INSTALL_HINT})"
    reader = RapidOcrReader(config.min_confidence, config.det_max_side)
    missing = _missing_system_library()
    if missing is not None:
        if config.enabled == "auto":
            return None, missing
        raise ConfigError(missing + " (or set ocr.enabled: false)", field="ocr.enabled")
    return reader, None


# The Debian packages that hold the shared libraries OpenCV (under RapidOCR) loads.
_SYSTEM_PACKAGES = {
    "libGL.so": "libgl1",
    "libglib-2.0.so": "libglib2.0-0",
    "libgthread": "libglib2.0-0",
}


def _missing_system_library() -> str | None:
    """Why the OCR engine cannot load on this machine (a system library OpenCV needs is
    missing), with the one install line; None when it loads. Checked once, before any image,
    so a pass never fails image by image for a reason that is the machine's."""
    try:
        importlib.import_module(_MODULE)
    except ImportError as exc:
        text = str(exc)
        packages = sorted({pkg for lib, pkg in _SYSTEM_PACKAGES.items() if lib in text})
        if not packages:
            raise
        return (
            f"OCR cannot start: {text.split(':')[0]} is missing on this machine; install it "
            f"with: sudo apt-get install -y {' '.join(packages)}"
        )
    return None


@dataclass
class OcrReport:
    """What one OCR pass did. ``not_run`` says why nothing was read, when nothing was."""

    engine: str | None = None
    read: int = 0
    cached: int = 0
    skipped: int = 0
    failed: int = 0
    lines: int = 0
    errors: list[str] = field(default_factory=list)
    not_run: str | None = None


def run_ocr(
    store: Store,
    reader: TextReader,
    skip_domains: list[str] | tuple[str, ...] = (),
    progress: Progress | None = None,
    workers: int = 1,
) -> OcrReport:
    """Read every image not yet read by ``reader``'s engine id; skip ``skip_domains``.

    ``workers`` processes read (0: every core; 1: this process, with ``reader`` itself; more
    need a picklable reader). An image that cannot be read is reported and left unmarked, so
    the next pass tries again.
    """
    progress = progress or NullProgress()
    engine = reader.engine_id
    skip = tuple(sorted(set(skip_domains)))
    pending, skipped = store.count_ocr_pending(engine, skip)
    report = OcrReport(engine=engine, skipped=skipped)
    report.cached = store.count_images() - pending - skipped
    progress.stage_started("ocr", pending + report.cached, report.cached)
    todo = _pending(store, engine, skip)
    try:
        with CpuPool(workers, _install_reader, (reader,), start_after_s=POOL_AFTER_S) as pool:
            found = pool.map(_read_one, todo)
            while chunk := list(itertools.islice(found, _SLICE)):
                _keep(store, engine, chunk, report, progress)
    finally:
        progress.stage_finished("ocr")
    return report


def _pending(store: Store, engine: str, skip: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    """(id, path) of the images to read, paged by path from the store."""
    after = 0
    while page := store.ocr_pending_page(engine, skip, after, _SLICE):
        yield from ((image_id, path) for _, image_id, path in page)
        after = page[-1][0]


def _keep(
    store: Store,
    engine: str,
    chunk: list[tuple[str, list[OcrLine] | str]],
    report: OcrReport,
    progress: Progress,
) -> None:
    """One slice of results: lines written in one transaction, errors reported."""
    read = [(image_id, found) for image_id, found in chunk if not isinstance(found, str)]
    store.set_ocr_many([(image_id, lines, engine) for image_id, lines in read])
    for _, found in chunk:
        if isinstance(found, str):
            report.failed += 1
            report.errors.append(found)
            log.warning("%s", found)
        else:
            report.read += 1
            report.lines += len(found)
        progress.unit_finished("ocr", not isinstance(found, str))


_WORKER_READER: list[TextReader] = []


def _install_reader(reader: TextReader) -> None:
    """CPU worker set-up: the reader this process reads with (its engine loads on first use)."""
    _WORKER_READER[:] = [reader]


def _read_one(item: tuple[str, str]) -> tuple[str, list[OcrLine] | str]:
    """CPU worker: one image's lines, or the error that says why it could not be read."""
    image_id, path = item
    try:
        return image_id, _WORKER_READER[0].read_text(Path(path))
    except InputError as exc:
        return image_id, str(exc)
