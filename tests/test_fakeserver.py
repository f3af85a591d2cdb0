"""The test server itself: other tests trust it, so it gets tests of its own."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fakeserver import MALFORMED_BODY, FakeOpenAIServer, Reply

HTTP = httpx.Client(timeout=10)  # one client: building one per call costs ~40 ms of TLS setup


@pytest.fixture(scope="module", autouse=True)
def _close_http() -> Iterator[None]:
    yield
    HTTP.close()


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as srv:
        yield srv


def _chat(base_url: str, content: str = "hi", **headers: str) -> httpx.Response:
    body = {"model": "m", "messages": [{"role": "user", "content": content}]}
    return HTTP.post(f"{base_url}/chat/completions", json=body, headers=headers)


def test_default_reply_is_a_chat_completion(server: FakeOpenAIServer) -> None:
    response = _chat(server.base_url, "x" * 400)
    assert response.status_code == 200
    data = response.json()
    assert data["object"] == "chat.completion"
    assert data["model"] == "m"
    assert data["choices"][0]["message"] == {"role": "assistant", "content": "ok"}
    assert data["choices"][0]["finish_reason"] == "stop"
    assert data["usage"]["prompt_tokens"] >= 100  # ≈ len(body) / 4
    assert server.chat_count == 1
    seen = server.requests[0]
    assert seen.path == "/v1/chat/completions"
    assert seen.body["messages"][0]["content"] == "x" * 400
    assert seen.headers["content-type"] == seen.headers["Content-Type"] == "application/json"


def test_script_is_served_in_order_before_the_responder() -> None:
    def responder(body: dict[str, Any]) -> str:
        return "from responder: " + str(body["messages"][0]["content"])

    with FakeOpenAIServer(responder) as server:
        server.script("first", Reply(status=503, content="busy", headers={"X-Test": "1"}))
        one, two, three = (_chat(server.base_url, "q") for _ in range(3))
    assert one.json()["choices"][0]["message"]["content"] == "first"
    assert two.status_code == 503
    assert two.headers["x-test"] == "1"
    assert two.json()["error"]["message"] == "busy"
    assert three.json()["choices"][0]["message"]["content"] == "from responder: q"


def test_body_override_null_content_and_finish_reason(server: FakeOpenAIServer) -> None:
    server.script(Reply(body="not json"), Reply(content=None, finish_reason="length"))
    assert _chat(server.base_url).text == "not json"
    choice = _chat(server.base_url).json()["choices"][0]
    assert choice["message"]["content"] is None
    assert choice["finish_reason"] == "length"


def test_wrong_key_gets_401_that_echoes_it() -> None:
    with FakeOpenAIServer(api_key="right-key") as server:
        bad = _chat(server.base_url, Authorization="Bearer wrong-key-123")
        good = _chat(server.base_url, Authorization="Bearer right-key")
        missing = _chat(server.base_url)
    assert bad.status_code == 401
    assert "wrong-key-123" in bad.json()["error"]["message"]
    assert good.status_code == 200
    assert missing.status_code == 401
    assert server.chat_count == 3


def test_faults_by_request_number() -> None:
    with FakeOpenAIServer(rate_limit_every=3, malformed_every=4, retry_after=2.5) as server:
        statuses = [_chat(server.base_url) for _ in range(6)]
    assert [r.status_code for r in statuses] == [200, 200, 429, 200, 200, 429]
    assert statuses[2].headers["retry-after"] == "2.5"
    assert statuses[3].text == MALFORMED_BODY


def test_error_rate_is_deterministic_from_seed() -> None:
    def run(seed: int) -> list[int]:
        with FakeOpenAIServer(error_rate=0.5, seed=seed) as server:
            return [_chat(server.base_url).status_code for _ in range(20)]

    first, again, other = run(7), run(7), run(8)
    assert first == again
    assert first != other
    assert 3 <= first.count(500) <= 17


def test_hang_delays_the_reply() -> None:
    with FakeOpenAIServer(hang_every=2, hang_s=0.3) as server:
        t0 = time.monotonic()
        _chat(server.base_url)
        quick = time.monotonic() - t0
        _chat(server.base_url)
        slow = time.monotonic() - t0 - quick
    assert quick < 0.3 <= slow


def test_stop_does_not_wait_for_a_hanging_reply() -> None:
    server = FakeOpenAIServer(hang_every=1, hang_s=30).start()
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{server.base_url}/chat/completions", json={}, timeout=0.2)
    t0 = time.monotonic()
    server.stop()
    assert time.monotonic() - t0 < 2


def test_models_listing_and_unknown_paths(server: FakeOpenAIServer) -> None:
    models = HTTP.get(f"{server.base_url}/models").json()
    assert [m["id"] for m in models["data"]] == ["fake-model"]
    assert HTTP.get(f"{server.base_url}/nope").status_code == 404
    assert HTTP.post(f"{server.base_url}/completions", json={}).status_code == 404
    assert server.chat_count == 0
    assert len(server.requests) == 3


def test_responder_errors_become_500() -> None:
    def broken(body: dict[str, Any]) -> str:
        raise RuntimeError("boom")

    with FakeOpenAIServer(broken) as server:
        response = _chat(server.base_url)
    assert response.status_code == 500
    assert "boom" in response.json()["error"]["message"]


def test_runs_standalone(tmp_path: Path) -> None:
    with FakeOpenAIServer() as probe:  # borrow a free port
        port = probe.port
    (tmp_path / "myresponder.py").write_text(
        "def answer(body):\n    return 'standalone ' + body['model']\n", encoding="utf-8"
    )
    script = Path(__file__).with_name("fakeserver.py")
    args = [sys.executable, str(script), "--port", str(port), "--responder", "myresponder:answer"]
    proc = subprocess.Popen(
        args, cwd=tmp_path, env={"PYTHONPATH": str(tmp_path)}, stdout=subprocess.DEVNULL
    )
    try:
        base_url = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + 15
        while True:  # poll rather than read stdout, so a silent server cannot hang the test
            try:
                response = _chat(base_url)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.05)
        assert json.loads(response.text)["choices"][0]["message"]["content"] == "standalone m"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
