"""A URL that is not a chat-completions endpoint stops the whole run at once, as a wrong key
does: the CLI in a subprocess against a server that answers every chat request with 501."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import make_images
from fakeserver import FakeOpenAIServer, Reply

pytestmark = pytest.mark.slow

CONCURRENCY = 4


def test_an_endpoint_answering_501_stops_the_run_within_seconds(tmp_path: Path) -> None:
    make_images(tmp_path / "images", {"landmark": 12})
    with FakeOpenAIServer(lambda body: Reply(status=501, body="Not Implemented")) as server:
        spec = {"model": "m", "base_url": server.base_url, "concurrency": CONCURRENCY}
        config = {
            "collect": {"path": str(tmp_path / "images")},
            "ocr": {"enabled": False},
            "models": {"captioner": spec, "generator": spec},
        }
        project = tmp_path / "project"
        project.mkdir()
        (project / "visinstruct.yaml").write_text(yaml.safe_dump(config))
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
        t0 = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "visinstruct", "run", "--config",
             str(project / "visinstruct.yaml")],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        seconds = time.monotonic() - t0
        sent = server.chat_count
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert seconds < 10
    assert 1 <= sent <= 2 * CONCURRENCY
    said = " ".join((proc.stdout + proc.stderr).split())
    assert f"{server.base_url}/chat/completions" in said
    assert "HTTP 501" in said
    assert "OPENAI_BASE_URL" in said
