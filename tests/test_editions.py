"""Editions per language in a build: one PDF per briefing, audience and language, translated
from the briefing's PO catalog, refused when a translation is missing or stale unless a draft
is asked for, and carrying the translations it used."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from babel.dates import format_date
from babel.messages.pofile import read_po, write_po
from click.testing import CliRunner, Result
from pypdf import PdfReader

from reportgen.audiences import load_audiences
from reportgen.build import build
from reportgen.build.manifest import MANIFEST_NAME, load
from reportgen.build.variants import VariantKey
from reportgen.cli import main
from reportgen.discovery import display_name
from reportgen.editions import catalog_path
from reportgen.errors import DataError
from reportgen.loading import load_briefing
from reportgen.provenance import extract
from reportgen.resources import EXAMPLE_BRIEFING
from reportgen.translations.apply import Translator
from reportgen.translations.interface import used_messages

BRIEFING = "mexico-multilateral-human-rights"
TITLE_CONTEXT = "sections.un-summits.title"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding the shipped data and its Spanish catalog; returns the data file."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    data = tmp_path / "data" / EXAMPLE_BRIEFING.name
    data.write_bytes(EXAMPLE_BRIEFING.read_bytes())
    shipped_catalog = catalog_path(EXAMPLE_BRIEFING, "es")
    catalog_path(data, "es").write_bytes(shipped_catalog.read_bytes())
    return data


def catalog_line(catalog: Path, context: str) -> int:
    """The line a message of the catalog file is known by (as Babel and gettext's own tools
    give it): its ``msgid``, the line after its ``msgctxt``."""
    lines = catalog.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if line == f'msgctxt "{context}"') + 1


def edit_source(data: Path, old: str, new: str) -> None:
    text = data.read_text(encoding="utf-8")
    assert text.count(old) == 1
    data.write_text(text.replace(old, new), encoding="utf-8")


def drop_message(catalog: Path, context: str) -> None:
    """The catalog without ``context``'s message, as if `translations update` never ran."""
    with catalog.open("rb") as file:
        parsed = read_po(file)
    message = next(m for m in parsed if m.context == context)
    parsed.delete(message.id, context=context)
    with catalog.open("wb") as file:
        write_po(file, parsed)


def pdf_text(path: Path) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(path).pages)


def test_a_build_makes_every_audience_in_every_language(project: Path) -> None:
    results = build(project.parent, [], Path("out"))

    keys = {result.key for result in results}
    assert keys == {
        VariantKey(BRIEFING, audience, language)
        for audience in ("delegation", "executive", "public")
        for language in ("en", "es")
    }
    assert {result.path.name for result in results} == {key.file_name for key in keys}
    assert all(name.endswith((".en.pdf", ".es.pdf")) for name in (r.path.name for r in results))
    recorded = load(Path("out") / MANIFEST_NAME)
    assert set(recorded.entries) == keys
    assert recorded.sources["data/" + project.name].languages == ("en", "es")
    for result in results:
        catalog = PdfReader(result.path).root_object
        assert str(catalog["/Lang"]) == result.key.language


def test_one_language_builds_alone_and_keeps_the_others(project: Path) -> None:
    build(project.parent, ["executive"], Path("out"))
    english = Path("out") / VariantKey(BRIEFING, "executive", "en").file_name
    before = english.read_bytes()

    results = build(project.parent, ["executive"], Path("out"), language="es", force=True)

    assert [str(result.key) for result in results] == [f"{BRIEFING}/executive/es"]
    assert english.read_bytes() == before
    assert set(load(Path("out") / MANIFEST_NAME).entries) == {
        VariantKey(BRIEFING, "executive", "en"),
        VariantKey(BRIEFING, "executive", "es"),
    }


def test_a_language_no_briefing_has_is_an_error(project: Path) -> None:
    result = run("build", "--data", "data", "--language", "fr")

    assert result.exit_code == 1
    assert "no briefing is published in 'fr'" in result.output
    assert not list(Path().glob("output/*.pdf"))


def test_the_spanish_edition_is_in_spanish(project: Path) -> None:
    (built,) = build(project.parent, ["executive"], Path("out"), language="es")
    text = pdf_text(built.path)
    with catalog_path(project, "es").open("rb") as file:
        translations = {m.context: str(m.string) for m in read_po(file) if m.id}

    assert translations["sections.key-messages.title"] in text
    assert "Key messages" not in text
    # The kicker sets the date in capitals: compared as CLDR writes it, case aside.
    long_date = format_date(dt.date(2026, 11, 27), format="long", locale="es_MX")
    assert long_date.upper() in text.upper()


def test_a_stale_translation_is_refused_at_its_line_and_nothing_is_written(
    project: Path,
) -> None:
    build(project.parent, ["executive"], Path("out"), language="en")
    edit_source(
        project,
        "    title: UN summits and conferences Mexico champions",
        "    title: UN summits and conferences Mexico leads",
    )
    catalog = catalog_path(project, "es")

    result = run("build", "--data", "data", "--out", "out", "--audience", "executive")

    assert result.exit_code == 1, result.output
    line = catalog_line(catalog, TITLE_CONTEXT)
    assert (
        f"data/{catalog.name}:{line}: {TITLE_CONTEXT}: stale (the English changed since it "
        "was translated)"
    ) in result.output
    assert "Traceback" not in result.output
    # Nothing of this build was written, the English edition included.
    assert not (Path("out") / VariantKey(BRIEFING, "executive", "es").file_name).exists()
    assert len(load(Path("out") / MANIFEST_NAME).entries) == 1


def test_a_missing_translation_is_refused(project: Path) -> None:
    catalog = catalog_path(project, "es")
    drop_message(catalog, TITLE_CONTEXT)

    result = run("build", "--data", "data", "--audience", "executive", "--language", "es")

    assert result.exit_code == 1, result.output
    assert f"data/{catalog.name}: {TITLE_CONTEXT}: missing (not translated yet)" in result.output


def test_a_translation_only_the_hidden_sections_need_does_not_stop_an_audience(
    project: Path,
) -> None:
    """The executive brief does not show the talking points: their translation is not its
    business."""
    drop_message(catalog_path(project, "es"), "sections.talking-points.title")

    (built,) = build(project.parent, ["executive"], Path("out"), language="es")

    assert built.pages == 2


def test_a_draft_is_built_on_request_and_says_so(
    project: Path, caplog: pytest.LogCaptureFixture
) -> None:
    drop_message(catalog_path(project, "es"), TITLE_CONTEXT)

    result = run(
        "build", "--data", "data", "--audience", "executive", "--language", "es",
        "--allow-untranslated",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    # Said as a warning, one line per string (the command prints it on stderr).
    assert [TITLE_CONTEXT in record.getMessage() for record in caplog.records] == [True]
    pdf = Path("output") / VariantKey(BRIEFING, "executive", "es").file_name
    info = PdfReader(pdf).metadata
    assert info is not None
    assert TITLE_CONTEXT in " ".join(str(value) for value in info.values())
    english_title = "UN summits and conferences Mexico champions"
    assert english_title in pdf_text(pdf)  # the fallback, in the briefing's own language

    # A build that does not allow drafts does not keep the draft.
    check = run("build", "--data", "data", "--audience", "executive", "--check")
    assert check.exit_code == 1
    assert "incomplete draft (1 untranslated string)" in check.output
    refused = run("build", "--data", "data", "--audience", "executive")
    assert refused.exit_code == 1
    assert TITLE_CONTEXT in refused.output


def test_a_changed_catalog_makes_only_its_language_stale(project: Path) -> None:
    build(project.parent, ["executive"], Path("out"))
    catalog = catalog_path(project, "es")
    text = catalog.read_text(encoding="utf-8")
    catalog.write_text(text.replace('msgstr "Mensajes clave"', 'msgstr "Mensajes principales"'))

    result = run("build", "--data", "data", "--out", "out", "--audience", "executive", "--check")

    assert result.exit_code == 1
    assert f"stale {BRIEFING}/executive/es" in result.output
    assert f"{BRIEFING}/executive/en" not in result.output


def test_a_translation_the_data_rules_refuse_is_an_error_at_its_line(project: Path) -> None:
    catalog = catalog_path(project, "es")
    line = catalog_line(catalog, "sections.key-messages.title")
    text = catalog.read_text(encoding="utf-8")
    catalog.write_text(text.replace('msgstr "Mensajes clave"', f'msgstr "{"x" * 300}"'))

    result = run("build", "--data", "data", "--audience", "executive", "--language", "es")

    assert result.exit_code == 1
    assert re.search(
        rf"data/{re.escape(catalog.name)}:{line}: sections.key-messages.title: the "
        r"translation: String should have at most 200 characters",
        result.output,
    ), result.output


def test_each_pdf_carries_the_translations_it_used_and_rebuilds_from_them(
    project: Path, tmp_path: Path
) -> None:
    (built,) = build(project.parent, ["public"], Path("out"), language="es")

    written = extract(built.path, tmp_path / "extracted")

    assert sorted(path.name for path in written) == [
        "briefing.es.po",
        "briefing.json",
        "build-record.json",
    ]
    record = json.loads((tmp_path / "extracted" / "build-record.json").read_text())
    assert record["language"] == "es"
    with (tmp_path / "extracted" / "briefing.es.po").open("rb") as file:
        contexts = {message.context for message in read_po(file) if message.id}
    # Only what the public edition shows: nothing of the internal talking points.
    assert "sections.key-messages.title" in contexts
    assert not [context for context in contexts if "talking-points" in (context or "")]
    (again,) = build(
        tmp_path / "extracted" / "briefing.json", ["public"], tmp_path / "again", language="es"
    )
    assert again.path.read_bytes() == built.path.read_bytes()


def test_an_audience_may_narrow_the_languages(project: Path) -> None:
    audiences = Path("mine") / "audiences"
    audiences.mkdir(parents=True)
    (audiences / "press.yaml").write_text(
        "name: press\ndescription: For the press, in Spanish only.\nmarking: PUBLIC\n"
        "edition: {en: Press edition, es: Edición para la prensa}\nlanguages: [es]\n",
        encoding="utf-8",
    )

    results = build(project.parent, ["press"], Path("out"), [Path("mine")])
    again = build(project.parent, ["press"], Path("out"), [Path("mine")])

    assert [str(result.key) for result in results] == [f"{BRIEFING}/press/es"]
    assert "Edición para la prensa" in pdf_text(results[0].path)
    assert [result.rebuilt for result in again] == [False]  # known without parsing anything


def test_a_profile_text_given_per_language_needs_each_language(project: Path) -> None:
    audiences = Path("mine") / "audiences"
    audiences.mkdir(parents=True)
    (audiences / "press.yaml").write_text(
        "name: press\ndescription: For the press.\nmarking: PUBLIC\nedition: {en: Press edition}\n",
        encoding="utf-8",
    )

    result = run("build", "--data", "data", "--templates", "mine", "--audience", "press")

    assert result.exit_code == 1
    assert "press.yaml:4: edition: no 'es' text" in result.output


def test_a_language_without_a_hyphenation_dictionary_is_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Swahili: Pyphen has no dictionary for it, so WeasyPrint would set it unhyphenated."""
    swahili = load_briefing(EXAMPLE_BRIEFING).model_copy(update={"language": "sw"})

    edition, _, _ = Translator(allow_untranslated=True).edition(EXAMPLE_BRIEFING, swahili, "sw")

    said = [r.getMessage() for r in caplog.records if "hyphenation" in r.getMessage()]
    assert said == [f"{display_name(EXAMPLE_BRIEFING)}: 'sw' has no hyphenation dictionary "
                    "(Pyphen's): its editions are set without hyphenation"]  # fmt: skip
    # Nor do the templates speak Swahili: an edition in it is a draft, its words in English.
    assert edition.draft


def test_the_templates_words_must_be_in_the_briefings_own_language_too() -> None:
    swahili = load_briefing(EXAMPLE_BRIEFING).model_copy(update={"language": "sw"})

    with pytest.raises(DataError) as raised:
        Translator().edition(EXAMPLE_BRIEFING, swahili, "sw")

    assert "has no Swahili (sw) translation" in str(raised.value)


@pytest.fixture(scope="module")
def spanish_pdfs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("spanish")
    return [built.path for built in build(EXAMPLE_BRIEFING, [], out, language="es")]


def english_phrases(text: str) -> list[str]:
    """The runs of a message between its placeholders and markup long enough to be English
    no Spanish sentence holds by chance (a name such as "ONU-DH" is the same in both)."""
    runs = re.split(r"%\([a-z_]+\)[sd]|<[^>]*>|&\w+;", text)
    return [run.strip(" .,:;()") for run in runs if len(run.strip(" .,:;()").split()) >= 2]


def test_no_english_is_left_in_the_spanish_editions(
    spanish_pdfs: list[Path], normalise: Callable[[str], str]
) -> None:
    """Every phrase the templates print in English, and every English text of the data with a
    different Spanish translation, is looked for in the Spanish PDFs' text: none is there."""
    with catalog_path(EXAMPLE_BRIEFING, "es").open("rb") as file:
        content = {m.id: str(m.string) for m in read_po(file) if m.id}
    interface = [key[1] for key in used_messages()]
    spanish = [normalise(text) for text in content.values()]
    english = {
        phrase
        for message in [*interface, *(source for source, es in content.items() if source != es)]
        for phrase in english_phrases(str(message))
        # Compared as normalised, accents aside: "Cancun, Mexico" is in "Cancun, Mexico".
        if not any(normalise(phrase) in text for text in spanish)
    }
    assert len(english) > 100  # the check has something to find
    for pdf in spanish_pdfs:
        text = normalise(pdf_text(pdf))
        found = sorted(phrase for phrase in english if normalise(phrase) in text)
        assert not found, f"{pdf.name}: {found}"


def test_a_built_in_profile_without_a_language_says_how_to_add_it() -> None:
    (problem, *_) = load_audiences()["executive"].missing_languages(["fr"])

    assert problem.field == "edition"
    assert "no 'fr' text (it has en, es): copy this built-in profile to " in problem.message
    assert "audiences/executive.yaml in your template folder" in problem.message
