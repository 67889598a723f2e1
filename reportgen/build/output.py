"""Writing outputs so that a reader sees the old file or the new, never half of one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from reportgen.errors import BuildError


def write_atomically(target: Path, content: bytes) -> None:
    """Write ``content`` to ``target`` so that readers see the old file or the new, never half.

    The bytes go to a temporary file in the same folder, are flushed to disk, then renamed over
    the target: a failure at any point leaves the previous file untouched.
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".part"
        )
    except OSError as error:
        raise BuildError(f"cannot write to {target.parent}: {error.strerror}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        Path(temporary).chmod(0o644)
        Path(temporary).replace(target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise BuildError(f"cannot write {target}: {error.strerror}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
