"""A scripted OpenAI-compatible chat-completions server on 127.0.0.1: the one test seam for
model calls.

Tests talk to it over real HTTP, so the backend's real client, connection pool, timeouts and
retries are what gets tested. Each test scripts replies (:meth:`FakeOpenAIServer.script`) or
passes a responder, and can inject faults deterministically from ``seed``: 500s, 429s with
Retry-After, hangs, malformed bodies, and 401s that echo the key they were sent (to prove the
backend redacts it).

    with FakeOpenAIServer() as server:
        server.script(Reply(status=500), "fine")
        ...  # point a backend at server.base_url

Standalone, for trying the CLI by hand::

    python tests/fakeserver.py --port 8011 [--api-key K] [--error-rate 0.05]
        [--rate-limit-every 10] [--retry-after 1] [--responder module:function]
"""

from __future__ import annotations

import argparse
import importlib
import json
import random
import ssl
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs

__all__ = ["FakeOpenAIServer", "Reply", "SeenRequest", "default_responder"]

MODEL_ID = "fake-model"
MALFORMED_BODY = "<html>502 upstream hiccup, this is not JSON {"


@dataclass
class Reply:
    """What one request gets."""

    content: str | None = "ok"
    status: int = 200
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    finish_reason: str = "stop"
    logprobs: list[dict[str, float]] | None = None
    """Per reply token, its top alternatives (token -> log-probability; the most likely one is
    the token sent). Served as ``choices[0].logprobs`` only when the request asks for them."""


class Headers(dict[str, str]):
    """Request headers, looked up case-insensitively (keys are stored lower-case)."""

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)


@dataclass
class SeenRequest:
    """A request as the server received it. ``time`` is ``time.monotonic()`` on arrival."""

    time: float
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


Responder = Callable[[dict[str, Any]], "Reply | str"]


def default_responder(body: dict[str, Any]) -> Reply | str:
    """Answers every request with "ok"."""
    return "ok"


def _completion(n: int, body: dict[str, Any], raw_len: int, reply: Reply) -> dict[str, Any]:
    content = reply.content
    completion = len(content) // 4 if content else 0
    prompt = max(1, raw_len // 4)
    return {
        "id": f"chatcmpl-fake-{n}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model") or MODEL_ID,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": reply.finish_reason,
                **_logprobs_block(body, reply),
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


def _logprobs_block(body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    """``{"logprobs": {"content": [...]}}`` as OpenAI sends it, when asked and scripted."""
    if not body.get("logprobs") or reply.logprobs is None:
        return {}
    top_n = int(body.get("top_logprobs") or 0)
    content = []
    for alternatives in reply.logprobs:
        ranked = sorted(alternatives.items(), key=lambda kv: -kv[1])
        token, logprob = ranked[0]
        top = [{"token": t, "logprob": lp, "bytes": None} for t, lp in ranked[:top_n]]
        content.append({"token": token, "logprob": logprob, "bytes": None, "top_logprobs": top})
    return {"logprobs": {"content": content}}


def _error_body(status: int, message: str) -> str:
    kind = "invalid_request_error" if status < 500 else "server_error"
    return json.dumps({"error": {"message": message, "type": kind, "code": status}})


class FakeOpenAIServer:
    """An OpenAI-compatible server in a daemon thread. See the module docstring.

    Scripted replies are served first, in order, exactly as given (no injected faults); once
    the script is used up, faults are injected by request number and then the responder
    answers. Request numbers (and ``chat_count``) count every chat-completions request,
    starting at 1, including those refused with 401.
    """

    def __init__(
        self,
        responder: Responder | None = None,
        *,
        api_key: str | None = None,
        error_rate: float = 0.0,
        rate_limit_every: int = 0,
        retry_after: float = 1.0,
        hang_every: int = 0,
        hang_s: float = 30.0,
        malformed_every: int = 0,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        batch_polls: int = 1,
        batch_expire_first: int = 0,
        batch_delay_s: float = 0.0,
        tls: ssl.SSLContext | None = None,
    ):
        self.responder: Responder = responder or default_responder
        self.tls = tls
        """A server-side context: the server speaks HTTPS (each handshake in its handler)."""
        self.api_key = api_key
        self.error_rate = error_rate
        self.rate_limit_every = rate_limit_every
        self.retry_after = retry_after
        self.hang_every = hang_every
        self.hang_s = hang_s
        self.malformed_every = malformed_every
        self.seed = seed
        self._address = (host, port)
        self._lock = threading.Lock()
        self._script: deque[Reply] = deque()
        self._requests: list[SeenRequest] = []
        self._chat_count = 0
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None
        # Batch API: a batch reports "in_progress" to its first ``batch_polls`` GETs; the
        # first batch created ends "expired" with its first ``batch_expire_first`` lines unanswered.
        self.batch_polls = batch_polls
        self.batch_expire_first = batch_expire_first
        # ... and, besides, runs for ``batch_delay_s`` seconds after it is created. Batches
        # numbered in ``batch_fail`` end "failed" with no output; GETs of batches numbered in
        # ``batch_poll_errors`` answer 500 while the number stays in the set.
        self.batch_delay_s = batch_delay_s
        self.batch_fail: set[int] = set()
        self.batch_poll_errors: set[int] = set()
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.batch_inputs: list[list[str]] = []  # custom ids per created batch, in order
        self.list_calls = 0  # GET /v1/batches pages served

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> FakeOpenAIServer:
        self._stopping.clear()
        handler = type("_BoundHandler", (_Handler,), {"fake": self})
        httpd = _Server(self._address, handler)
        if self.tls is not None:
            # The handshake waits for the first read, in the connection's own thread, so a
            # client that rejects the certificate never stalls the accept loop.
            httpd.socket = self.tls.wrap_socket(
                httpd.socket, server_side=True, do_handshake_on_connect=False
            )
        self._httpd = httpd
        self._port = int(httpd.server_address[1])
        # A short poll interval: stop() waits up to one interval, and tests stop servers often.
        self._thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in delays or hangs
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port it listens (or, once stopped, listened) on."""
        if self._port is None:
            raise RuntimeError("the server was never started; call start() first")
        return self._port

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://{self._address[0]}:{self.port}/v1"

    # -- scripting and inspection -------------------------------------------------------

    def script(self, *replies: Reply | str) -> None:
        """Queue replies for the next chat requests, served in order before the responder."""
        with self._lock:
            self._script.extend(Reply(content=r) if isinstance(r, str) else r for r in replies)

    @property
    def requests(self) -> list[SeenRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[SeenRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    @property
    def chat_count(self) -> int:
        with self._lock:
            return self._chat_count

    # -- serving (called from handler threads) ------------------------------------------

    def _note(self, seen: SeenRequest) -> None:
        with self._lock:
            self._requests.append(seen)

    def _authorized(self, headers: Headers) -> str | None:
        """``None`` when the request may pass, else the token it carried (maybe empty)."""
        if self.api_key is None:
            return None
        auth = headers.get("authorization", "")
        token = auth[7:] if auth.lower().startswith("bearer ") else auth
        return None if token == self.api_key else token

    def _count_chat(self) -> int:
        """Number this chat request (1-based); refused ones count too."""
        with self._lock:
            self._chat_count += 1
            return self._chat_count

    def _chat_reply(self, n: int, body: dict[str, Any]) -> Reply:
        with self._lock:
            scripted = self._script.popleft() if self._script else None
        if scripted is not None:
            return scripted
        if self.rate_limit_every and n % self.rate_limit_every == 0:
            headers = {"Retry-After": f"{self.retry_after:g}"}
            return Reply("Rate limit reached, slow down", status=429, headers=headers)
        if self.malformed_every and n % self.malformed_every == 0:
            return Reply(body=MALFORMED_BODY)
        # Seeded by request number, so the same requests fail whatever the thread timing.
        if self.error_rate and random.Random(f"{self.seed}:{n}").random() < self.error_rate:
            return Reply("The server had an error processing your request", status=500)
        try:
            answer = self.responder(body)
        except Exception as exc:  # a broken responder should fail the test, loudly
            return Reply(f"responder raised {type(exc).__name__}: {exc}", status=500)
        reply = Reply(content=answer) if isinstance(answer, str) else answer
        if self.hang_every and n % self.hang_every == 0:
            reply = Reply(reply.content, reply.status, reply.body, reply.headers, self.hang_s)
        return reply

    # -- Batch API (called from handler threads) ----------------------------------------

    def _store_file(self, content: bytes) -> dict[str, Any]:
        with self._lock:
            file_id = f"file-{len(self.files) + 1}"
            self.files[file_id] = content
        return {"id": file_id, "object": "file", "bytes": len(content), "purpose": "batch"}

    def _create_batch(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Answer every line at once through the chat path (faults and script included)."""
        content = self.files.get(str(body.get("input_file_id")))
        if content is None:
            return 404, {"error": {"message": "no such input file"}}
        lines = [json.loads(x) for x in content.decode().splitlines() if x.strip()]
        with self._lock:  # the id is taken at once: batches may be created concurrently
            number = len(self.batches) + 1
            self.batch_inputs.append([str(x["custom_id"]) for x in lines])
            self.batches[f"batch-{number}"] = {
                "id": f"batch-{number}", "object": "batch", "status": "validating",
                "input_file_id": body["input_file_id"], "created_at": int(time.time()),
                "metadata": body.get("metadata") or {}, "number": number, "polls": 0,
            }  # fmt: skip
        skip = self.batch_expire_first if number == 1 else 0
        failed = number in self.batch_fail
        if failed:
            lines = []
        out = []
        for line in lines[skip:]:
            n = self._count_chat()
            reply = self._chat_reply(n, line["body"])
            if reply.status >= 400:
                answer = json.loads(_error_body(reply.status, reply.content or "error"))
            else:
                answer = _completion(n, line["body"], len(json.dumps(line["body"])), reply)
            response = {"status_code": reply.status, "body": answer}
            out.append(json.dumps({"custom_id": line["custom_id"], "response": response}))
        output = self._store_file(("\n".join(out) + "\n").encode())
        final = "failed" if failed else "expired" if skip else "completed"
        batch = {
            "id": f"batch-{number}", "object": "batch", "input_file_id": body["input_file_id"],
            "status": "in_progress", "polls": 0, "final": final, "output": output["id"],
            "created_at": int(time.time()), "metadata": body.get("metadata") or {},
            "number": number, "t0": time.monotonic(),
        }  # fmt: skip
        with self._lock:
            self.batches[batch["id"]].update(batch)
        return 200, self._batch_view(batch)

    def _batch_view(self, batch: dict[str, Any]) -> dict[str, Any]:
        hidden = ("polls", "final", "output", "number", "t0", "foreign")
        view = {k: v for k, v in batch.items() if k not in hidden}
        if batch["status"] in ("completed", "expired"):
            view["output_file_id"] = batch["output"]
        if batch["status"] == "failed":
            view["errors"] = {"data": [{"code": "invalid_request", "message": "scripted"}]}
        return view

    def _poll_batch(self, batch_id: str) -> dict[str, Any] | None:
        with self._lock:
            batch = self.batches.get(batch_id)
            if batch is None:
                return None
            if batch.get("number") in self.batch_poll_errors:
                return {"error": {"message": "The server had an error", "code": 500}}
            batch["polls"] += 1
            ready = time.monotonic() >= batch.get("t0", 0.0) + self.batch_delay_s
            if batch["polls"] > self.batch_polls and ready:
                batch["status"] = batch["final"]
            return self._batch_view(batch)

    def add_foreign_batches(self, count: int) -> None:
        """Put ``count`` finished batches of someone else on the account (newer than any so far)."""
        for _ in range(count):
            with self._lock:
                number = len(self.batches) + 1
                batch = {
                    "id": f"batch-{number}", "object": "batch", "status": "completed",
                    "input_file_id": f"file-other-{number}", "created_at": int(time.time()),
                    "metadata": {"owner": "someone else"}, "number": number, "polls": 0,
                    "final": "completed", "output": "file-none", "foreign": True,
                }  # fmt: skip
                self.batches[batch["id"]] = batch

    def list_batches(self, query: dict[str, list[str]]) -> dict[str, Any]:
        """GET /v1/batches as OpenAI pages it: newest first, ``limit`` (1-100, default 20)
        per page, ``after`` the last id of the previous page, ``has_more``."""
        limit = max(1, min(100, int((query.get("limit") or ["20"])[0])))
        with self._lock:
            newest_first = [self._batch_view(b) for b in reversed(self.batches.values())]
            self.list_calls += 1
        after = (query.get("after") or [None])[0]
        if after is not None:
            ids = [b["id"] for b in newest_first]
            newest_first = newest_first[ids.index(after) + 1 :] if after in ids else []
        page = newest_first[:limit]
        return {
            "object": "list", "data": page, "has_more": len(newest_first) > limit,
            "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None,
        }  # fmt: skip

    def open_peak(self) -> int:
        """The most of this server's batches that were running (not yet due) at one time."""
        with self._lock:
            starts = sorted(b["t0"] for b in self.batches.values() if "t0" in b)
        return max(
            (sum(1 for t in starts if t <= s < t + self.batch_delay_s) for s in starts), default=0
        )

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() must not wait for a hanging reply

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up (timeouts, closed pools) are normal here, not worth a traceback."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers and httpx's pool expect
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls
    fake: FakeOpenAIServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: test output is for test failures."""

    def _send(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
        data = body.encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. timed out on a hang)

    def _receive(self) -> tuple[Headers, dict[str, Any], int]:
        headers = Headers({k.lower(): v for k, v in self.headers.items()})
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        self.raw_body = raw
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {"_unparsed": raw.decode("utf-8", "replace")}
        if not isinstance(body, dict):
            body = {"_unparsed": body}
        self.fake._note(SeenRequest(time.monotonic(), self.path, headers, body))
        return headers, body, len(raw)

    def _gate(self, headers: Headers) -> bool:
        """Answer 401 (echoing the key received, as OpenAI does) unless the key matches."""
        token = self.fake._authorized(headers)
        if token is None:
            return True
        message = f"Incorrect API key provided: {token}. You can find your API key at ..."
        self._send(401, _error_body(401, message))
        return False

    def _batch_get(self) -> bool:
        """GET /v1/batches[/{id}] and /v1/files/{id}/content; False for other paths."""
        path = self.path.split("?")[0].rstrip("/")
        if path == "/v1/batches":
            query = parse_qs(self.path.partition("?")[2])
            self._send(200, json.dumps(self.fake.list_batches(query)))
        elif path.startswith("/v1/batches/"):
            view = self.fake._poll_batch(path.rsplit("/", 1)[1])
            code = 404 if view is None else 500 if "error" in view else 200
            self._send(code, json.dumps(view or {"error": {"message": "no"}}))
        elif path.startswith("/v1/files/") and path.endswith("/content"):
            content = self.fake.files.get(path.split("/")[3])
            self._send(200 if content else 404, (content or b"").decode())
        else:
            return False
        return True

    def _batch_post(self, body: dict[str, Any]) -> bool:
        """POST /v1/files (multipart, the file part kept as is) and /v1/batches."""
        if self.path == "/v1/files":
            boundary = self.headers.get("Content-Type", "").split("boundary=")[-1].encode()
            parts = self.raw_body.split(b"--" + boundary)
            file_part = next(p for p in parts if b'name="file"' in p)
            content = file_part.split(b"\r\n\r\n", 1)[1].rsplit(b"\r\n", 1)[0]
            self._send(200, json.dumps(self.fake._store_file(content)))
        elif self.path == "/v1/batches":
            status, answer = self.fake._create_batch(body)
            self._send(status, json.dumps(answer))
        else:
            return False
        return True

    def do_GET(self) -> None:
        headers, _, _ = self._receive()
        if self.path.startswith(("/v1/batches", "/v1/files")):
            if self._gate(headers) and not self._batch_get():
                self._send(404, _error_body(404, f"unknown path {self.path}"))
            return
        if self.path.rstrip("/") != "/v1/models":
            self._send(404, _error_body(404, f"unknown path {self.path}"))
        elif self._gate(headers):
            data = [{"id": MODEL_ID, "object": "model", "owned_by": "visinstruct-tests"}]
            self._send(200, json.dumps({"object": "list", "data": data}))

    def do_POST(self) -> None:
        headers, body, raw_len = self._receive()
        if self.path in ("/v1/files", "/v1/batches"):
            if self._gate(headers):
                self._batch_post(body)
            return
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send(404, _error_body(404, f"unknown path {self.path}"))
            return
        n = self.fake._count_chat()
        if not self._gate(headers):
            return
        reply = self.fake._chat_reply(n, body)
        self.fake._wait(reply.delay_s)
        if reply.body is not None:
            text = reply.body
        elif reply.status >= 400:
            text = _error_body(reply.status, reply.content or "error")
        else:
            text = json.dumps(_completion(n, body, raw_len, reply), ensure_ascii=False)
        self._send(reply.status, text, reply.headers)


def _load_responder(target: str) -> Responder:
    module, _, attr = target.partition(":")
    if not attr:
        raise SystemExit(f"--responder wants module:function, got {target!r}")
    responder: Responder = getattr(importlib.import_module(module), attr)
    return responder


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A fake OpenAI-compatible server for tests.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8011)
    parser.add_argument("--api-key", default=None)
    parser.add_argument("--error-rate", type=float, default=0.0)
    parser.add_argument("--rate-limit-every", type=int, default=0)
    parser.add_argument("--retry-after", type=float, default=1.0)
    parser.add_argument("--hang-every", type=int, default=0)
    parser.add_argument("--hang-s", type=float, default=30.0)
    parser.add_argument("--malformed-every", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--responder", default=None, help="module:function taking the body")
    args = parser.parse_args(argv)
    server = FakeOpenAIServer(
        _load_responder(args.responder) if args.responder else None,
        api_key=args.api_key,
        error_rate=args.error_rate,
        rate_limit_every=args.rate_limit_every,
        retry_after=args.retry_after,
        hang_every=args.hang_every,
        hang_s=args.hang_s,
        malformed_every=args.malformed_every,
        seed=args.seed,
        host=args.host,
        port=args.port,
    ).start()
    print(f"fake OpenAI server at http://{args.host}:{server.port}/v1 (Ctrl-C to stop)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
