"""Work in child processes: results and errors come back, time budgets hold, stopping stops."""

from __future__ import annotations

import gc
import os
import time
from pathlib import Path

import pytest

from reportgen.build.limits import Limits
from reportgen.build.runner import Background, Task, run_all
from reportgen.errors import BuildError, DataError, Problem, ReportgenError

LIMITS = Limits(seconds=30, max_pages=10, memory_mib=1024)


def add(first: int, second: int) -> int:
    return first + second


def refuse() -> None:
    raise DataError([Problem("data.yaml", 3, "title: Field required")])


def fail_with_a_bug() -> None:
    raise ValueError("a bug")


def interrupted() -> None:
    raise KeyboardInterrupt


def vanish() -> None:
    os._exit(3)


def sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "woke"


def frozen_objects() -> int:
    return gc.get_freeze_count()


def start_a_sleeper(pid_file: Path) -> None:
    """Starts a child of its own, which writes its process id and sleeps."""

    def record_and_sleep() -> None:
        pid_file.write_text(str(os.getpid()))
        time.sleep(60)

    run_all([Task("sleeper", record_and_sleep, ())], jobs=1, limits=LIMITS)


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has ended; only its parent's bookkeeping is left


def test_background_returns_what_the_function_returns() -> None:
    assert Background(add, 2, 3).result() == 5


def test_background_raises_the_error_the_function_raised() -> None:
    with pytest.raises(DataError) as caught:
        Background(refuse).result()
    assert caught.value.problems == (Problem("data.yaml", 3, "title: Field required"),)


def test_a_bug_in_the_background_stays_a_bug_with_its_traceback() -> None:
    with pytest.raises(RuntimeError, match=r"(?s)Traceback.*ValueError: a bug") as caught:
        Background(fail_with_a_bug).result()
    assert not isinstance(caught.value, ReportgenError)


def test_an_interrupted_background_interrupts_the_caller() -> None:
    with pytest.raises(KeyboardInterrupt):
        Background(interrupted).result()


def test_a_background_that_ends_without_a_result_says_so() -> None:
    with pytest.raises(BuildError, match=r"ended without a result \(exit code 3\)"):
        Background(vanish).result()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_stopping_a_background_stops_the_processes_it_started(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    background = Background(start_a_sleeper, pid_file)
    deadline = time.monotonic() + 20
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    sleeper = int(pid_file.read_text())
    assert running(sleeper)

    background.stop()

    deadline = time.monotonic() + 10
    while running(sleeper) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not running(sleeper)


def test_a_task_is_stopped_when_its_own_seconds_run_out() -> None:
    # What is left of a variant's limit after its template: the message names the limit.
    outcomes = run_all([Task("slow", sleep, (30,), seconds=0.5)], jobs=1, limits=LIMITS)
    assert str(outcomes["slow"]) == "stopped after the time limit of 30 s"


def test_tasks_without_their_own_seconds_have_the_limit() -> None:
    outcomes = run_all([Task("quick", sleep, (0.1,))], jobs=1, limits=LIMITS)
    assert outcomes == {"quick": "woke"}


def test_children_start_with_the_objects_they_inherit_frozen_and_the_parent_thaws() -> None:
    # So a child's collector never writes to, and so copies, the pages it shares with its parent.
    assert gc.get_freeze_count() == 0
    outcomes = run_all([Task("child", frozen_objects, ())], jobs=1, limits=LIMITS)
    assert outcomes["child"] > 0
    assert Background(frozen_objects).result() > 0
    assert gc.get_freeze_count() == 0


def test_objects_the_program_froze_stay_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        run_all([Task("child", frozen_objects, ())], jobs=1, limits=LIMITS)
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
