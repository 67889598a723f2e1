"""Writing a build's outputs: all of them or none, and the leftovers of a killed build."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reportgen.build.output import remove_leftovers, write_all, write_atomically
from reportgen.errors import BuildError

OLD = {
    "alpha-executive.pdf": b"%PDF-1.7 old alpha\n",
    "beta-executive.pdf": b"%PDF-1.7 old beta\n",
    "manifest.json": b'{"format": 2, "old": true}\n',
}
NEW = {
    "alpha-executive.pdf": b"%PDF-1.7 new alpha\n",
    "beta-executive.pdf": b"%PDF-1.7 new beta\n",
    "gamma-executive.pdf": b"%PDF-1.7 new gamma\n",
    "manifest.json": b'{"format": 2, "new": true}\n',
}


def contents(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def failing_on_call(number: int, real: Callable[..., Any]) -> Callable[..., Any]:
    """``real``, except that call ``number`` raises "no space left on device"."""
    calls = 0

    def fake(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == number:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(*args, **kwargs)

    return fake


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """An output folder holding an earlier build's files."""
    folder = tmp_path / "out"
    write_all(folder, OLD)
    return folder


def test_write_all_writes_every_file(tmp_path: Path) -> None:
    write_all(tmp_path / "out", NEW)

    assert contents(tmp_path / "out") == dict(sorted(NEW.items()))


def test_write_all_replaces_earlier_files(out: Path) -> None:
    write_all(out, NEW)

    assert contents(out) == dict(sorted(NEW.items()))


@pytest.mark.parametrize("failing", ["os.fsync", "tempfile.mkstemp"])
@pytest.mark.parametrize("call", [1, 2, 4])
def test_a_full_disk_while_staging_changes_nothing(
    out: Path, monkeypatch: pytest.MonkeyPatch, failing: str, call: int
) -> None:
    module, name = failing.split(".")
    target = __import__(module)
    monkeypatch.setattr(target, name, failing_on_call(call, getattr(target, name)))

    with pytest.raises(BuildError, match="No space left on device"):
        write_all(out, NEW)

    assert contents(out) == dict(sorted(OLD.items()))  # byte for byte, no .part files


def test_a_failed_rename_restores_what_was_replaced(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Path, "replace", failing_on_call(2, Path.replace))

    with pytest.raises(BuildError) as raised:
        write_all(out, NEW)

    assert contents(out) == dict(sorted(OLD.items()))
    assert str(raised.value).endswith("nothing was changed")
    assert str(out / "beta-executive.pdf") in str(raised.value)


def test_a_failed_rename_removes_new_files_already_moved_in(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # gamma is new; manifest.json comes after it and fails to be renamed.
    monkeypatch.setattr(Path, "replace", failing_on_call(4, Path.replace))

    with pytest.raises(BuildError, match="nothing was changed"):
        write_all(out, NEW)

    assert contents(out) == dict(sorted(OLD.items()))


def test_write_atomically_leaves_the_old_file_when_it_fails(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "fsync", failing_on_call(1, os.fsync))

    with pytest.raises(BuildError, match="No space left on device"):
        write_atomically(out / "manifest.json", b"{}")

    assert contents(out) == dict(sorted(OLD.items()))


def test_remove_leftovers_removes_part_files_and_nothing_else(out: Path) -> None:
    leftovers = [out / ".alpha-executive.pdf.abc123.part", out / ".manifest.json.x9_k.part"]
    for path in leftovers:
        path.write_bytes(b"half a file")
    keep = {
        ".reportgen.lock": b"",
        "notes.part": b"not ours: not hidden",
        ".hidden.pdf": b"not ours: no .part",
        ".alpha-executive.pdf.abc.partial": b"not ours: not .part",
    }
    for name, content in keep.items():
        (out / name).write_bytes(content)
    (out / ".folder.part").mkdir()
    (out / ".link.part").symlink_to(out / "alpha-executive.pdf")

    removed = remove_leftovers(out)

    assert sorted(removed) == sorted(leftovers)
    assert {path.name for path in out.iterdir()} == {*OLD, *keep, ".folder.part", ".link.part"}
    for name, content in {**OLD, **keep}.items():
        assert (out / name).read_bytes() == content
    assert (out / ".link.part").is_symlink()
