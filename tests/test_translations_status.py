"""Catalog status: translated, missing and stale strings, counted against the data as it is now."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po, write_po

from reportgen.editions import catalog_path
from reportgen.translations.catalog import update
from reportgen.translations.fields import Entry
from reportgen.translations.status import MISSING, STALE, coverage_text, status

DONE = Entry("title", "Briefing", 1)
FUZZY = Entry("subtitle", "A subtitle", 2)
EMPTY = Entry("subject", "A subject", 3)
CHANGED = Entry("author", "A team", 4)
LATE = Entry("keywords.0", "Mexico", 5)  # added to the data after the last update


def _catalog(tmp_path: Path) -> Path:
    """A catalog with one translated, one fuzzy, one untranslated string and one whose English
    changed since; ``LATE`` is not in it at all."""
    data = tmp_path / "brief.yaml"
    data.write_text("id: brief\n", "utf-8")
    update(data, [DONE, FUZZY, EMPTY, CHANGED], "es", project="brief")
    path = catalog_path(data, "es")
    catalog = read_po(path.open("rb"))
    for message in catalog:
        if message.context in {"title", "subtitle", "author"}:
            message.string = f"es: {message.id}"
        if message.context == "subtitle":
            message.flags.add("fuzzy")
    with path.open("wb") as file:
        write_po(file, catalog)
    return data


def _line(path: Path, msgid: str) -> int:
    return path.read_text("utf-8").splitlines().index(f'msgid "{msgid}"') + 1


def test_status_counts_what_the_data_needs_now(tmp_path: Path) -> None:
    data = _catalog(tmp_path)
    now = [DONE, FUZZY, EMPTY, Entry("author", "A new team", 4), LATE]
    result = status(data, "brief", now, "es")
    assert (result.translated, result.missing, result.stale, result.total) == (1, 2, 2, 5)
    assert result.coverage == 20.0
    assert not result.complete
    path = catalog_path(data, "es")
    states = {(f.context, f.state, f.line) for f in result.findings}
    assert states == {
        ("subtitle", STALE, _line(path, FUZZY.text)),
        ("subject", MISSING, _line(path, EMPTY.text)),
        ("author", STALE, _line(path, CHANGED.text)),  # under its context, the old English
        ("keywords.0", MISSING, None),
    }


def test_findings_read_as_file_line_field_and_state(tmp_path: Path) -> None:
    data = _catalog(tmp_path)
    result = status(data, "brief", [FUZZY, LATE], "es")
    shown = result.findings[0].file
    assert str(result.findings[0]) == (
        f"{shown}:{_line(catalog_path(data, 'es'), FUZZY.text)}: subtitle: stale (the English "
        "changed since it was translated)"
    )
    assert str(result.findings[1]) == f"{shown}: keywords.0: missing (not translated yet)"


def test_without_a_catalog_everything_is_missing(tmp_path: Path) -> None:
    result = status(tmp_path / "brief.yaml", "brief", [DONE, EMPTY], "es")
    assert (result.translated, result.missing, result.stale) == (0, 2, 0)
    assert result.coverage == 0.0
    assert not catalog_path(tmp_path / "brief.yaml", "es").exists()  # status writes nothing


def test_coverage_is_never_rounded_up_to_complete() -> None:
    assert coverage_text(100 * 1999 / 2000) == "99.9 %"
    assert coverage_text(100.0) == "100.0 %"
    assert coverage_text(100 / 3) == "33.3 %"
