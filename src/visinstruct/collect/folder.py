"""Collect images from a folder tree: the first sub-folder under the root names the domain.

Every file is decoded in full before it is accepted; whatever cannot be used is recorded as
rejected with the reason. Files already collected with the same size and mtime are skipped, so
a rerun over a large folder costs a directory walk, not a re-decode.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from visinstruct.errors import InputError
from visinstruct.records import ImageRecord, Rejection
from visinstruct.store import Store

__all__ = [
    "CollectReport",
    "admit_image",
    "collect_folder",
    "domain_name",
    "inspect_image",
    "walk_folder",
]

_IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}
_MAX_PIXELS = 100_000_000


@dataclass
class CollectReport:
    accepted: int = 0
    rejected: int = 0
    unchanged: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


def domain_name(folder: str) -> str:
    """A domain identifier from a folder name: ``Image Quality`` → ``image_quality``."""
    return re.sub(r"[^0-9a-z_]+", "_", folder.strip().lower()).strip("_") or "unsorted"


def walk_folder(root: Path, default_domain: str) -> Iterator[tuple[Path, str]]:
    """(file, domain) for every file under ``root``, in a stable order, no symlink followed."""
    root_real = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel = Path(dirpath).relative_to(root)
        domain = domain_name(rel.parts[0]) if rel.parts else default_domain
        for name in sorted(filenames):
            if name.startswith(".") or name in _IGNORED_NAMES:
                continue
            path = Path(dirpath) / name
            if path.is_symlink() and not path.resolve().is_relative_to(root_real):
                continue
            yield path, domain


def _dhash(image: Image.Image) -> str:
    """64-bit difference hash: near-identical pictures get near-identical hashes."""
    small = image.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    px = list(small.tobytes())
    bits = 0
    for row in range(8):
        for col in range(8):
            bits = (bits << 1) | (px[row * 9 + col] > px[row * 9 + col + 1])
    return f"{bits:016x}"


def inspect_image(path: Path, domain: str) -> ImageRecord | Rejection:
    """Decode ``path`` fully and describe it, or say why it cannot be used."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return Rejection(path=str(path), reason=f"unreadable: {exc.strerror or exc}")
    if not data:
        return Rejection(path=str(path), reason="empty file: 0 bytes")
    try:
        with Image.open(path) as im:
            fmt = im.format or "unknown"
            if im.width * im.height > _MAX_PIXELS:
                reason = f"too many pixels: {im.width}x{im.height} is over {_MAX_PIXELS:,}"
                return Rejection(path=str(path), reason=reason)
            im.load()
            upright = ImageOps.exif_transpose(im)
            width, height = upright.size
            phash = _dhash(upright)
    except UnidentifiedImageError:
        return Rejection(path=str(path), reason="not an image: no decoder recognises this file")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        return Rejection(path=str(path), reason=f"undecodable: {exc}")
    return ImageRecord(
        id=hashlib.sha256(data).hexdigest(),
        path=str(path.resolve()),
        domain=domain,
        width=width,
        height=height,
        format=fmt,
        bytes=len(data),
        phash=phash,
        source="folder",
    )


def admit_image(
    store: Store,
    path: Path,
    domain: str,
    *,
    source: str,
    prior: dict[str, Any] | None = None,
) -> tuple[ImageRecord, bool]:
    """Bring one image an importer names into the store: (its record, whether it was new).

    An image already in the store (same bytes) is reused as it is, whatever path or importer
    brought it first. Raises :class:`InputError` with the reason when the file is unusable.
    """
    found = inspect_image(path, domain)
    if isinstance(found, Rejection):
        raise InputError(f"image {path} cannot be used: {found.reason}")
    if store.image_id_with_hash(found.id) is not None:
        return store.image(found.id), False
    record = found.model_copy(update={"source": source, "prior": dict(prior or {})})
    stat = path.stat()
    store.record_image(record, stat.st_size, stat.st_mtime)
    return record, True


def collect_folder(store: Store, root: Path, default_domain: str) -> CollectReport:
    """Collect every image under ``root`` into ``store``; rejects are recorded, not raised."""
    if not root.is_dir():
        raise InputError(f"{root}: not a folder of images; pass a folder (sub-folder = domain)")
    report = CollectReport()
    for path, domain in walk_folder(root, default_domain):
        stat = path.stat()
        key = str(path.resolve())
        if store.source_state(key) == (stat.st_size, stat.st_mtime):
            report.unchanged += 1
            continue
        result = inspect_image(path, domain)
        if isinstance(result, ImageRecord):
            first = store.image_id_with_hash(result.id)
            if first is not None and first != result.path:
                result = Rejection(path=key, reason=f"exact duplicate: same bytes as {first}")
        if isinstance(result, Rejection):
            result = Rejection(path=key, reason=result.reason)
            store.record_rejection(result, stat.st_size, stat.st_mtime)
            report.rejected += 1
            kind = result.reason.split(":")[0]
            report.reasons[kind] = report.reasons.get(kind, 0) + 1
        else:
            store.record_image(result, stat.st_size, stat.st_mtime)
            report.accepted += 1
    return report
