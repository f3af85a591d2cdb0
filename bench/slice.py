"""End-to-end slice benchmark: the CLI against the loopback test server.

Measures, on N generated images: a clean run (wall time, calls, units/s), a run killed with
SIGKILL half way and resumed (calls paid twice, duplicates, lost units), and a run against a
server that fails 5% of calls with 500 and rate-limits every 9th with 429 + Retry-After.

    python bench/slice.py --images 200 [--delay 0.05]

Prints a Markdown table; results are kept in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import make_images  # noqa: E402
from fakeserver import FakeOpenAIServer, Reply  # noqa: E402
from responders import engine_responder  # noqa: E402

KEY = "bench-key"


def _env(server: FakeOpenAIServer) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.update(OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY=KEY)
    return env


def _cmd(images: Path, project: Path) -> list[str]:
    return [sys.executable, "-m", "visinstruct", "run", str(images), "--out", str(project),
            "--model", "bench"]  # fmt: skip


def _status(project: Path, env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "visinstruct", "status", "-p", str(project), "--json"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    data: dict[str, Any] = json.loads(out.stdout)
    return data


def _exported(project: Path) -> tuple[int, int, bool]:
    records = json.loads((project / "exports" / "llava.json").read_text())
    ids = {r["id"] for r in records}
    paths_ok = all(Path(r["image"]).is_file() for r in records)
    return len(records), len(ids), paths_ok


def _responder(delay: float) -> Any:
    def reply(body: dict[str, Any]) -> Reply:
        return Reply(content=engine_responder(body), delay_s=delay)

    return reply


def clean(images: Path, work: Path, n: int, delay: float) -> dict[str, Any]:
    project = work / "clean"
    with FakeOpenAIServer(_responder(delay), api_key=KEY) as server:
        env = _env(server)
        t0 = time.perf_counter()
        subprocess.run(_cmd(images, project), env=env, capture_output=True, check=True)
        wall = time.perf_counter() - t0
        calls = server.chat_count
    records, unique, paths_ok = _exported(project)
    return {"case": "clean run", "wall_s": round(wall, 2), "calls": calls,
            "units": 2 * n, "units_per_s": round(2 * n / wall, 1), "records": records,
            "duplicates": records - unique, "image_paths_exist": paths_ok}  # fmt: skip


def killed(images: Path, work: Path, n: int, delay: float) -> dict[str, Any]:
    project = work / "killed"
    with FakeOpenAIServer(_responder(delay), api_key=KEY) as server:
        env = _env(server)
        proc = subprocess.Popen(_cmd(images, project), env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)  # fmt: skip
        db, done = project / "visinstruct.db", 0
        while done < n and proc.poll() is None:  # kill once half of all units are done
            time.sleep(0.02)
            try:
                con = sqlite3.connect(db)
                done = con.execute("SELECT COUNT(*) FROM work_units").fetchone()[0]
                con.close()
            except sqlite3.Error:
                pass
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        subprocess.run(_cmd(images, project), env=env, capture_output=True, check=True)
        calls = server.chat_count
    status = _status(project, env)
    records, unique, paths_ok = _exported(project)
    lost = sum(s["pending"] + s["failed"] for k, s in status["stages"].items() if k != "collect")
    return {"case": f"SIGKILL at {done}/{2 * n} units, rerun", "calls": calls,
            "units": 2 * n, "extra_calls": calls - 2 * n, "records": records,
            "duplicates": records - unique, "lost_units": lost,
            "image_paths_exist": paths_ok}  # fmt: skip


def faulty(images: Path, work: Path, n: int, delay: float) -> dict[str, Any]:
    project = work / "faulty"
    with FakeOpenAIServer(
        _responder(delay), api_key=KEY, error_rate=0.05, rate_limit_every=9, retry_after=0.5,
        seed=1,
    ) as server:  # fmt: skip
        env = _env(server)
        t0 = time.perf_counter()
        subprocess.run(_cmd(images, project), env=env, capture_output=True, check=True)
        wall = time.perf_counter() - t0
        calls = server.chat_count
    status = _status(project, env)
    records, unique, _ = _exported(project)
    lost = sum(s["pending"] + s["failed"] for k, s in status["stages"].items() if k != "collect")
    return {"case": "5% HTTP 500 + every 9th 429 (Retry-After 0.5 s)", "wall_s": round(wall, 2),
            "calls": calls, "units": 2 * n, "retries": status["calls"]["retries"],
            "records": records, "duplicates": records - unique, "lost_units": lost}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.05, help="server latency per call, s")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        images = work / "images"
        half = args.images // 2
        make_images(images, {"landmark": half, "ocr": args.images - half})
        rows = [f(images, work, args.images, args.delay) for f in (clean, killed, faulty)]
    print(f"images: {args.images}, server latency {args.delay} s, concurrency 8 (default)\n")
    for row in rows:
        print("- " + ", ".join(f"{k}: {v}" for k, v in row.items()))


if __name__ == "__main__":
    main()
