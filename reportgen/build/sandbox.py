"""The least the OS allows a layout worker: no network, and no writes outside its own folder.

A worker renders templates and lays out documents that other people wrote. The Jinja2 sandbox
and the confined URL fetcher govern what those may reach; the kernel features here hold even if
one of them had a hole, or WeasyPrint, Pango or an image decoder ran code it was tricked into:

- a new network namespace (``unshare(CLONE_NEWNET)``, or inside a new user namespace when that
  needs no privilege), where only a loopback that is down exists, so no address answers;
- Landlock (Linux 5.13 and later): no file may be written, made, removed or renamed except
  beneath the worker's temporary folder, and ``/dev/null``; on later kernels no TCP bind or
  connect, no abstract Unix socket outside, no signal to a process outside either;
- a seccomp filter refusing ``socket()`` (and ``io_uring``, which could make one unseen), which
  no namespace stops from reaching a Unix socket file such as a Docker or D-Bus socket;
- every capability but reading dropped, and ``PR_SET_NO_NEW_PRIVS``, so a root build's worker
  cannot undo the rest;
- files of at most 512 MiB and no core dumps.

Each step is independent and best-effort: a kernel without a feature leaves that step undone,
says so in a debug message, and never fails the build. Reads stay allowed everywhere: the
loaders and the fetcher decide what is read.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import os
import platform
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

FOLDER_PREFIX = "reportgen-worker-"
MAX_FILE_BYTES = 512 * 1024 * 1024  # a worker writes nothing near this: its PDF goes back by pipe

# From <linux/sched.h>, <linux/prctl.h>, <linux/capability.h>, <linux/seccomp.h>, <linux/audit.h>.
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_PR_GET_PDEATHSIG = 2
_PR_SET_PDEATHSIG = 1
_PR_GET_DUMPABLE = 3
_PR_SET_DUMPABLE = 4
_PR_SET_SECCOMP = 22
_PR_CAPBSET_DROP = 24
_PR_SET_NO_NEW_PRIVS = 38
_PR_CAP_AMBIENT = 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
_SECCOMP_MODE_FILTER = 2
_CAP_VERSION_3 = 0x20080522
_CAP_DAC_READ_SEARCH = 2

# From <linux/landlock.h>. The system call numbers are those of the generic table, which
# x86_64 and aarch64 share for every call added since 2019.
_LANDLOCK_SYSCALLS = {"x86_64": (444, 445, 446), "aarch64": (444, 445, 446)}
_LANDLOCK_CREATE_RULESET_VERSION = 1
_LANDLOCK_RULE_PATH_BENEATH = 1
_ACCESS_FS_WRITE_FILE = 1 << 1
_ACCESS_FS_REMOVE_DIR = 1 << 4
_ACCESS_FS_REMOVE_FILE = 1 << 5
_ACCESS_FS_MAKE_CHAR = 1 << 6
_ACCESS_FS_MAKE_DIR = 1 << 7
_ACCESS_FS_MAKE_REG = 1 << 8
_ACCESS_FS_MAKE_SOCK = 1 << 9
_ACCESS_FS_MAKE_FIFO = 1 << 10
_ACCESS_FS_MAKE_BLOCK = 1 << 11
_ACCESS_FS_MAKE_SYM = 1 << 12
_ACCESS_FS_REFER = 1 << 13  # ABI 2
_ACCESS_FS_TRUNCATE = 1 << 14  # ABI 3
_ACCESS_NET_BIND_TCP = 1 << 0  # ABI 4
_ACCESS_NET_CONNECT_TCP = 1 << 1  # ABI 4
_SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
_SCOPE_SIGNAL = 1 << 1  # ABI 6
# Only the rights that change the file system are handled, so only they are restricted: what
# is read, and executed, stays as the other layers allow.
_WRITE_RIGHTS_V1 = (
    _ACCESS_FS_WRITE_FILE
    | _ACCESS_FS_REMOVE_DIR
    | _ACCESS_FS_REMOVE_FILE
    | _ACCESS_FS_MAKE_CHAR
    | _ACCESS_FS_MAKE_DIR
    | _ACCESS_FS_MAKE_REG
    | _ACCESS_FS_MAKE_SOCK
    | _ACCESS_FS_MAKE_FIFO
    | _ACCESS_FS_MAKE_BLOCK
    | _ACCESS_FS_MAKE_SYM
)
_FILE_RIGHTS = _ACCESS_FS_WRITE_FILE | _ACCESS_FS_TRUNCATE  # those a rule on a file may hold

# Seccomp: the architecture a filter checks first (a call through another ABI would have other
# numbers), and the numbers of socket() and io_uring_setup() in it.
_SECCOMP_ARCHES = {"x86_64": (0xC000003E, 41, 425), "aarch64": (0xC00000B7, 198, 425)}
_X32_SYSCALL_BIT = 0x40000000  # x86_64's x32 ABI: the same calls under other numbers
_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_ERRNO = 0x00050000
_BPF_LD_W_ABS = 0x20
_BPF_JEQ_K = 0x15
_BPF_JGE_K = 0x35
_BPF_RET_K = 0x06
_SECCOMP_DATA_NR = 0
_SECCOMP_DATA_ARCH = 4


class _NotEnforcedError(Exception):
    """A step this kernel or system does not allow; its message says which, and why."""


@dataclass(frozen=True)
class LandlockSupport:
    """What Landlock this kernel offers: ``version`` 0 when none, and then the ``reason``."""

    version: int
    reason: str = ""


def confine_worker() -> list[str]:
    """Confine this process, a freshly started worker, as far as the kernel allows; what was
    enforced, one line per step.

    Call it once, single-threaded, before the worker imports or reads anything a job may
    bring: Landlock and seccomp hold for this process and everything it starts, for good.
    """
    if not sys.platform.startswith("linux"):
        logger.debug("not confined: the sandbox needs Linux")
        return []
    enforced: list[str] = []
    # Changing credentials can clear the death signal (a new user namespace may count): it is
    # set again at the end, so the worker still dies with the build.
    death_signal = _death_signal()
    _step(enforced, _limit_files)
    folder = _step(enforced, _make_temporary_folder)
    _step(enforced, _isolate_network)
    _step(enforced, _drop_capabilities)  # after unshare, which needs CAP_SYS_ADMIN as root
    _step(enforced, _forbid_new_privileges)
    # Landlock after the namespace, which writes /proc/self/uid_map: Landlock would refuse it.
    _step(enforced, _restrict_writes, (folder,) if folder is not None else ())
    _step(enforced, _refuse_sockets)
    if death_signal:
        with contextlib.suppress(OSError, AttributeError):
            _prctl(_PR_SET_PDEATHSIG, death_signal)
    return enforced


def landlock_support() -> LandlockSupport:
    """Which Landlock ABI this kernel offers, asked the way `confine_worker` asks."""
    return _landlock_support()


def remove_worker_folder(pid: int) -> None:
    """Delete the temporary folder of worker ``pid`` once it has ended (idempotent): a worker
    stopped with SIGKILL cannot delete its own."""
    for folder in _worker_folders(pid):
        shutil.rmtree(folder, ignore_errors=True)


# ---- The steps -------------------------------------------------------------------------------

_T = TypeVar("_T")


def _step(enforced: list[str], step: Callable[..., tuple[str, _T]], *args: Any) -> _T | None:
    """Run one step; a step the system does not allow is logged and skipped."""
    try:
        done, value = step(*args)
    except _NotEnforcedError as reason:
        logger.debug("not confined: %s", reason)
        return None
    except (OSError, AttributeError) as error:  # AttributeError: a libc without the function
        logger.debug("not confined: %s failed: %s", step.__name__.strip("_"), error)
        return None
    enforced.append(done)
    return value


def _limit_files() -> tuple[str, None]:
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    size = MAX_FILE_BYTES if hard == resource.RLIM_INFINITY else min(MAX_FILE_BYTES, hard)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    # A write past the limit then fails with an error the job reports, instead of a signal
    # that kills the worker without a word.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    # A crashed layout would otherwise dump up to its whole memory limit to disk.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return f"files: at most {size // (1024 * 1024)} MiB each, no core dumps", None


def _make_temporary_folder() -> tuple[str, Path]:
    """A folder of this worker's own, where it may write, and where ``tempfile`` (and so
    WeasyPrint and Pillow) puts temporary files: in ``TMPDIR`` for libraries that read it."""
    base = tempfile.gettempdir()
    for stale in _worker_folders(None, base):
        shutil.rmtree(stale, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{_folder_prefix(os.getpid())}", dir=base))
    os.environ["TMPDIR"] = str(folder)
    tempfile.tempdir = str(folder)
    return f"temporary files: in {folder}", folder


def _folder_prefix(pid: int) -> str:
    # The pid namespace is part of the name: a /tmp shared between containers must not make
    # one container take another's live worker for a dead one.
    return f"{FOLDER_PREFIX}{_pid_namespace()}-{pid}-"


@cache
def _pid_namespace() -> int:
    try:
        return Path("/proc/self/ns/pid").stat().st_ino
    except OSError:
        return 0


def _worker_folders(pid: int | None, base: str | None = None) -> list[Path]:
    """The folders of worker ``pid``, or (``None``) of every worker of this pid namespace and
    user that has ended: a build stopped with SIGKILL leaves its workers' folders behind."""
    base = base or tempfile.gettempdir()
    prefix = f"{FOLDER_PREFIX}{_pid_namespace()}-"
    found = []
    with contextlib.suppress(OSError), os.scandir(base) as entries:
        for entry in entries:
            if not entry.name.startswith(prefix):
                continue
            owner, _, _ = entry.name[len(prefix) :].partition("-")
            if not owner.isdigit() or not entry.is_dir(follow_symlinks=False):
                continue
            if pid is None:
                if _running(int(owner)):
                    continue  # alive, or its number taken by another: left for later
            elif int(owner) != pid:
                continue
            with contextlib.suppress(OSError):
                if entry.stat(follow_symlinks=False).st_uid == os.getuid():
                    found.append(Path(entry.path))
    return found


def _running(pid: int) -> bool:
    """Whether ``pid`` is a process that has not ended: a zombie has (a worker killed with its
    build is one until init reaps it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in {"Z", "X"}


def _isolate_network() -> tuple[str, None]:
    libc = _libc()
    if libc.unshare(_CLONE_NEWNET) == 0:
        return "network: a new network namespace, with no interface up", None
    privileged = ctypes.get_errno()
    # The ids are read before: in the new user namespace they are unmapped until written.
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) != 0:
        raise _NotEnforcedError(
            f"network: no new network namespace ({os.strerror(privileged)}), nor one in a new "
            f"user namespace ({os.strerror(ctypes.get_errno())})"
        )
    # Mapped to themselves, the ids are the same inside as outside: files stay the worker's
    # own, and a process outside (its parent) may still signal it. Groups may not be changed
    # without privilege, which the kernel requires before gid_map is written.
    # A process that changed its user id without exec is not dumpable, and then its /proc
    # files are root's: dumpable just for the writes, as it was after.
    dumpable = _libc().prctl(_PR_GET_DUMPABLE, 0, 0, 0, 0)
    try:
        if dumpable == 0:
            _prctl(_PR_SET_DUMPABLE, 1)
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
        Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
    except OSError as error:
        return f"network: a new network namespace, in a user namespace unmapped ({error})", None
    finally:
        if dumpable == 0:
            with contextlib.suppress(OSError):
                _prctl(_PR_SET_DUMPABLE, 0)
    return "network: a new network namespace, in a new user namespace", None


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def _drop_capabilities() -> tuple[str, None]:
    """Every capability but CAP_DAC_READ_SEARCH: a root build reads what it read before (a
    project whose files only their owner may read), and can change nothing a layout does not
    need, nor undo the rest of the sandbox (setns back into the host's network, say)."""
    libc = _libc()
    header, data = _CapHeader(_CAP_VERSION_3, 0), (_CapData * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        raise _os_error("capget")
    held = data[0].permitted | data[1].permitted << 32
    kept = held & (1 << _CAP_DAC_READ_SEARCH)
    if held and held != kept:
        # The bounding set first: dropping from it needs CAP_SETPCAP, which goes next.
        last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
        for capability in range(last + 1):
            if capability != _CAP_DAC_READ_SEARCH:
                _prctl(_PR_CAPBSET_DROP, capability)
        for index in (0, 1):
            part = (kept >> (32 * index)) & 0xFFFFFFFF
            data[index].effective = data[index].permitted = part
            data[index].inheritable = 0
        if libc.capset(ctypes.byref(header), data) != 0:
            raise _os_error("capset")
    with contextlib.suppress(OSError):  # a kernel before 4.3 has no ambient capabilities
        _prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL)
    if not held:
        return "capabilities: none held", None
    return "capabilities: all dropped but reading any file", None


def _forbid_new_privileges() -> tuple[str, None]:
    # What Landlock and seccomp need without privilege; and no program the worker starts
    # gains any from a set-user-id bit or file capabilities.
    _prctl(_PR_SET_NO_NEW_PRIVS, 1)
    return "privileges: no new ones on exec", None


@cache
def _landlock_support() -> LandlockSupport:
    machine = platform.machine()
    if machine not in _LANDLOCK_SYSCALLS:
        return LandlockSupport(0, f"Landlock: no system call numbers known for {machine}")
    create, _, _ = _LANDLOCK_SYSCALLS[machine]
    try:
        libc = _libc()
    except (OSError, AttributeError) as error:
        return LandlockSupport(0, f"Landlock: libc not found ({error})")
    version = libc.syscall(
        ctypes.c_long(create),
        None,
        ctypes.c_size_t(0),
        ctypes.c_uint32(_LANDLOCK_CREATE_RULESET_VERSION),
    )
    if version > 0:
        return LandlockSupport(int(version))
    number = ctypes.get_errno()
    why = {
        errno.ENOSYS: "this kernel has no Landlock (it needs Linux 5.13 or later, built with it)",
        errno.EOPNOTSUPP: "Landlock is disabled on this kernel (not in its lsm= list)",
    }.get(number, f"Landlock: {os.strerror(number)}")
    return LandlockSupport(0, why)


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),  # read by ABI 4 and later
        ("scoped", ctypes.c_uint64),  # read by ABI 6 and later
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1  # declared __attribute__((packed)) in <linux/landlock.h>
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _restrict_writes(writable: Sequence[Path]) -> tuple[str, None]:
    support = _landlock_support()
    if not support.version:
        raise _NotEnforcedError(f"writes: anywhere the user may write: {support.reason}")
    create, add_rule, restrict_self = _LANDLOCK_SYSCALLS[platform.machine()]
    libc = _libc()
    version = support.version
    rights = _WRITE_RIGHTS_V1
    rights |= _ACCESS_FS_REFER if version >= 2 else 0
    rights |= _ACCESS_FS_TRUNCATE if version >= 3 else 0
    # No rule allows any port: with these handled, no TCP bind or connect at all.
    network = _ACCESS_NET_BIND_TCP | _ACCESS_NET_CONNECT_TCP if version >= 4 else 0
    scoped = _SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL if version >= 6 else 0
    attr = _RulesetAttr(rights, network, scoped)
    _prctl(_PR_SET_NO_NEW_PRIVS, 1)  # required; here too, so this step stands on its own
    ruleset = libc.syscall(
        ctypes.c_long(create),
        ctypes.byref(attr),
        ctypes.c_size_t(ctypes.sizeof(attr)),
        ctypes.c_uint32(0),
    )
    if ruleset < 0:
        raise _os_error("landlock_create_ruleset")
    try:
        allowed = [(path, rights) for path in writable]
        # Where programs send output they do not want; Python's subprocess.DEVNULL among them.
        if Path("/dev/null").exists():
            allowed.append((Path("/dev/null"), rights & _FILE_RIGHTS))
        for path, access in allowed:
            descriptor = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:
                rule = _PathBeneathAttr(access, descriptor)
                if (
                    libc.syscall(
                        ctypes.c_long(add_rule),
                        ctypes.c_int(ruleset),
                        ctypes.c_int(_LANDLOCK_RULE_PATH_BENEATH),
                        ctypes.byref(rule),
                        ctypes.c_uint32(0),
                    )
                    != 0
                ):
                    raise _os_error(f"landlock_add_rule({path})")
            finally:
                os.close(descriptor)
        if libc.syscall(ctypes.c_long(restrict_self), ctypes.c_int(ruleset), ctypes.c_uint32(0)):
            raise _os_error("landlock_restrict_self")
    finally:
        os.close(ruleset)
    # Each would be refused (a worker must not plant code that the parent, or the next build,
    # imports): not tried, it costs no system calls and no audit record per module.
    sys.dont_write_bytecode = True
    places = " and ".join(str(path) for path, _ in allowed) or "nowhere"
    extra = []
    if network:
        extra.append("no TCP bind or connect")
    if scoped:
        extra.append("no abstract socket or signal outside")
    more = f"; {', '.join(extra)}" if extra else ""
    return f"writes: only beneath {places} (Landlock ABI {version}{more})", None


class _SockFilter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_uint16),
        ("jt", ctypes.c_uint8),
        ("jf", ctypes.c_uint8),
        ("k", ctypes.c_uint32),
    ]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def _refuse_sockets() -> tuple[str, None]:
    """A seccomp filter: socket() fails with EACCES. The worker's pipe to its parent was made
    before; a layout needs no other. Nor does io_uring_setup() work, whose requests could open
    and connect a socket without a system call the filter sees."""
    machine = platform.machine()
    if machine not in _SECCOMP_ARCHES:
        raise _NotEnforcedError(f"sockets: no seccomp filter known for {machine}")
    arch, socket_call, io_uring_setup = _SECCOMP_ARCHES[machine]
    refuse = _SECCOMP_RET_ERRNO | errno.EACCES
    # (code, k, jump-if-true label, jump-if-false label): labels are "next" or "refuse".
    program: list[tuple[int, int, str, str]] = [
        (_BPF_LD_W_ABS, _SECCOMP_DATA_ARCH, "next", "next"),
        # Another ABI (i386 through int 0x80) numbers its calls otherwise: refuse it all.
        (_BPF_JEQ_K, arch, "next", "refuse"),
        (_BPF_LD_W_ABS, _SECCOMP_DATA_NR, "next", "next"),
    ]
    if machine == "x86_64":
        program.append((_BPF_JGE_K, _X32_SYSCALL_BIT, "refuse", "next"))
    program += [
        (_BPF_JEQ_K, socket_call, "refuse", "next"),
        (_BPF_JEQ_K, io_uring_setup, "refuse", "next"),
        (_BPF_RET_K, _SECCOMP_RET_ALLOW, "next", "next"),
        (_BPF_RET_K, refuse, "next", "next"),
    ]
    last = len(program) - 1

    def offset(index: int, label: str) -> int:
        return 0 if label == "next" else last - index - 1

    filters = (_SockFilter * len(program))(
        *(
            _SockFilter(code, offset(index, true), offset(index, false), k)
            for index, (code, k, true, false) in enumerate(program)
        )
    )
    prog = _SockFprog(len(program), filters)
    _prctl(_PR_SET_NO_NEW_PRIVS, 1)  # required without CAP_SYS_ADMIN, dropped above
    _prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.addressof(prog))
    return "sockets: socket() and io_uring refused (seccomp)", None


# ---- libc --------------------------------------------------------------------------------------


@cache
def _libc() -> Any:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def _prctl(option: int, *args: int) -> None:
    values = [ctypes.c_ulong(value) for value in (*args, 0, 0, 0, 0)[:4]]
    if _libc().prctl(ctypes.c_int(option), *values) != 0:
        raise _os_error(f"prctl({option})")


def _death_signal() -> int:
    value = ctypes.c_int(0)
    with contextlib.suppress(OSError, AttributeError):
        _prctl(_PR_GET_PDEATHSIG, ctypes.addressof(value))
    return value.value


def _os_error(call: str) -> OSError:
    number = ctypes.get_errno()
    return OSError(number, f"{call}: {os.strerror(number)}")
