"""Review test kit: a small project with instructions of every kind written straight into the
store, and the review app served by uvicorn in a thread on a free loopback port."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from visinstruct.collect import collect_folder
from visinstruct.config import CONFIG_FILENAME, ProjectConfig, write_config
from visinstruct.project import Project
from visinstruct.records import Instruction, Provenance
from visinstruct.review.app import create_app

from conftest import make_images

SCRIPT_QUESTION = "Is the <script>window.pwned=1</script> sign red?"


def instruction(
    image_id: str, domain: str, n: int, *, model: str = "gen-a", **fields: Any
) -> Instruction:
    """An instruction with a content id; ``n`` (when not 0) keeps questions of one image
    apart."""
    data: dict[str, Any] = {
        "image_id": image_id, "domain": domain, "choices": [], "checks": {}, **fields,
    }  # fmt: skip
    if n:  # before the closing mark, so the question still ends as validators want
        question = data["question"]
        data["question"] = f"{question[:-1]} {n}{question[-1]}"
    data["provenance"] = Provenance(model=model, prompt_version="v2", config_hash="import:t")
    data["id"] = Instruction.make_id(
        image_id, data["kind"], data["language"], data["question"], data["choices"], data["answer"],
        caption_id=None, config_hash="import:t",
    )  # fmt: skip
    return Instruction.model_validate(data)


def instructions_for(image_id: str, domain: str, index: int) -> list[Instruction]:
    """Five per image: every kind, one Chinese; every third image has a failed check."""
    failed = {"grounding": {"passed": False, "why": "the sign is blue"}} if index % 3 == 0 else {}
    return [
        instruction(image_id, domain, 1, kind="judgement", language="en",
                    question="Is the square red?", answer="Yes",
                    checks={"grounding": {"passed": True}}),
        instruction(image_id, domain, 2, kind="multiple_choice", language="en",
                    question="What colour is the circle?",
                    choices=["red", "blue", "green", "white"], answer="B", checks=failed),
        instruction(image_id, domain, 3, kind="short_vqa", language="en",
                    question="What shape is on the left?", answer="a square", model="gen-b"),
        instruction(image_id, domain, 4, kind="long_vqa", language="en",
                    question="Describe the picture.",
                    answer="A red square sits on the left of the picture and a blue circle on "
                    "the right, both on a plain background."),
        instruction(image_id, domain, 5, kind="judgement", language="zh",
                    question="圆是蓝色的吗？", answer="是"),
    ]  # fmt: skip


def build_project(root: Path, per_domain: dict[str, int], *, script_image: bool = True) -> Path:
    """A project folder with images and their instructions; the first image of the first
    domain also gets a question holding a ``<script>`` tag (untrusted model output)."""
    images = root / "images"
    make_images(images, per_domain)
    config = ProjectConfig.model_validate({"collect": {"path": str(images)}})
    folder = root / "project"
    folder.mkdir(parents=True)
    write_config(config, folder / CONFIG_FILENAME)
    with Project.open(folder) as project:
        collect_folder(project.store, images, "image_description")
        for i, image in enumerate(sorted(project.store.images(), key=lambda im: im.id)):
            rows = instructions_for(image.id, image.domain, i)
            if script_image and i == 0:
                rows.append(
                    instruction(image.id, image.domain, 0, kind="judgement", language="en",
                                question=SCRIPT_QUESTION, answer="No")
                )  # fmt: skip
            project.store.complete_unit("import", image.id, "import:t", rows)
    return folder


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """The review app of ``folder`` on 127.0.0.1 (a free port); yields its base URL."""
    with Project.open(folder) as project:
        app = create_app(project.root, project.config)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the review app did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


_SERVE_SCRIPT = """
import sys, uvicorn
from visinstruct.project import Project
from visinstruct.review.app import create_app
with Project.open(sys.argv[1]) as project:
    app = create_app(project.root, project.config)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


@contextmanager
def serve_process(folder: Path) -> Iterator[tuple[str, int]]:
    """The review app of ``folder`` in a process of its own (so its memory can be measured);
    yields (base URL, pid)."""
    import os
    import socket
    import subprocess
    import sys

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", _SERVE_SCRIPT, str(folder), str(port)], env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the review app process did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")
