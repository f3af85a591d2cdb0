"""The CPU pool: ordered, windowed, real worker processes, errors carried back."""

from __future__ import annotations

import os

import pytest

from executors.cpukit import SET_UP, set_up, slow, square_and_pid
from visinstruct.executors.cpu import CpuPool, available_cores


def test_results_come_back_in_order_from_other_processes() -> None:
    with CpuPool(2) as pool:
        found = list(pool.map(square_and_pid, range(14, 54), window=5))
        assert pool.started
    assert [square for square, _ in found] == [n * n for n in range(14, 54)]
    assert {pid for _, pid in found} - {os.getpid()}  # the work ran in worker processes
    assert os.getpid() not in {pid for _, pid in found}


def test_the_first_items_run_here_until_the_pool_pays_off() -> None:
    with CpuPool(2, start_after_s=0.3) as pool:
        first = list(pool.map(slow, range(3)))  # 0.15 s of work: not worth two processes
        assert not pool.started
        list(pool.map(slow, range(3, 6)))  # 0.3 s: from now on, workers
        later = list(pool.map(square_and_pid, range(20, 30)))
        assert pool.started
    assert {pid for _, pid in first} == {os.getpid()}
    assert os.getpid() not in {pid for _, pid in later}


def test_one_worker_runs_in_this_process_set_up_once() -> None:
    SET_UP.clear()
    with CpuPool(1, initializer=set_up, initargs=("here",)) as pool:
        found = list(pool.map(square_and_pid, range(5)))
        assert not pool.started
    assert {pid for _, pid in found} == {os.getpid()}
    assert SET_UP == ["here"]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_item_raises_its_own_error(workers: int) -> None:
    with CpuPool(workers) as pool, pytest.raises(ValueError, match="thirteen"):
        list(pool.map(square_and_pid, range(20)))


def test_default_is_every_available_core() -> None:
    assert CpuPool().workers == CpuPool(0).workers == available_cores() >= 1
