"""A fast OpenAI-compatible server for throughput benchmarks, on asyncio streams.

The test suite's server (``tests/fakeserver.py``) is a thread per connection; at 100 calls/s
with 300 ms latency its own CPU use would be part of what a benchmark measures. This one is a
single asyncio loop speaking just enough HTTP/1.1 (keep-alive, Content-Length bodies) to answer
``POST /v1/chat/completions`` with a fixed completion after a latency drawn uniformly from
``latency ± jitter``. A sliding one-second window admits ``rpm / 60`` requests; the ones over
it get 429 with ``Retry-After: 1``, the way hosted APIs enforce per-second limits. Faults are
chosen per request number from a seed, so a rerun fails the same requests: ``error_rate`` of
them get 500, ``hang_rate`` of them never get an answer (the connection stays open).

Run it in its own process, so the client's CPU time is the client's alone::

    python bench/fastserver.py --port 8012 --rpm 6000 --latency 0.3 --jitter 0.05
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_REASONS = {200: "OK", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error"}
_COMPLETION = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "model": "bench-model",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "A bench reply that stands in for a caption of an image, "
                    "long enough to look like one sentence of a real answer.",
                },
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 60, "completion_tokens": 25, "total_tokens": 85},
    }
).encode()


@dataclass
class Counters:
    requests: int = 0
    ok: int = 0
    rate_limited: int = 0
    errors: int = 0
    hangs: int = 0
    first: float = 0.0
    last: float = 0.0
    window: deque[float] = field(default_factory=deque)


class BenchServer:
    def __init__(
        self,
        *,
        rpm: float | None,
        latency: float = 0.3,
        jitter: float = 0.05,
        error_rate: float = 0.0,
        hang_rate: float = 0.0,
        seed: int = 0,
        responder: Callable[[dict[str, Any]], str] | None = None,
    ):
        self.responder = responder
        """Builds the reply's content from the request body; None: the fixed completion."""
        self.per_second = None if rpm is None else rpm / 60.0
        self.latency = latency
        self.jitter = jitter
        self.error_rate = error_rate
        self.hang_rate = hang_rate
        self.seed = seed
        self.counters = Counters()
        self._rng = random.Random(seed)

    def _admit(self, now: float) -> bool:
        if self.per_second is None:
            return True
        window = self.counters.window
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= self.per_second:
            return False
        window.append(now)
        return True

    def _fault(self, n: int) -> str:
        draw = random.Random(f"{self.seed}:{n}").random()
        if draw < self.hang_rate:
            return "hang"
        if draw < self.hang_rate + self.error_rate:
            return "error"
        return ""

    def _completion(self, request: bytes) -> bytes:
        if self.responder is None:
            return _COMPLETION
        content = self.responder(json.loads(request))
        data = json.loads(_COMPLETION)
        data["choices"][0]["message"]["content"] = content
        return json.dumps(data, ensure_ascii=False).encode()

    async def _respond(self, n: int, now: float, request: bytes) -> tuple[int, bytes, str] | None:
        c = self.counters
        if not self._admit(now):
            c.rate_limited += 1
            return 429, b'{"error":{"message":"rate limit","type":"rate_limit"}}', "1"
        fault = self._fault(n)
        if fault == "hang":
            c.hangs += 1
            return None
        delay = self.latency + self._rng.uniform(-self.jitter, self.jitter)
        await asyncio.sleep(max(0.0, delay))
        if fault == "error":
            c.errors += 1
            return 500, b'{"error":{"message":"server error","type":"server_error"}}', ""
        c.ok += 1
        c.last = time.monotonic()
        return 200, self._completion(request), ""

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                request = await reader.readexactly(length) if length else b"{}"
                c = self.counters
                c.requests += 1
                now = time.monotonic()
                c.first = c.first or now
                answer = await self._respond(c.requests, now, request)
                if answer is None:
                    await asyncio.sleep(3600)  # a hang: the client has to give up
                    return
                status, body, retry_after = answer
                extra = f"Retry-After: {retry_after}\r\n" if retry_after else ""
                writer.write(
                    f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n{extra}\r\n".encode()
                    + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:  # shutting down with hung requests open
            pass
        finally:
            writer.close()


async def serve(server: BenchServer, host: str, port: int, ready: asyncio.Event | None) -> None:
    listener = await asyncio.start_server(server._serve, host, port, backlog=1024)
    if ready is not None:
        ready.set()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with listener:
        await stop.wait()
    c = server.counters
    print(
        json.dumps(
            {
                "requests": c.requests,
                "ok": c.ok,
                "rate_limited": c.rate_limited,
                "errors": c.errors,
                "hangs": c.hangs,
            }
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8012)
    parser.add_argument("--rpm", type=float, default=None)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--jitter", type=float, default=0.05)
    parser.add_argument("--error-rate", type=float, default=0.0)
    parser.add_argument("--hang-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--reply", choices=("fixed", "engine"), default="fixed",
        help="engine: answer generation prompts with instructions (tests/responders.py)",
    )  # fmt: skip
    args = parser.parse_args()
    responder = None
    if args.reply == "engine":
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from responders import engine_responder

        responder = engine_responder
    server = BenchServer(
        rpm=args.rpm,
        latency=args.latency,
        jitter=args.jitter,
        error_rate=args.error_rate,
        hang_rate=args.hang_rate,
        seed=args.seed,
        responder=responder,
    )
    print(f"listening on {args.host}:{args.port}", flush=True)
    asyncio.run(serve(server, args.host, args.port, None))


if __name__ == "__main__":
    main()
