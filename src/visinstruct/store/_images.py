"""Images and where they came from: sources, rejections, OCR, priors, near duplicates."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from typing import Any

from visinstruct.errors import StoreError
from visinstruct.records import (
    ImageRecord,
    OcrLine,
    Rejection,
)
from visinstruct.store._core import StoreCore
from visinstruct.store._rows import (
    _json,
    image_from_row,
    upsert_source,
)


class ImagesMixin(StoreCore):
    def source_state(self, path: str) -> tuple[int, float] | None:
        """(size, mtime) recorded when ``path`` was last collected, if ever."""
        row = self._db.execute("SELECT size, mtime FROM sources WHERE path = ?", (path,)).fetchone()
        return None if row is None else (int(row[0]), float(row[1]))

    def image_id_with_hash(self, image_id: str) -> str | None:
        """The path an image with this content hash was first collected from."""
        row = self._db.execute("SELECT path FROM images WHERE id = ?", (image_id,)).fetchone()
        return None if row is None else str(row[0])

    def record_image(self, image: ImageRecord, size: int, mtime: float) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO images (id, path, domain, width, height, format, bytes, "
                "phash, source, prior, ocr, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    image.id, image.path, image.domain, image.width, image.height,
                    image.format, image.bytes, image.phash, image.source,
                    _json(image.prior), _json([o.model_dump() for o in image.ocr]), time.time(),
                ),
            )  # fmt: skip
            upsert_source(db, image.path, size, mtime, "accepted", image.id, None)

    def record_rejection(self, rejection: Rejection, size: int, mtime: float) -> None:
        with self.transaction() as db:
            upsert_source(db, rejection.path, size, mtime, "rejected", None, rejection.reason)

    def rejections(self) -> list[Rejection]:
        rows = self._db.execute(
            "SELECT path, reason FROM sources WHERE status = 'rejected' ORDER BY path"
        )
        return [Rejection(path=r[0], reason=r[1] or "") for r in rows]

    def images(self) -> Iterator[ImageRecord]:
        for row in self._db.execute("SELECT * FROM images ORDER BY path"):
            yield image_from_row(row)

    def image(self, image_id: str) -> ImageRecord:
        row = self._db.execute("SELECT * FROM images WHERE id = ?", (image_id,)).fetchone()
        if row is None:
            raise StoreError(f"no image with id {image_id} in {self.path}")
        return image_from_row(row)

    def set_ocr(self, image_id: str, lines: Sequence[OcrLine], engine: str) -> None:
        """Store OCR lines on an image; ``engine`` names what read them (the cache key)."""
        with self.transaction() as db:
            db.execute(
                "UPDATE images SET ocr = ?, ocr_engine = ? WHERE id = ?",
                (_json([line.model_dump() for line in lines]), engine, image_id),
            )

    def set_ocr_many(self, items: Sequence[tuple[str, Sequence[OcrLine], str]]) -> None:
        """:meth:`set_ocr` for many (image id, lines, engine), in one transaction."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE images SET ocr = ?, ocr_engine = ? WHERE id = ?",
                [(_json([x.model_dump() for x in lines]), e, i) for i, lines, e in items],
            )

    def count_ocr_pending(self, engine: str, skip_domains: Sequence[str]) -> tuple[int, int]:
        """Images not read by ``engine``: (to read, in ``skip_domains``)."""
        skip = f"domain IN ({','.join('?' * len(skip_domains))})" if skip_domains else "0"
        row = self._db.execute(
            f"SELECT COUNT(*), COALESCE(SUM({skip}), 0) FROM images "
            "WHERE ocr_engine IS NULL OR ocr_engine != ?",
            (*skip_domains, engine),
        ).fetchone()
        return int(row[0]) - int(row[1]), int(row[1])

    def ocr_pending_page(
        self, engine: str, skip_domains: Sequence[str], after: int, limit: int
    ) -> list[tuple[int, str, str]]:
        """(row number, id, path) of up to ``limit`` images not read by ``engine`` nor in
        ``skip_domains``, in collection order after row ``after``: a pass pages through them
        at the cost of one page each, however large the collection."""
        keep = f"AND domain NOT IN ({','.join('?' * len(skip_domains))}) " if skip_domains else ""
        rows = self._db.execute(
            "SELECT rowid, id, path FROM images WHERE rowid > ? "
            f"AND (ocr_engine IS NULL OR ocr_engine != ?) {keep}ORDER BY rowid LIMIT ?",
            (after, engine, *skip_domains, limit),
        )
        return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]

    def ocr_engine_of(self, image_id: str) -> str | None:
        """The engine whose OCR lines the image holds, or None if it was never read."""
        row = self._db.execute("SELECT ocr_engine FROM images WHERE id = ?", (image_id,))
        found = row.fetchone()
        return None if found is None else found[0]

    def ocr_pending(self, engine: str) -> list[tuple[str, str, str]]:
        """(id, path, domain) of every image whose OCR lines did not come from ``engine``."""
        rows = self._db.execute(
            "SELECT id, path, domain FROM images WHERE ocr_engine IS NULL OR ocr_engine != ? "
            "ORDER BY path",
            (engine,),
        )
        return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]

    def peer_images(self, image_id: str, n: int) -> list[ImageRecord]:
        """Up to ``n`` other images, the same ones for the same image: the ids that follow
        ``image_id`` in hash order, wrapping around. Hash order makes them a fair sample."""
        rows = self._db.execute(
            "SELECT * FROM images WHERE id > ? ORDER BY id LIMIT ?", (image_id, n)
        ).fetchall()
        if len(rows) < n:
            rows += self._db.execute(
                "SELECT * FROM images WHERE id < ? ORDER BY id LIMIT ?",
                (image_id, n - len(rows)),
            ).fetchall()
        return [image_from_row(r) for r in rows]

    def count_images(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM images").fetchone()[0])

    def count_rejected(self) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM sources WHERE status = 'rejected'")
        return int(row.fetchone()[0])

    def set_prior(self, image_id: str, prior: dict[str, Any]) -> None:
        """Replace an image's prior knowledge, e.g. when its manifest row was edited."""
        with self.transaction() as db:
            db.execute("UPDATE images SET prior = ? WHERE id = ?", (_json(prior), image_id))

    def source_status(self, path: str) -> tuple[str, str | None] | None:
        """(status, reason) of a source key (file, URL, shard member) last collected, if ever."""
        row = self._db.execute(
            "SELECT status, reason FROM sources WHERE path = ?", (path,)
        ).fetchone()
        return None if row is None else (str(row[0]), row[1])

    def record_collected_image(self, image: ImageRecord, key: str, size: int, mtime: float) -> None:
        """Accept an image that source ``key`` (a file, URL or shard member) gave, and queue
        it for the near-duplicate pass, in one transaction."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO images (id, path, domain, width, height, format, bytes, "
                "phash, source, prior, ocr, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    image.id, image.path, image.domain, image.width, image.height,
                    image.format, image.bytes, image.phash, image.source,
                    _json(image.prior), "[]", time.time(),
                ),
            )  # fmt: skip
            upsert_source(db, key, size, mtime, "accepted", image.id, None)
            db.execute(
                "INSERT OR IGNORE INTO collect_pending VALUES "
                "(?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM collect_pending))",
                (image.id,),
            )

    def move_image(self, image_id: str, path: str, size: int, mtime: float) -> None:
        """The file of a stored image is now at ``path`` (its project folder moved): point the
        image there and drop the source row of the place it left."""
        with self.transaction() as db:
            db.execute(
                "DELETE FROM sources WHERE path = (SELECT path FROM images WHERE id = ?)",
                (image_id,),
            )
            db.execute("UPDATE images SET path = ? WHERE id = ?", (path, image_id))
            upsert_source(db, path, size, mtime, "accepted", image_id, None)

    def record_source(self, key: str, image_id: str, size: int, mtime: float) -> None:
        """Note that source ``key`` (e.g. a URL) gave the already-stored image ``image_id``."""
        with self.transaction() as db:
            upsert_source(db, key, size, mtime, "accepted", image_id, None)

    def dedup_images(self, pending: bool) -> list[tuple[str, str, str, int]]:
        """(id, path, phash, pixel area) of images waiting for the near-duplicate pass
        (``pending``, in collection order) or already past it."""
        if pending:
            sql = (
                "SELECT i.id, i.path, i.phash, i.width * i.height FROM collect_pending p "
                "JOIN images i ON i.id = p.image_id ORDER BY p.seq"
            )
        else:
            sql = (
                "SELECT id, path, phash, width * height FROM images WHERE id NOT IN "
                "(SELECT image_id FROM collect_pending) ORDER BY created_at, id"
            )
        return [(str(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in self._db.execute(sql)]

    def demote_near_duplicate(
        self, image_id: str, path: str, kept: tuple[str, str], distance: int, reason: str
    ) -> bool:
        """Move an accepted image to the rejected sources, pointing at the kept one.

        Returns False (and changes nothing) when a later stage already uses the image.
        """
        try:
            with self.transaction() as db:
                db.execute("DELETE FROM collect_pending WHERE image_id = ?", (image_id,))
                db.execute("DELETE FROM images WHERE id = ?", (image_id,))
                db.execute(
                    "UPDATE sources SET status = 'rejected', image_id = NULL, reason = ? "
                    "WHERE image_id = ?",
                    (reason, image_id),
                )
                db.execute(
                    "INSERT OR REPLACE INTO near_duplicates VALUES (?,?,?,?,?,?)",
                    (path, image_id, kept[0], kept[1], distance, time.time()),
                )
        except sqlite3.IntegrityError:
            return False
        return True

    def clear_dedup_pending(self, image_ids: Sequence[str]) -> None:
        with self.transaction() as db:
            db.executemany(
                "DELETE FROM collect_pending WHERE image_id = ?", [(i,) for i in image_ids]
            )

    def near_duplicates(self) -> list[tuple[str, str, str, int]]:
        """(kept path, kept id, duplicate path, distance) of every near-duplicate found."""
        rows = self._db.execute(
            "SELECT kept_path, kept_id, path, distance FROM near_duplicates "
            "ORDER BY kept_path, distance, path"
        )
        return [(str(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]

    def rejection_counts(self) -> dict[str, int]:
        """Rejected sources per reason kind (the words before the reason's first colon)."""
        rows = self._db.execute(
            "SELECT CASE WHEN instr(reason, ':') > 0 THEN substr(reason, 1, instr(reason, ':') - 1)"
            " ELSE COALESCE(reason, '') END AS kind, COUNT(*) FROM sources "
            "WHERE status = 'rejected' GROUP BY kind ORDER BY COUNT(*) DESC, kind"
        )
        return {str(r[0]).strip() or "rejected": int(r[1]) for r in rows}
