"""Resized copies of project images for the review pages, cached on disk.

A request names an image by its content-hash id and a size name from a fixed list; the file
read is the path the store recorded for that id, and the file written is named after the id
alone. Nothing a request sends becomes part of a path.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from PIL import Image, ImageOps

from visinstruct.errors import InputError

__all__ = ["ImageCache", "ImageUnavailable", "valid_image_id"]

_IMAGE_ID = re.compile(r"^[0-9a-f]{16,64}$")
THUMB_SIDE = 240


class ImageUnavailable(InputError):
    """The image cannot be shown (its file is gone or unreadable)."""


def valid_image_id(value: str) -> bool:
    """Whether ``value`` has the shape of an image id (lowercase hex, no separators)."""
    return bool(_IMAGE_ID.match(value))


class ImageCache:
    """JPEG copies at a few fixed sizes, keyed by image id: ``thumb`` and ``full``."""

    def __init__(self, folder: Path, full_side: int):
        self.folder = folder
        self.sides = {"thumb": THUMB_SIDE, "full": full_side}

    def cached(self, image_id: str, size: str) -> Path | None:
        """The cache file for an id and size name, or None when either is not valid."""
        if size not in self.sides or not valid_image_id(image_id):
            return None
        return self.folder / f"{image_id}-{self.sides[size]}.jpg"

    def render(self, source: Path, target: Path, size: str) -> Path:
        """Write ``target`` (a :meth:`cached` path) from ``source`` unless it exists already.

        Runs in a worker thread; a file appears whole or not at all (write, then rename).
        """
        if target.is_file():
            return target
        side = self.sides[size]
        try:
            with Image.open(source) as im:
                im.draft("RGB", (side, side))  # JPEG: decode at a reduced scale, much faster
                picture = ImageOps.exif_transpose(im).convert("RGB")
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            raise ImageUnavailable(f"{source}: cannot read the image: {exc}") from exc
        picture.thumbnail((side, side), Image.Resampling.LANCZOS)
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=self.folder, suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out:
                picture.save(out, "JPEG", quality=85, optimize=True)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target
