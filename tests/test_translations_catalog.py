"""PO catalogs: created and refreshed from the data as msgmerge would, errors located by line."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from reportgen.editions import catalog_path
from reportgen.errors import CatalogError
from reportgen.translations.catalog import numbers_mismatch, read_catalog, update
from reportgen.translations.fields import Entry

TITLE = Entry("title", "Human rights in 2026", 3)
SUMMARY = Entry("sections.a.summary", "The office opened in 2001.", 7)
POINT = Entry("sections.a.points.0.text", "Mexico hosted the Court.", 9)
SPANISH = {
    "title": "Derechos humanos en 2026",
    "sections.a.summary": "La oficina abrió en 2001.",
    "sections.a.points.0.text": "México fue sede de la Corte.",
}


def _data(tmp_path: Path) -> Path:
    data = tmp_path / "brief.yaml"
    data.write_text("id: brief\n", "utf-8")  # the catalogs never read it; only its name
    return data


def _refresh(data: Path, entries: list[Entry]) -> Catalog:
    update(data, entries, "es", project="brief")
    return read_po(catalog_path(data, "es").open("rb"))


def _translate(data: Path, translations: dict[str, str]) -> None:
    path = catalog_path(data, "es")
    catalog = read_po(path.open("rb"))
    for message in catalog:
        if message.id and message.context in translations:
            message.string = translations[message.context]
    with path.open("wb") as file:
        write_po(file, catalog)


def test_a_new_catalog_lists_every_entry_with_context_and_reference(tmp_path: Path) -> None:
    data = _data(tmp_path)
    result = update(data, [TITLE, SUMMARY], "es", project="brief")
    assert result.path == tmp_path / "brief.es.po"
    assert (result.strings, result.added, result.written) == (2, 2, True)
    catalog = read_po(result.path.open("rb"))
    messages = [message for message in catalog if message.id]
    assert [(m.context, m.id, m.string) for m in messages] == [
        ("title", TITLE.text, ""),
        ("sections.a.summary", SUMMARY.text, ""),
    ]
    assert messages[0].locations == [("brief.yaml", 3)]
    assert str(catalog.locale) == "es"
    text = result.path.read_text("utf-8")
    assert '#: brief.yaml:7\nmsgctxt "sections.a.summary"\n' in text


def test_update_adds_obsoletes_and_keeps_changed_translations_fuzzy(tmp_path: Path) -> None:
    data = _data(tmp_path)
    _refresh(data, [TITLE, SUMMARY, POINT])
    _translate(data, SPANISH)
    changed = Entry(SUMMARY.context, "The office opened in 2001, in Mexico City.", 7)
    added = Entry("sections.b.title", "Timeline", 12)
    result = update(data, [TITLE, changed, added], "es", project="brief")
    assert (result.added, result.stale, result.obsolete) == (1, 1, 1)
    catalog = read_catalog(catalog_path(data, "es"))
    kept = catalog.get(TITLE.text, context=TITLE.context)
    assert kept is not None and kept.string == SPANISH["title"] and not kept.fuzzy
    stale = catalog.get(changed.text, context=changed.context)
    assert stale is not None and stale.fuzzy
    assert stale.string == SPANISH["sections.a.summary"]
    assert stale.previous_id == [SUMMARY.text]
    new = catalog.get(added.text, context=added.context)
    assert new is not None and new.string == ""
    assert [m.id for m in catalog.obsolete.values()] == [POINT.text]
    text = catalog_path(data, "es").read_text("utf-8")
    assert f'#| msgid "{SUMMARY.text}"' in text
    assert f'#~ msgid "{POINT.text}"' in text
    # A later refresh keeps the stale message's previous text, which Babel does not read back.
    update(data, [TITLE, changed], "es", project="brief")
    again = read_catalog(catalog_path(data, "es")).get(changed.text, context=changed.context)
    assert again is not None and again.fuzzy and again.previous_id == [SUMMARY.text]


def test_a_similar_text_elsewhere_never_lends_its_translation(tmp_path: Path) -> None:
    # Babel's own fuzzy matching would match a changed string to the closest text anywhere.
    data = _data(tmp_path)
    other = Entry("sections.b.points.0.text", "Mexico hosted the Court twice.", 20)
    _refresh(data, [POINT, other])
    _translate(data, {other.context: "México fue sede de la Corte dos veces."})
    rewritten = Entry(POINT.context, "Mexico hosted the Court twice over.", 9)
    catalog = _refresh(data, [rewritten, other])
    message = catalog.get(rewritten.text, context=rewritten.context)
    assert message is not None and message.string == "" and not message.fuzzy


def test_an_item_that_moved_keeps_its_translation(tmp_path: Path) -> None:
    data = _data(tmp_path)
    second = Entry("sections.a.points.1.text", "Mexico hosted the Commission.", 10)
    _refresh(data, [POINT, second])
    _translate(data, {POINT.context: "Sede de la Corte.", second.context: "Sede de la Comisión."})
    swapped = [Entry(POINT.context, second.text, 9), Entry(second.context, POINT.text, 10)]
    catalog = _refresh(data, swapped)
    assert [(m.context, m.string, m.fuzzy) for m in catalog if m.id] == [
        (POINT.context, "Sede de la Comisión.", False),
        (second.context, "Sede de la Corte.", False),
    ]
    assert not catalog.obsolete


def test_two_items_swapped_and_one_reworded_take_no_wrong_translation(tmp_path: Path) -> None:
    data = _data(tmp_path)
    second = Entry("sections.a.points.1.text", "Mexico hosted the Commission.", 10)
    _refresh(data, [POINT, second])
    _translate(data, {POINT.context: "Sede de la Corte.", second.context: "Sede de la Comisión."})
    reworded = "Mexico hosted the Commission in 2024."
    swapped = [Entry(POINT.context, reworded, 9), Entry(second.context, POINT.text, 10)]
    catalog = _refresh(data, swapped)
    assert [(m.context, m.string, m.fuzzy) for m in catalog if m.id] == [
        (POINT.context, "", False),
        (second.context, "Sede de la Corte.", False),
    ]


def test_update_round_trips_without_losing_or_rewriting_anything(tmp_path: Path) -> None:
    data = _data(tmp_path)
    _refresh(data, [TITLE, SUMMARY, POINT])
    _translate(data, SPANISH)
    path = catalog_path(data, "es")
    path.write_text(
        path.read_text("utf-8").replace(
            "#: brief.yaml:3", "# a translator's note\n#: brief.yaml:3"
        ),
        "utf-8",
    )
    before = path.read_bytes()
    result = update(data, [TITLE, SUMMARY, POINT], "es", project="brief")
    assert not result.written
    assert path.read_bytes() == before
    moved = [Entry(e.context, e.text, (e.line or 0) + 1) for e in (TITLE, SUMMARY, POINT)]
    assert update(data, moved, "es", project="brief").written
    catalog = read_po(path.open("rb"))
    assert {m.context: m.string for m in catalog if m.id} == SPANISH
    assert not any(m.fuzzy for m in catalog if m.id)
    title = catalog.get(TITLE.text, context=TITLE.context)
    assert title is not None and title.user_comments == ["a translator's note"]


def test_a_po_syntax_error_names_its_file_and_line(tmp_path: Path) -> None:
    data = _data(tmp_path)
    _refresh(data, [TITLE, SUMMARY])
    path = catalog_path(data, "es")
    lines = path.read_text("utf-8").splitlines()
    broken = next(i for i, line in enumerate(lines) if line.startswith('msgid "The office'))
    lines[broken] = 'msgid "The office opened in 2001.'  # the closing quote lost
    path.write_text("\n".join(lines) + "\n", "utf-8")
    before = path.read_bytes()
    with pytest.raises(CatalogError) as raised:
        read_catalog(path)
    assert str(raised.value).startswith(f"{path}:{broken + 1}: PO syntax: ")
    with pytest.raises(CatalogError):
        update(data, [TITLE, SUMMARY], "es", project="brief")
    assert path.read_bytes() == before  # nothing damaged


def test_a_translation_that_drops_a_number_names_its_line_and_field(tmp_path: Path) -> None:
    data = _data(tmp_path)
    _refresh(data, [TITLE, SUMMARY])
    _translate(data, {**SPANISH, "sections.a.summary": "La oficina abrió hace años."})
    path = catalog_path(data, "es")
    lines = path.read_text("utf-8").splitlines()
    line = lines.index(f'msgid "{SUMMARY.text}"') + 1
    with pytest.raises(CatalogError) as raised:
        read_catalog(path)
    assert str(raised.value) == (
        f"{path}:{line}: sections.a.summary: the translation lacks 2001: keep the numbers of "
        "the source text"
    )


def test_numbers_are_runs_of_digits_whatever_the_separators() -> None:
    assert numbers_mismatch("1,250.5 in the 47th session", "1 250,5 en la 47.ª sesión") is None
    assert numbers_mismatch("in 2017", "en 2018") == (
        "the translation lacks 2017 and adds 2018: keep the numbers of the source text"
    )
    assert numbers_mismatch("3 and 3", "3") is not None  # as often as the source gives it


def test_a_stale_translation_is_not_checked_for_numbers(tmp_path: Path) -> None:
    data = _data(tmp_path)
    _refresh(data, [TITLE])
    _translate(data, {"title": "Derechos humanos en 2026"})
    update(data, [Entry("title", "Human rights in 2027", 3)], "es", project="brief")
    catalog = read_catalog(catalog_path(data, "es"))  # the old figure, flagged fuzzy: no error
    assert next(m for m in catalog if m.id).fuzzy


def test_a_language_babel_does_not_know_is_refused(tmp_path: Path) -> None:
    data = _data(tmp_path)
    with pytest.raises(CatalogError, match=r"brief\.yaml: translations: 'xx' is not a language"):
        update(data, [TITLE], "xx", project="brief")
    assert not catalog_path(data, "xx").exists()
