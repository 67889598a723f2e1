"""One build at a time per output folder: an advisory lock on the folder itself."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from reportgen.errors import BuildError


class OutputLockedError(BuildError):
    """Raised when another build holds the output folder and the caller would not wait."""


def _reason(out_dir: Path, error: Exception) -> str:
    """Why the folder cannot be used, in words that point at the file in the way."""
    if isinstance(error, FileExistsError):  # mkdir(exist_ok=True) says so of a non-folder only
        return "it exists and is not a folder"
    reason = getattr(error, "strerror", None) or str(error)
    if isinstance(error, NotADirectoryError):
        in_the_way = next(
            (path for path in (out_dir, *out_dir.parents) if path.exists() and not path.is_dir()),
            None,
        )
        if in_the_way is not None:
            return f"{reason} ({in_the_way} is a file)"
    return reason


@contextlib.contextmanager
def output_lock(
    out_dir: Path, *, wait: bool = True, on_wait: Callable[[str], None] = lambda message: None
) -> Iterator[None]:
    """Hold the output folder for one build: the manifest and the PDFs of two concurrent builds
    must never mix. The second build waits (saying so through ``on_wait``), or with
    ``wait=False`` fails at once.

    The lock is the kernel's (``flock``) on the folder itself: no lock file appears among the
    outputs, and the lock goes when the process does, however it ends, so a killed build never
    leaves the folder locked.
    """
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(out_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except (OSError, ValueError) as error:  # ValueError: a NUL in a path from the settings
        raise BuildError(
            f"cannot use {out_dir} as the output folder: {_reason(out_dir, error)}"
        ) from None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise OutputLockedError(
                    f"another build is writing to {out_dir}; try again when it has finished "
                    "(or leave out --no-wait to wait for it)"
                ) from None
            on_wait(f"waiting for another build writing to {out_dir} to finish ...")
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock
