"""Bounded work: a pool of warm worker processes, each job bounded in time and memory."""

from __future__ import annotations

import contextlib
import gc
import logging
import math
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, TypeAlias

from reportgen.build.limits import Limits
from reportgen.errors import BuildError, ReportgenError

# multiprocessing is imported where a process is started: the up-to-date check, `validate` and
# `--help` import this package but start no process, and it is a fifth of their imports.
if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.context import ForkContext
    from multiprocessing.process import BaseProcess
    from types import TracebackType

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
# The signals that stop a build (Ctrl-C, and SIGTERM, which the CLI turns into SystemExit).
_HELD_BACK = {signal.SIGINT, signal.SIGTERM}


@dataclass(frozen=True)
class Job:
    """One call to run in a worker.

    ``function`` must be picklable (defined at module level), and so must ``args`` and what it
    returns. ``seconds``, when given, is the time it may take instead of the limits': what is
    left of a variant's limit after an earlier part of its work. The message of a job stopped
    early still names the limits' seconds, the limit the user set.
    """

    key: Hashable
    function: Callable[..., Any]
    args: tuple[Any, ...]
    seconds: float | None = None


@dataclass(frozen=True)
class Succeeded:
    """A job that returned ``value`` after ``seconds`` of wall time."""

    key: Hashable
    value: Any
    seconds: float


@dataclass(frozen=True)
class Failed:
    """A job that raised, outlasted or outgrew its limits, or lost its worker."""

    key: Hashable
    error: ReportgenError
    seconds: float


Outcome: TypeAlias = Succeeded | Failed

# What a worker sends back: ("ready" | "ok" | "failed", value or error, whether it retires).
_Message: TypeAlias = tuple[str, Any, bool]


def _ignore(_: object) -> None:
    pass


@dataclass
class _Worker:
    """The parent's view of one worker: warming up (not ready), idle, or running ``job``."""

    process: BaseProcess
    connection: Connection
    deadline: float  # of its warm-up until it is ready, then of the job it runs
    ready: bool = False
    job: Job | None = None
    began: float = 0.0


class WorkerPool:
    """Worker processes, forked once and reused, that run jobs within ``limits``.

    Processes, not threads: only a process can be stopped mid-layout and have its memory capped.
    Each worker calls ``warm_up`` once (the pipeline imports WeasyPrint and lays out a tiny
    page), so later jobs find their imports and caches ready; the workers start at once, and
    warm up while the caller does other work. A worker that is stopped, dies or runs out of
    memory is replaced by a fresh one for the jobs still waiting.

    Workers die with the thread that created the pool (Linux ``PR_SET_PDEATHSIG`` follows the
    thread, not the process): create it in a thread that outlives its use, as the main thread.

    Without fork (Windows), jobs run in the calling process, where only the page cap, which the
    job itself enforces, applies; ``warm_up`` is skipped, the first job imports what it needs.
    """

    def __init__(
        self, workers: int, limits: Limits, *, warm_up: Callable[[], None] | None = None
    ) -> None:
        import multiprocessing

        self._size = max(1, workers)
        self._limits = limits
        self._warm_up = warm_up
        self._workers: list[_Worker] = []
        self._closed = False
        self._context: ForkContext | None = None
        if "fork" not in multiprocessing.get_all_start_methods():
            _warn_once_unbounded()
            return
        self._context = multiprocessing.get_context("fork")
        try:
            for _ in range(self._size):
                self._start_worker()
        except BaseException:
            self.close()
            raise

    @property
    def pids(self) -> tuple[int, ...]:
        """The process ids of the workers alive now (none without fork, or once closed)."""
        return tuple(pid for worker in self._workers if (pid := worker.process.pid) is not None)

    def run(
        self,
        jobs: Sequence[Job],
        *,
        on_start: Callable[[Hashable], None] = _ignore,
        on_done: Callable[[Outcome], None] = _ignore,
    ) -> dict[Hashable, Outcome]:
        """Run every job, at most ``workers`` at a time; their outcomes, in the jobs' order.

        One job failing never stops the others. ``on_start`` gets each job's key as it starts
        and ``on_done`` its outcome as it ends, once each. May be called again on the same
        pool. An exception here (Ctrl-C, or one raised by a callback) closes the pool first.
        """
        keys = [job.key for job in jobs]
        if len(set(keys)) != len(keys):
            raise ValueError("every job needs a key of its own")
        if self._closed:
            raise RuntimeError("the worker pool is closed")
        if self._context is None:
            return _run_here(jobs, on_start, on_done)
        waiting = deque(jobs)
        outcomes: dict[Hashable, Outcome] = {}

        def done(outcome: Outcome) -> None:
            outcomes[outcome.key] = outcome
            on_done(outcome)

        try:
            while waiting or any(worker.job is not None for worker in self._workers):
                busy = sum(worker.job is not None for worker in self._workers)
                while len(self._workers) < min(self._size, busy + len(waiting)):
                    self._start_worker()
                for worker in list(self._workers):
                    if waiting and worker.ready and worker.job is None:
                        self._dispatch(worker, waiting, on_start)
                self._wait(waiting, on_start, done)
        except BaseException:
            self.close()
            raise
        return {job.key: outcomes[job.key] for job in jobs}

    def close(self) -> None:
        """End every worker and whatever it started, and reap them; idempotent."""
        if self._closed:
            return
        self._closed = True
        workers, self._workers = self._workers, []
        # Kill them all before waiting for any, so they end side by side.
        for worker in workers:
            _kill(worker)
        for worker in workers:
            _reap(worker)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _start_worker(self) -> None:
        assert self._context is not None
        mine, theirs = self._context.Pipe(duplex=True)
        # The worker closes its copies of the parent's ends, so a pipe is only open where it
        # is used.
        inherited = [worker.connection for worker in self._workers] + [mine]
        process = self._context.Process(
            target=_serve,
            args=(theirs, inherited, os.getpid(), self._limits.memory_mib, self._warm_up),
            name="reportgen-worker",
            daemon=True,
        )
        # Frozen objects are left alone by the worker's collector: each full collection would
        # otherwise write to every object it inherited, and so copy every page they sit on.
        # Thawed here at once, so this process still frees its own garbage; and if the program
        # froze objects itself, it has taken charge of the collector, which is left as it is.
        freezing = gc.get_freeze_count() == 0
        if freezing:
            gc.freeze()
        # Ctrl-C and SIGTERM held back while forking, so the worker cannot be interrupted
        # before it has chosen what to do with them, nor this process before the worker is
        # in the list that `close` stops: here they arrive once it is, and close it.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD_BACK)
        try:
            process.start()
            theirs.close()
            # Its own process group, so that stopping it stops what its job started too. Set
            # here as well as in the worker, so a kill right after the start cannot miss it.
            with contextlib.suppress(OSError):
                os.setpgid(_pid(process), _pid(process))
            deadline = time.monotonic() + self._limits.seconds
            self._workers.append(_Worker(process, mine, deadline))
        finally:
            if freezing:
                gc.unfreeze()
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

    def _dispatch(
        self, worker: _Worker, waiting: deque[Job], on_start: Callable[[Hashable], None]
    ) -> None:
        job = waiting.popleft()
        # Timed from before the send: the worker may start on the job before send() returns,
        # and a job's seconds (and its deadline) must not leave that out.
        began = time.monotonic()
        try:
            worker.connection.send(job)
        except OSError:
            # It died while idle; the job has not started, and goes to the next worker.
            waiting.appendleft(job)
            self._remove(worker)
            return
        worker.job, worker.began = job, began
        worker.deadline = worker.began + (
            self._limits.seconds if job.seconds is None else job.seconds
        )
        on_start(job.key)

    def _wait(
        self,
        waiting: deque[Job],
        on_start: Callable[[Hashable], None],
        done: Callable[[Outcome], None],
    ) -> None:
        """Wait for the next message or deadline, and act on every one that has come."""
        from multiprocessing.connection import wait

        if not self._workers:  # the last one died while idle: start another first
            return
        nearest = min((worker.deadline for worker in self._workers), default=math.inf)
        timeout = None if nearest == math.inf else max(0.0, nearest - time.monotonic())
        ready = wait([worker.connection for worker in self._workers], timeout)
        now = time.monotonic()
        for worker in list(self._workers):
            if worker.connection in ready:
                self._receive(worker, waiting, on_start, done)
            elif now >= worker.deadline:
                self._remove(worker)
                if worker.job is not None:
                    error = BuildError(
                        f"stopped after the time limit of {self._limits.seconds:g} s"
                    )
                    done(Failed(worker.job.key, error, now - worker.began))
                else:
                    error = BuildError(
                        "a layout process took longer than the time limit of "
                        f"{self._limits.seconds:g} s to start"
                    )
                    _charge(waiting, error, on_start, done)

    def _receive(
        self,
        worker: _Worker,
        waiting: deque[Job],
        on_start: Callable[[Hashable], None],
        done: Callable[[Outcome], None],
    ) -> None:
        message: _Message
        try:
            message = worker.connection.recv()
        except (EOFError, OSError):
            worker.process.join(1)  # it is ending: wait for its exit code
            exit_code = worker.process.exitcode
            self._remove(worker)
            error = BuildError(
                f"the layout process ended without a result (exit code {exit_code}); "
                f"it may have run out of its {self._limits.memory_mib} MiB memory limit"
            )
            if worker.job is not None:
                done(Failed(worker.job.key, error, time.monotonic() - worker.began))
            elif not worker.ready:
                _charge(waiting, error, on_start, done)
            return
        except Exception as error:  # the message came whole, but does not unpickle here
            message = ("failed", BuildError(f"the result could not be read: {error}"), False)
        kind, payload, retire = message
        if not worker.ready:  # the end of its warm-up
            if kind == "ready":
                worker.ready, worker.deadline = True, math.inf
            else:
                self._remove(worker)
                _charge(waiting, payload, on_start, done)
            return
        job, seconds = worker.job, time.monotonic() - worker.began
        assert job is not None
        worker.job, worker.deadline = None, math.inf
        if retire:
            self._remove(worker)
        done(
            Succeeded(job.key, payload, seconds)
            if kind == "ok"
            else Failed(job.key, payload, seconds)
        )

    def _remove(self, worker: _Worker) -> None:
        self._workers.remove(worker)
        _kill(worker)
        _reap(worker)


def _charge(
    waiting: deque[Job],
    error: ReportgenError,
    on_start: Callable[[Hashable], None],
    done: Callable[[Outcome], None],
) -> None:
    """Fail the next waiting job with the error of a worker that could not start: what kills
    one warm-up (a memory limit too small for WeasyPrint) kills its replacement's too, and
    without this the pool would replace workers for ever."""
    if waiting:
        job = waiting.popleft()
        on_start(job.key)
        done(Failed(job.key, error, 0.0))


def _pid(process: BaseProcess) -> int:
    assert process.pid is not None  # started
    return process.pid


def _kill(worker: _Worker) -> None:
    pid = _pid(worker.process)
    if pid != os.getpgrp():  # never this process's own group
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
    worker.process.kill()


def _reap(worker: _Worker) -> None:
    from reportgen.build.sandbox import remove_worker_folder

    pid = _pid(worker.process)
    # Killed, it could not delete its temporary folder itself. Deleted once it has ended but
    # before it is reaped, while its process id cannot yet be another worker's.
    with contextlib.suppress(OSError):
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    remove_worker_folder(pid)
    worker.process.join()
    worker.process.close()
    worker.connection.close()


def _run_here(
    jobs: Sequence[Job],
    on_start: Callable[[Hashable], None],
    on_done: Callable[[Outcome], None],
) -> dict[Hashable, Outcome]:
    outcomes: dict[Hashable, Outcome] = {}
    for job in jobs:
        on_start(job.key)
        began = time.monotonic()
        kind, payload, _ = _attempt(job, memory_mib=None)
        seconds = time.monotonic() - began
        outcome = (
            Succeeded(job.key, payload, seconds)
            if kind == "ok"
            else Failed(job.key, payload, seconds)
        )
        outcomes[job.key] = outcome
        on_done(outcome)
    return outcomes


def _attempt(job: Job, memory_mib: int | None) -> _Message:
    """Run ``job``: what it returned, or the error it raised as a `ReportgenError`; a worker
    retires after a `MemoryError`, which may have left its heap half updated."""
    try:
        return ("ok", job.function(*job.args), False)
    except ReportgenError as error:
        return ("failed", error, False)
    except MemoryError:
        what = "memory" if memory_mib is None else f"its {memory_mib} MiB memory limit"
        return ("failed", BuildError(f"ran out of {what}"), True)
    except Exception as error:
        return ("failed", BuildError(f"{type(error).__name__}: {error}"), False)


def _serve(
    connection: Connection,
    inherited: list[Connection],
    parent: int,
    memory_mib: int,
    warm_up: Callable[[], None] | None,
) -> None:
    """A worker's life: warm up, then run each job the parent sends until it is stopped."""
    # Ctrl-C reaches the whole foreground process group; the parent decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD_BACK)
    for other in inherited:
        other.close()
    _die_with_parent(parent)
    with contextlib.suppress(OSError):  # the parent may have set it already
        os.setpgid(0, 0)
    _limit_memory(memory_mib)
    # Before the warm-up, so nothing a job brings runs unconfined; a kernel lacking a feature
    # leaves that part undone, never the worker unstarted.
    from reportgen.build.sandbox import confine_worker

    enforced = confine_worker()
    logger.debug("worker %d confined: %s", os.getpid(), "; ".join(enforced) or "not at all")
    if os.getppid() != parent:  # it ended while a new user namespace had reset the death signal
        os._exit(1)
    try:
        if warm_up is not None:
            warm_up()
    except MemoryError:
        connection.send(
            ("failed", BuildError(f"ran out of its {memory_mib} MiB memory limit"), True)
        )
        return
    except Exception:
        # Only a head start: the first job meets the same problem, and reports it as its own.
        logger.debug("warming up a worker failed", exc_info=True)
    connection.send(("ready", None, False))
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return  # the parent has gone
        except Exception as error:
            message: _Message = ("failed", BuildError(f"the job could not be read: {error}"), False)
        else:
            message = _attempt(job, memory_mib)
        try:
            connection.send(message)
        except OSError:
            return
        except Exception as error:  # what the job returned does not pickle
            failure = BuildError(
                f"the result could not be sent back: {type(error).__name__}: {error}"
            )
            connection.send(("failed", failure, message[2]))
        if message[2]:
            return


def _die_with_parent(parent: int) -> None:
    """Have the kernel kill this worker when its parent ends, however it ends (Linux only)."""
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    # The parent may have ended before the request took hold; then nobody waits for us.
    if os.getppid() != parent:
        os._exit(1)


def _limit_memory(memory_mib: int) -> None:
    """Cap the worker's address space at what it was forked with plus ``memory_mib``: the
    limit is what one layout may use, the same whether the worker's parent is a small
    `reportgen build` or a large process (a preview, a test run) whose mappings it inherits."""
    import resource  # POSIX only, like fork

    limit = _address_space() + memory_mib * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)  # raising the hard limit is refused
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _address_space() -> int:
    """This process's virtual memory size in bytes (Linux's /proc), or 0 where it is not told:
    then the limit is on the whole address space, as RLIMIT_AS alone has it."""
    try:
        # Bytes: a worker reads this before anything else, with no codec looked up yet.
        pages = int(Path("/proc/self/statm").read_bytes().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


@cache
def _warn_once_unbounded() -> None:
    logger.warning("this system cannot fork: layouts run without time and memory limits")
