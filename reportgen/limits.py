"""Bounded work: run a layout in a child process with a wall-clock, memory and page budget."""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar

from reportgen.errors import BuildError, ReportgenError

logger = logging.getLogger(__name__)

ResultT = TypeVar("ResultT")


@dataclass(frozen=True)
class Limits:
    """What one variant's layout may use. The defaults leave the shipped briefing (8 pages, a
    few seconds, a few hundred MiB) far inside them and stop a hostile template early."""

    seconds: float = 120.0
    max_pages: int = 500
    memory_mib: int = 4096


DEFAULT_LIMITS = Limits()

# Python, WeasyPrint, Pango and the fonts map ~400 MiB of address space before any layout;
# below this even the smallest briefing fails, with an error that would not say why.
MIN_MEMORY_MIB = 512


@dataclass(frozen=True)
class Task:
    """One call to run in a child process, known by ``key`` in the results."""

    key: str
    function: Callable[..., Any]
    args: tuple[Any, ...]


def run_limited(function: Callable[..., ResultT], *args: Any, limits: Limits) -> ResultT:
    """``function(*args)`` in a child process, stopped if it outlasts or outgrows ``limits``."""
    (outcome,) = run_all([Task("task", function, args)], jobs=1, limits=limits).values()
    if isinstance(outcome, ReportgenError):
        raise outcome
    return outcome  # type: ignore[no-any-return]


def run_all(
    tasks: Sequence[Task],
    *,
    jobs: int,
    limits: Limits,
    on_start: Callable[[str], None] = lambda key: None,
    on_done: Callable[[str, Any], None] = lambda key, outcome: None,
) -> dict[str, Any]:
    """Run ``tasks``, at most ``jobs`` at a time, each in its own child within ``limits``.

    Children, not threads: only a process can be stopped mid-layout and have its memory capped.
    Each task's outcome is its result, or the `ReportgenError` it raised (anything else it
    raised becomes `BuildError`); one task failing never stops the others.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        # Windows: no fork and no RLIMIT_AS. Lay out in this process, only the page cap applies.
        _warn_once_unbounded()
        return {task.key: _outcome(task) for task in tasks}
    context = multiprocessing.get_context("fork")
    waiting = list(tasks)
    running: dict[Connection, tuple[Task, Any, float]] = {}
    outcomes: dict[str, Any] = {}
    try:
        while waiting or running:
            while waiting and len(running) < max(1, jobs):
                task = waiting.pop(0)
                receiver, sender = context.Pipe(duplex=False)
                child = context.Process(
                    target=_run_child, args=(sender, task, limits.memory_mib), daemon=True
                )
                child.start()
                sender.close()
                running[receiver] = (task, child, time.monotonic() + limits.seconds)
                on_start(task.key)
            nearest = min(deadline for _, _, deadline in running.values())
            ready = wait(list(running), timeout=max(0.0, nearest - time.monotonic()))
            for receiver in list(running):
                task, child, deadline = running[receiver]
                if receiver in ready:
                    outcome = _receive(receiver, child, limits)
                elif time.monotonic() >= deadline:
                    outcome = BuildError(f"stopped after the time limit of {limits.seconds:g} s")
                else:
                    continue
                del running[receiver]
                _stop(child, receiver)
                outcomes[task.key] = outcome
                on_done(task.key, outcome)
    finally:
        for receiver, (_, child, _) in running.items():
            _stop(child, receiver)
    return {task.key: outcomes[task.key] for task in tasks}


def _receive(receiver: Connection, child: Any, limits: Limits) -> Any:
    try:
        _, value = receiver.recv()
    except EOFError:
        child.join(1)
        return BuildError(
            f"the layout process ended without a result (exit code {child.exitcode}); "
            f"it may have run out of its {limits.memory_mib} MiB memory limit"
        )
    return value


def _stop(child: Any, receiver: Connection) -> None:
    child.kill()
    child.join()
    receiver.close()


def _outcome(task: Task) -> Any:
    try:
        return task.function(*task.args)
    except ReportgenError as error:
        return error


def _run_child(sender: Connection, task: Task, memory_mib: int) -> None:
    import resource  # POSIX only, like fork

    limit = memory_mib * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        outcome: tuple[str, Any] = ("ok", task.function(*task.args))
    except ReportgenError as error:
        outcome = ("error", error)
    except MemoryError:
        outcome = ("error", BuildError(f"ran out of its {memory_mib} MiB memory limit"))
    except Exception as error:
        outcome = ("error", BuildError(f"{type(error).__name__}: {error}"))
    sender.send(outcome)
    sender.close()


@cache
def _warn_once_unbounded() -> None:
    logger.warning("this system cannot fork: layouts run without time and memory limits")
