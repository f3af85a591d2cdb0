"""Throughput benchmark: how close visinstruct keeps a rate-limited endpoint to its ceiling.

Each case starts ``bench/fastserver.py`` in its own process (300 ms ± 50 latency, a sliding
one-second rate-limit window answering 429 over ``rpm / 60``, optional 500s and hangs), then a
client process that pushes N units through visinstruct: the real ``openai`` backend, the real
:class:`~visinstruct.executors.LocalExecutor`, the real :class:`~visinstruct.stage.ModelStage`
base (streaming plan, write-behind commits, call ledger) over a real project store. The stage
itself is a minimal text-only stage (one call per unit, one caption record per unit), so the
figures are the engine's overhead, not prompt building or image encoding.

Reported per case: calls/s as a fraction of the ceiling min(rpm/60, concurrency/latency)
(time from the run's start to its last commit, and from the first call's start to the last
commit), client CPU ms per unit (process CPU time of the client process only, store writes
included), the client's peak RSS, units lost (not done) and duplicated (records or ok calls
beyond one per unit), the share of calls answered 429, and the requests the server saw beside
the ledger's rows (equal when nothing is sent unrecorded).

    python bench/throughput.py [--calls 2000] [--stages generate echo] [--rpm 6000 1200]
                               [--no-faults | --faults-only] [--out rows.json]
    python bench/throughput.py transports [--names aiohttp httpx]   # the HTTP clients alone
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parent
LATENCY = 0.3
STAGES = ("echo", "generate", "caption")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the client (runs in its own process) ---------------------------------------------------


def client(args: argparse.Namespace) -> dict[str, Any]:
    from visinstruct.caption import CaptionStage
    from visinstruct.config import ModelSpec, ProjectConfig, Role
    from visinstruct.executors import LocalExecutor, WorkUnit
    from visinstruct.generate import GenerateStage
    from visinstruct.models.base import CallContext, ChatRequest, Message
    from visinstruct.models.registry import create_backend
    from visinstruct.records import Caption, ImageRecord, Record
    from visinstruct.stage import ModelStage
    from visinstruct.store import Store

    class EchoStage(ModelStage):
        """One text call per unit; the reply becomes the unit's caption."""

        name: ClassVar[str] = "bench"
        role: ClassVar[Role] = "captioner"

        @classmethod
        def settings_of(cls, config: ProjectConfig) -> dict[str, Any]:
            return {"model": config.models.get(cls.role).identity()}

        @property
        def max_attempts(self) -> int:
            return 3

        def candidates(self) -> Iterator[WorkUnit]:
            for i in range(args.calls):
                yield WorkUnit(f"img{i:07d}", i)

        @classmethod
        def count_units(cls, config: ProjectConfig, store: Store) -> int:
            return int(args.calls)

        async def process(self, unit: WorkUnit, context: CallContext) -> Sequence[Record]:
            request = ChatRequest(
                messages=(Message("user", f"Describe image {unit.payload} in detail."),),
                max_tokens=128,
            )
            reply = await self.backend.chat(request, context)
            text = reply.text
            return [
                Caption(
                    id=Caption.make_id(unit.key, self.config_hash, text), image_id=unit.key,
                    text=text, language="en", model=reply.model, prompt_version="bench",
                    config_hash=self.config_hash,
                )
            ]  # fmt: skip

    spec = ModelSpec(
        model="bench-model",
        base_url=f"http://127.0.0.1:{args.port}/v1",
        requests_per_minute=args.rpm,
        concurrency=args.concurrency,
        timeout_s=args.timeout,
        max_retries=8,
    )
    role: Role = "generator" if args.stage == "generate" else "captioner"
    config = ProjectConfig.model_validate(
        {
            "models": {role: spec.model_dump()},
            "executor": {"flush_units": args.flush_units, "flush_ms": args.flush_ms},
            "generate": {"languages": ["en"], "format": "json", "layout": "combined"},
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        for i in range(args.calls):  # the images the captions belong to (setup, not timed)
            key = f"img{i:07d}"
            path = f"/nonexistent/{key}.jpg"
            if args.stage == "caption":  # the real stage reads and encodes a real file
                path = _bench_picture(Path(tmp), i)
            image = ImageRecord(
                id=key, path=path, domain="landmark", width=320, height=240,
                format="JPEG", bytes=100, phash="0" * 16, source="bench",
            )  # fmt: skip
            store.record_image(image, 100, 0.0)
            if args.stage == "generate":
                _store_caption(store, config, key)
        backend = create_backend(spec, role, env={})
        stage: ModelStage
        if args.stage == "generate":
            stage = GenerateStage(config, store, backend)
        elif args.stage == "caption":
            stage = CaptionStage(config, store, backend)
        else:
            stage = EchoStage(config, store, backend)

        async def go() -> None:
            try:
                await LocalExecutor().run_async(stage)
            finally:
                await backend.aclose()

        cpu0, t0 = time.process_time(), time.perf_counter()
        asyncio.run(go())
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        ended = time.time()  # the run returns after its last commit
        with sqlite3.connect(Path(tmp) / "bench.db") as db:  # read-only look at the ledger
            [(first_call,)] = db.execute("SELECT MIN(started_at) FROM calls").fetchall()
        done = store.unit_counts(stage.name, stage.config_hash).done
        if args.stage == "generate":
            records = store.count_instructions(stage.config_hash)
        else:
            records = store.count_captions(stage.config_hash)
        totals = store.call_totals(stage.name)
        store.close()
    return {
        "wall_s": wall,
        "first_call_to_last_commit_s": ended - first_call,
        "cpu_ms_per_unit": cpu / args.calls * 1000,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "done": done,
        "records": records,
        "ok_calls": totals.ok,
        "ledger_calls": totals.calls,
        "flushes": stage.writer.flushes,
    }


def _bench_picture(folder: Path, i: int) -> str:
    """A small distinct JPEG (320 × 240) for the caption stage to read and encode."""
    from PIL import Image

    path = folder / f"pic{i:07d}.jpg"
    colour = ((i * 37) % 256, (i * 91) % 256, (i * 53) % 256)
    Image.new("RGB", (320, 240), colour).save(path, quality=85)
    return str(path)


def _store_caption(store: Any, config: Any, image_id: str) -> None:
    """A finished caption for ``image_id``, so generation has its input (setup, not timed)."""
    from visinstruct.caption import CaptionStage
    from visinstruct.records import Caption

    sys.path.insert(0, str(ROOT.parent / "tests"))
    from responders import caption_for

    caption_hash = CaptionStage.hash_of(config)
    text = caption_for(image_id)
    record = Caption(
        id=Caption.make_id(image_id, caption_hash, text), image_id=image_id, text=text,
        language="en", model="bench", prompt_version="v1", config_hash=caption_hash,
    )  # fmt: skip
    store.complete_unit("caption", image_id, caption_hash, [record])


# -- the HTTP clients alone (how the client was chosen) -------------------------------------


async def _transport_calls(name: str, url: str, calls: int, concurrency: int) -> float:
    """Client CPU ms per POST of a chat-sized body with ``name``'s client, after a warm-up
    round that opens every connection."""
    body = json.dumps({"model": "bench-model", "messages": [{"role": "user", "content": "x" * 500}],
                       "max_tokens": 128}).encode()  # fmt: skip
    headers = {"Authorization": "Bearer bench", "User-Agent": "visinstruct"}
    post: Any
    close: Any
    if name == "httpx":
        import httpx

        hx = httpx.AsyncClient(
            headers=headers, trust_env=False, timeout=httpx.Timeout(2.0, connect=10.0),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        )  # fmt: skip

        async def post() -> None:
            r = await hx.post(url + "/chat/completions", content=body,
                              headers={"Content-Type": "application/json"})  # fmt: skip
            r.raise_for_status()

        close = hx.aclose
    else:
        from visinstruct.models.endpoint import EndpointClient

        client = EndpointClient(url, headers, connect_s=10.0, first_byte_s=2.0,
                                max_connections=concurrency, env={})  # fmt: skip

        async def post() -> None:
            assert (await client.request("POST", "/chat/completions", body)).status == 200

        close = client.aclose
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            await post()

    await asyncio.gather(*(one() for _ in range(concurrency)))  # warm-up: open connections
    cpu0 = time.process_time()
    await asyncio.gather(*(one() for _ in range(calls)))
    cpu = time.process_time() - cpu0
    await close()
    return cpu / calls * 1000


def _wait_listening(port: int, timeout: float = 10.0) -> None:
    """The server says "listening" before it binds: wait until it accepts connections."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def transports(names: Sequence[str], calls: int, concurrency: int) -> dict[str, float]:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "fastserver.py"), "--port", str(port), "--latency", "0.05",
         "--jitter", "0"], stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert server.stdout is not None
    server.stdout.readline()
    _wait_listening(port)
    try:
        url = f"http://127.0.0.1:{port}/v1"
        return {n: asyncio.run(_transport_calls(n, url, calls, concurrency)) for n in names}
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=10)


# -- one case: a server process and a client process ----------------------------------------


def run_case(
    calls: int, rpm: float, concurrency: int, *, error_rate: float = 0.0, hang_rate: float = 0.0,
    timeout: float = 2.0, flush_units: int = 256, flush_ms: float = 0.0, stage: str = "echo",
) -> dict[str, Any]:  # fmt: skip
    port = _free_port()
    reply = "engine" if stage == "generate" else "fixed"
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "fastserver.py"), "--port", str(port), "--rpm", str(rpm),
         "--latency", str(LATENCY), "--jitter", "0.05", "--error-rate", str(error_rate),
         "--hang-rate", str(hang_rate), "--reply", reply],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert server.stdout is not None
    server.stdout.readline()  # "listening on ..."
    _wait_listening(port)
    try:
        out = subprocess.run(
            [sys.executable, __file__, "client", "--port", str(port), "--calls", str(calls),
             "--rpm", str(rpm), "--concurrency", str(concurrency), "--timeout", str(timeout),
             "--flush-units", str(flush_units), "--flush-ms", str(flush_ms), "--stage", stage],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        server.send_signal(signal.SIGTERM)
        served = json.loads(server.communicate(timeout=10)[0].strip().splitlines()[-1])
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    ceiling = min(rpm / 60.0, concurrency / LATENCY)
    result.update(
        calls=calls, rpm=rpm, concurrency=concurrency, error_rate=error_rate,
        hang_rate=hang_rate, timeout=timeout, served=served, ceiling=ceiling, stage=stage,
        fraction=calls / result["wall_s"] / ceiling,
        fraction_from_first_call=calls / result["first_call_to_last_commit_s"] / ceiling,
        share_429=served["rate_limited"] / max(1, served["requests"]),
        lost=calls - result["done"],
        duplicated=max(0, served["ok"] - calls)
        + (max(0, result["records"] - calls) if stage == "echo" else 0),
    )  # fmt: skip
    return result


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| stage | rpm | concurrency | faults | calls/s | of ceiling | of ceiling, first call "
        "to last commit | client CPU ms/unit | peak RSS MB | lost | duplicated | records "
        "| 429 share | server requests | ledger rows |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    lines = []
    for r in rows:
        faults = "none"
        if r["error_rate"] or r["hang_rate"]:
            faults = f"{r['error_rate']:.0%} 500s, {r['hang_rate']:.0%} hangs"
        lines.append(
            f"| {r['stage']} | {r['rpm']:,.0f} | {r['concurrency']} | {faults} | "
            f"{r['calls'] / r['wall_s']:.1f} | {r['fraction']:.1%} | "
            f"{r['fraction_from_first_call']:.1%} | {r['cpu_ms_per_unit']:.2f} | "
            f"{r['peak_rss_mb']:.0f} | {r['lost']} | {r['duplicated']} | {r['records']:,} | "
            f"{r['share_429']:.2%} | "
            f"{r['served']['requests']} | {r['ledger_calls']} |"
        )
    return head + "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    c = sub.add_parser("client")
    c.add_argument("--port", type=int, required=True)
    for name, kind, default in (
        ("--calls", int, 2000), ("--rpm", float, 6000.0), ("--concurrency", int, 64),
        ("--timeout", float, 2.0), ("--flush-units", int, 256), ("--flush-ms", float, 0.0),
    ):  # fmt: skip
        c.add_argument(name, type=kind, default=default)
    c.add_argument("--stage", choices=STAGES, default="echo")
    t = sub.add_parser("transports", help="client CPU per call of each HTTP client alone")
    t.add_argument("--names", nargs="+", default=["aiohttp", "httpx"])
    t.add_argument("--calls", type=int, default=2000)
    t.add_argument("--concurrency", type=int, default=64)
    t.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--stages", nargs="+", choices=STAGES, default=list(STAGES))
    parser.add_argument("--rpm", type=float, nargs="+", default=[6000.0, 1200.0])
    parser.add_argument("--no-faults", action="store_true", help="skip the 500s + hangs cases")
    parser.add_argument("--faults-only", action="store_true", help="only the 500s + hangs cases")
    parser.add_argument("--out", default=None, help="write the JSON rows here")
    args = parser.parse_args()
    if args.command == "client":
        print(json.dumps(client(args)))
        return
    if args.command == "transports":
        for i in range(args.repeat):
            figures = transports(args.names, args.calls, args.concurrency)
            print(json.dumps({"round": i + 1, "cpu_ms_per_call": figures}), flush=True)
        return
    rows = []
    faults = ((0.0, 0.0),) if args.no_faults else ((0.0, 0.0), (0.05, 0.01))
    if args.faults_only:
        faults = ((0.05, 0.01),)
    for stage in args.stages:
        for rpm in args.rpm:
            for errors, hangs in faults:
                row = run_case(
                    args.calls, rpm, args.concurrency, error_rate=errors, hang_rate=hangs,
                    stage=stage,
                )  # fmt: skip
                print(json.dumps(row), file=sys.stderr, flush=True)
                rows.append(row)
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1))
    print(table(rows))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
