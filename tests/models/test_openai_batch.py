"""The openai-batch backend through the caption stage, against the test server's Batch API."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from visinstruct.caption import CaptionStage
from visinstruct.config import ModelsConfig, ModelSpec, ProjectConfig
from visinstruct.executors import LocalExecutor
from visinstruct.models.registry import create_backend
from visinstruct.project import DB_FILENAME, Project

from conftest import make_images
from fakeserver import FakeOpenAIServer
from responders import engine_responder

PRICES = {"price_input_per_1m": 2.0, "price_output_per_1m": 8.0}


def _config(images: Path, server: FakeOpenAIServer, **spec: Any) -> ProjectConfig:
    values: dict[str, Any] = {
        "backend": "openai-batch", "model": "m", "base_url": server.base_url,
        "batch_size": 50, "batch_poll_s": 0.02, "max_retries": 3, **PRICES,
    }  # fmt: skip
    values.update(spec)
    return ProjectConfig(
        collect={"path": images},
        models=ModelsConfig(captioner=ModelSpec(**values)),
        ocr={"enabled": False},
    )


@pytest.fixture
def pictures(tmp_path: Path) -> Path:
    make_images(tmp_path / "images", {"landmark": 6, "posters": 6})
    return tmp_path / "images"


def _ledger(project: Path) -> list[tuple[str, float, int, int]]:
    with sqlite3.connect(project / DB_FILENAME) as con:
        rows = con.execute(
            "SELECT unit_key, cost_usd, input_tokens, output_tokens FROM calls ORDER BY unit_key"
        ).fetchall()
    return [(str(a), float(b), int(c), int(d)) for a, b, c, d in rows]


def _crash_while_waiting(project: Project, server: FakeOpenAIServer) -> None:
    """Run the caption stage until the server has been asked about its submitted batch, then
    stop as a crash would. Waiting for that event, not for a fixed time, keeps the test the
    same on a loaded machine (a 1.5 s timer could fire before the batch went out)."""
    spec = project.config.models.captioner
    assert spec is not None
    backend = create_backend(spec, "captioner")
    stage = CaptionStage(project.config, project.store, backend, root=project.root)

    def polled() -> bool:
        return any(b["polls"] > 0 for b in list(server.batches.values()))

    async def go() -> None:
        run = asyncio.ensure_future(LocalExecutor().run_async(stage))
        try:
            deadline = asyncio.get_running_loop().time() + 30
            while not polled():
                assert not run.done(), "the stage ended before its batch was polled"
                assert asyncio.get_running_loop().time() < deadline, "no batch polled in 30 s"
                await asyncio.sleep(0.01)
        finally:
            run.cancel()
            await asyncio.wait({run}, timeout=10)
            await asyncio.wait_for(backend.aclose(), timeout=10)
        assert run.cancelled() or run.exception() is not None

    asyncio.run(go())


def test_units_go_out_in_one_batch_and_cost_half(pictures: Path, tmp_path: Path) -> None:
    with FakeOpenAIServer(engine_responder) as server:
        with Project(tmp_path / "p", _config(pictures, server)) as project:
            project.collect()
            summary = project.caption()
            assert (summary.done, summary.failed) == (12, 0)
            assert project.status()["stages"]["caption"] == {"done": 12, "failed": 0, "pending": 0}
        assert len(server.batch_inputs) == 1
        assert len(server.batch_inputs[0]) == 12
        assert server.chat_count == 12
        assert not server.chat_requests  # nothing went to /chat/completions directly
    rows = _ledger(tmp_path / "p")
    assert len(rows) == 12
    for _, cost, tokens_in, tokens_out in rows:
        full = (tokens_in * 2.0 + tokens_out * 8.0) / 1e6
        assert cost == pytest.approx(full * 0.5)


def test_discount_is_configurable(pictures: Path, tmp_path: Path) -> None:
    with FakeOpenAIServer(engine_responder) as server:
        config = _config(pictures, server, batch_discount=0.25)
        with Project(tmp_path / "p", config) as project:
            project.collect()
            project.caption()
    for _, cost, tokens_in, tokens_out in _ledger(tmp_path / "p"):
        assert cost == pytest.approx((tokens_in * 2.0 + tokens_out * 8.0) / 1e6 * 0.25)


def test_a_crash_after_submitting_never_submits_again(pictures: Path, tmp_path: Path) -> None:
    with FakeOpenAIServer(engine_responder, batch_polls=10**6) as server:
        with Project(tmp_path / "p", _config(pictures, server)) as project:
            project.collect()
            _crash_while_waiting(project, server)
            assert len(server.batch_inputs) == 1
            assert project.status()["stages"]["caption"]["done"] == 0
            server.batch_polls = 0  # the batch finishes while no one is running
            summary = project.caption()
            assert summary.done == 12
        assert len(server.batch_inputs) == 1  # the rerun polled the batch it had, no new one
        assert server.chat_count == 12
    assert len(_ledger(tmp_path / "p")) == 12


def test_a_crash_between_upload_and_create_finds_the_batch(pictures: Path, tmp_path: Path) -> None:
    with FakeOpenAIServer(engine_responder, batch_polls=10**6) as server:
        with Project(tmp_path / "p", _config(pictures, server)) as project:
            project.collect()
            _crash_while_waiting(project, server)
            # As if the process died after the upload, before it heard the batch's id.
            with sqlite3.connect(project.root / DB_FILENAME) as con:
                con.execute("UPDATE batches SET batch_id = NULL, status = 'uploaded'")
            server.batch_polls = 0
            assert project.caption().done == 12
        assert len(server.batch_inputs) == 1  # found by its input file, not created again
        assert server.chat_count == 12


def test_an_expired_batch_resends_only_the_missing(pictures: Path, tmp_path: Path) -> None:
    with FakeOpenAIServer(engine_responder, batch_expire_first=5) as server:
        with Project(tmp_path / "p", _config(pictures, server)) as project:
            project.collect()
            assert project.caption().done == 12
            with sqlite3.connect(project.root / DB_FILENAME) as con:
                states = con.execute(
                    "SELECT remote_status, COUNT(*) FROM batches GROUP BY remote_status"
                ).fetchall()
        first, second = server.batch_inputs
        assert len(first) == 12
        assert sorted(second) == sorted(first[:5])  # the unanswered ones, nothing else
        assert server.chat_count == 12
    assert dict(states) == {"completed": 1, "expired": 1}
    rows = _ledger(tmp_path / "p")
    assert len(rows) == 12
    assert len({key for key, *_ in rows}) == 12


def test_without_a_store_the_backend_says_how_to_use_it() -> None:
    from visinstruct.errors import FatalModelError
    from visinstruct.models.base import CallContext, ChatRequest, Message

    spec = ModelSpec(backend="openai-batch", model="m", base_url="http://127.0.0.1:9/v1")
    backend = create_backend(spec, "captioner", env={})
    request = ChatRequest(messages=(Message("user", "hi"),))
    with pytest.raises(FatalModelError, match="project stage"):
        asyncio.run(backend.chat(request, CallContext("caption", "u")))
    assert backend.concurrency == spec.batch_size * spec.max_open_batches


# -- at scale: many batches open, caps, paging, faults kept local ------------------------------


def _batch_units(server: FakeOpenAIServer) -> list[str]:
    return [cid for batch in server.batch_inputs for cid in batch]


def test_many_batches_run_at_once_and_each_unit_is_done_once(tmp_path: Path) -> None:
    make_images(tmp_path / "images", {"landmark": 50, "posters": 50})
    with FakeOpenAIServer(engine_responder, batch_polls=0, batch_delay_s=3.0) as server:
        config = _config(
            tmp_path / "images", server, batch_size=20, max_open_batches=5, batch_poll_s=0.1
        )
        with Project(tmp_path / "p", config) as project:
            assert project.collect().accepted == 100
            summary = project.caption()
            assert (summary.done, summary.failed) == (100, 0)
        assert [len(b) for b in server.batch_inputs] == [20] * 5
        assert server.open_peak() >= 3  # five 3 s batches overlapped, not one after another
        units = _batch_units(server)
        assert len(units) == len(set(units)) == 100
        assert server.chat_count == 100
    rows = _ledger(tmp_path / "p")
    assert len(rows) == 100
    assert len({key for key, *_ in rows}) == 100


def test_a_file_never_exceeds_the_byte_cap(pictures: Path, tmp_path: Path) -> None:
    with FakeOpenAIServer(engine_responder) as server:
        with Project(tmp_path / "probe", _config(pictures, server)) as project:
            project.collect()
            project.caption()
        line = max(len(x) for x in server.files.values()) // 12  # about one request's line
    with FakeOpenAIServer(engine_responder) as server:
        cap = int(line * 3.5)
        config = _config(pictures, server, batch_max_bytes=cap, max_open_batches=2)
        with Project(tmp_path / "p", config) as project:
            project.collect()
            assert project.caption().done == 12
        inputs = [server.files[b["input_file_id"]] for b in server.batches.values()]
        assert len(inputs) >= 4
        assert all(len(content) <= cap for content in inputs)
        assert sorted(_batch_units(server)) == sorted(set(_batch_units(server)))


def test_a_request_over_the_byte_cap_fails_alone_with_the_fix(
    pictures: Path, tmp_path: Path
) -> None:
    with FakeOpenAIServer(engine_responder) as server:
        with Project(tmp_path / "p", _config(pictures, server, batch_max_bytes=1024)) as project:
            project.collect()
            summary = project.caption()
            assert (summary.done, summary.failed) == (0, 12)
        assert not server.batch_inputs
    with sqlite3.connect(tmp_path / "p" / DB_FILENAME) as con:
        errors = {str(r[0]) for r in con.execute("SELECT last_error FROM work_units")}
    assert len(errors) == 12
    assert all("over batch_max_bytes=1,024: lower image_max_side" in e for e in errors)


def test_a_crash_between_create_and_record_finds_the_batch_among_many(
    pictures: Path, tmp_path: Path
) -> None:
    with FakeOpenAIServer(engine_responder, batch_polls=10**6) as server:
        with Project(tmp_path / "p", _config(pictures, server)) as project:
            project.collect()
            _crash_while_waiting(project, server)
            assert len(server.batch_inputs) == 1
            # The process died after POST /batches, before it journalled the id, holding the
            # claim to create it; meanwhile 150 newer batches of other work reached the account.
            with sqlite3.connect(project.root / DB_FILENAME) as con:
                con.execute(
                    "UPDATE batches SET batch_id = 'claim:dead', status = 'uploaded', "
                    "updated_at = 0"
                )
            server.add_foreign_batches(150)
            server.batch_polls = 0
            assert project.caption().done == 12
        assert len(server.batch_inputs) == 1  # found two pages down the list, not created again
        assert server.list_calls >= 2
        assert server.chat_count == 12
    assert len(_ledger(tmp_path / "p")) == 12


def test_a_failed_batch_fails_only_its_own_units(pictures: Path, tmp_path: Path) -> None:
    with FakeOpenAIServer(engine_responder) as server:
        server.batch_fail = {2}
        config = _config(pictures, server, batch_size=4, max_open_batches=3)
        with Project(tmp_path / "p", config) as project:
            project.collect()
            summary = project.caption()
            assert (summary.done, summary.failed) == (8, 4)
        assert len(server.batch_inputs) == 3  # a failed batch is not resent blindly
    assert len(_ledger(tmp_path / "p")) == 8


def test_a_failing_poll_fails_only_its_units_and_a_rerun_collects_them(
    pictures: Path, tmp_path: Path
) -> None:
    # The other batches still run (1.5 s) when batch 1's polling gives up.
    with FakeOpenAIServer(engine_responder, batch_delay_s=1.5) as server:
        server.batch_poll_errors = {1}
        config = _config(
            pictures, server, batch_size=4, max_open_batches=3, max_retries=1, batch_poll_s=0.1
        )
        with Project(tmp_path / "p", config) as project:
            project.collect()
            summary = project.caption()
            assert (summary.done, summary.failed) == (8, 4)
            server.batch_poll_errors = set()
            again = project.caption()
            assert (again.done, again.failed) == (4, 0)
            assert project.status()["stages"]["caption"]["done"] == 12
        assert len(server.batch_inputs) == 3  # the rerun polled batch 1, never resent it
        assert server.chat_count == 12
    rows = _ledger(tmp_path / "p")
    assert len(rows) == 12
    assert len({key for key, *_ in rows}) == 12
