"""The worker sandbox: no network, no writes outside the worker's folder, reads as before.

Each claim is checked from inside a real `WorkerPool` worker, and, where it helps, the same act
is done in this process first to show that the test would see it succeed.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from reportgen.build import build, sandbox
from reportgen.build.limits import Limits
from reportgen.build.runner import Job, Succeeded, WorkerPool
from reportgen.resources import BUILTIN_TEMPLATES, BUNDLED_FONTS, EXAMPLE_BRIEFING

LIMITS = Limits(seconds=30, max_pages=10, memory_mib=4096)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a Linux sandbox")


# ---- Jobs, run in a worker -------------------------------------------------------------------


def connect(port: int) -> str:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3):
            return "connected"
    except OSError as error:
        return f"{type(error).__name__}: {error}"


def network_namespace() -> tuple[int, list[str]]:
    """This process's network namespace, and the interfaces in it."""
    lines = Path("/proc/self/net/dev").read_text().splitlines()[2:]
    return Path("/proc/self/ns/net").stat().st_ino, [line.split(":")[0].strip() for line in lines]


def change(operation: str, folder: str) -> str:
    """Try to change ``folder`` (which holds ``existing.txt``) in one way; the error, if any."""
    here = Path(folder)
    existing = here / "existing.txt"
    try:
        if operation == "append to a file":
            with existing.open("a") as file:
                file.write("more")
        elif operation == "overwrite a file":
            existing.write_text("replaced")
        elif operation == "make a file":
            (here / "new.txt").write_text("new")
        elif operation == "make a folder":
            (here / "new").mkdir()
        elif operation == "remove a file":
            existing.unlink()
        elif operation == "rename a file":
            existing.rename(here / "renamed.txt")
        elif operation == "make a symbolic link":
            (here / "link").symlink_to(existing)
        elif operation == "make a named pipe":
            os.mkfifo(here / "pipe")
        else:
            raise ValueError(operation)
    except OSError as error:
        return type(error).__name__
    return "changed"


def write_through(descriptor: int) -> str:
    """Make a file in the folder open as ``descriptor``, which the worker inherited."""
    try:
        os.close(os.open("new.txt", os.O_WRONLY | os.O_CREAT, dir_fd=descriptor))
    except OSError as error:
        return type(error).__name__
    return "changed"


def use_temporary_files() -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w+") as file:
        file.write("scratch")
        file.flush()
        file.seek(0)
        read_back = file.read()
        name = file.name
    folder = Path(os.environ["TMPDIR"])
    sub = Path(tempfile.mkdtemp())  # a job may run on a worker another job used
    (sub / "a").write_text("a")
    (sub / "a").rename(sub.with_suffix(".moved"))
    sub.with_suffix(".moved").unlink()
    sub.rmdir()
    with Path(os.devnull).open("w") as null:
        null.write("discarded")
    return {
        "pid": os.getpid(),
        "tmpdir": str(folder),
        "gettempdir": tempfile.gettempdir(),
        "file": name,
        "sub": str(sub),
        "read_back": read_back,
    }


def digests(root: str) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(Path(root).rglob("*"))
        if path.is_file()
    }


def pid() -> int:
    return os.getpid()


# ---- Helpers ---------------------------------------------------------------------------------


def run_in_worker(function: Any, *args: Any) -> Any:
    with WorkerPool(1, LIMITS) as pool:
        outcome = pool.run([Job("job", function, args)])["job"]
    assert isinstance(outcome, Succeeded), outcome
    return outcome.value


def enforced_in_a_child() -> list[str]:
    """What `confine_worker` enforces on this machine, asked in a throwaway child."""
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child
        try:
            os.write(writing, json.dumps(sandbox.confine_worker()).encode())
        finally:
            os._exit(0)
    os.close(writing)
    with os.fdopen(reading, "rb") as pipe:
        enforced: list[str] = json.loads(pipe.read())
    os.waitpid(child, 0)
    sandbox.remove_worker_folder(child)
    return enforced


def require_landlock() -> int:
    support = sandbox.landlock_support()
    if not support.version:
        pytest.skip(support.reason)
    return support.version


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    server = socket.create_server(("127.0.0.1", 0))
    server.setblocking(False)
    yield server
    server.close()


def accepted(server: socket.socket) -> int:
    """How many connections reached ``server`` (a connect returns once they have)."""
    count = 0
    while select.select([server], [], [], 0.2)[0]:
        connection, _ = server.accept()
        connection.close()
        count += 1
    return count


# ---- No network ------------------------------------------------------------------------------


def test_a_worker_cannot_connect_to_a_server_here(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    assert connect(port) == "connected"  # as this process can
    assert accepted(listener) == 1

    result = run_in_worker(connect, port)

    assert result.startswith(("PermissionError", "OSError", "ConnectionRefusedError")), result
    assert accepted(listener) == 0


def test_a_worker_has_a_network_of_its_own_with_no_interface_up() -> None:
    if not any(line.startswith("network:") for line in enforced_in_a_child()):
        pytest.skip("this kernel lets this user make no network namespace")
    here, _ = network_namespace()

    namespace, interfaces = run_in_worker(network_namespace)

    assert namespace != here
    assert interfaces == ["lo"]  # and it is down: no address answers (the test above)


def test_a_worker_without_privilege_gets_a_user_namespace_and_still_reads_its_files() -> None:
    # The way an ordinary user's build is confined: unshare(CLONE_NEWUSER | CLONE_NEWNET).
    if os.getuid() != 0:
        pytest.skip("the other tests here already run unprivileged")
    script = (
        "import json, logging, os, sys\n"
        "from pathlib import Path\n"
        "from reportgen.build.limits import Limits\n"
        "from reportgen.build.runner import Job, WorkerPool\n"
        "from reportgen.resources import BUILTIN_TEMPLATES\n"
        "from test_sandbox import digests, network_namespace\n"
        "def probe():\n"
        "    return (network_namespace(), Path('/proc/self/uid_map').read_text().split(),\n"
        "            os.getuid(), digests(str(BUILTIN_TEMPLATES)),\n"
        "            reportgen.build.sandbox._death_signal())\n"
        # The interpreter's own library may be out of nobody's reach (under /root).
        "import multiprocessing.connection, multiprocessing.popen_fork, resource\n"
        "import reportgen.build.sandbox\n"
        "os.setgroups([]); os.setgid(65534); os.setuid(65534)\n"
        "logging.basicConfig(level=logging.DEBUG, format='%(message)s')\n"
        "with WorkerPool(1, Limits(seconds=30, max_pages=1, memory_mib=4096)) as pool:\n"
        "    outcome = pool.run([Job('probe', probe, ())])['probe']\n"
        "print(json.dumps([network_namespace()[0], outcome.value]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    ran = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False
    )
    assert ran.returncode == 0, ran.stderr
    confined = next(line for line in ran.stderr.splitlines() if "confined:" in line)
    if "user namespace" not in confined:
        reason = [line for line in ran.stderr.splitlines() if "not confined: network" in line]
        pytest.skip(f"no unprivileged user namespace here: {reason}")
    parent_namespace, ((namespace, interfaces), uid_map, uid, read, death) = json.loads(ran.stdout)

    assert namespace != parent_namespace and interfaces == ["lo"]
    assert uid_map == ["65534", "65534", "1"] and uid == 65534  # the ids are the same inside
    assert read == digests(str(BUILTIN_TEMPLATES))
    assert death == signal.SIGKILL  # a new user namespace may reset it; it is set again


# ---- No writes outside the worker's folder ---------------------------------------------------

CHANGES = [
    "append to a file",
    "overwrite a file",
    "make a file",
    "make a folder",
    "remove a file",
    "rename a file",
    "make a symbolic link",
    "make a named pipe",
]


@pytest.mark.parametrize("operation", CHANGES)
def test_a_worker_cannot_change_files_outside_its_folder(tmp_path: Path, operation: str) -> None:
    require_landlock()
    allowed = tmp_path / "control"
    for folder in (tmp_path, allowed):
        folder.mkdir(exist_ok=True)
        (folder / "existing.txt").write_text("as it was")
    assert change(operation, str(allowed)) == "changed"  # as this process can
    before = sorted(tmp_path.iterdir())

    assert run_in_worker(change, operation, str(tmp_path)) == "PermissionError"

    assert sorted(tmp_path.iterdir()) == before
    assert (tmp_path / "existing.txt").read_text() == "as it was"


def test_a_worker_cannot_write_through_a_folder_it_inherited_open(tmp_path: Path) -> None:
    # As a worker inherits the output folder, open for the build's lock.
    require_landlock()
    descriptor = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        assert run_in_worker(write_through, descriptor) == "PermissionError"
    finally:
        os.close(descriptor)
    assert list(tmp_path.iterdir()) == []


def test_a_worker_writes_temporary_files_in_a_folder_of_its_own() -> None:
    with WorkerPool(2, LIMITS) as pool:
        outcomes = pool.run([Job(n, use_temporary_files, ()) for n in range(2)])
        workers = pool.pids
    results = [outcome.value for outcome in outcomes.values() if isinstance(outcome, Succeeded)]
    assert len(results) == 2
    base = Path(tempfile.gettempdir())
    for result in results:
        folder = Path(result["tmpdir"])
        assert folder.parent == base
        assert folder.name.startswith(sandbox.FOLDER_PREFIX)
        assert f"-{result['pid']}-" in folder.name
        assert result["gettempdir"] == str(folder)  # tempfile, so Pillow and WeasyPrint too
        assert Path(result["file"]).parent == folder == Path(result["sub"]).parent
        assert result["read_back"] == "scratch"
    if len({result["pid"] for result in results}) == 2:
        assert len({result["tmpdir"] for result in results}) == 2
    for worker in workers:  # killed by the pool, which then deleted their folders
        assert not list(base.glob(f"{sandbox.FOLDER_PREFIX}*-{worker}-*"))


def test_a_worker_removes_the_folders_of_workers_that_were_killed() -> None:
    dead = os.fork()
    if dead == 0:  # pragma: no cover - the child
        os._exit(0)
    os.waitpid(dead, 0)
    namespace = Path("/proc/self/ns/pid").stat().st_ino
    stale = Path(tempfile.mkdtemp(prefix=f"{sandbox.FOLDER_PREFIX}{namespace}-{dead}-"))
    (stale / "left.png").write_bytes(b"left")
    mine = Path(tempfile.mkdtemp(prefix=f"{sandbox.FOLDER_PREFIX}{namespace}-{os.getpid()}-"))
    try:
        worker = run_in_worker(pid)

        assert not stale.exists()
        assert mine.is_dir()  # this process is alive: its folder is left alone
    finally:
        mine.rmdir()
    assert not list(Path(tempfile.gettempdir()).glob(f"{sandbox.FOLDER_PREFIX}*-{worker}-*"))


# ---- Reads stay as they were -----------------------------------------------------------------


def test_a_worker_reads_the_built_in_templates_and_fonts() -> None:
    expected = digests(str(BUILTIN_TEMPLATES))
    assert any(name.startswith(BUNDLED_FONTS.name + "/") for name in expected)

    assert run_in_worker(digests, str(BUILTIN_TEMPLATES)) == expected


def test_the_build_lays_out_under_the_sandbox(tmp_path: Path) -> None:
    (built,) = build(EXAMPLE_BRIEFING, ["executive"], tmp_path / "out", language="en")

    reader = PdfReader(built.path)
    assert built.pages == len(reader.pages) == 2
    assert "multilateral human rights" in reader.pages[0].extract_text()
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == [
        "manifest.json",
        built.path.name,
    ]
