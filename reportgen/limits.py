"""Bounded work: run a layout in a child process with a wall-clock, memory and page budget."""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from multiprocessing.connection import Connection
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


def run_limited(function: Callable[..., ResultT], *args: Any, limits: Limits) -> ResultT:
    """``function(*args)`` in a child process, stopped if it outlasts or outgrows ``limits``.

    A child, not a thread: only a process can be stopped mid-layout and have its memory capped.
    ``ReportgenError`` raised in the child is raised here; anything else becomes `BuildError`.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        # Windows: no fork and no RLIMIT_AS. Lay out in this process, only the page cap applies.
        _warn_once_unbounded()
        return function(*args)
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_run_child, args=(sender, function, args, limits.memory_mib), daemon=True
    )
    child.start()
    sender.close()
    try:
        if not receiver.poll(limits.seconds):
            raise BuildError(f"stopped after the time limit of {limits.seconds:g} s")
        try:
            outcome, value = receiver.recv()
        except EOFError:
            raise BuildError(
                f"the layout process ended without a result (exit code {child.exitcode}); "
                f"it may have run out of its {limits.memory_mib} MiB memory limit"
            ) from None
    finally:
        child.kill()
        child.join()
        receiver.close()
    if outcome == "error":
        raise value
    return value  # type: ignore[no-any-return]


def _run_child(
    sender: Connection, function: Callable[..., Any], args: tuple[Any, ...], memory_mib: int
) -> None:
    import resource  # POSIX only, like fork

    limit = memory_mib * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        outcome: tuple[str, Any] = ("ok", function(*args))
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
