"""Bring a row's image into the project: by path, or from bytes embedded in the dataset.

Embedded bytes are written once to ``<project>/imported_images/<sha256>.<ext>`` so the store
keeps images by path like every other image (no blobs in the database). Many rows share one
image (FigureQA asks ~20 questions per chart), so each path is decoded once per run.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from visinstruct.collect import admit_image
from visinstruct.errors import InputError
from visinstruct.expand.imports._base import RowProblem
from visinstruct.store import Store

__all__ = ["IMPORTED_IMAGES_DIR", "ImageIntake"]

IMPORTED_IMAGES_DIR = "imported_images"
_CACHE_SIZE = 4096


def _extension(data: bytes) -> str:
    try:
        with Image.open(io.BytesIO(data)) as im:
            fmt = (im.format or "").lower()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise RowProblem(f"the embedded image bytes are not an image ({exc})") from exc
    return {"jpeg": "jpg", "": "img"}.get(fmt, fmt)


class ImageIntake:
    """Resolves row images to store image ids, recording new images as it goes."""

    def __init__(self, store: Store, project_root: Path, source: str):
        self.store = store
        self.folder = project_root / IMPORTED_IMAGES_DIR
        self.source = source
        self.added = 0
        self._ids: OrderedDict[str, str] = OrderedDict()

    def image_id(self, image: Path | bytes, domain: str, prior: Mapping[str, Any]) -> str:
        path = self._write(image) if isinstance(image, bytes) else image
        key = str(path.resolve())
        if key in self._ids:
            self._ids.move_to_end(key)
            return self._ids[key]
        image_id = self._intake(path, domain, prior)
        self._ids[key] = image_id
        if len(self._ids) > _CACHE_SIZE:
            self._ids.popitem(last=False)
        return image_id

    def _write(self, data: bytes) -> Path:
        if not data:
            raise RowProblem("the embedded image is empty (0 bytes)")
        digest = hashlib.sha256(data).hexdigest()
        existing = sorted(self.folder.glob(f"{digest}.*"))
        if existing:
            return existing[0]
        target = self.folder / f"{digest}.{_extension(data)}"
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}.part")
        partial.write_bytes(data)
        os.replace(partial, target)  # a crash never leaves a half-written image in place
        return target

    def _intake(self, path: Path, domain: str, prior: Mapping[str, Any]) -> str:
        if not path.is_file():
            raise RowProblem(f"image {path} not found; check the path or the dataset folder")
        try:
            record, added = admit_image(
                self.store, path, domain, source=self.source, prior=dict(prior)
            )
        except InputError as exc:
            raise RowProblem(str(exc)) from exc
        self.added += added
        return record.id
