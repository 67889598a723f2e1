"""What a preview watches, and that saves there (and only there) reach it, a burst as one."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from reportgen.preview.schedule import Changes
from reportgen.preview.watch import Watchers, WatchSet, watch_set
from reportgen.resources import BUILTIN_TEMPLATES


def _project(tmp_path: Path) -> tuple[Path, Path, Path]:
    data = tmp_path / "data"
    data.mkdir()
    (data / "briefing.yaml").write_text("id: x\n", encoding="utf-8")
    looks = tmp_path / "looks"
    (looks / "style").mkdir(parents=True)
    (looks / "style" / "look.css").write_text("p {}\n", encoding="utf-8")
    settings = tmp_path / "reportgen.toml"
    settings.write_text("", encoding="utf-8")
    return data / "briefing.yaml", looks, settings


def test_the_data_templates_built_ins_and_settings_are_watched(tmp_path: Path) -> None:
    briefing, looks, settings = _project(tmp_path)
    watched = watch_set([briefing], [looks], settings)
    assert set(watched.trees) == {BUILTIN_TEMPLATES, looks}
    assert set(watched.files) == {settings, briefing}
    for path in (
        briefing,
        settings,
        looks / "style" / "look.css",
        looks / "fonts" / "New.ttf",  # a file added later counts too
        looks / "audiences" / "press.yaml",
        BUILTIN_TEMPLATES / "style" / "briefing.css",
        # Its catalogs, beside it: those there now and those made later.
        briefing.with_name("briefing.es.po"),
        briefing.with_name("briefing.pt-BR.po"),
    ):
        assert watched.covers(path), path
    # The rest of the project is not the variant's input: the output, other files beside it.
    for path in (
        tmp_path / "output" / "x.pdf",
        tmp_path / "notes.txt",
        tmp_path / "data" / "b.yaml",
        tmp_path / "data" / "b.es.po",  # another briefing's catalog
        tmp_path / "data" / "briefing.po",
        tmp_path / "briefing.es.po",  # not beside it
    ):
        assert not watched.covers(path), path


def test_a_data_folder_is_watched_whole_and_relative_paths_as_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    briefing, looks, _ = _project(tmp_path)
    monkeypatch.chdir(tmp_path / "looks")
    watched = watch_set([Path("../data")], [Path()], None)
    assert set(watched.trees) == {BUILTIN_TEMPLATES, briefing.parent, looks}
    assert watched.files == ()
    assert watched.covers(Path("../data/new.yaml"))
    assert watched.covers(tmp_path / "data" / "new.yaml")


def test_a_folder_inside_another_is_watched_once(tmp_path: Path) -> None:
    inner = BUILTIN_TEMPLATES / "style"
    assert watch_set([], [inner], None).trees == (BUILTIN_TEMPLATES,)


def _wait_for(condition: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_save_the_moment_the_watchers_are_made_is_seen(tmp_path: Path) -> None:
    # The preview builds once the watchers are made, and a user may save during that first
    # build: the watchers must already be armed, not merely started.
    briefing, looks, settings = _project(tmp_path)
    seen: set[Path] = set()
    watchers = Watchers(WatchSet((looks,), (briefing, settings)), seen.update)
    try:
        briefing.write_text("id: saved\n", encoding="utf-8")
        (looks / "style" / "look.css").write_text("p { color: blue }\n", encoding="utf-8")
        _wait_for(lambda: {briefing, looks / "style" / "look.css"} <= seen)
    finally:
        watchers.close()


def test_a_burst_of_saves_is_one_rebuild_and_other_files_none(tmp_path: Path) -> None:
    briefing, looks, settings = _project(tmp_path)
    # Settling long enough that however the machine is loaded the burst falls inside it.
    changes = Changes(settle=0.5)
    watchers = Watchers(WatchSet((looks,), (briefing, settings)), changes.changed)
    try:
        (tmp_path / "notes.txt").write_text("not an input", encoding="utf-8")
        (tmp_path / "data" / "other.yaml").write_text("id: y\n", encoding="utf-8")
        time.sleep(0.5)
        assert changes.generation == 0
        for number in range(5):
            briefing.write_text(f"id: x{number}\n", encoding="utf-8")
        (looks / "style" / "look.css").write_text("p { color: red }\n", encoding="utf-8")
        _wait_for(lambda: changes.generation > 0)
        taken = changes.wait(0, timeout=10)
        assert taken is not None
        generation, paths = taken
        assert paths == {briefing, looks / "style" / "look.css"}
        assert changes.wait(generation, timeout=1.0) is None  # one rebuild for the burst
        # An editor that saves by writing a new file and renaming it over the old one.
        replacement = tmp_path / "data" / ".briefing.yaml.tmp"
        replacement.write_text("id: renamed\n", encoding="utf-8")
        replacement.replace(briefing)
        taken = changes.wait(generation, timeout=10)
        assert taken is not None and briefing in taken[1]
    finally:
        watchers.close()
    assert all(not thread.is_alive() for thread in watchers._threads)
