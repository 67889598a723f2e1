"""Finding briefing data files in the files and folders a build is given."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from reportgen.discovery import display_name, find_data_files
from reportgen.errors import ReportgenError


def touch(path: Path, text: str = "id: x\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def names(paths: list[Path], *, exclude: list[Path] | None = None) -> list[str]:
    return [file.name for file in find_data_files(paths, exclude=exclude or [])]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Names are relative to the current folder, as a user types them."""
    monkeypatch.chdir(tmp_path)


def test_folder_is_searched_recursively_for_yaml_and_yml(tmp_path: Path) -> None:
    touch(tmp_path / "data" / "a.yaml")
    touch(tmp_path / "data" / "region" / "b.yml")
    touch(tmp_path / "data" / "region" / "deeper" / "c.yaml")

    assert names([Path("data")]) == [
        "data/a.yaml",
        "data/region/b.yml",
        "data/region/deeper/c.yaml",
    ]


def test_hidden_folders_hidden_files_and_other_files_are_skipped(tmp_path: Path) -> None:
    touch(tmp_path / "data" / "a.yaml")
    touch(tmp_path / "data" / ".git" / "config.yaml")
    touch(tmp_path / "data" / ".drafts" / "sub" / "draft.yaml")
    touch(tmp_path / "data" / ".editor-backup.yaml")
    touch(tmp_path / "data" / "notes.txt")
    touch(tmp_path / "data" / "a.yaml.bak")
    touch(tmp_path / "data" / "schema.json")
    (tmp_path / "data" / "folder.yaml").mkdir()  # a folder, not a file

    assert names([Path("data")]) == ["data/a.yaml"]


def test_a_file_named_twice_is_counted_once(tmp_path: Path) -> None:
    touch(tmp_path / "data" / "a.yaml")
    touch(tmp_path / "data" / "b.yaml")

    given = [Path("data"), Path("data/a.yaml"), Path("data/../data/a.yaml"), tmp_path / "data"]
    assert names(given) == ["data/a.yaml", "data/b.yaml"]


def test_a_missing_path_is_an_error_naming_it() -> None:
    with pytest.raises(ReportgenError, match=r"^nowhere/briefing\.yaml: no such file or folder$"):
        find_data_files([Path("nowhere/briefing.yaml")])


def test_an_empty_folder_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()

    with pytest.raises(ReportgenError, match=r"^empty: no briefing data files"):
        find_data_files([Path("empty")])


def test_a_folder_of_only_other_files_is_an_error(tmp_path: Path) -> None:
    touch(tmp_path / "data" / "notes.txt")
    touch(tmp_path / "data" / ".hidden" / "a.yaml")

    with pytest.raises(ReportgenError, match=r"^data: no briefing data files"):
        find_data_files([Path("data")])


def test_an_output_folder_inside_the_data_folder_is_skipped(tmp_path: Path) -> None:
    touch(tmp_path / "data" / "a.yaml")
    touch(tmp_path / "data" / "output" / "leftover.yaml")
    touch(tmp_path / "data" / "output" / "sub" / "more.yml")

    assert names([Path("data")], exclude=[Path("data/output")]) == ["data/a.yaml"]
    # Without it named as the output, it is data like any other folder.
    assert names([Path("data")]) == [
        "data/a.yaml",
        "data/output/leftover.yaml",
        "data/output/sub/more.yml",
    ]


def test_a_data_folder_inside_the_output_folder_is_still_found(tmp_path: Path) -> None:
    touch(tmp_path / "site" / "data" / "a.yaml")

    assert names([Path("site/data")], exclude=[Path("site")]) == ["site/data/a.yaml"]


def test_files_are_sorted_by_name_and_carry_their_digest(tmp_path: Path) -> None:
    touch(tmp_path / "z.yaml", "id: z\n")
    touch(tmp_path / "data" / "m.yaml", "id: m\n")

    found = find_data_files([Path("z.yaml"), Path("data")])

    assert [file.name for file in found] == ["data/m.yaml", "z.yaml"]
    assert found[1].sha256 == hashlib.sha256(b"id: z\n").hexdigest()


def test_display_name_is_relative_to_the_current_folder_when_under_it(tmp_path: Path) -> None:
    touch(tmp_path / "data" / "a.yaml")
    outside = Path("/") / "elsewhere" / "b.yaml"

    assert display_name(tmp_path / "data" / "a.yaml") == "data/a.yaml"
    assert display_name(outside) == str(outside)
