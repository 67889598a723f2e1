"""Finding briefing data files in the files and folders a build is given."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from reportgen.discovery import display_name, find_data_files, find_profiles
from reportgen.errors import FileRefusedError, ReportgenError
from reportgen.resources import BUILTIN_AUDIENCES


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


# ---- Profiles: found by name, each a regular file inside its audiences folder ---------------

PROFILE = "name: {name}\ndescription: Mine.\nmarking: PUBLIC\n"


def test_profiles_of_a_user_folder_replace_built_in_ones(tmp_path: Path) -> None:
    touch(tmp_path / "mine" / "audiences" / "public.yaml", PROFILE.format(name="public"))
    touch(tmp_path / "mine" / "audiences" / "press.yaml", PROFILE.format(name="press"))
    found = find_profiles([Path("mine")])
    assert found["public"] == Path("mine/audiences/public.yaml")
    assert found["press"] == Path("mine/audiences/press.yaml")
    assert found["executive"].parent == BUILTIN_AUDIENCES


def test_a_profile_linked_within_its_folder_is_found(tmp_path: Path) -> None:
    touch(tmp_path / "mine" / "audiences" / "press.yaml", PROFILE.format(name="press"))
    (tmp_path / "mine" / "audiences" / "media.yaml").symlink_to("press.yaml")
    assert find_profiles([Path("mine")])["media"] == Path("mine/audiences/media.yaml")


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda path: path.symlink_to("/etc/passwd"), "links to a file outside"),
        (lambda path: path.symlink_to("../../secret.yaml"), "links to a file outside"),
        (lambda path: path.symlink_to("/dev/zero"), "links to a file outside"),
        (os.mkfifo, "is not a regular file (it is a named pipe)"),
        (lambda path: path.mkdir(), "is not a regular file (it is a folder)"),
        (lambda path: path.symlink_to("nowhere.yaml"), "links to a file that does not exist"),
    ],
    ids=[
        "link to /etc/passwd",
        "link out",
        "link to /dev/zero",
        "named pipe",
        "folder",
        "dangling",
    ],
)
def test_a_profile_that_is_not_a_file_of_its_folder_is_refused_by_name(
    tmp_path: Path, make: Callable[[Path], object], reason: str
) -> None:
    touch(tmp_path / "secret.yaml", PROFILE.format(name="evil"))
    (tmp_path / "mine" / "audiences").mkdir(parents=True)
    make(tmp_path / "mine" / "audiences" / "evil.yaml")
    with pytest.raises(FileRefusedError) as caught:
        find_profiles([Path("mine")])
    assert str(caught.value).startswith(f"mine/audiences/evil.yaml: {reason}")
