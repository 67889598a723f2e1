"""The worker pool: typed outcomes in order, reused workers, limits that hold, nothing left over."""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Hashable
from pathlib import Path

import pytest

from reportgen.build import runner
from reportgen.build.limits import Limits
from reportgen.build.runner import Failed, Job, Outcome, Succeeded, WorkerPool
from reportgen.errors import BuildError, DataError, Problem

LIMITS = Limits(seconds=30, max_pages=10, memory_mib=4096)

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")

# Appended to by `warm_up` in the worker that runs it: each worker has its own copy.
WARM_UPS: list[int] = []


def warm_up() -> None:
    WARM_UPS.append(os.getpid())


def warm_up_too_big() -> None:
    bytearray(1 << 40)


def warm_up_and_vanish() -> None:
    os._exit(3)


def warm_up_for_ever() -> None:
    time.sleep(30)


def whoami() -> tuple[int, list[int]]:
    return os.getpid(), WARM_UPS


def add(first: int, second: int) -> int:
    return first + second


def nap(seconds: float) -> str:
    time.sleep(seconds)
    return "woke"


def refuse() -> None:
    raise DataError([Problem("data.yaml", 3, "title: Field required")])


def fail_with_a_bug() -> None:
    raise ValueError("a bug")


def vanish() -> None:
    os._exit(3)


def allocate(mib: int) -> int:
    return len(bytearray(mib * 1024 * 1024))


def start_a_sleeper() -> int:
    """Starts a process of its own, and leaves it running."""
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]).pid


def frozen_objects() -> int:
    return gc.get_freeze_count()


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has ended; only its parent's bookkeeping is left


def gone_soon(pids: list[int], seconds: float = 5) -> bool:
    deadline = time.monotonic() + seconds
    while any(running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    return not any(running(pid) for pid in pids)


def reaped(pid: int) -> bool:
    """Ended and waited for: not even a zombie is left."""
    return not Path(f"/proc/{pid}").exists()


def pid_of(outcome: Outcome) -> int:
    assert isinstance(outcome, Succeeded), outcome
    pid = outcome.value
    assert isinstance(pid, int)
    return pid


def test_outcomes_come_back_typed_and_in_the_jobs_order() -> None:
    # The first job ends last, yet comes first.
    jobs = [Job("slow", nap, (0.3,)), Job("sum", add, (2, 3)), Job(("a", "tuple"), add, (1, 1))]
    with WorkerPool(3, LIMITS) as pool:
        outcomes = pool.run(jobs)
    assert list(outcomes) == ["slow", "sum", ("a", "tuple")]
    assert [outcome.value for outcome in outcomes.values() if isinstance(outcome, Succeeded)] == [
        "woke",
        5,
        2,
    ]
    assert 0.3 <= outcomes["slow"].seconds < 5


def test_workers_are_warmed_up_once_and_reused_for_jobs_and_runs() -> None:
    with WorkerPool(2, LIMITS, warm_up=warm_up) as pool:
        workers = set(pool.pids)
        first = pool.run([Job(n, whoami, ()) for n in range(6)])
        second = pool.run([Job(n, whoami, ()) for n in range(6)])
    outcomes = [*first.values(), *second.values()]
    assert all(isinstance(outcome, Succeeded) for outcome in outcomes)
    served = [outcome.value for outcome in outcomes if isinstance(outcome, Succeeded)]
    assert len(workers) == 2
    assert {pid for pid, _ in served} <= workers  # twelve jobs, two processes
    assert all(warm_ups == [pid] for pid, warm_ups in served)  # in each, once, before any job
    assert WARM_UPS == []  # and never here


@pytest.mark.parametrize(
    ("warm_up_badly", "seconds", "message"),
    [
        (warm_up_too_big, 30, "ran out of its 4096 MiB memory limit"),
        (warm_up_and_vanish, 30, "the layout process ended without a result (exit code 3); "),
        (
            warm_up_for_ever,
            0.2,
            "a layout process took longer than the time limit of 0.2 s to start",
        ),
    ],
    ids=["memory", "crash", "time"],
)
def test_a_worker_that_cannot_warm_up_fails_a_job_instead_of_being_replaced_for_ever(
    warm_up_badly: Callable[[], None], seconds: float, message: str
) -> None:
    limits = Limits(seconds=seconds, max_pages=10, memory_mib=4096)
    with WorkerPool(1, limits, warm_up=warm_up_badly) as pool:
        outcomes = pool.run([Job("first", add, (1, 1)), Job("second", add, (2, 2))])
    for outcome in outcomes.values():
        assert isinstance(outcome, Failed) and str(outcome.error).startswith(message)


def test_a_job_past_its_time_limit_is_stopped_and_the_rest_run_on_a_new_worker() -> None:
    with WorkerPool(1, LIMITS) as pool:
        (first,) = pool.pids
        outcomes = pool.run(
            [
                Job("slow", nap, (30,), seconds=0.3),
                Job("next", os.getpid, ()),
                Job("last", os.getpid, ()),
            ]
        )
    slow = outcomes["slow"]
    assert isinstance(slow, Failed) and isinstance(slow.error, BuildError)
    # Its own seconds are what was left of the limit; the message names the limit.
    assert str(slow.error) == "stopped after the time limit of 30 s"
    assert 0.3 <= slow.seconds < 5
    assert reaped(first)
    assert pid_of(outcomes["next"]) == pid_of(outcomes["last"]) != first


def test_a_job_that_outgrows_the_memory_limit_is_reported_and_its_worker_replaced() -> None:
    # The limit is what a job may take beyond the address space its worker was forked with
    # (this test process's, which is large): asking for far more is refused.
    memory_mib = 600
    with WorkerPool(1, Limits(seconds=30, max_pages=10, memory_mib=memory_mib)) as pool:
        outcomes = pool.run(
            [
                Job("before", os.getpid, ()),
                Job("big", allocate, (memory_mib + 2048,)),
                Job("after", os.getpid, ()),
            ]
        )
    big = outcomes["big"]
    assert isinstance(big, Failed)
    assert str(big.error) == f"ran out of its {memory_mib} MiB memory limit"
    # Its heap may be half updated: the next job has a fresh worker.
    assert pid_of(outcomes["before"]) != pid_of(outcomes["after"])


def test_the_memory_limit_leaves_a_large_parent_its_room() -> None:
    """A worker forked from a large process (a preview, a test run) inherits its mappings:
    the limit does not count them, so a job well within it runs however large the parent."""
    ballast = bytearray(700 * 1024 * 1024)  # the parent's own, mapped before the fork
    with WorkerPool(1, Limits(seconds=30, max_pages=10, memory_mib=600)) as pool:
        outcomes = pool.run([Job("within", allocate, (300,))])
    del ballast
    assert isinstance(outcomes["within"], Succeeded), outcomes["within"]


def test_a_worker_that_dies_mid_job_is_reported_and_replaced() -> None:
    with WorkerPool(1, LIMITS) as pool:
        outcomes = pool.run([Job("vanish", vanish, ()), Job("after", add, (1, 2))])
    vanished = outcomes["vanish"]
    assert isinstance(vanished, Failed)
    assert str(vanished.error) == (
        "the layout process ended without a result (exit code 3); "
        "it may have run out of its 4096 MiB memory limit"
    )
    assert outcomes["after"] == Succeeded("after", 3, outcomes["after"].seconds)


def test_errors_come_back_as_failures_and_the_worker_carries_on() -> None:
    with WorkerPool(1, LIMITS) as pool:
        outcomes = pool.run(
            [
                Job("before", os.getpid, ()),
                Job("refused", refuse, ()),
                Job("bug", fail_with_a_bug, ()),
                Job("after", os.getpid, ()),
            ]
        )
    refused, bug = outcomes["refused"], outcomes["bug"]
    assert isinstance(refused, Failed) and isinstance(refused.error, DataError)
    assert refused.error.problems == (Problem("data.yaml", 3, "title: Field required"),)
    assert isinstance(bug, Failed) and type(bug.error) is BuildError
    assert str(bug.error) == "ValueError: a bug"
    assert pid_of(outcomes["before"]) == pid_of(outcomes["after"])


def test_on_start_and_on_done_are_called_once_per_job() -> None:
    events: list[tuple[str, Hashable]] = []
    done: list[Outcome] = []

    def on_done(outcome: Outcome) -> None:
        events.append(("done", outcome.key))
        done.append(outcome)

    jobs = [
        Job("ok", add, (1, 2)),
        Job("refused", refuse, ()),
        Job("vanish", vanish, ()),
        Job("slow", nap, (30,), seconds=0.2),
        Job("last", add, (3, 4)),
    ]
    with WorkerPool(2, LIMITS) as pool:
        outcomes = pool.run(
            jobs, on_start=lambda key: events.append(("start", key)), on_done=on_done
        )
    for job in jobs:
        assert [event for event in events if event[1] == job.key] == [
            ("start", job.key),
            ("done", job.key),
        ]
    assert len(done) == len(jobs)
    assert {outcome.key: outcome for outcome in done} == outcomes


def test_close_ends_every_worker_and_what_it_started() -> None:
    pool = WorkerPool(2, LIMITS)
    workers = list(pool.pids)
    sleeper = pid_of(pool.run([Job("sleeper", start_a_sleeper, ())])["sleeper"])
    assert running(sleeper)

    pool.close()
    pool.close()

    assert pool.pids == ()
    assert multiprocessing.active_children() == []
    assert all(reaped(pid) for pid in workers)  # no zombies
    assert gone_soon([sleeper])


def test_killing_the_parent_kills_its_workers() -> None:
    # The workers are busy, so only the kernel can tell them their parent has gone.
    script = (
        "import time\n"
        "from reportgen.build.limits import Limits\n"
        "from reportgen.build.runner import Job, WorkerPool\n"
        "pool = WorkerPool(2, Limits(seconds=60, max_pages=1, memory_mib=4096))\n"
        "print(*pool.pids, flush=True)\n"
        "jobs = [Job(n, time.sleep, (60,)) for n in range(2)]\n"
        "pool.run(jobs, on_start=lambda key: print(key, flush=True))\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        started = [parent.stdout.readline().strip() for _ in workers]
        assert started == ["0", "1"]
        assert len(workers) == 2 and all(running(pid) for pid in workers)
        parent.kill()  # SIGKILL: no finally, no atexit
    finally:
        parent.kill()
        parent.wait()
    assert gone_soon(workers)


def test_ctrl_c_in_the_parent_closes_the_pool() -> None:
    def interrupt_soon(key: Hashable) -> None:
        if key == 1:  # both jobs run; interrupt this process while it waits for them
            timer.start()

    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
    pool = WorkerPool(2, LIMITS)
    workers = list(pool.pids)
    try:
        with pytest.raises(KeyboardInterrupt):
            pool.run([Job(n, nap, (30,)) for n in range(2)], on_start=interrupt_soon)
        assert pool.pids == ()
        assert all(reaped(pid) for pid in workers)
        with pytest.raises(RuntimeError, match="closed"):
            pool.run([Job("more", add, (1, 1))])
    finally:
        timer.cancel()
        pool.close()


def test_ctrl_c_reaching_a_worker_is_left_to_the_parent() -> None:
    # Ctrl-C goes to the whole process group; the worker keeps its job and its place.
    with WorkerPool(1, LIMITS) as pool:
        (worker,) = pool.pids
        pool.run([Job("started", add, (1, 1))])
        os.kill(worker, signal.SIGINT)
        outcomes = pool.run([Job("after", os.getpid, ())])
    assert pid_of(outcomes["after"]) == worker


def test_workers_start_with_what_they_inherit_frozen_and_this_process_thaws() -> None:
    # So a worker's collector never writes to, and so copies, the pages it shares with us.
    assert gc.get_freeze_count() == 0
    with WorkerPool(1, LIMITS) as pool:
        outcome = pool.run([Job("frozen", frozen_objects, ())])["frozen"]
    assert isinstance(outcome, Succeeded) and outcome.value > 0
    assert gc.get_freeze_count() == 0


def test_objects_the_program_froze_stay_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with WorkerPool(1, LIMITS) as pool:
            pool.run([Job("frozen", frozen_objects, ())])
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_without_fork_jobs_run_here_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    runner._warn_once_unbounded.cache_clear()
    with caplog.at_level(logging.WARNING), WorkerPool(2, LIMITS, warm_up=warm_up) as pool:
        outcomes = pool.run([Job("here", os.getpid, ()), Job("bug", fail_with_a_bug, ())])
    assert pid_of(outcomes["here"]) == os.getpid()
    assert isinstance(outcomes["bug"], Failed) and str(outcomes["bug"].error) == "ValueError: a bug"
    assert WARM_UPS == []
    assert [record.message for record in caplog.records] == [
        "this system cannot fork: layouts run without time and memory limits"
    ]


def test_jobs_need_keys_of_their_own() -> None:
    with WorkerPool(1, LIMITS) as pool, pytest.raises(ValueError, match="key of its own"):
        pool.run([Job("same", add, (1, 1)), Job("same", add, (2, 2))])
