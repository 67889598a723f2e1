"""Bounded work: run a layout in a child process with a wall-clock, memory and page budget."""

from __future__ import annotations

import contextlib
import gc
import logging
import signal
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from reportgen.build.limits import Limits
from reportgen.errors import BuildError, ReportgenError

# multiprocessing is imported where a process is started: the up-to-date check, `validate` and
# `--help` read the limits' defaults but start none, and it is a fifth of their imports.
if TYPE_CHECKING:
    from multiprocessing.connection import Connection

logger = logging.getLogger(__name__)

ResultT = TypeVar("ResultT")


@dataclass(frozen=True)
class Task:
    """One call to run in a child process, known by ``key`` in the results.

    ``seconds``, when given, is the time it may take instead of the limit's: what is left of the
    limit when an earlier part of the same work ran in another process.
    """

    key: str
    function: Callable[..., Any]
    args: tuple[Any, ...]
    seconds: float | None = None


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
    import multiprocessing
    from multiprocessing.connection import wait

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
                _fork(child)
                sender.close()
                seconds = limits.seconds if task.seconds is None else task.seconds
                running[receiver] = (task, child, time.monotonic() + seconds)
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


# Set while `_fork` starts a child, so the child knows the objects it inherits frozen were
# frozen by `_fork`, not by the program, and that it may thaw them in turn.
_frozen_by_fork = False


def _fork(child: Any) -> None:
    """Start ``child`` with this process's objects frozen, so that the child's garbage collector
    leaves them alone: each full collection would otherwise write to every object it inherited,
    and so copy every page they sit on (a tenth of a second of the executive briefing's 0.6 s
    layout). Thawed here at once, so this process still frees its own garbage; and left alone
    if the program froze objects itself, which thawing would undo."""
    global _frozen_by_fork  # noqa: PLW0603
    if gc.get_freeze_count() and not _frozen_by_fork:
        child.start()
        return
    gc.freeze()
    previous, _frozen_by_fork = _frozen_by_fork, True
    try:
        child.start()
    finally:
        _frozen_by_fork = previous
        gc.unfreeze()


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


class Background(Generic[ResultT]):
    """``function(*args)`` started now in a child process; `result` waits for what it returns.

    For work that needs no limits of its own but can run beside this process's: a build prepares
    its variants in one while it imports WeasyPrint itself. The child may start processes of its
    own (with `run_all`); `stop` ends it and them. Without fork, the call runs in `result`.
    """

    def __init__(self, function: Callable[..., ResultT], *args: Any) -> None:
        self._call = (function, args)
        self._child: Any = None
        import multiprocessing

        if "fork" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("fork")
            self._receiver, sender = context.Pipe(duplex=False)
            # Not a daemon: daemons may not start processes of their own.
            self._child = context.Process(target=_run_background, args=(sender, function, args))
            _fork(self._child)
            sender.close()

    def result(self) -> ResultT:
        """What the function returned; raises what it raised (a bug in it as `RuntimeError`)."""
        if self._child is None:
            function, args = self._call
            return function(*args)
        try:
            kind, value = self._receiver.recv()
        except EOFError:
            kind, value = "lost", None
        except BaseException:
            self.stop()
            raise
        self._child.join(5)  # it ends as soon as it has sent
        self.stop()
        if kind == "lost":
            raise BuildError(
                f"a build process ended without a result (exit code {self._child.exitcode})"
            )
        if kind == "ok":
            return value  # type: ignore[no-any-return]
        if kind == "interrupted":
            raise KeyboardInterrupt
        raise value

    def stop(self) -> None:
        """End the child, if it still runs, and the processes it started; idempotent."""
        if self._child is None or self._receiver.closed:
            return
        if self._child.is_alive():
            self._child.terminate()  # SIGTERM: it stops its own children on the way out
            self._child.join(5)
            if self._child.is_alive():
                self._child.kill()
        self._child.join()
        self._receiver.close()


def _run_background(
    sender: Connection, function: Callable[..., Any], args: tuple[Any, ...]
) -> None:
    # A SIGTERM from `Background.stop` leaves through the `finally` blocks of `run_all`, which
    # stop the children this process started, instead of leaving them to run unsupervised.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        outcome: tuple[str, Any] = ("ok", function(*args))
    except ReportgenError as error:
        outcome = ("error", error)
    except KeyboardInterrupt:
        # Ctrl-C reaches the whole process group; make sure the parent stops too.
        outcome = ("interrupted", None)
    except Exception:
        outcome = ("error", RuntimeError(f"in a build process:\n{traceback.format_exc()}"))
    with contextlib.suppress(BrokenPipeError):  # the parent is gone: nobody to tell
        sender.send(outcome)
    sender.close()


def _exit_on_signal(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


@cache
def _warn_once_unbounded() -> None:
    logger.warning("this system cannot fork: layouts run without time and memory limits")
