"""One rule for reading a file reportgen is given: where it may be, what it may be, how big.

Templates, template assets, audience profiles, briefing data and settings are all read through
`read` (or `read_text`), which refuses, with a `FileRefusedError` naming the file as the user
wrote it:

- a file whose real path, links followed, is outside the folders it was found in (``roots``);
- anything that is not a regular file: a named pipe would block the read for ever, a device
  such as ``/dev/zero`` never ends, a socket or a folder is not a file;
- a file over its kind's size cap, checked before reading and again while reading, so a file
  that grows (or was swapped) between the two is still never read past the cap;
- text that is not UTF-8, with the line of the first bad byte.

The file is opened with ``O_NONBLOCK | O_NOFOLLOW`` at its resolved path and checked again on
the open descriptor, so a file swapped for a named pipe or a link between the check and the
open cannot hang the build or lead it out of its folders.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reportgen.errors import FileRefusedError

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB
_CHUNK = 1 * MIB
_OPEN_FLAGS = (
    os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0)
)


@dataclass(frozen=True)
class Kind:
    """A kind of file, as messages name it, with its size cap and the folders it comes from."""

    name: str  # "a template", in "the limit for a template is 1 MiB"
    limit: int
    folders: str = ""  # "the template folders", in "outside the template folders"


# Each far above what a real file of its kind needs, and far below what would strain memory.
TEMPLATE = Kind("a template", 1 * MIB, "the template folders")
PROFILE = Kind("an audience profile", 2 * MIB, "its audiences folder")
DATA = Kind("a data file", 2 * MIB, "the data folder")
SETTINGS = Kind("a settings file", 1 * MIB)
RESOURCE = Kind("a resource", 20 * MIB, "the template and data folders")


@dataclass(frozen=True)
class Contents:
    """A file's bytes as read, the real path they were read from, and its modification time."""

    data: bytes
    real: Path
    mtime_ns: int


def read(
    path: Path, kind: Kind, roots: Sequence[Path] | None = None, *, shown: str | None = None
) -> Contents:
    """The bytes of ``path``, if it is a regular file within ``kind``'s cap and, when ``roots``
    is given, its real path is inside one of them; else `FileRefusedError`.

    ``roots`` is None for a file the operator named (a data file or a settings file): a link
    they made is theirs to follow. ``shown`` is the file as messages name it (``str(path)``).
    """
    shown = str(path) if shown is None else shown
    real = confine(path, kind, roots, shown=shown)
    try:
        _check_kind(real.lstat(), kind, shown)
        descriptor = os.open(real, _OPEN_FLAGS)
    except OSError as error:
        raise FileRefusedError(shown, _unreadable(error)) from None
    try:
        status = os.fstat(descriptor)
        _check_kind(status, kind, shown)  # again: it may have been swapped since
        return Contents(_read_capped(descriptor, kind, shown), real, status.st_mtime_ns)
    except OSError as error:
        raise FileRefusedError(shown, _unreadable(error)) from None
    finally:
        os.close(descriptor)


def read_bytes(
    path: Path, kind: Kind, roots: Sequence[Path] | None = None, *, shown: str | None = None
) -> bytes:
    """`read`, the bytes alone."""
    return read(path, kind, roots, shown=shown).data


def read_text(
    path: Path, kind: Kind, roots: Sequence[Path] | None = None, *, shown: str | None = None
) -> str:
    """`read`, decoded as UTF-8 (see `decode`)."""
    return decode(read_bytes(path, kind, roots, shown=shown), str(path) if shown is None else shown)


def decode(content: bytes, shown: str) -> str:
    """``content`` as text, or `FileRefusedError` with the line of the first byte that is not
    UTF-8. A byte-order mark, which some Windows editors write, is accepted and dropped."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content.count(b"\n", 0, error.start) + 1
        raise FileRefusedError(shown, f"is not valid UTF-8: {error.reason}", line) from None


def confine(
    path: Path, kind: Kind, roots: Sequence[Path] | None = None, *, shown: str | None = None
) -> Path:
    """The real path of ``path``, links followed, if it exists and (with ``roots``) lies inside
    one of them; else `FileRefusedError`. Nothing is opened."""
    shown = str(path) if shown is None else shown
    try:
        real = path.resolve(strict=True)
    except FileNotFoundError:
        reason = "links to a file that does not exist" if _is_link(path) else "no such file"
        raise FileRefusedError(shown, reason) from None
    except (OSError, RuntimeError, ValueError) as error:
        # RuntimeError: a loop of links (Python 3.11); ValueError: a NUL in the name.
        raise FileRefusedError(shown, _unreadable(error)) from None
    if roots is not None and not inside(real, roots):
        # normpath, not resolve: whether the name as written already points outside.
        linked = Path(os.path.normpath(path.absolute())) != real
        where = f"outside {kind.folders or 'the folders it may be read from'}; refused"
        raise FileRefusedError(shown, f"links to a file {where}" if linked else where)
    return real


def check(
    path: Path, kind: Kind, roots: Sequence[Path] | None = None, *, shown: str | None = None
) -> Path:
    """`confine`, and a regular file within the cap: what `read` checks before it opens the
    file, for code that finds files before any is read. Returns the real path."""
    shown = str(path) if shown is None else shown
    real = confine(path, kind, roots, shown=shown)
    try:
        _check_kind(real.lstat(), kind, shown)
    except OSError as error:
        raise FileRefusedError(shown, _unreadable(error)) from None
    return real


def inside(real: Path, roots: Sequence[Path]) -> bool:
    """Whether the resolved path ``real`` is one of ``roots`` (resolved here) or under one."""
    return any(real.is_relative_to(root.resolve()) for root in roots)


def size(count: int) -> str:
    """A byte count as a reader takes it in: ``3 GiB``, ``2.5 MiB``, or exact near a cap."""
    for unit, name in ((GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")):
        if count >= unit:
            if count % unit == 0:
                return f"{count // unit} {name}"
            rounded = f"{count / unit:.1f}"
            # "2.0 MiB" over a 2 MiB cap would read as no excess at all.
            if not rounded.endswith(".0"):
                return f"{rounded} {name}"
            break
    return f"{count:,} bytes"


def _check_kind(status: os.stat_result, kind: Kind, shown: str) -> None:
    if not stat.S_ISREG(status.st_mode):
        raise FileRefusedError(shown, f"is not a regular file (it is {_what(status.st_mode)})")
    if status.st_size > kind.limit:
        raise FileRefusedError(
            shown, f"is {size(status.st_size)}; the limit for {kind.name} is {size(kind.limit)}"
        )


def _read_capped(descriptor: int, kind: Kind, shown: str) -> bytes:
    """At most the cap and one byte more: a file that grew past its cap is refused, unread."""
    chunks: list[bytes] = []
    left = kind.limit + 1
    while left > 0:
        chunk = os.read(descriptor, min(left, _CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    if left <= 0:
        raise FileRefusedError(
            shown, f"is larger than {size(kind.limit)}, the limit for {kind.name}"
        )
    return b"".join(chunks)


def _what(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISLNK(mode):
        return "a link that changed while it was read"
    return "not a file"


def _is_link(path: Path) -> bool:
    try:
        return path.is_symlink()
    except (OSError, ValueError):
        return False


def _unreadable(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return f"cannot be read: {error.strerror}"
    if isinstance(error, RuntimeError):
        return "cannot be read: its links form a loop"
    return f"cannot be read: {error}"
