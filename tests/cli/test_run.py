"""The vertical slice as a user runs it: the CLI in a subprocess against the test server."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import make_images
from fakeserver import FakeOpenAIServer, Reply
from responders import engine_responder

pytestmark = pytest.mark.slow

KEY = "sk-test-SECRET-0123456789abcdef"


def _env(server: FakeOpenAIServer, key: str = KEY) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.update(OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY=key, COLUMNS="120")
    return env


def _cli(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "visinstruct", *args],
        env=env, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


def _export(project: Path) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((project / "exports" / "llava.json").read_text())
    return data


def _status(project: Path, env: dict[str, str]) -> dict[str, Any]:
    result = _cli("status", "--project", str(project), "--json", env=env)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_run_makes_a_llava_export_and_status(tmp_path: Path) -> None:
    images = tmp_path / "images"
    make_images(images, {"landmark": 3, "ocr": 2})
    (images / "ocr" / "broken.jpg").write_bytes(b"\xff\xd8 broken")
    project = tmp_path / "project"
    with FakeOpenAIServer(engine_responder, api_key=KEY) as server:
        env = _env(server)
        result = _cli("run", str(images), "--out", str(project), "--model", "m", env=env)
        assert result.returncode == 0, result.stderr
        assert "45 records on      5 images" in result.stdout
        status = _status(project, env)
        prompts = [json.dumps(r.body, ensure_ascii=False) for r in server.requests]
    # Generation prompts carry seed questions sampled from the image's domain.
    assert sum("Example questions for this domain" in p for p in prompts) == 5
    records = _export(project)
    assert len(records) == 45  # 5 images x (4 judgement + 2 MC + 1 long + 2 short)
    assert len({r["id"] for r in records}) == 45
    for record in records:
        assert (images / record["image"]).is_file()  # relative to the image root
        assert record["conversations"][0]["value"].startswith("<image>\n")
        assert "<image>" not in record["conversations"][1]["value"]
    assert status["stages"]["collect"] == {"done": 5, "failed": 1, "pending": 0}
    assert status["stages"]["caption"] == {"done": 5, "failed": 0, "pending": 0}
    assert status["stages"]["generate"] == {"done": 5, "failed": 0, "pending": 0}
    assert status["calls"]["total"] == 10
    assert status["instructions"] == 45
    assert status["tokens"]["input"] > 0
    assert status["tokens"]["image"] > 0
    # The key reaches neither the database, the config, the export nor the output.
    for path in project.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path
    assert KEY not in result.stdout + result.stderr


def test_sigkill_half_way_then_rerun_is_exactly_once(tmp_path: Path) -> None:
    images = tmp_path / "images"
    make_images(images, {"landmark": 20, "ocr": 20})
    project = tmp_path / "project"
    served: dict[str, int] = {"n": 0}

    def slow_unique(body: dict[str, Any]) -> Reply:
        # Every reply differs, so a unit done twice would leave two rows behind.
        served["n"] += 1
        text = engine_responder(body)
        if text.startswith("A photograph"):
            text += f" Reply number {served['n']}."
        return Reply(content=text, delay_s=0.05)

    with FakeOpenAIServer(slow_unique, api_key=KEY) as server:
        env = _env(server)
        args = ("run", str(images), "--out", str(project), "--model", "m")
        proc = subprocess.Popen(
            [sys.executable, "-m", "visinstruct", *args],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        db = project / "visinstruct.db"
        deadline = time.monotonic() + 60
        done = 0
        while time.monotonic() < deadline and done < 25:
            time.sleep(0.05)
            if db.exists():
                try:
                    con = sqlite3.connect(db)
                    done = con.execute("SELECT COUNT(*) FROM work_units").fetchone()[0]
                    con.close()
                except sqlite3.OperationalError:
                    pass
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert 25 <= done < 80, "the run should have been killed half way"
        first_calls = server.chat_count
        result = _cli(*args, env=env)
        assert result.returncode == 0, result.stderr
        total_calls = server.chat_count
    status = _status(project, env)
    assert status["stages"]["caption"] == {"done": 40, "failed": 0, "pending": 0}
    assert status["stages"]["generate"] == {"done": 40, "failed": 0, "pending": 0}
    con = sqlite3.connect(project / "visinstruct.db")
    per_image = con.execute("SELECT COUNT(*) FROM captions GROUP BY image_id").fetchall()
    assert [n for (n,) in per_image] == [1] * 40
    records = _export(project)
    assert len(records) == 40 * 9
    assert len({r["id"] for r in records}) == 40 * 9
    # 80 units; at most the 8 calls in flight at the kill were paid for twice.
    assert 80 <= total_calls <= 80 + 8, (first_calls, total_calls)


def test_faults_lose_no_unit(tmp_path: Path) -> None:
    images = tmp_path / "images"
    make_images(images, {"landmark": 15, "posters": 15})
    project = tmp_path / "project"
    with FakeOpenAIServer(
        engine_responder, api_key=KEY, error_rate=0.05, rate_limit_every=9, retry_after=0.2,
        seed=7,
    ) as server:  # fmt: skip
        env = _env(server)
        result = _cli("run", str(images), "--out", str(project), "--model", "m", env=env)
        assert result.returncode == 0, result.stderr
        calls = server.chat_count
    status = _status(project, env)
    assert status["stages"]["caption"] == {"done": 30, "failed": 0, "pending": 0}
    assert status["stages"]["generate"] == {"done": 30, "failed": 0, "pending": 0}
    retries = status["calls"]["retries"]
    assert retries > 0
    assert calls == 60 + retries == status["calls"]["total"]
    assert len(_export(project)) == 30 * 9


def test_wrong_key_stops_at_once_naming_endpoint_and_variable(tmp_path: Path) -> None:
    images = tmp_path / "images"
    make_images(images, {"ocr": 12})
    with FakeOpenAIServer(engine_responder, api_key=KEY) as server:
        env = _env(server, key="sk-wrong-key-ffffffffffffffff")
        result = _cli("run", str(images), "--out", str(tmp_path / "p"), "--model", "m", env=env)
        assert result.returncode == 3
        assert server.chat_count <= 8  # only what was already in flight
        assert server.base_url in result.stderr
    assert "OPENAI_API_KEY" in result.stderr
    assert "resume with" in result.stderr.lower()
    assert "sk-wrong-key" not in result.stderr + result.stdout


def test_missing_model_and_usage_errors_are_clear(tmp_path: Path) -> None:
    images = tmp_path / "images"
    make_images(images, {"ocr": 1})
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    result = _cli("run", str(images), "--out", str(tmp_path / "p"), env=env)
    assert result.returncode == 2
    assert "models.captioner" in result.stderr
    assert "--model" in result.stderr
    result = _cli("run", env=env)
    assert result.returncode == 2
    assert "IMAGES_DIR" in result.stderr


def test_a_stage_in_which_every_unit_failed_exits_non_zero(tmp_path: Path) -> None:
    images = tmp_path / "images"
    make_images(images, {"landmark": 2})
    project = tmp_path / "project"
    with FakeOpenAIServer(lambda body: "Too short.", api_key=KEY) as server:
        env = _env(server)
        result = _cli("run", str(images), "--out", str(project), "--model", "m", env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "every caption unit tried in this run failed (2)" in result.stderr
    assert "last error:" in result.stderr
    assert not (project / "exports" / "llava.json").exists()  # nothing built on nothing


def test_generation_reports_asked_versus_kept_per_kind(tmp_path: Path) -> None:
    images = tmp_path / "images"
    make_images(images, {"landmark": 2})
    project = tmp_path / "project"
    with FakeOpenAIServer(engine_responder, api_key=KEY) as server:
        env = _env(server)
        result = _cli("run", str(images), "--out", str(project), "--model", "m", env=env)
        assert result.returncode == 0, result.stderr
        status = _status(project, env)
    assert "judgement: kept 8 of 8 asked" in result.stderr
    assert status["generation"]["multiple_choice"] == {
        "asked": 4, "kept": 4, "refused": 0, "top_reasons": {},
    }  # fmt: skip


def test_a_run_that_produces_nothing_exits_non_zero_and_says_why(tmp_path: Path) -> None:
    images = tmp_path / "images"
    (images / "landmark").mkdir(parents=True)
    (images / "landmark" / "broken.jpg").write_bytes(b"\xff\xd8 not a picture")
    project = tmp_path / "project"
    with FakeOpenAIServer(engine_responder, api_key=KEY) as server:
        result = _cli("run", str(images), "--out", str(project), "--model", "m", env=_env(server))
        assert server.requests == []  # nothing to pay for
    assert result.returncode == 1, result.stdout + result.stderr
    assert "no usable image" in result.stderr and "1 rejected" in result.stderr
