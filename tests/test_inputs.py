"""The shared inputs' digest: what it covers, what it leaves out, and what it says changed."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

import reportgen
from reportgen.build import VariantKey, build, check
from reportgen.build.inputs import SharedInputs, content_sha256, variant_digest
from reportgen.cli import main
from reportgen.resources import EXAMPLE_BRIEFING

EXECUTIVE = VariantKey("mexico-multilateral-human-rights", "executive", "en")


def template_folder(root: Path) -> Path:
    """A user template folder with a template, a stylesheet in a sub-folder and a profile."""
    (root / "style").mkdir(parents=True)
    (root / "audiences").mkdir()
    (root / "brief.html.j2").write_text('{% extends "base.html.j2" %}\n', encoding="utf-8")
    (root / "style" / "extra.css").write_text("h2 { color: #123; }\n", encoding="utf-8")
    (root / "audiences" / "brief.yaml").write_text("name: brief\n", encoding="utf-8")
    return root


def test_digest_is_the_same_when_computed_twice(tmp_path: Path) -> None:
    folder = template_folder(tmp_path / "looks")

    first, second = SharedInputs([folder]), SharedInputs([folder])

    assert first.digest == second.digest
    assert first.table == second.table
    assert "templates0/style/extra.css" in first.table


def test_digest_is_the_same_for_copies_of_a_folder_at_different_paths(tmp_path: Path) -> None:
    folder = template_folder(tmp_path / "here" / "looks")
    copy = shutil.copytree(folder, tmp_path / "somewhere" / "else" / "looks-copy")

    assert SharedInputs([folder]).digest == SharedInputs([copy]).digest


def test_a_changed_template_file_changes_the_digest_and_is_named(tmp_path: Path) -> None:
    folder = template_folder(tmp_path / "looks")
    before = SharedInputs([folder])

    (folder / "style" / "extra.css").write_text("h2 { color: #321; }\n", encoding="utf-8")
    after = SharedInputs([folder])

    assert after.digest != before.digest
    assert after.changes(before.table) == [str(folder / "style" / "extra.css")]


def test_an_added_template_file_changes_the_digest_and_is_named(tmp_path: Path) -> None:
    folder = template_folder(tmp_path / "looks")
    before = SharedInputs([folder])

    (folder / "style" / "print.css").write_text("@page { margin: 2cm; }\n", encoding="utf-8")
    after = SharedInputs([folder])

    assert after.digest != before.digest
    assert after.changes(before.table) == [str(folder / "style" / "print.css")]


def test_a_removed_template_file_changes_the_digest_and_is_named(tmp_path: Path) -> None:
    folder = template_folder(tmp_path / "looks")
    before = SharedInputs([folder])

    (folder / "brief.html.j2").unlink()
    after = SharedInputs([folder])

    assert after.digest != before.digest
    assert after.changes(before.table) == [str(folder / "brief.html.j2")]


def test_an_output_folder_inside_a_template_folder_is_not_hashed(tmp_path: Path) -> None:
    folder = template_folder(tmp_path / "looks")
    out = folder / "output"
    before = SharedInputs([folder], exclude=[out])

    out.mkdir()
    (out / "briefing-public.pdf").write_bytes(
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
    )
    (out / "manifest.json").write_text('{"format": 3}\n', encoding="utf-8")
    after = SharedInputs([folder], exclude=[out])

    assert after.digest == before.digest
    assert not [label for label in after.table if label.startswith("templates0/output")]


def test_a_link_to_a_file_outside_the_template_folder_is_not_read(tmp_path: Path) -> None:
    folder = template_folder(tmp_path / "looks")
    secret = tmp_path / "elsewhere" / "secret.css"
    secret.parent.mkdir()
    secret.write_text("body { color: red; }\n", encoding="utf-8")
    (folder / "style" / "linked.css").symlink_to(secret)
    before = SharedInputs([folder])

    secret.write_text("body { color: blue; }\n", encoding="utf-8")
    after = SharedInputs([folder])

    assert after.digest == before.digest
    assert "templates0/style/linked.css" not in after.table


def test_a_fifo_in_a_template_folder_does_not_hang(tmp_path: Path) -> None:
    folder = template_folder(tmp_path / "looks")
    fifo = folder / "style" / "pipe.css"
    os.mkfifo(fifo)
    result: list[SharedInputs] = []

    worker = threading.Thread(target=lambda: result.append(SharedInputs([folder])), daemon=True)
    worker.start()
    worker.join(timeout=30)
    if worker.is_alive():
        # Blocked opening the FIFO for reading: open its other end so the thread can finish.
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("SharedInputs blocked reading a FIFO in the template folder")

    assert "templates0/style/pipe.css" not in result[0].table
    assert "templates0/style/extra.css" in result[0].table


def test_variant_digest_changes_with_each_part() -> None:
    base = ("shared", "profile", content_sha256(b"{}"), "pdf/ua-1")
    digests = {
        variant_digest(*base),
        variant_digest("shared2", *base[1:]),
        variant_digest(base[0], "profile2", *base[2:]),
        variant_digest(*base[:2], content_sha256(b"{ }"), base[3]),
        variant_digest(*base[:3], "pdf/a-3b"),
    }

    assert len(digests) == 5


def test_a_change_to_reportgens_own_code_marks_outputs_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = shutil.copytree(
        Path(reportgen.__file__).parent,
        tmp_path / "code" / "reportgen",
        ignore=shutil.ignore_patterns("__pycache__", "resources"),
    )
    monkeypatch.setattr("reportgen.build.inputs.CODE_FOLDER", code)
    monkeypatch.chdir(tmp_path)  # no settings file is found here
    out = tmp_path / "out"
    build(EXAMPLE_BRIEFING, ["executive"], out, language="en")
    args = ["build", "--data", str(EXAMPLE_BRIEFING), "--audience", "executive", "--language", "en"]
    before = CliRunner().invoke(main, [*args, "--out", str(out), "--check"])
    assert before.exit_code == 0, before.output

    with (code / "charts.py").open("a", encoding="utf-8") as stream:
        stream.write("# a change to how charts are drawn\n")
    stale = check(EXAMPLE_BRIEFING, ["executive"], out, language="en")

    assert list(stale) == [EXECUTIVE]
    assert "charts.py" in stale[EXECUTIVE]
    assert stale[EXECUTIVE].startswith("changed since it was built: reportgen's code")


def test_a_huge_file_in_a_template_folder_is_refused_without_reading_it(tmp_path: Path) -> None:
    from reportgen.errors import FileRefusedError

    folder = tmp_path / "looks"
    folder.mkdir()
    huge = folder / "huge.bin"
    with huge.open("wb") as stream:
        stream.truncate(3 * 1024**3)  # sparse: takes no disk, and reading it would take seconds
    with pytest.raises(FileRefusedError, match=r"huge\.bin: is 3 GiB; the limit for a file in"):
        SharedInputs([folder])
