"""The one rule for reading files: inside the allowed folders, regular files only, capped, UTF-8."""

from __future__ import annotations

import os
import pickle
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reportgen import files
from reportgen.errors import FileRefusedError

SMALL = files.Kind("a test file", 10, "the test folder")
# Long enough for any real read, short enough that a hang fails the test instead of the run.
PROMPTLY = 10.0


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The allowed folder, with a file outside it; the current folder is ``tmp_path``."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "root"
    folder.mkdir()
    (folder / "inside.txt").write_text("inside\n")
    (tmp_path / "outside.txt").write_text("secret\n")
    return folder


def refusal(call: Callable[[], object]) -> FileRefusedError:
    """The refusal ``call`` raises, failing (not hanging) if it blocks or reads anything."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as error:  # handed back to the test
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(PROMPTLY)
    assert not thread.is_alive(), "the read blocked"
    assert "value" not in outcome, f"read {outcome.get('value')!r}"
    error = outcome["error"]
    assert isinstance(error, FileRefusedError), repr(error)
    return error


def test_a_regular_file_inside_is_read(root: Path) -> None:
    contents = files.read(root / "inside.txt", files.TEMPLATE, [root])
    assert contents.data == b"inside\n"
    assert contents.real == (root / "inside.txt").resolve()
    assert files.read_text(root / "inside.txt", files.TEMPLATE, [root]) == "inside\n"


def test_a_link_to_a_file_inside_is_followed(root: Path) -> None:
    (root / "sub").mkdir()
    (root / "sub" / "link.txt").symlink_to("../inside.txt")
    assert files.read_bytes(root / "sub" / "link.txt", files.TEMPLATE, [root]) == b"inside\n"


def test_a_link_to_a_file_outside_is_refused_by_the_name_written(root: Path) -> None:
    (root / "leak.txt").symlink_to(root.parent / "outside.txt")
    error = refusal(lambda: files.read(Path("root/leak.txt"), files.TEMPLATE, [root]))
    assert str(error) == "root/leak.txt: links to a file outside the template folders; refused"
    assert "secret" not in str(error)


def test_a_chain_of_links_is_judged_by_where_it_ends(root: Path) -> None:
    (root / "first.txt").symlink_to("second.txt")
    (root / "second.txt").symlink_to(root.parent / "outside.txt")
    error = refusal(lambda: files.read(root / "first.txt", files.TEMPLATE, [root]))
    assert error.reason == "links to a file outside the template folders; refused"
    (root / "second.txt").unlink()
    (root / "second.txt").symlink_to("inside.txt")
    assert files.read_bytes(root / "first.txt", files.TEMPLATE, [root]) == b"inside\n"


def test_a_link_into_another_allowed_folder_is_followed(root: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "shared.txt").write_text("shared\n")
    (root / "shared.txt").symlink_to(other / "shared.txt")
    assert files.read_bytes(root / "shared.txt", files.TEMPLATE, [root, other]) == b"shared\n"


def test_a_file_outside_named_directly_is_refused(root: Path) -> None:
    error = refusal(lambda: files.read(root / ".." / "outside.txt", files.RESOURCE, [root]))
    assert error.reason == "outside the template and data folders; refused"


def test_a_loop_of_links_is_refused(root: Path) -> None:
    (root / "a.txt").symlink_to("b.txt")
    (root / "b.txt").symlink_to("a.txt")
    assert refusal(lambda: files.read(root / "a.txt", files.TEMPLATE, [root])).reason.startswith(
        "cannot be read"
    )


def test_a_dangling_link_and_a_missing_file_are_told_apart(root: Path) -> None:
    (root / "dangling.txt").symlink_to("nowhere.txt")
    dangling = refusal(lambda: files.read(root / "dangling.txt", files.TEMPLATE, [root]))
    assert dangling.reason == "links to a file that does not exist"
    missing = refusal(lambda: files.read(root / "nowhere.txt", files.TEMPLATE, [root]))
    assert missing.reason == "no such file"


def test_a_named_pipe_is_refused_without_blocking(root: Path) -> None:
    os.mkfifo(root / "pipe.txt")
    error = refusal(lambda: files.read(root / "pipe.txt", files.TEMPLATE, [root]))
    assert error.reason == "is not a regular file (it is a named pipe)"
    # Named by the operator (no folders to stay in), it is refused all the same.
    assert refusal(lambda: files.read(root / "pipe.txt", files.SETTINGS)).reason.endswith(
        "named pipe)"
    )


def test_a_file_swapped_for_a_pipe_after_the_check_does_not_block(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = root / "swapped.txt"
    target.write_text("harmless\n")
    real_open = os.open

    def swap_then_open(path: Any, flags: int, *args: Any) -> int:
        target.unlink()
        os.mkfifo(target)
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", swap_then_open)
    error = refusal(lambda: files.read(target, files.TEMPLATE, [root]))
    assert error.reason == "is not a regular file (it is a named pipe)"


def test_a_file_swapped_for_a_link_after_the_check_is_not_followed(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = root / "swapped.txt"
    target.write_text("harmless\n")
    real_open = os.open

    def swap_then_open(path: Any, flags: int, *args: Any) -> int:
        target.unlink()
        target.symlink_to(root.parent / "outside.txt")
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", swap_then_open)
    error = refusal(lambda: files.read(target, files.TEMPLATE, [root]))
    assert error.reason.startswith("cannot be read")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_link_to_dev_zero_is_refused_and_so_is_dev_zero_itself(root: Path) -> None:
    (root / "zero.txt").symlink_to("/dev/zero")
    error = refusal(lambda: files.read(root / "zero.txt", files.TEMPLATE, [root]))
    assert error.reason == "links to a file outside the template folders; refused"
    named = refusal(lambda: files.read(Path("/dev/zero"), files.DATA))
    assert str(named) == "/dev/zero: is not a regular file (it is a device)"


def test_a_folder_is_refused(root: Path) -> None:
    (root / "folder.txt").mkdir()
    error = refusal(lambda: files.read(root / "folder.txt", files.TEMPLATE, [root]))
    assert error.reason == "is not a regular file (it is a folder)"


def test_a_huge_file_is_refused_before_a_byte_is_read(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    huge = root / "huge.html.j2"
    with huge.open("wb") as stream:
        stream.truncate(3 * files.GIB)  # sparse: takes no disk space
    reads: list[int] = []
    real_read = os.read

    def counting_read(descriptor: int, count: int) -> bytes:
        reads.append(count)
        return real_read(descriptor, count)

    monkeypatch.setattr(os, "read", counting_read)
    error = refusal(lambda: files.read(huge, files.TEMPLATE, [root]))
    assert error.reason == "is 3 GiB; the limit for a template is 1 MiB"
    assert reads == []


def test_a_file_that_grows_past_the_cap_after_the_check_is_read_no_further(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    grown = root / "grown.txt"
    grown.write_bytes(b"x" * 1000)
    real_fstat = os.fstat
    read_sizes: list[int] = []
    real_read = os.read

    def small_fstat(descriptor: int) -> os.stat_result:
        # As the file looked when it was opened, before it grew.
        status = list(real_fstat(descriptor))
        status[6] = 5  # st_size
        return os.stat_result(status)

    def counting_read(descriptor: int, count: int) -> bytes:
        chunk = real_read(descriptor, count)
        read_sizes.append(len(chunk))
        return chunk

    monkeypatch.setattr(os, "fstat", small_fstat)
    monkeypatch.setattr(os, "read", counting_read)
    monkeypatch.setattr(files, "_check_kind", lambda *args: None)  # as if it was small then
    error = refusal(lambda: files.read(grown, SMALL, [root]))
    assert error.reason == "is larger than 10 bytes, the limit for a test file"
    assert sum(read_sizes) == SMALL.limit + 1


def test_a_file_at_the_cap_is_read(root: Path) -> None:
    (root / "full.txt").write_bytes(b"x" * SMALL.limit)
    assert files.read_bytes(root / "full.txt", SMALL, [root]) == b"x" * SMALL.limit
    (root / "over.txt").write_bytes(b"x" * (SMALL.limit + 1))
    error = refusal(lambda: files.read(root / "over.txt", SMALL, [root]))
    assert error.reason == "is 11 bytes; the limit for a test file is 10 bytes"


def test_text_that_is_not_utf8_is_refused_with_its_line(root: Path) -> None:
    (root / "latin1.txt").write_bytes("one\ntwo\nCanc\u00fan\n".encode("latin-1"))
    error = refusal(lambda: files.read_text(Path("root/latin1.txt"), files.TEMPLATE, [root]))
    assert str(error) == "root/latin1.txt:3: is not valid UTF-8: invalid start byte"
    assert error.line == 3


def test_a_byte_order_mark_is_dropped(root: Path) -> None:
    (root / "bom.txt").write_bytes(b"\xef\xbb\xbfhello")
    assert files.read_text(root / "bom.txt", files.TEMPLATE, [root]) == "hello"


def test_without_folders_a_link_the_operator_named_is_followed(root: Path) -> None:
    (root / "mine.toml").symlink_to(root.parent / "outside.txt")
    assert files.read_bytes(root / "mine.toml", files.SETTINGS) == b"secret\n"


def test_check_refuses_what_read_would_without_opening_it(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    os.mkfifo(root / "pipe.yaml")
    monkeypatch.setattr(os, "open", lambda *args: pytest.fail("opened"))
    assert (
        files.check(root / "inside.txt", files.PROFILE, [root]) == (root / "inside.txt").resolve()
    )
    error = refusal(lambda: files.check(root / "pipe.yaml", files.PROFILE, [root]))
    assert error.reason == "is not a regular file (it is a named pipe)"


@pytest.mark.parametrize(
    ("count", "shown"),
    [
        (3 * files.GIB, "3 GiB"),
        (files.MIB, "1 MiB"),
        (5 * files.MIB // 2, "2.5 MiB"),
        (2 * files.MIB + 8, "2,097,160 bytes"),  # "2.0 MiB" would hide that it is over
        (11, "11 bytes"),
    ],
)
def test_sizes_are_written_for_a_reader(count: int, shown: str) -> None:
    assert files.size(count) == shown


def test_a_refusal_survives_the_trip_from_a_layout_process() -> None:
    error = FileRefusedError("templates/x.html.j2", "is not valid UTF-8: invalid start byte", 3)
    copy = pickle.loads(pickle.dumps(error))
    assert (str(copy), copy.file, copy.reason, copy.line) == (
        "templates/x.html.j2:3: is not valid UTF-8: invalid start byte",
        "templates/x.html.j2",
        "is not valid UTF-8: invalid start byte",
        3,
    )
