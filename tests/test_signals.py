"""Nothing outlives a build (issue 11): stopped by SIGTERM, Ctrl-C or SIGKILL mid-layout, the
build ends at once, its workers with it, and the output folder is as it was.

Each test runs ``reportgen build`` as a real process in a session of its own, so that every
process it starts, whatever its process group, can be found by its session id. The build's
one audience, ``slow``, has a template that loops for hours within the sandbox's range cap;
stdout is a terminal, so the build says when the layout has started.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import pty
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, NoReturn

import pytest
from conftest import english_only

from reportgen.build.limits import Limits
from reportgen.build.runner import WorkerPool
from reportgen.build.sandbox import FOLDER_PREFIX
from reportgen.resources import EXAMPLE_BRIEFING

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")

SLOW_PROFILE = """\
name: slow
description: A template that keeps its layout process busy for hours.
template: slow.html.j2
sections: [key-messages]
marking: PUBLIC
"""
# 10^10 empty iterations: each range stays within the sandbox's cap of 100,000 items.
SLOW_TEMPLATE = """\
{% extends "builtin/briefing.html.j2" %}
{% block cover %}{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}\
{% endfor %}{{ super() }}{% endblock %}
"""
TINY_PROFILE = """\
name: tiny
description: A one-paragraph variant, quick to lay out.
template: tiny.html.j2
sections: [key-messages]
marking: PUBLIC
"""
TINY_TEMPLATE = """\
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ briefing.title }}</title></head>
<body><p>{{ briefing.title }}</p></body></html>
"""
STARTED = b"laying out "
PROMPTLY = 10  # seconds: a stopped build takes well under one; a shared CPU may be slow


@dataclass
class Build:
    """A ``reportgen build`` running in a session of its own, its stdout a terminal."""

    process: subprocess.Popen[bytes]
    terminal: int  # the terminal's master side: what the build prints
    stderr: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_for(self, text: bytes, seconds: float = 120) -> bytes:
        """What the build printed, up to and including ``text``."""
        seen = b""
        deadline = time.monotonic() + seconds
        while text not in seen:
            left = deadline - time.monotonic()
            if left <= 0 or self.process.poll() is not None:
                raise AssertionError(f"never printed {text!r}: {seen!r} {self.errors()}")
            if select.select([self.terminal], [], [], min(left, 0.5))[0]:
                try:
                    seen += os.read(self.terminal, 4096)
                except OSError:  # EIO: the build has ended and closed the terminal
                    continue
        return seen

    def errors(self) -> str:
        return self.stderr.read_text(errors="replace")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Shipped data (in English only: it has no catalog here), and a template folder with the
    ``slow`` and ``tiny`` audiences."""
    (tmp_path / "data").mkdir()
    text = english_only(EXAMPLE_BRIEFING.read_text(encoding="utf-8"))
    (tmp_path / "data" / EXAMPLE_BRIEFING.name).write_text(text, encoding="utf-8")
    templates = tmp_path / "templates"
    (templates / "audiences").mkdir(parents=True)
    (templates / "audiences" / "slow.yaml").write_text(SLOW_PROFILE)
    (templates / "slow.html.j2").write_text(SLOW_TEMPLATE)
    (templates / "audiences" / "tiny.yaml").write_text(TINY_PROFILE)
    (templates / "tiny.html.j2").write_text(TINY_TEMPLATE)
    return tmp_path


@pytest.fixture
def builds() -> Iterator[list[Build]]:
    """The builds a test starts; whatever is left of them is killed at its end."""
    started: list[Build] = []
    yield started
    for build in started:
        for pid in [build.pid, *session(build.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        build.process.wait()
        os.close(build.terminal)


def start(builds: list[Build], project: Path, audience: str) -> Build:
    master, slave = pty.openpty()
    stderr = project / f"stderr-{len(builds)}.txt"
    with stderr.open("wb") as errors:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "reportgen",
                "build",
                "--data",
                str(project / "data" / EXAMPLE_BRIEFING.name),
                "--templates",
                str(project / "templates"),
                "--audience",
                audience,
                "--out",
                str(project / "out"),
                "--force",
                "--no-wait",  # a folder still locked fails the next build instead of hanging it
            ],
            cwd=project,
            stdin=subprocess.DEVNULL,
            stdout=slave,
            stderr=errors,
            start_new_session=True,
        )
    os.close(slave)
    build = Build(process, master, stderr)
    builds.append(build)
    return build


def build_to_the_end(builds: list[Build], project: Path, audience: str) -> None:
    build = start(builds, project, audience)
    assert build.process.wait(timeout=300) == 0, build.errors()


def stat_of(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state, ppid, pgrp, session, ...);
    None once the process has gone or is a zombie (it has ended; only its exit status is left)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None if fields[0] in {"Z", "X"} else fields


def session(leader: int) -> list[int]:
    """Every live process of the session ``leader`` leads, but the leader."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != leader:
            fields = stat_of(int(entry.name))
            if fields is not None and int(fields[3]) == leader:
                members.append(int(entry.name))
    return members


def workers_of(build: Build) -> list[int]:
    """The build's layout processes: its children, each in a process group of its own."""
    workers = []
    for pid in session(build.pid):
        fields = stat_of(pid)
        if fields is not None and int(fields[1]) == build.pid:
            assert int(fields[2]) == pid, "a worker is the leader of its own process group"
            workers.append(pid)
    return workers


def gone_soon(pids: list[int], seconds: float = PROMPTLY) -> list[int]:
    """Those of ``pids`` still running after ``seconds``."""
    deadline = time.monotonic() + seconds
    while (alive := [pid for pid in pids if stat_of(pid) is not None]) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.05)
    return alive


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def worker_folders(workers: list[int]) -> list[Path]:
    """The temporary folders of ``workers`` that are still there."""
    temporary = Path(tempfile.gettempdir())
    return [path for pid in workers for path in temporary.glob(f"{FOLDER_PREFIX}*-{pid}-*")]


def laying_out(builds: list[Build], project: Path) -> tuple[Build, list[int]]:
    """A build of ``slow`` in the middle of its layout, and its workers."""
    build = start(builds, project, "slow")
    build.wait_for(STARTED)
    workers = workers_of(build)
    assert workers, "the layout runs in a worker"
    return build, workers


# ---- The tests -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("how", "status"),
    [(signal.SIGTERM, 128 + signal.SIGTERM), (signal.SIGINT, 130)],
    ids=["SIGTERM", "Ctrl-C"],
)
def test_a_stopped_build_ends_promptly_and_takes_its_workers_with_it(
    project: Path, builds: list[Build], how: signal.Signals, status: int
) -> None:
    build_to_the_end(builds, project, "tiny")
    before = snapshot(project / "out")
    build, workers = laying_out(builds, project)

    if how == signal.SIGINT:
        os.killpg(build.pid, how)  # Ctrl-C reaches the terminal's foreground process group
    else:
        os.kill(build.pid, how)  # as a service manager or CI runner stops a job

    assert build.process.wait(timeout=PROMPTLY) == status, build.errors()
    assert gone_soon(workers) == []
    assert gone_soon(session(build.pid)) == []  # nor anything they started
    assert "Traceback" not in build.errors()
    assert snapshot(project / "out") == before
    assert worker_folders(workers) == []  # the pool deleted them as it stopped the workers
    # The output folder is free again: the next build neither waits nor fails.
    build_to_the_end(builds, project, "tiny")


def test_a_killed_build_takes_its_workers_with_it_and_the_next_build_cleans_up(
    project: Path, builds: list[Build]
) -> None:
    build_to_the_end(builds, project, "tiny")
    out = project / "out"
    before = snapshot(out)
    build, workers = laying_out(builds, project)

    build.process.kill()  # SIGKILL: no handler, no finally; only the kernel acts

    assert build.process.wait(timeout=PROMPTLY) == -signal.SIGKILL
    assert gone_soon(workers) == []  # PR_SET_PDEATHSIG
    assert gone_soon(session(build.pid)) == []
    assert snapshot(out) == before  # the PDFs it had not written yet left the old ones alone
    # What a build killed while it wrote would have left: its staged, unrenamed files.
    (out / ".x.pdf.abc.part").write_bytes(b"half a PDF")
    (out / f".{next(iter(before))}.def.part").write_bytes(b"half a PDF")
    assert worker_folders(workers), "a worker killed with its build leaves its folder"

    build_to_the_end(builds, project, "tiny")

    assert not list(out.glob(".*.part"))
    assert set(snapshot(out)) == set(before)
    # The killed workers' temporary folders are gone too, removed as the next workers start.
    assert worker_folders(workers) == []


def _exit_on_sigterm(signum: int, frame: Any) -> NoReturn:
    raise SystemExit(128 + signum)  # as the CLI does


@pytest.mark.parametrize(
    ("how", "raised"),
    [(signal.SIGINT, KeyboardInterrupt), (signal.SIGTERM, SystemExit)],
    ids=["Ctrl-C", "SIGTERM"],
)
def test_a_signal_as_a_worker_is_forked_still_stops_that_worker(
    monkeypatch: pytest.MonkeyPatch, how: signal.Signals, raised: type[BaseException]
) -> None:
    # The signal comes the moment the worker exists, before the pool has noted it down: the
    # pool must still stop it (and leave this process's collector as it found it).
    fork = BaseProcess.start

    def start_and_be_stopped(process: BaseProcess) -> None:
        fork(process)
        os.kill(os.getpid(), how)

    monkeypatch.setattr(BaseProcess, "start", start_and_be_stopped)
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        with pytest.raises(raised):
            WorkerPool(2, Limits(seconds=30, max_pages=1, memory_mib=4096))
    finally:
        signal.signal(signal.SIGTERM, previous)

    assert multiprocessing.active_children() == []
    assert gc.get_freeze_count() == 0
