"""One build at a time per output folder: the lock, waiting for it, and a killed holder."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.build.lock import OutputLockedError, output_lock
from reportgen.cli import main
from reportgen.resources import EXAMPLE_BRIEFING

# Takes the lock, says so, and holds it until its stdin closes (or it is killed).
HOLDER = """
import sys
from pathlib import Path
from reportgen.build.lock import output_lock

with output_lock(Path(sys.argv[1]), wait=False):
    print("locked", flush=True)
    sys.stdin.read()
"""


class Holder:
    """Another process holding the lock on an output folder."""

    def __init__(self, out: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(out)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline() == "locked\n"

    def release(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        assert self.process.wait(timeout=30) == 0

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait(timeout=30) == -signal.SIGKILL

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[Holder]:
    held = Holder(tmp_path / "out")
    yield held
    held.stop()


def test_the_lock_is_free_when_nobody_holds_it(tmp_path: Path) -> None:
    with output_lock(tmp_path / "out", wait=False):
        assert (tmp_path / "out").is_dir()
    with output_lock(tmp_path / "out", wait=False):
        pass
    assert not list((tmp_path / "out").iterdir())  # the lock leaves nothing among the outputs


def test_without_waiting_a_held_lock_is_refused(tmp_path: Path, holder: Holder) -> None:
    out = tmp_path / "out"

    with pytest.raises(OutputLockedError) as raised, output_lock(out, wait=False):
        pytest.fail("took a lock another process holds")

    assert str(raised.value).startswith(f"another build is writing to {out}")
    assert "--no-wait" in str(raised.value)


def test_waiting_says_so_and_proceeds_once_the_lock_is_released(
    tmp_path: Path, holder: Holder
) -> None:
    out = tmp_path / "out"
    said: list[str] = []

    def on_wait(message: str) -> None:
        said.append(message)
        holder.release()  # the other build finishes while this one waits

    with (
        output_lock(out, wait=True, on_wait=on_wait),
        pytest.raises(OutputLockedError),
        output_lock(out, wait=False),  # held by this process now
    ):
        pass

    assert said == [f"waiting for another build writing to {out} to finish ..."]


def test_a_build_with_no_wait_while_locked_exits_1_in_one_line(
    tmp_path: Path, holder: Holder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no settings file is found here
    out = tmp_path / "out"

    result = CliRunner().invoke(
        main, ["build", "--data", str(EXAMPLE_BRIEFING), "--out", str(out), "--no-wait"]
    )

    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [
        f"error: another build is writing to {out}; try again when it has finished "
        "(or leave out --no-wait to wait for it)"
    ]
    assert "Traceback" not in result.output
    assert not list(out.iterdir())


def test_the_lock_goes_with_a_killed_holder(tmp_path: Path, holder: Holder) -> None:
    holder.kill()

    started = time.monotonic()
    with output_lock(tmp_path / "out", wait=False):
        pass

    assert time.monotonic() - started < 5
