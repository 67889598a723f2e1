"""The translations commands over a project's briefings, and the shipped Spanish catalog."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from click.testing import CliRunner, Result

from reportgen.cli import main
from reportgen.editions import catalog_path
from reportgen.loading import load_located
from reportgen.models import Briefing
from reportgen.scaffold import new_project
from reportgen.translations.briefings import read_briefings, status_all
from reportgen.translations.fields import translatable_entries


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["translations", *args])


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shipped_data: Path) -> Path:
    """A briefings project holding the shipped data, without its catalog; returns the data."""
    (tmp_path / "data").mkdir()
    data = tmp_path / "data" / shipped_data.name
    data.write_bytes(shipped_data.read_bytes())
    monkeypatch.chdir(tmp_path)
    return data


def test_the_shipped_spanish_catalog_is_complete(shipped_data: Path) -> None:
    briefing, lines = load_located(shipped_data, Briefing)
    assert briefing.translations == ("es",)
    [result] = status_all(read_briefings([shipped_data]))
    assert (result.language, result.missing, result.stale) == ("es", 0, 0)
    assert result.translated == result.total > 0
    catalog = read_po(catalog_path(shipped_data, "es").open("rb"))
    messages = [message for message in catalog if message.id]
    assert not [message.context for message in messages if message.fuzzy]
    assert not catalog.obsolete
    contexts = {entry.context: entry.text for entry in translatable_entries(briefing, lines)}
    assert {message.context: message.id for message in messages} == contexts
    assert all(message.string != message.id for message in messages if len(message.id) > 12)


def test_new_projects_get_the_catalog_as_a_file(shipped_data: Path, tmp_path: Path) -> None:
    written = new_project(tmp_path / "team")
    copy = tmp_path / "team" / "data" / catalog_path(shipped_data, "es").name
    assert copy in written
    assert not copy.is_symlink()
    assert copy.read_bytes() == catalog_path(shipped_data, "es").read_bytes()


def test_status_check_fails_until_update_and_translation(project: Path) -> None:
    result = run("status", "--check")
    assert result.exit_code == 1
    assert "mexico-multilateral-human-rights es: 0 translated" in result.stdout
    assert "data/mexico-multilateral-human-rights.es.po: title: missing" in result.stdout
    assert run("status").exit_code == 0  # without --check it only reports

    result = run("update")
    assert result.exit_code == 0, result.output
    path = catalog_path(project, "es")
    assert result.stdout.startswith(f"wrote data/{path.name}: ")
    catalog = read_po(path.open("rb"))
    for message in catalog:
        if message.id:
            message.string = message.id  # any translation that keeps the numbers
    with path.open("wb") as file:
        write_po(file, catalog)
    result = run("status", "--check")
    assert result.exit_code == 0, result.output
    assert "0 missing, 0 stale" in result.stdout and "(100.0 %)" in result.stdout

    project.write_text(
        project.read_text("utf-8").replace("title: Timeline", "title: Chronology"), "utf-8"
    )
    result = run("status", "--check")
    assert result.exit_code == 1
    assert "sections.timeline.title: stale (the English changed" in result.stdout
    assert run("update").exit_code == 0
    assert run("status", "--check").exit_code == 1  # still stale: fuzzy until a translator looks


def test_update_of_one_language_and_of_an_undeclared_one(project: Path) -> None:
    assert run("update", "--language", "es").exit_code == 0
    assert catalog_path(project, "es").is_file()
    result = run("update", "--language", "fr")
    assert result.exit_code == 1
    assert "no briefing is published in 'fr'" in result.output
    assert not catalog_path(project, "fr").exists()


def test_a_broken_catalog_is_one_line_and_exit_1(project: Path) -> None:
    path = catalog_path(project, "es")
    path.write_text('msgid ""\nmsgstr ""\n\nmsgctxt "title"\nmsgid "unclosed\n', "utf-8")
    for command in ("update", "status"):
        result = run(command)
        assert result.exit_code == 1
        assert result.output.strip() == (
            f"error: data/{path.name}:5: PO syntax: a string must be in double quotes, closed on "
            "its line"
        )
        assert "Traceback" not in result.output


def test_the_source_language_is_not_a_translation(project: Path) -> None:
    text = project.read_text("utf-8").replace("translations: [es]", "translations: [en]")
    project.write_text(text, "utf-8")
    line = text.splitlines().index("translations: [en]") + 1
    result = run("status")
    assert result.exit_code == 1
    assert f"{project.name}:{line}: translations: " in result.output
    assert "the briefing's own language" in result.output
