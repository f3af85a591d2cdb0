"""The openai backend over real HTTP against the fake server."""

from __future__ import annotations

import asyncio
import base64
import io
import itertools
import json
import logging
import random
import socket
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from visinstruct.config import ModelSpec
from visinstruct.errors import (
    FatalModelError,
    ModelError,
    TransientModelError,
    UnitError,
)
from visinstruct.models.base import CallContext, ChatRequest, ChatResponse, Message
from visinstruct.models.openai import DEFAULT_BASE_URL, OpenAIBackend, parse_retry_after
from visinstruct.models.ratelimit import RateLimiter
from visinstruct.records import ModelCall

from fakeserver import FakeOpenAIServer, Reply

KEY = "local-secret-token-1234"
SCHEMA: dict[str, Any] = {"type": "object", "properties": {"a": {"type": "string"}}}


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as srv:
        yield srv


def spec_for(base_url: str | None, **options: Any) -> ModelSpec:
    values: dict[str, Any] = {"model": "test-model", "max_retries": 3, "timeout_s": 5.0}
    values.update(options)
    return ModelSpec(base_url=base_url, **values)


def ask(text: str = "Describe the image.", **options: Any) -> ChatRequest:
    return ChatRequest(messages=(Message("user", text),), **options)


class Run:
    """One backend, one call, everything it left behind."""

    def __init__(self, spec: ModelSpec, env: dict[str, str] | None = None, **options: Any):
        self.spec = spec
        self.env = {} if env is None else env
        self.options: dict[str, Any] = {"backoff_base_s": 0.001, "backoff_cap_s": 0.01}
        self.options.update(options)
        self.rows: list[ModelCall] = []
        self.sleeps: list[float] = []
        self.backend: OpenAIBackend | None = None

    async def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def _make(self) -> OpenAIBackend:
        options = dict(self.options)
        if options.pop("record_sleeps", False):
            options["sleep"] = self._sleep
        return OpenAIBackend(self.spec, "captioner", env=self.env, **options)

    async def _calls(self, requests: list[ChatRequest]) -> list[ChatResponse]:
        backend = self.backend = self._make()
        context = CallContext(stage="caption", unit_key="img-1", record=self.rows.append)
        try:
            return [await backend.chat(r, context) for r in requests]
        finally:
            await backend.aclose()

    def chat(self, *requests: ChatRequest) -> ChatResponse:
        return asyncio.run(self._calls(list(requests or [ask()])))[-1]

    def fails(self, *requests: ChatRequest) -> ModelError:
        with pytest.raises(ModelError) as info:
            self.chat(*requests)
        return info.value

    @property
    def outcomes(self) -> list[str]:
        return [row.outcome for row in self.rows]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- success ---------------------------------------------------------------------------------


def test_success_records_usage_and_cost(server: FakeOpenAIServer) -> None:
    server.script("A red square.")
    run = Run(
        spec_for(server.base_url, price_input_per_1m=2.0, price_output_per_1m=8.0),
        env={"OPENAI_API_KEY": KEY},
    )
    reply = run.chat(ask(max_tokens=99, temperature=0.5))
    assert reply.text == "A red square."
    assert reply.finish_reason == "stop"
    [row] = run.rows
    seen = server.requests[0]
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert seen.body["model"] == "test-model"
    assert seen.body["max_tokens"] == 99
    assert seen.body["temperature"] == 0.5
    assert seen.body["messages"] == [{"role": "user", "content": "Describe the image."}]
    assert "response_format" not in seen.body
    assert row.outcome == "ok"
    assert row.http_status == 200
    assert (row.stage, row.unit_key, row.role, row.model) == (
        "caption",
        "img-1",
        "captioner",
        "test-model",
    )
    assert row.endpoint == server.base_url
    assert row.input_tokens == reply.input_tokens > 10  # the server's usage, not an estimate
    assert row.output_tokens == reply.output_tokens == len("A red square.") // 4
    assert row.cost_usd == pytest.approx((row.input_tokens * 2.0 + row.output_tokens * 8.0) / 1e6)
    assert reply.cost_usd == row.cost_usd
    assert row.latency_s > 0
    assert row.error is None
    assert row.raw is None


def test_no_key_sends_no_authorization_header(server: FakeOpenAIServer) -> None:
    Run(spec_for(server.base_url)).chat()
    assert "authorization" not in server.requests[0].headers


def test_base_url_from_env_then_default(server: FakeOpenAIServer) -> None:
    run = Run(spec_for(None), env={"OPENAI_BASE_URL": server.base_url + "/"})
    run.chat()
    assert server.chat_count == 1
    assert run.backend is not None
    assert run.backend.endpoint == server.base_url
    backend = OpenAIBackend(spec_for(None), "generator", env={})
    assert backend.endpoint == DEFAULT_BASE_URL
    asyncio.run(backend.aclose())


def test_endpoint_never_shows_url_credentials() -> None:
    backend = OpenAIBackend(spec_for("http://user:pw-secret@127.0.0.1:9/v1"), "generator", env={})
    assert backend.endpoint == "http://127.0.0.1:9/v1"
    asyncio.run(backend.aclose())


def test_extra_body_is_merged_and_none_removes_a_field(server: FakeOpenAIServer) -> None:
    extra = {"top_p": 0.9, "temperature": None, "max_completion_tokens": 50}
    Run(spec_for(server.base_url, extra_body=extra)).chat()
    body = server.requests[0].body
    assert body["top_p"] == 0.9
    assert body["max_completion_tokens"] == 50
    assert "temperature" not in body
    assert "max_tokens" not in body


def test_empty_content_is_an_empty_reply_not_an_error(server: FakeOpenAIServer) -> None:
    server.script(Reply(content=None, finish_reason="content_filter"))
    run = Run(spec_for(server.base_url))
    reply = run.chat()
    assert (reply.text, reply.finish_reason) == ("", "content_filter")
    assert run.outcomes == ["ok"]


# -- images ----------------------------------------------------------------------------------


def test_image_is_sent_as_a_resized_data_url(server: FakeOpenAIServer, tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    Image.new("RGB", (2000, 1000), (10, 120, 200)).save(path)
    run = Run(spec_for(server.base_url, image_max_side=512, image_detail="high"))
    request = ChatRequest(messages=(Message("user", "What is this?", images=(path,)),))
    reply = run.chat(request)
    [message] = server.requests[0].body["messages"]
    text_part, image_part = message["content"]
    assert text_part == {"type": "text", "text": "What is this?"}
    assert image_part["type"] == "image_url"
    assert image_part["image_url"]["detail"] == "high"
    url: str = image_part["image_url"]["url"]
    assert url.startswith("data:image/jpeg;base64,")
    sent = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert sent.size == (512, 256)
    assert reply.image_tokens == run.rows[0].image_tokens == 255  # one 512-px tile


def test_unreadable_image_fails_the_unit_without_a_call(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    request = ChatRequest(messages=(Message("user", "?", images=(tmp_path / "gone.jpg",)),))
    with pytest.raises(UnitError, match=r"gone\.jpg"):
        Run(spec_for(server.base_url)).chat(request)
    assert server.requests == []


def test_limiter_is_charged_text_images_and_max_tokens(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    charged: list[int] = []

    class Recording(RateLimiter):
        async def acquire(self, tokens: int = 0) -> float:
            charged.append(tokens)
            return 0.0

    path = tmp_path / "p.png"
    Image.new("RGB", (100, 100)).save(path)
    request = ChatRequest(messages=(Message("user", "abcd" * 10, images=(path,)),), max_tokens=300)
    Run(spec_for(server.base_url, image_detail="low"), limiter=Recording()).chat(request)
    assert charged == [(10 + 4) + 85 + 300]


# -- JSON modes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("schema", {"type": "json_schema", "json_schema": {"name": "caption", "schema": SCHEMA}}),
        ("object", {"type": "json_object"}),
        ("off", None),
    ],
)
def test_json_modes(server: FakeOpenAIServer, mode: str, expected: Any) -> None:
    run = Run(spec_for(server.base_url, json_mode=mode))
    run.chat(ask(json_schema=SCHEMA, schema_name="caption"), ask())
    with_schema, without = (r.body for r in server.requests)
    assert with_schema.get("response_format") == expected
    assert "response_format" not in without


def test_json_mode_downgrades_step_by_step_when_refused(server: FakeOpenAIServer) -> None:
    server.script(
        Reply(status=400, content="response_format json_schema is not supported"),
        Reply(status=400, content="Invalid response_format type: json_object"),
        '{"a": "x"}',
    )
    run = Run(spec_for(server.base_url, json_mode="schema", max_retries=0))
    request = ask(json_schema=SCHEMA)
    assert run.chat(request, request).text == "ok"
    formats = [r.body.get("response_format", {}).get("type") for r in server.requests]
    assert formats == ["json_schema", "json_object", None, None]
    assert run.outcomes == ["retry", "retry", "ok", "ok"]
    assert run.backend is not None
    assert run.backend.json_mode == "off"


def test_unrelated_400_is_a_unit_error_not_a_downgrade(server: FakeOpenAIServer) -> None:
    server.script(Reply(status=400, content="messages: too long"))
    run = Run(spec_for(server.base_url, json_mode="schema"))
    error = run.fails(ask(json_schema=SCHEMA))
    assert type(error) is ModelError
    assert error.status == 400
    assert "too long" in str(error)
    assert server.chat_count == 1
    assert run.outcomes == ["error"]


# -- retries ---------------------------------------------------------------------------------


def test_retry_on_500_then_success(server: FakeOpenAIServer) -> None:
    server.script(Reply(status=500, content="engine overloaded"), "fine")
    run = Run(spec_for(server.base_url))
    assert run.chat().text == "fine"
    assert run.outcomes == ["retry", "ok"]
    retry = run.rows[0]
    assert retry.http_status == 500
    assert retry.raw is not None
    assert "engine overloaded" in retry.raw
    assert retry.error is not None
    assert "500" in retry.error
    assert (retry.input_tokens, retry.output_tokens, retry.cost_usd) == (0, 0, 0.0)


def test_429_retry_after_is_honoured(server: FakeOpenAIServer) -> None:
    server.script(
        Reply(status=429, content="slow down", headers={"Retry-After": "2.5"}),
        Reply(status=429, content="slow down", headers={"retry-after-ms": "1500"}),
        "ok",
    )
    run = Run(spec_for(server.base_url), record_sleeps=True)
    run.chat()
    assert run.sleeps == [2.5, 1.5]
    assert run.outcomes == ["retry", "retry", "ok"]


def test_429_short_retry_after_really_waits() -> None:
    with FakeOpenAIServer(rate_limit_every=2, retry_after=0.3) as server:
        run = Run(spec_for(server.base_url))
        run.chat(ask(), ask())  # requests 1: ok; 2: 429 with Retry-After: 0.3; 3: ok
        _, limited, retried = server.requests
    assert retried.time - limited.time >= 0.3
    assert run.outcomes == ["ok", "retry", "ok"]
    assert run.rows[1].http_status == 429


def test_retry_after_as_http_date() -> None:
    now = datetime(2030, 1, 1, tzinfo=timezone.utc)
    later = format_datetime(now + timedelta(seconds=42), usegmt=True)
    headers = httpx.Headers({"Retry-After": later})
    assert parse_retry_after(headers, now=now.timestamp()) == pytest.approx(42)
    assert parse_retry_after(httpx.Headers({"Retry-After": "soon"})) is None
    assert parse_retry_after(httpx.Headers({})) is None


def test_backoff_is_jittered_exponential_and_capped(server: FakeOpenAIServer) -> None:
    server.script(*[Reply(status=503)] * 6, "ok")
    run = Run(
        spec_for(server.base_url, max_retries=6),
        record_sleeps=True,
        backoff_base_s=0.5,
        backoff_cap_s=3.0,
        rng=random.Random(1),
    )
    run.chat()
    caps = [min(3.0, 0.5 * 2**i) for i in range(6)]
    assert len(run.sleeps) == 6
    assert all(0 <= s <= c for s, c in zip(run.sleeps, caps, strict=True))
    assert len(set(run.sleeps)) == 6  # jittered, not a fixed schedule


def test_hang_times_out_and_is_retried() -> None:
    with FakeOpenAIServer() as server:
        server.script(Reply(content="late", delay_s=3.0), "on time")
        run = Run(spec_for(server.base_url, timeout_s=0.2))
        assert run.chat().text == "on time"
    assert run.outcomes == ["retry", "ok"]
    assert run.rows[0].http_status is None
    assert run.rows[0].error is not None
    assert "timeout_s" in run.rows[0].error


def test_truncated_or_incomplete_json_is_retried(server: FakeOpenAIServer) -> None:
    server.script(Reply(body='{"choices": [{"mess'), Reply(body='{"choices": []}'), "good")
    run = Run(spec_for(server.base_url))
    assert run.chat().text == "good"
    assert run.outcomes == ["retry", "retry", "ok"]
    assert run.rows[0].raw == '{"choices": [{"mess'


def test_a_post_dropped_without_reply_is_retried_as_a_counted_attempt() -> None:
    """A request that may have reached the server is sent again only by the backend's retry
    loop, with a ledger row for the attempt that got no reply; never resent unseen."""
    ok = json.dumps({"choices": [{"message": {"content": "fine"}, "finish_reason": "stop"}]})
    seen = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal seen
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = [ln for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-l")]
                await reader.readexactly(int(length[0].split(b":")[1]))
                seen += 1
                if seen == 2:
                    return  # hang up on the kept-alive connection without a reply byte
                writer.write(f"HTTP/1.1 200 OK\r\nContent-Length: {len(ok)}\r\n\r\n{ok}".encode())
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    rows: list[ModelCall] = []

    async def go() -> list[str]:
        listener = await asyncio.start_server(handler, "127.0.0.1", 0)
        port = listener.sockets[0].getsockname()[1]
        spec = spec_for(f"http://127.0.0.1:{port}/v1", concurrency=1)
        backend = OpenAIBackend(spec, "captioner", env={}, backoff_base_s=0.001)
        context = CallContext(stage="caption", unit_key="u", record=rows.append)
        try:
            return [(await backend.chat(ask(), context)).text for _ in range(2)]
        finally:
            await backend.aclose()
            listener.close()

    assert asyncio.run(asyncio.wait_for(go(), 10)) == ["fine", "fine"]
    assert seen == 3
    assert [r.outcome for r in rows] == ["ok", "retry", "ok"]
    assert rows[1].error is not None
    assert "closed the connection" in rows[1].error


def test_persistent_5xx_raises_transient_after_all_retries(server: FakeOpenAIServer) -> None:
    server.script(*[Reply(status=502, content="bad gateway")] * 5)
    run = Run(spec_for(server.base_url, max_retries=2))
    error = run.fails()
    assert type(error) is TransientModelError
    assert error.status == 502
    assert server.chat_count == 3
    assert run.outcomes == ["retry", "retry", "error"]


def test_connection_refused_is_fatal_after_retries() -> None:
    base_url = f"http://127.0.0.1:{free_port()}/v1"
    run = Run(spec_for(base_url, max_retries=2))
    error = run.fails()
    assert isinstance(error, FatalModelError)
    assert f"cannot reach {base_url}" in str(error)
    assert "OPENAI_BASE_URL" in str(error)
    assert run.outcomes == ["retry", "retry", "fatal"]


def test_url_without_scheme_is_fatal_at_once() -> None:
    run = Run(spec_for("localhost:8000/v1"))
    error = run.fails()
    assert isinstance(error, FatalModelError)
    assert "OPENAI_BASE_URL" in str(error)
    assert run.outcomes == ["fatal"]


# -- fail fast -------------------------------------------------------------------------------


def test_wrong_key_is_fatal_at_once_and_names_the_variable() -> None:
    with FakeOpenAIServer(api_key="the-right-key") as server:
        run = Run(spec_for(server.base_url, api_key_env="MY_VLM_KEY"), env={"MY_VLM_KEY": KEY})
        error = run.fails()
        assert len(server.requests) == 1
    assert isinstance(error, FatalModelError)
    assert error.status == 401
    message = str(error)
    assert KEY not in message  # the server echoed it
    assert KEY not in (error.raw or "")
    assert f"{server.base_url} rejected the API key (HTTP 401)" in message
    assert "set MY_VLM_KEY" in message
    assert run.outcomes == ["fatal"]


@pytest.mark.parametrize(
    ("status", "needles"),
    [
        (403, ["HTTP 403", "OPENAI_API_KEY"]),
        (404, ["no model 'test-model'", "HTTP 404", "base_url/OPENAI_BASE_URL"]),
    ],
)
def test_403_and_404_are_fatal_at_once(
    server: FakeOpenAIServer, status: int, needles: list[str]
) -> None:
    server.script(Reply(status=status, content="nope"))
    run = Run(spec_for(server.base_url))
    error = run.fails()
    assert isinstance(error, FatalModelError)
    assert server.chat_count == 1
    assert server.base_url in str(error)
    for needle in needles:
        assert needle in str(error)
    assert run.outcomes == ["fatal"]


@pytest.mark.parametrize(
    ("reply", "needle"),
    [
        (Reply(status=405, body='{"detail":"Method Not Allowed"}'), "HTTP 405"),
        (Reply(status=501, body="Not Implemented"), "HTTP 501"),
        (Reply(body="<!DOCTYPE html><html><body>Welcome to nginx!</body></html>"), "not JSON"),
    ],
)
def test_not_a_chat_endpoint_is_fatal_at_once(
    server: FakeOpenAIServer, reply: Reply, needle: str
) -> None:
    server.script(reply, "never reached")
    run = Run(spec_for(server.base_url))
    error = run.fails()
    assert isinstance(error, FatalModelError)
    assert server.chat_count == 1
    message = str(error)
    assert f"{server.base_url}/chat/completions" in message
    assert needle in message
    assert "base_url / OPENAI_BASE_URL" in message
    assert run.outcomes == ["fatal"]


@pytest.mark.parametrize("key", [KEY, "sk-proj-Zz9yXw8vU7tS6rQ5"])
def test_echoed_key_never_leaks(
    server: FakeOpenAIServer, caplog: pytest.LogCaptureFixture, key: str
) -> None:
    caplog.set_level(logging.DEBUG)
    # A proxy quoting the header it got, then a 401 that quotes the key as OpenAI's does.
    server.script(
        Reply(status=500, content=f"upstream saw 'Authorization: Bearer {key}'"),
        Reply(status=401, content=f"Incorrect API key provided: {key}"),
    )
    run = Run(spec_for(server.base_url), env={"OPENAI_API_KEY": key})
    error = run.fails()
    assert server.chat_count == 2
    assert isinstance(error, FatalModelError)
    assert key not in str(error)
    assert error.raw is not None
    assert key not in error.raw
    assert "***" in error.raw
    assert run.outcomes == ["retry", "fatal"]
    for row in run.rows:
        assert key not in row.model_dump_json()
        assert row.raw is not None
        assert "***" in row.raw
    assert any("retry 1/3" in r.getMessage() for r in caplog.records)
    assert all(key not in r.getMessage() for r in caplog.records)
    assert key not in caplog.text


# -- pacing over real HTTP -------------------------------------------------------------------


def test_requests_per_minute_spaces_arrivals(server: FakeOpenAIServer) -> None:
    async def burst() -> None:
        backend = OpenAIBackend(spec_for(server.base_url, requests_per_minute=600), "generator")
        context = CallContext(stage="generate", unit_key="u")
        try:
            await asyncio.gather(*(backend.chat(ask(), context) for _ in range(6)))
        finally:
            await backend.aclose()

    asyncio.run(burst())
    times = sorted(r.time for r in server.requests)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(times) == 6
    assert times[-1] - times[0] >= 0.45
    assert min(gaps) >= 0.07, gaps


def test_json_body_is_valid_utf8_for_chinese(server: FakeOpenAIServer) -> None:
    Run(spec_for(server.base_url)).chat(ask("描述这张图片"))
    assert server.requests[0].body["messages"][0]["content"] == "描述这张图片"
    assert json.dumps(server.requests[0].body, ensure_ascii=False).count("描述") == 1
