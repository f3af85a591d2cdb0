from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from visinstruct.errors import StoreError
from visinstruct.records import Caption, ImageRecord, ModelCall, Rejection
from visinstruct.store import Store
from visinstruct.store.migrations import MIGRATIONS


def _image(n: int = 0) -> ImageRecord:
    return ImageRecord(
        id=f"{n:064x}", path=f"/data/{n}.jpg", domain="ocr", width=10, height=10,
        format="JPEG", bytes=100, phash="0" * 16,
    )  # fmt: skip


def _caption(image: ImageRecord, text: str = "a red square") -> Caption:
    return Caption(
        id=Caption.make_id(image.id, "h1", text), image_id=image.id, text=text, language="en",
        model="m", prompt_version="v1", config_hash="h1",
    )  # fmt: skip


def test_open_uses_wal_and_applies_migrations_once(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    with Store(path) as store:
        assert store.migrations() == sorted(name for name, _ in MIGRATIONS)
    with Store(path) as store:
        assert store.migrations() == sorted(name for name, _ in MIGRATIONS)
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute("INSERT INTO schema_migrations VALUES ('9999_future', 0)")
    db.commit()
    with pytest.raises(StoreError, match="newer visinstruct"):
        Store(path)


def test_complete_unit_is_atomic_and_idempotent(tmp_path: Path) -> None:
    with Store(tmp_path / "p.db") as store:
        image = _image()
        store.record_image(image, 100, 1.0)
        caption = _caption(image)
        store.complete_unit("caption", image.id, "h1", [caption])
        store.complete_unit("caption", image.id, "h1", [caption])
        assert store.count_captions("h1") == 1
        assert store.unit_states("caption", "h1") == {image.id: ("done", 1)}
        # A result the store cannot keep rolls the whole unit back.
        other = _image(1)
        store.record_image(other, 100, 1.0)
        with pytest.raises(StoreError):
            store.complete_unit("caption", other.id, "h1", [_caption(other), other])
        assert other.id not in store.unit_states("caption", "h1")
        assert store.count_captions("h1") == 1


def test_failures_keep_the_raw_reply_and_never_undo_done(tmp_path: Path) -> None:
    with Store(tmp_path / "p.db") as store:
        image = _image()
        store.record_image(image, 100, 1.0)
        store.fail_unit("caption", image.id, "h1", "too short", "I can't", 2)
        assert store.failures("caption", "h1")[0]["raw"] == "I can't"
        assert store.unit_counts("caption", "h1").failed == 1
        store.complete_unit("caption", image.id, "h1", [_caption(image)])
        store.fail_unit("caption", image.id, "h1", "late failure", None, 3)
        assert store.unit_states("caption", "h1")[image.id][0] == "done"
        assert store.count_captions("h1") == 1


def test_settings_are_separate_units(tmp_path: Path) -> None:
    with Store(tmp_path / "p.db") as store:
        image = _image()
        store.record_image(image, 100, 1.0)
        store.complete_unit("caption", image.id, "h1", [_caption(image)])
        assert store.unit_states("caption", "h2") == {}


def test_sources_and_rejections(tmp_path: Path) -> None:
    with Store(tmp_path / "p.db") as store:
        image = _image()
        store.record_image(image, 100, 5.0)
        store.record_rejection(
            Rejection(path="/data/bad.jpg", reason="empty file: 0 bytes"), 0, 1.0
        )
        assert store.source_state(image.path) == (100, 5.0)
        assert store.rejections() == [Rejection(path="/data/bad.jpg", reason="empty file: 0 bytes")]
        assert store.count_images() == 1
        assert store.count_rejected() == 1
        assert store.image(image.id) == image
        with pytest.raises(StoreError):
            store.image("missing")


def test_call_ledger_totals(tmp_path: Path) -> None:
    def call(outcome: str, cost: float) -> ModelCall:
        return ModelCall(
            stage="caption", unit_key="u", role="captioner", model="m", endpoint="http://x/v1",
            started_at=0.0, latency_s=0.1, outcome=outcome, input_tokens=10, output_tokens=5,  # type: ignore[arg-type]
            image_tokens=3, cost_usd=cost, raw="x" * 50_000 if outcome != "ok" else None,
        )  # fmt: skip

    with Store(tmp_path / "p.db") as store:
        store.add_calls([call("retry", 0.0), call("ok", 0.5), call("error", 0.0)])
        totals = store.call_totals()
        assert (totals.calls, totals.ok, totals.retries, totals.errors) == (3, 1, 1, 1)
        assert totals.input_tokens == 30
        assert totals.image_tokens == 9
        assert totals.cost_usd == pytest.approx(0.5)
        assert store.call_totals("generate").calls == 0
        assert all(len(c.raw or "") <= 20_000 for c in store.calls())


def test_rejected_items_are_kept_per_unit_and_replaced_on_rerun(tmp_path: Path) -> None:
    from visinstruct.records import RejectedItem

    with Store(tmp_path / "p.db") as store:
        image = _image()
        store.record_image(image, 100, 1.0)
        bad = RejectedItem(reason="judgement: answer 'maybe' is not yes or no", content="raw")
        store.complete_unit("generate", "u1", "h", [bad, bad])
        assert len(store.item_rejects("generate", "h")) == 2
        store.complete_unit("generate", "u1", "h", [bad])
        rows = store.item_rejects("generate")
        assert [(r["unit_key"], r["reason"], r["content"]) for r in rows] == [
            ("u1", bad.reason, "raw")
        ]


def test_ocr_and_peer_images(tmp_path: Path) -> None:
    from visinstruct.records import OcrLine

    with Store(tmp_path / "p.db") as store:
        images = [_image(n) for n in range(5)]
        for image in images:
            store.record_image(image, 100, 1.0)
        assert store.ocr_engine_of(images[0].id) is None
        store.set_ocr(images[0].id, [OcrLine(text="OPEN", confidence=0.9)], "engine-1")
        assert store.ocr_engine_of(images[0].id) == "engine-1"
        assert store.image(images[0].id).ocr[0].text == "OPEN"
        peers = store.peer_images(images[3].id, 3)
        assert [p.id for p in peers] == [images[4].id, images[0].id, images[1].id]
        assert store.peer_images(images[3].id, 3) == peers
