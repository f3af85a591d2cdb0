"""The README's examples run as written: its Python API block, verbatim, on an offline
project."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from visinstruct.demo import run_demo, write_demo_project

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_the_python_api_block_runs_verbatim_on_an_offline_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (block,) = [b for b in _python_blocks() if 'Project.open("myproject")' in b]
    write_demo_project(tmp_path / "myproject")  # the demo's config: no model, no network
    monkeypatch.chdir(tmp_path)
    exec(compile(block, str(README), "exec"), {})
    records = json.loads((tmp_path / "myproject" / "exports" / "llava.json").read_text())
    assert len(records) > 100
    assert "'instructions'" in capsys.readouterr().out


def test_the_pin_and_export_block_runs_verbatim(tmp_path: Path) -> None:
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    (block,) = [b for b in blocks if "dataset pin" in b]
    run_demo(tmp_path / "myproject")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for line in block.strip().splitlines():
        result = subprocess.run(
            shlex.split(line), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, line + "\n" + result.stderr
    records = json.loads((tmp_path / "myproject" / "exports" / "llava.json").read_text())
    assert len(records) > 100
