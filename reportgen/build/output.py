"""Writing outputs so that a reader sees the old file or the new, never half of one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from reportgen.errors import BuildError

DEFAULT_OUTPUT = Path("output")  # where a build writes when not told


def write_atomically(target: Path, content: bytes) -> None:
    """Write ``content`` to ``target`` so that readers see the old file or the new, never half.

    The bytes go to a temporary file in the same folder, are flushed to disk, then renamed over
    the target: a failure at any point leaves the previous file untouched.
    """
    temporary = _stage(target, content)
    try:
        temporary.replace(target)
    except OSError as error:
        raise BuildError(f"cannot write {target}: {error.strerror}") from None
    finally:
        temporary.unlink(missing_ok=True)


def write_all(out_dir: Path, files: dict[str, bytes]) -> None:
    """Write every file of a build into ``out_dir``, or none of them.

    Each goes to a temporary file first, flushed to disk; only when all are written (so a full
    disk stops the build here, with nothing replaced) are they renamed into place, the manifest
    last. Should a rename fail, the files already replaced get their old contents back.
    """
    staged: dict[Path, Path] = {}
    try:
        for name, content in files.items():
            staged[out_dir / name] = _stage(out_dir / name, content)
        _replace_all(staged)
    finally:
        for temporary in staged.values():
            temporary.unlink(missing_ok=True)


def _stage(target: Path, content: bytes) -> Path:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".part"
        )
    except OSError as error:
        raise BuildError(f"cannot write to {target.parent}: {error.strerror}") from None
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        temporary.chmod(0o644)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise BuildError(f"cannot write {target}: {error.strerror}") from None
    except BaseException:  # Ctrl-C or SIGTERM while writing: leave no temporary file
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _replace_all(staged: dict[Path, Path]) -> None:
    backups: dict[Path, bytes | None] = {}
    try:
        for target, temporary in staged.items():
            backups[target] = target.read_bytes() if target.is_file() else None
            temporary.replace(target)
    except OSError as error:
        for target, old in backups.items():
            if old is None:
                target.unlink(missing_ok=True)
            else:
                write_atomically(target, old)
        raise BuildError(f"cannot write {target}: {error.strerror}; nothing was changed") from None


def remove_leftovers(out_dir: Path) -> list[Path]:
    """Delete the temporary files a killed build left (``.NAME.*.part``); called with the output
    lock held, so no running build owns them."""
    removed = []
    for path in out_dir.glob(".*.part"):
        if path.is_file() and not path.is_symlink():
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed
