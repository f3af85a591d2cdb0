"""Writing export files safely: streamed, then renamed into place.

A large export never sits in memory, and a crash never leaves a half-written file where a
trainer would read it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_file", "write_json", "write_json_list", "write_jsonl"]


@contextmanager
def atomic_file(path: Path, mode: str = "w") -> Iterator[IO[Any]]:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    encoding = None if "b" in mode else "utf-8"
    with open(tmp, mode, encoding=encoding) as out:
        yield out
        out.flush()
        os.fsync(out.fileno())
    tmp.replace(path)


def write_json_list(path: Path, items: Iterable[Any]) -> int:
    """A JSON array, one item per line; returns the number of items."""
    count = 0
    with atomic_file(path) as out:
        out.write("[")
        for item in items:
            out.write(("," if count else "") + "\n" + json.dumps(item, ensure_ascii=False))
            count += 1
        out.write("\n]\n")
    return count


def write_jsonl(path: Path, items: Iterable[Any]) -> int:
    count = 0
    with atomic_file(path) as out:
        for item in items:
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
            count += 1
    return count


def write_json(path: Path, value: Any) -> None:
    with atomic_file(path) as out:
        json.dump(value, out, ensure_ascii=False, indent=2)
        out.write("\n")
