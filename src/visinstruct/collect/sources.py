"""Where images come from. Each source is a generator of candidates, so none of them holds a
whole collection in memory: a folder tree, a manifest (JSONL or CSV), a list of URLs,
WebDataset tar shards and parquet files with image bytes (the Hugging Face ``datasets`` layout).

A candidate says where the image is (a local file, bytes in hand, or a URL to fetch), the key
the project remembers it by (so a rerun skips it), its domain when the source says one, and
its prior knowledge. A problem is a row that names no usable image.
"""

from __future__ import annotations

import json
import os
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from visinstruct.collect.manifest import ManifestProblem, iter_manifest
from visinstruct.errors import InputError

__all__ = [
    "Candidate",
    "Problem",
    "folder_source",
    "manifest_source",
    "parquet_source",
    "url_list_source",
    "webdataset_source",
]

_IMAGE_SUFFIXES = ("jpg", "jpeg", "png", "webp", "gif", "bmp", "tif", "tiff")
_IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}


@dataclass
class Candidate:
    """One image to check and admit."""

    key: str
    source: str
    domain: str | None = None
    prior: dict[str, Any] = field(default_factory=dict)
    file: Path | None = None
    data: bytes | None = None
    url: str | None = None
    size: int = 0
    mtime: float = 0.0
    where: str | None = None
    name: str = ""


@dataclass(frozen=True)
class Problem:
    """An input that names no usable image, recorded as rejected under ``key``."""

    key: str
    reason: str


def _safe_name(path: Path) -> str:
    """A path as text even when its name is not UTF-8 (shown with escapes, never a crash)."""
    return os.fsdecode(path).encode("utf-8", "backslashreplace").decode("utf-8")


def folder_source(root: Path) -> Iterator[Candidate | Problem]:
    """Every file under ``root``; the first sub-folder names the domain. Symlinks that lead
    out of the root are problems, not followed."""
    from visinstruct.collect.folder import domain_name

    if not root.is_dir():
        raise InputError(f"{root}: not a folder of images; pass a folder (sub-folder = domain)")
    root_real = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel = Path(dirpath).relative_to(root)
        # Top-level files have no domain of their own: keyword rules, then the default, decide.
        domain = domain_name(rel.parts[0]) if rel.parts else None
        for name in sorted(filenames):
            if name.startswith(".") or name in _IGNORED_NAMES:
                continue
            path = Path(dirpath) / name
            if path.is_symlink() and not path.resolve().is_relative_to(root_real):
                yield Problem(
                    _safe_name(path.absolute()),
                    f"outside the folder: the symlink leads to {_safe_name(path.resolve())}",
                )
                continue
            try:
                stat = path.stat()
            except OSError as exc:
                yield Problem(_safe_name(path.absolute()), f"unreadable: {exc.strerror or exc}")
                continue
            yield Candidate(
                key=_safe_name(path.resolve()), source="folder", domain=domain, file=path,
                size=stat.st_size, mtime=stat.st_mtime, name=name,
            )  # fmt: skip


def manifest_source(manifest: Path) -> Iterator[Candidate | Problem]:
    """Every row of a JSONL or CSV manifest; a URL row is fetched, a path row read."""
    label = manifest.name
    for item in iter_manifest(manifest):
        if isinstance(item, ManifestProblem):
            key = item.path if item.path != "-" else f"{manifest}:{item.line}"
            yield Problem(key, f"{item.reason} ({label} line {item.line})")
            continue
        where = f"{label} line {item.line}"
        prior = item.row.prior()
        domain = item.row.domain
        if item.url is not None:
            name = item.url.rsplit("/", 1)[-1]
            yield Candidate(
                key=item.url, source="manifest", domain=domain, prior=prior, url=item.url,
                where=where, name=name,
            )  # fmt: skip
            continue
        stat = item.file.stat()
        yield Candidate(
            key=str(item.file), source="manifest", domain=domain, prior=prior, file=item.file,
            size=stat.st_size, mtime=stat.st_mtime, where=where, name=item.file.name,
        )  # fmt: skip


def url_list_source(path: Path) -> Iterator[Candidate | Problem]:
    """One URL per line (blank lines and ``#`` comments skipped)."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the URL list ({exc})") from exc
    with handle:
        for number, raw in enumerate(handle, start=1):
            url = raw.strip()
            if not url or url.startswith("#"):
                continue
            if not url.lower().startswith(("http://", "https://")):
                yield Problem(f"{path}:{number}", f"invalid row: {url[:80]!r} is not an http(s) "
                              f"URL ({path.name} line {number})")  # fmt: skip
                continue
            yield Candidate(
                key=url, source="url", url=url, prior={"url": url},
                where=f"{path.name} line {number}", name=url.rsplit("/", 1)[-1],
            )  # fmt: skip


def _meta_prior(raw: bytes, suffix: str) -> dict[str, Any]:
    text = raw.decode("utf-8", "replace")
    if suffix == "json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            return {"text_meta": text.strip()}
        return data if isinstance(data, dict) else {"meta": data}
    return {"caption": text.strip()} if text.strip() else {}


def _split_prior(meta: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    from visinstruct.collect.folder import domain_name

    prior = {k: v for k, v in meta.items() if v not in (None, "", [], {})}
    domain = prior.pop("domain", None)
    return (domain_name(domain) if isinstance(domain, str) else None), prior


def webdataset_source(shard: Path) -> Iterator[Candidate | Problem]:
    """Samples of a WebDataset shard: ``key.jpg`` (or png, webp, ...) with ``key.json`` /
    ``key.txt`` beside it. Read in one pass; a sample's members are adjacent in a shard."""
    try:
        archive = tarfile.open(shard, mode="r|*")  # noqa: SIM115 (closed by the with below)
    except (OSError, tarfile.TarError) as exc:
        raise InputError(f"{shard}: not a readable tar shard ({exc})") from exc
    stat = shard.stat()
    current: str | None = None
    members: dict[str, bytes] = {}
    with archive:
        try:
            for member in archive:
                if not member.isfile():
                    continue
                base, _, suffix = member.name.partition(".")
                if current is not None and base != current:
                    yield from _sample(shard, stat, current, members)
                    members = {}
                current = base
                extracted = archive.extractfile(member)
                members[suffix.lower()] = extracted.read() if extracted else b""
        except (OSError, tarfile.TarError, EOFError) as exc:
            yield Problem(f"{shard}#{current}", f"truncated: the shard ends early ({exc})")
            return
    if current is not None:
        yield from _sample(shard, stat, current, members)


def _sample(
    shard: Path, stat: os.stat_result, key: str, members: dict[str, bytes]
) -> Iterator[Candidate | Problem]:
    image = next((s for s in members if s.rsplit(".", 1)[-1] in _IMAGE_SUFFIXES), None)
    name = f"{shard}#{key}"
    if image is None:
        yield Problem(name, f"no image in sample: {key} has only {', '.join(sorted(members))}")
        return
    meta: dict[str, Any] = {}
    for suffix in ("json", "txt"):
        if suffix in members:
            meta.update(_meta_prior(members[suffix], suffix))
    domain, prior = _split_prior(meta)
    yield Candidate(
        key=name, source="webdataset", domain=domain, prior=prior, data=members[image],
        size=stat.st_size, mtime=stat.st_mtime, name=f"{key}.{image}",
    )  # fmt: skip


_PARQUET_HINT = "parquet files need pyarrow: pip install 'visinstruct[parquet]'"


def parquet_source(
    path: Path, image_column: str = "image", batch_rows: int = 256
) -> Iterator[Candidate | Problem]:
    """Rows of a parquet file whose ``image_column`` holds ``{bytes, path}`` structs (as
    ``datasets`` writes an ``Image`` feature) or raw bytes; other scalar columns become
    prior knowledge. Read a batch of rows at a time."""
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise InputError(_PARQUET_HINT) from exc
    try:
        file = pq.ParquetFile(path)  # type: ignore[no-untyped-call]
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable parquet file ({exc})") from exc
    if image_column not in file.schema_arrow.names:
        raise InputError(
            f"{path}: no column {image_column!r} (columns: {', '.join(file.schema_arrow.names)})"
            "; name the image column with collect.parquet_image_column"
        )
    stat = path.stat()
    row = 0
    for batch in file.iter_batches(batch_size=batch_rows):  # type: ignore[no-untyped-call]
        for record in batch.to_pylist():
            yield _parquet_row(path, stat, row, record, image_column)
            row += 1


def _parquet_row(
    path: Path, stat: os.stat_result, row: int, record: dict[str, Any], column: str
) -> Candidate | Problem:
    cell = record.pop(column)
    key = f"{path}#{row}"
    data: bytes | None = None
    name = f"row{row}"
    file: Path | None = None
    if isinstance(cell, dict):
        data = cell.get("bytes")
        name = str(cell.get("path") or name)
        if not data and cell.get("path"):  # datasets keeps local files by path until embedded
            file = Path(str(cell["path"]))
            file = file if file.is_absolute() else path.parent / file
            data = file.read_bytes() if file.is_file() else None
    elif isinstance(cell, bytes | bytearray):
        data = bytes(cell)
    if not data:
        return Problem(key, f"empty file: row {row} of {path.name} has no image bytes")
    meta = {k: v for k, v in record.items() if isinstance(v, str | int | float | bool | list)}
    domain, prior = _split_prior(meta)
    return Candidate(key=key, source="parquet", domain=domain, prior=prior, data=data,
                     size=stat.st_size, mtime=stat.st_mtime, name=name)  # fmt: skip
