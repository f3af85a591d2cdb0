"""Work for the CPU pool tests, in a module of its own: worker processes import it by name
(``executors.cpukit``, the tests folder being on the path), whatever way pytest was started."""

from __future__ import annotations

import os
import time

SET_UP: list[str] = []


def square_and_pid(n: int) -> tuple[int, int]:
    if n == 13:
        raise ValueError("thirteen")
    return n * n, os.getpid()


def set_up(tag: str) -> None:
    SET_UP.append(tag)


def slow(n: int) -> tuple[int, int]:
    time.sleep(0.05)
    return square_and_pid(n)
