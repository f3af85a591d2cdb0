"""Decode-safe checks: whether a file is an image the engine can use, and what it is.

Every image is decoded in full before it is accepted (a truncated JPEG opens fine and only
fails when its pixels are read), but the pixel count is read from the header first, so a
decompression bomb is refused before a byte of it is expanded. Whatever fails says why in words
a user can act on; the first word before the colon is the reason's kind, which reports and
``visinstruct status`` count by.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass, field

from PIL import Image, ImageOps, UnidentifiedImageError

from visinstruct.collect.phash import dct_hash
from visinstruct.records import ImageRecord, Rejection

__all__ = [
    "DEFAULT_FORMATS",
    "CheckLimits",
    "Inspected",
    "inspect_bytes",
    "inspect_file",
    "reason_kind",
    "to_rgb",
]

DEFAULT_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "MPO")

# Collect keeps only a hash of the pixels, so a big JPEG is decoded reduced (libjpeg's DCT
# scaling, every byte still read: a truncated file still fails): a 12 MP photo then needs
# ~3 MB instead of ~110 MB of decoded copies, and decodes ~4x faster (bench/cpu.py).
_DRAFT_ABOVE = 4_000_000  # pixels; smaller images decode in full, exactly as before
_DRAFT_SIDE = 512  # the reduced image keeps at least this on each side: the hash is stable
_SIDEWAYS = {5, 6, 7, 8}  # EXIF orientations that swap width and height

# Formats Pillow cannot open, by their first bytes, so the reason can name them.
_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (4, b"ftypheic", "HEIC"),
    (4, b"ftypheix", "HEIC"),
    (4, b"ftypmif1", "HEIF"),
    (4, b"ftypavif", "AVIF"),
    (0, b"%PDF", "PDF"),
    (0, b"\x00\x00\x00\x0cJXL ", "JPEG XL"),
    (0, b"\xff\x0a", "JPEG XL"),
    (0, b"<svg", "SVG"),
    (0, b"8BPS", "PSD"),
)


@dataclass(frozen=True)
class CheckLimits:
    """What an acceptable image is (``collect.*`` in the config)."""

    max_pixels: int = 100_000_000
    min_side: int = 16
    max_aspect_ratio: float = 20.0
    formats: tuple[str, ...] = DEFAULT_FORMATS


@dataclass(frozen=True)
class Inspected:
    """An accepted image and what was done to read it (e.g. ``CMYK → RGB``)."""

    record: ImageRecord
    notes: tuple[str, ...] = field(default_factory=tuple)


def reason_kind(reason: str) -> str:
    """The kind of a rejection reason: the words before its first colon."""
    return reason.split(":", 1)[0].strip() or "rejected"


def _sniff(data: bytes) -> str | None:
    head = data[:64]
    for offset, magic, name in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return name
    text = head.lstrip().lower()
    if text.startswith(b"<?xml") and b"<svg" in data[:2048].lower():
        return "SVG"
    return None


def _unidentified(data: bytes) -> str:
    named = _sniff(data)
    if named is not None:
        return f"unsupported format: {named} cannot be decoded; convert it to JPEG or PNG"
    head = data[:512]
    if head and all(32 <= b < 127 or b in (9, 10, 13) for b in head):
        return "not an image: the file holds text"
    return "not an image: no decoder recognises this file"


def to_rgb(image: Image.Image) -> tuple[Image.Image, str | None]:
    """The picture as 8-bit RGB, as a model will be sent it, and a note when that changed it.

    Transparent pixels go onto white; 16-bit grey is scaled down rather than clipped (a plain
    ``convert`` would turn nearly every pixel white).
    """
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        extrema = image.getextrema()
        top = float(extrema[1]) if isinstance(extrema[1], int | float) else 255.0
        scale = 255.0 / top if top > 255 else 1.0
        grey = image.convert("I").point(lambda v: v * scale).convert("L")
        return grey.convert("RGB"), f"{mode} (16-bit) → RGB"
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or (mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background, f"{mode} with transparency → RGB on white"
    if mode == "RGB":
        return image, None
    return image.convert("RGB"), f"{mode} → RGB"


def _geometry(width: int, height: int, limits: CheckLimits) -> str | None:
    if min(width, height) < limits.min_side:
        return (
            f"too small: {width}x{height} is under the minimum side of {limits.min_side} px "
            "(collect.min_side)"
        )
    ratio = max(width, height) / max(1, min(width, height))
    if ratio > limits.max_aspect_ratio:
        return (
            f"extreme aspect ratio: {width}x{height} is {ratio:.0f}:1, over "
            f"{limits.max_aspect_ratio:g}:1 (collect.max_aspect_ratio)"
        )
    return None


def _decode(data: bytes, limits: CheckLimits) -> tuple[str, int, int, str, list[str]] | str:
    """(format, width, height, phash, notes) of the upright first frame, or the reason."""
    notes: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(data)) as im:
            fmt = im.format or "unknown"
            if fmt not in limits.formats:
                allowed = ", ".join(limits.formats)
                return f"unsupported format: {fmt} is not one of {allowed} (collect.formats)"
            if im.width * im.height > limits.max_pixels:
                return (
                    f"decompression bomb: {im.width}x{im.height} is over "
                    f"{limits.max_pixels:,} pixels (collect.max_pixels)"
                )
            frames = int(getattr(im, "n_frames", 1) or 1)
            if frames > 1:
                notes.append("first frame of an animation")
            orientation = im.getexif().get(0x0112, 1)
            full = im.size
            if fmt in ("JPEG", "MPO") and im.width * im.height > _DRAFT_ABOVE:
                im.draft(im.mode, (_DRAFT_SIDE, _DRAFT_SIDE))
            im.load()
            if orientation not in (0, 1):
                notes.append("EXIF orientation applied")
            # exif_transpose copies even an upright image: 40 MB per 12 MP photo, for nothing.
            upright = ImageOps.exif_transpose(im) if orientation not in (0, 1) else im
            width, height = upright.size
            if im.size != full:  # decoded reduced: the stored size is the file's own
                width, height = full[::-1] if orientation in _SIDEWAYS else full
            rgb, note = to_rgb(upright)
            if note:
                notes.append(note)
            return fmt, width, height, dct_hash(rgb), notes


def inspect_file(
    file: str, path: str, limits: CheckLimits | None = None, source: str = "folder"
) -> Inspected | Rejection:
    """:func:`inspect_bytes` of the file at ``file`` (read here: in a CPU worker, the bytes
    never cross processes), described as an image at ``path``."""
    try:
        with open(file, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return Rejection(path=path, reason=f"unreadable: {exc}")
    return inspect_bytes(data, path, "", limits, source=source)


def inspect_bytes(
    data: bytes,
    path: str,
    domain: str,
    limits: CheckLimits | None = None,
    *,
    source: str = "folder",
) -> Inspected | Rejection:
    """Decode ``data`` fully and describe it as an image at ``path``, or say why not."""
    limits = limits or CheckLimits()
    if not data:
        return Rejection(path=path, reason="empty file: 0 bytes")
    try:
        found = _decode(data, limits)
    except UnidentifiedImageError:
        return Rejection(path=path, reason=_unidentified(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        return Rejection(path=path, reason=f"decompression bomb: {exc}")
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        message = str(exc) or type(exc).__name__
        if "truncated" in message.lower():
            return Rejection(path=path, reason=f"truncated: the file ends early ({message})")
        return Rejection(path=path, reason=f"undecodable: {message}")
    if isinstance(found, str):
        return Rejection(path=path, reason=found)
    fmt, width, height, phash, notes = found
    problem = _geometry(width, height, limits)
    if problem is not None:
        return Rejection(path=path, reason=problem)
    record = ImageRecord(
        id=hashlib.sha256(data).hexdigest(), path=path, domain=domain, width=width,
        height=height, format=fmt, bytes=len(data), phash=phash, source=source,
    )  # fmt: skip
    return Inspected(record, tuple(notes))
