"""Editions per language in a diff: every format names the language; a translated edition's
changed translations are compared from its catalog, on data and PDF sides alike; older folders
and PDFs, from before editions per language, are still compared."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pikepdf
import pytest

from reportgen.build import build
from reportgen.build.variants import VariantKey
from reportgen.diff import diff, read_side
from reportgen.diff.jsonreport import render_json
from reportgen.diff.markdown import render_markdown
from reportgen.diff.terminal import render_terminal
from reportgen.editions import catalog_path

BRIEFING = "mexico-multilateral-human-rights"
TITLE = "La cooperación multilateral de México en derechos humanos"
RETITLED = "La cooperación multilateral de México por los derechos humanos"


def project(folder: Path, shipped_data: Path, *, title: str = TITLE) -> Path:
    """The shipped briefing and its Spanish catalog in ``folder``, the title's translation
    set to ``title``."""
    folder.mkdir()
    data = folder / shipped_data.name
    shutil.copy(shipped_data, data)
    catalog = catalog_path(shipped_data, "es").read_text(encoding="utf-8")
    assert f'msgstr "{TITLE}"' in catalog
    catalog_path(data, "es").write_text(
        catalog.replace(f'msgstr "{TITLE}"', f'msgstr "{title}"'), encoding="utf-8"
    )
    return folder


@pytest.fixture
def two(tmp_path: Path, shipped_data: Path) -> tuple[Path, Path]:
    return project(tmp_path / "old", shipped_data), project(
        tmp_path / "new", shipped_data, title=RETITLED
    )


def test_data_sides_have_an_edition_per_language(two: tuple[Path, Path]) -> None:
    side = read_side(two[0])
    languages = {key.language for key in side.editions}
    assert languages == {"en", "es"}
    spanish = side.editions[VariantKey(BRIEFING, "public", "es")].load()
    english = side.editions[VariantKey(BRIEFING, "public", "en")].load()
    # Both carry the data in the briefing's own language, as a build embeds it.
    assert spanish.data == english.data
    assert english.catalog is None
    assert spanish.catalog is not None and spanish.catalog["title"] == TITLE


def test_a_changed_translation_is_a_change_of_its_translated_editions_only(
    two: tuple[Path, Path],
) -> None:
    report = diff(*two)
    by_key = {str(edition.key): edition for edition in report.editions}
    assert by_key[f"{BRIEFING}/public/en"].status == "unchanged"
    spanish = by_key[f"{BRIEFING}/public/es"]
    assert spanish.status == "changed" and spanish.language == "es"
    (title,) = spanish.fields
    assert (title.path, title.old, title.new) == ("catalog.title", TITLE, RETITLED)
    assert all(
        edition.status == ("changed" if edition.language == "es" else "unchanged")
        for edition in report.editions
    )


def test_every_format_names_the_language(two: tuple[Path, Path]) -> None:
    report = diff(*two, audiences=["public"])
    lines = render_terminal(report).splitlines()
    assert f"{BRIEFING}/public/es: changed: 1 change" in lines
    assert f"{BRIEFING}/public/en: unchanged" in lines
    assert any(
        line.strip().startswith("catalog.title: La cooperación multilateral de México [-en")
        for line in lines
    )
    markdown = render_markdown(report)
    assert f"| `{BRIEFING}/public/es` | changed: 1 change | catalog |" in markdown
    assert f"`{BRIEFING}/public/en`" in markdown
    document = json.loads(render_json(report))
    assert [(e["edition"], e["language"]) for e in document["editions"]] == [
        (f"{BRIEFING}/public/en", "en"),
        (f"{BRIEFING}/public/es", "es"),
    ]


def test_a_missing_catalog_is_said_not_guessed(tmp_path: Path, two: tuple[Path, Path]) -> None:
    catalog_path(two[1] / f"{BRIEFING}.yaml", "es").unlink()
    report = diff(*two, audiences=["public"])
    spanish = next(edition for edition in report.editions if edition.language == "es")
    assert spanish.status == "unchanged"
    assert any(
        "no such catalog, so the es translations were not compared" in note
        for note in spanish.notes
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, shipped_data: Path) -> tuple[Path, Path]:
    """The shipped briefing's public editions, built; and its data beside a catalog with the
    title's translation changed."""
    root = tmp_path_factory.mktemp("diff-languages")
    data = project(root / "data", shipped_data)
    build(data, ("public",), root / "output")
    return root / "output", project(root / "retitled", shipped_data, title=RETITLED)


def test_a_build_and_the_data_it_was_built_from_are_the_same(built: tuple[Path, Path]) -> None:
    output, _ = built
    assert sorted(path.name for path in output.glob("*.pdf")) == [
        f"{BRIEFING}-public.en.pdf",
        f"{BRIEFING}-public.es.pdf",
    ]
    report = diff(output, output.parent / "data", audiences=["public"])
    assert [(str(e.key), e.status) for e in report.editions] == [
        (f"{BRIEFING}/public/en", "unchanged"),
        (f"{BRIEFING}/public/es", "unchanged"),
    ]


def test_a_pdf_catalog_is_compared_with_the_data_catalog(built: tuple[Path, Path]) -> None:
    output, retitled = built
    for old in (output, output / f"{BRIEFING}-public.es.pdf"):
        report = diff(old, retitled, audiences=["public"])
        spanish = next(edition for edition in report.editions if edition.language == "es")
        assert spanish.status == "changed", old
        assert [(f.path, f.old, f.new) for f in spanish.fields] == [
            ("catalog.title", TITLE, RETITLED)
        ]


def test_a_folder_of_an_older_manifest_format_is_read_from_its_pdfs(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    older = tmp_path / "older"
    shutil.copytree(built[0], older)
    manifest = json.loads((older / "manifest.json").read_text())
    (older / "manifest.json").write_text(json.dumps({**manifest, "format": 2}))
    report = diff(older, built[0])
    assert not report.changed
    assert len(report.editions) == 2
    assert any(
        "a manifest of format 2" in note and "read from the PDFs" in note for note in report.notes
    )


def test_an_older_pdf_is_in_its_briefing_own_language(tmp_path: Path) -> None:
    """A build record from before editions per language names no language: the PDF is the
    edition in the language its data is written in."""
    data = {"id": "b", "language": "es", "sections": [{"id": "s", "title": "Uno"}]}
    pdf = tmp_path / "b-public.pdf"
    with pikepdf.new() as document:
        document.add_blank_page()
        document.attachments["briefing.json"] = pikepdf.AttachedFileSpec(
            document, json.dumps(data).encode()
        )
        document.attachments["build-record.json"] = pikepdf.AttachedFileSpec(
            document, json.dumps({"briefing": "b", "audience": "public"}).encode()
        )
        document.save(pdf)
    ((key, _),) = read_side(pdf).editions.items()
    assert key == VariantKey("b", "public", "es")


def test_a_draft_edition_says_so_and_its_new_translations_are_changes(
    tmp_path: Path, shipped_data: Path, built: tuple[Path, Path]
) -> None:
    data = project(tmp_path / "draft-data", shipped_data, title="")
    build(data, ("public",), tmp_path / "draft", language="es", allow_untranslated=True)
    report = diff(tmp_path / "draft", built[0], audiences=["public"])
    by_language = {edition.language: edition for edition in report.editions}
    assert by_language["en"].status == "added"  # the draft folder has the Spanish one only
    spanish = by_language["es"]
    assert spanish.status == "changed"
    assert [(f.path, f.old, f.new) for f in spanish.fields] == [("catalog.title", None, TITLE)]
    assert any(
        note.endswith(f"{BRIEFING}-public.es.pdf is a draft: 1 string not translated")
        for note in spanish.notes
    ), spanish.notes
