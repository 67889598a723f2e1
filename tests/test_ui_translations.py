"""The templates' own words in each language: catalogs along the search path, the shipped Spanish
catalog kept complete, locale formatting, drafts, per-language profiles and hyphenation."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from babel.dates import format_date, format_skeleton
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from babel.numbers import format_percent
from click.testing import CliRunner
from pypdf import PdfReader

from reportgen.audiences import Audience, load_audiences, load_profile, tailor
from reportgen.cli import main
from reportgen.editions import Edition
from reportgen.errors import DataError, TemplateError
from reportgen.models import Briefing, BudgetResolutionSection
from reportgen.pdf import PdfOptions, hyphenation_available, render_pdf
from reportgen.resources import BUILTIN_TEMPLATES
from reportgen.scaffold import init_template
from reportgen.templating import css_content, make_environment, render_html
from reportgen.translations.interface import (
    catalog_path,
    ui_translation_problems,
    update_template_catalogs,
    used_messages,
)

SPANISH = Edition("es", "es_MX", "en")
SHIPPED_CATALOG = catalog_path(BUILTIN_TEMPLATES, "es")


class _Texts(HTMLParser):
    """The text of each element, and of each attribute a reader meets (aria-label, the
    data-title that becomes a PDF bookmark), whitespace squashed."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in ("style", "title")
        self.texts += [value for name, value in attrs if name in READ_ATTRIBUTES and value]

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("style", "title")

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.texts.append(" ".join(data.split()))


READ_ATTRIBUTES = ("aria-label", "data-title", "alt")


def texts(html: str) -> list[str]:
    parser = _Texts()
    parser.feed(html)
    return parser.texts


def spanish_catalog() -> Catalog:
    with SHIPPED_CATALOG.open("rb") as stream:
        return read_po(stream)


def render(
    briefing: Briefing, name: str, edition: Edition | None = None, dirs: list[Path] | None = None
) -> str:
    audience = load_audiences()[name]
    return render_html(tailor(briefing, audience), audience, make_environment(dirs or []), edition)


def plain_messages() -> dict[str, str]:
    """The shipped Spanish of each message the templates use that has no placeholder."""
    catalog = spanish_catalog()
    found = {}
    for (context, msgid), _used in used_messages().items():
        if "%(" not in msgid and "<" not in msgid:
            message = catalog.get(msgid, context=context)
            assert message is not None, msgid
            found[msgid] = str(message.string)
    return found


# ---- Spanish words in a Spanish edition --------------------------------------------------


@pytest.mark.parametrize("name", ["delegation", "executive", "public"])
def test_a_spanish_edition_has_the_spanish_words_and_none_of_the_english(
    shipped_briefing: Briefing, name: str
) -> None:
    html = render(shipped_briefing, name, SPANISH)
    english = texts(render(shipped_briefing, name))
    spanish = texts(html)
    words = plain_messages()
    shown = [msgid for msgid in words if msgid in english]
    assert shown, "the English edition shows some of the templates' words"
    for msgid in shown:
        assert words[msgid] in spanish, msgid
        if words[msgid] != msgid:
            assert msgid not in spanish, msgid
    assert '<html lang="es">' in html


def test_the_spanish_contents_page_and_headings(shipped_briefing: Briefing) -> None:
    words = plain_messages()
    html = render(shipped_briefing, "delegation", SPANISH)
    assert f'aria-label="{words["Contents"]}"' in html
    assert f'data-title="{words["Sources"]}"' in html
    # The margins' words are written in a <style> of the page: stylesheets cannot translate.
    assert f'content: "{words["Contents"]}"' in html
    assert 'content: "P\u00e1gina " counter(page) " de " counter(pages)' in html


def test_sentences_around_the_data_are_translated(shipped_briefing: Briefing) -> None:
    (section,) = [s for s in shipped_briefing.sections if isinstance(s, BudgetResolutionSection)]
    html = " ".join(texts(render(shipped_briefing, "delegation", SPANISH)))
    catalog = spanish_catalog()
    template = next(
        str(message.string)
        for message in catalog
        if isinstance(message.id, str) and message.id.startswith("During the %(body)s")
    )
    expected = template % {
        "body": section.body,
        "place": section.place,
        "when": format_skeleton(
            "yMMMM", dt.date(section.date.year, section.date.month or 1, 1), locale="es_MX"
        ),
        "adoption": section.adoption,
        "promoted_by": section.promoted_by,
    }
    assert expected in html


def test_the_plural_follows_the_count(shipped_briefing: Briefing) -> None:
    (section,) = [s for s in shipped_briefing.sections if isinstance(s, BudgetResolutionSection)]
    assert section.shortfall_points == 1
    spanish = " ".join(texts(render(shipped_briefing, "delegation", SPANISH)))
    assert "1 punto porcentual por debajo" in spanish
    further = section.model_copy(update={"target_percent_of_base": Decimal(210)})
    sections = tuple(further if s is section else s for s in shipped_briefing.sections)
    wider = shipped_briefing.model_copy(update={"sections": sections})
    spanish = " ".join(texts(render(wider, "delegation", SPANISH)))
    english = " ".join(texts(render(wider, "delegation")))
    assert "11 puntos porcentuales por debajo" in spanish
    assert "11 percentage points short" in english


def test_dates_and_percentages_follow_the_editions_locale(shipped_briefing: Briefing) -> None:
    html = render(shipped_briefing, "delegation", SPANISH)
    (section,) = [s for s in shipped_briefing.sections if isinstance(s, BudgetResolutionSection)]
    assert format_date(shipped_briefing.date, "long", locale="es_MX") in html
    share = section.schedule[-1].percent_of_base
    written = format_percent(share / 100, locale="es_MX", decimal_quantization=False)
    assert f'<td class="num">{written}</td>' in html


def test_a_chosen_locale_changes_the_numbers_not_the_words(shipped_briefing: Briefing) -> None:
    spain = Edition("es", "es_ES", "en")
    html = render(shipped_briefing, "delegation", spain)
    assert format_date(shipped_briefing.date, "long", locale="es_ES") in html
    assert plain_messages()["Contents"] in texts(html)


def test_the_chart_speaks_the_editions_language(shipped_briefing: Briefing) -> None:
    html = render(shipped_briefing, "executive", SPANISH)
    assert "Gráfica de barras" in html
    assert "Bar chart" not in html
    assert "Meta: " in html


# ---- The English edition is as it was ------------------------------------------------------


def test_the_english_edition_keeps_its_words(shipped_briefing: Briefing) -> None:
    html = render(shipped_briefing, "delegation")
    assert '<html lang="en">' in html
    assert 'content: "Page " counter(page) " of " counter(pages)' in html
    shown = texts(html)
    for words in ("Contents", "Sources", "Date", "Prepared by", "What the resolution contemplates"):
        assert words in shown
    assert "draft-notice" not in html
    assert 'name="untranslated"' not in html


# ---- Drafts ----------------------------------------------------------------------------------


def test_a_draft_says_so_on_its_cover_and_in_its_metadata(
    shipped_briefing: Briefing, tmp_path: Path
) -> None:
    draft = Edition("es", "es_MX", "en", ("sections.timeline.title", "sources.0.title"))
    for name in ("delegation", "executive"):
        html = render(shipped_briefing, name, draft)
        notice = "Borrador incompleto: 2 textos no están traducidos y aparecen en inglés."
        assert notice in texts(html), name
        assert (
            '<meta name="untranslated" content="sections.timeline.title, sources.0.title">' in html
        )
    # The finished, tagged PDF: the path a build takes.
    options = PdfOptions(date=shipped_briefing.date)
    pdf = render_pdf(html, BUILTIN_TEMPLATES, [BUILTIN_TEMPLATES], options)
    path = tmp_path / "draft.pdf"
    path.write_bytes(pdf.content)
    info = PdfReader(path).metadata
    assert info is not None
    assert str(info["/untranslated"]) == "sections.timeline.title, sources.0.title"
    assert str(info["/Subject"]) == shipped_briefing.subject


def test_one_untranslated_text_is_singular(shipped_briefing: Briefing) -> None:
    html = render(shipped_briefing, "public", Edition("es", "es_MX", "en", ("title",)))
    assert "Borrador incompleto: 1 texto no está traducido y aparece en inglés." in texts(html)


# ---- The shipped catalog is honest -----------------------------------------------------------


def test_the_shipped_spanish_catalog_covers_every_message_the_templates_use() -> None:
    catalog = spanish_catalog()
    ids = {(m.context, m.id[0] if isinstance(m.id, tuple) else m.id) for m in catalog if m.id}
    assert set(used_messages()) == ids
    assert not catalog.obsolete


def test_the_shipped_spanish_catalog_is_complete_and_checks() -> None:
    catalog = spanish_catalog()
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), message.id
        assert not message.fuzzy, message.id
        assert not list(message.check(catalog)), message.id
    assert ui_translation_problems([], "es") == []
    assert ui_translation_problems([], "en") == []


# ---- Problems ------------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


PO_HEADER = (
    'msgid ""\nmsgstr ""\n"Language: es\\n"\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
)


def test_a_wrong_placeholder_is_a_problem_at_its_line(tmp_path: Path) -> None:
    po = write(
        tmp_path / "locale" / "es.po",
        PO_HEADER + '#, python-format\nmsgid "Target %(target)s"\nmsgstr "Meta: %(objetivo)s"\n',
    )
    problems = ui_translation_problems([tmp_path], "es")
    (problem,) = [p for p in problems if p.file.endswith("es.po")]
    assert Path(problem.file).resolve() == po.resolve()
    assert problem.line == 7
    assert "objetivo" in problem.message
    # Not used when rendering: the built-in translation shows instead of a broken one.
    assert str(problem).startswith(f"{problem.file}:7: ")


def test_a_missing_translation_is_a_problem_at_the_template_line(tmp_path: Path) -> None:
    write(
        tmp_path / "mine.html.j2",
        '{% extends "builtin/briefing.html.j2" %}\n{% block cover_subtitle %}\n'
        '<p>{{ _("Our own words") }}</p>\n{% endblock %}\n',
    )
    problems = ui_translation_problems([tmp_path], "es")
    (problem,) = problems
    assert problem.file.endswith("mine.html.j2")
    assert problem.line == 3
    assert "'Our own words' has no Spanish (es) translation" in problem.message


def test_a_fuzzy_translation_is_not_used_and_is_reported(
    tmp_path: Path, shipped_briefing: Briefing
) -> None:
    write(
        tmp_path / "locale" / "es.po", PO_HEADER + '#, fuzzy\nmsgid "Contents"\nmsgstr "Índice"\n'
    )
    html = render(shipped_briefing, "delegation", SPANISH, [tmp_path])
    assert "Índice" not in html
    assert "Contenido" in texts(html)
    assert ui_translation_problems([tmp_path], "es") == []  # the built-in one is current


def test_a_markup_change_in_a_translation_is_refused(tmp_path: Path) -> None:
    catalog = spanish_catalog()
    (colophon,) = [str(m.id) for m in catalog if isinstance(m.id, str) and "product-name" in m.id]
    quoted = colophon.replace('"', '\\"')
    write(tmp_path / "locale" / "es.po", PO_HEADER + f'msgid "{quoted}"\nmsgstr "<b>x</b>"\n')
    (problem,) = ui_translation_problems([tmp_path], "es")
    assert "markup" in problem.message


def render_error(folder: Path, briefing: Briefing, template: str) -> str:
    audience = Audience(name="c", description="C.", template=template, marking="X")
    with pytest.raises(TemplateError) as caught:
        render_html(briefing, audience, make_environment([folder]))
    return str(caught.value)


def test_a_dotted_name_inside_trans_says_how_to_name_it(
    tmp_path: Path, shipped_briefing: Briefing
) -> None:
    path = write(
        tmp_path / "mine.html.j2",
        '{% extends "builtin/briefing.html.j2" %}\n'
        "{% block cover_subtitle %}{% trans %}{{ briefing.title }}{% endtrans %}{% endblock %}\n",
    )
    assert render_error(tmp_path, shipped_briefing, "mine.html.j2") == (
        f"{path}:2: inside {{% trans %}} only plain names can be shown, as {{{{ year }}}}: name "
        "each value in the tag, as in {% trans year=section.established %}In {{ year }}..."
        "{% endtrans %}"
    )


def test_words_in_a_macro_imported_without_context_say_why(
    tmp_path: Path, shipped_briefing: Briefing
) -> None:
    macro = write(tmp_path / "m.html.j2", '{% macro m() %}{{ _("Contents") }}{% endmacro %}\n')
    write(
        tmp_path / "mine.html.j2",
        '{% extends "builtin/briefing.html.j2" %}\n{% import "m.html.j2" as x %}\n'
        "{% block cover_subtitle %}{{ x.m() }}{% endblock %}\n",
    )
    message = render_error(tmp_path, shipped_briefing, "mine.html.j2")
    assert message.startswith(f"{macro}:1: there is no '_': _() and {{% trans %}} need")
    assert "with context" in message


# ---- A user's catalog --------------------------------------------------------------------------


def test_a_users_translation_wins_over_the_built_in_one(
    tmp_path: Path, shipped_briefing: Briefing
) -> None:
    write(tmp_path / "locale" / "es.po", PO_HEADER + 'msgid "Contents"\nmsgstr "Índice"\n')
    html = render(shipped_briefing, "delegation", SPANISH, [tmp_path])
    shown = texts(html)
    assert "Índice" in shown
    assert "Contenido" not in shown
    assert plain_messages()["Sources"] in shown  # the rest still from the built-in catalog


def test_update_creates_then_refreshes_a_users_catalog(tmp_path: Path) -> None:
    template = write(
        tmp_path / "mine.html.j2",
        '<p>{{ _("Hello") }}</p>\n<p>{% trans n=3 %}{{ n }} items{% endtrans %}</p>\n',
    )
    (created,) = update_template_catalogs(tmp_path, ["es"])
    assert (created.strings, created.added, created.written) == (2, 2, True)
    po = catalog_path(tmp_path, "es")
    text = po.read_text(encoding="utf-8")
    assert 'msgid "%(n)s items"' in text and "#: mine.html.j2:2" in text
    po.write_text(
        text.replace('msgid "Hello"\nmsgstr ""', 'msgid "Hello"\nmsgstr "Hola"'), encoding="utf-8"
    )
    (again,) = update_template_catalogs(tmp_path, ["es"])
    assert not again.written
    template.write_text('<p>{{ _("Hello!") }}</p>\n', encoding="utf-8")
    (changed,) = update_template_catalogs(tmp_path, ["es"])
    assert (changed.stale, changed.obsolete) == (1, 1)
    with po.open("rb") as stream:
        message = read_po(stream).get("Hello!")
    assert message is not None and message.fuzzy and message.string == "Hola"


def test_the_starter_folder_shows_a_catalog_of_its_own(
    tmp_path: Path, shipped_briefing: Briefing
) -> None:
    folder = tmp_path / "mine"
    init_template(folder, "press")
    assert ui_translation_problems([folder], "es") == []
    (result,) = update_template_catalogs(folder, ["es"])
    assert not result.written
    audience = load_profile(folder / "audiences" / "press.yaml")
    html = render_html(
        tailor(shipped_briefing, audience), audience, make_environment([folder]), SPANISH
    )
    assert "Aquí va el texto de su portada." in texts(html)


def test_the_command_refreshes_a_template_folders_catalogs(tmp_path: Path) -> None:
    write(tmp_path / "mine.html.j2", '<p>{{ _("Hello") }}</p>\n')
    runner = CliRunner()
    refused = runner.invoke(main, ["translations", "update", "--templates", str(tmp_path)])
    assert refused.exit_code == 2
    assert "give --language LANG" in refused.output
    made = runner.invoke(
        main, ["translations", "update", "--templates", str(tmp_path), "--language", "es"]
    )
    assert made.exit_code == 0, made.output
    assert "wrote" in made.output and "1 string, 1 new, 0 stale, 0 obsolete" in made.output
    again = runner.invoke(main, ["translations", "update", "--templates", str(tmp_path)])
    assert again.exit_code == 0, again.output
    assert again.output.startswith("unchanged ")
    assert "0 new" in again.output


# ---- Profiles per language ----------------------------------------------------------------------


def test_profile_words_per_language(tmp_path: Path) -> None:
    path = write(
        tmp_path / "board.yaml",
        "name: board\ndescription: Board.\nedition:\n  en: Board brief\n"
        "  es: Informe para el consejo\nmarking: PUBLIC\nlanguages: [es]\n",
    )
    audience = load_profile(path)
    assert audience.languages == ("es",)
    spanish = audience.for_language("es")
    assert (spanish.edition, spanish.marking) == ("Informe para el consejo", "PUBLIC")
    assert audience.for_language("en").edition == "Board brief"
    (problem,) = audience.missing_languages(["en", "fr"])
    assert (problem.line, problem.field) == (3, "edition")
    assert problem.file.endswith("board.yaml")
    with pytest.raises(DataError, match=r"board.yaml:3: edition: no 'fr' text"):
        audience.for_language("fr")


def test_the_shipped_profiles_have_spanish_words() -> None:
    for audience in load_audiences().values():
        assert audience.missing_languages(["en", "es"]) == []
        spanish = audience.for_language("es")
        assert (
            isinstance(spanish.marking, str)
            and spanish.marking != audience.for_language("en").marking
        )


def test_a_spanish_edition_prints_the_profiles_spanish_words(shipped_briefing: Briefing) -> None:
    html = render(shipped_briefing, "executive", SPANISH)
    assert 'data-marking="RESERVADO - SOLO PARA USO OFICIAL"' in html
    assert (
        f"Resumen ejecutivo · {format_date(shipped_briefing.date, 'long', locale='es_MX')}"
        in texts(html)
    )


# ---- Helpers -------------------------------------------------------------------------------------


def test_css_content_quotes_text_and_keeps_the_counters() -> None:
    assert (
        css_content("Page %(page)s of %(pages)s") == '"Page " counter(page) " of " counter(pages)'
    )
    assert css_content('a"b\\</style>') == '"a\\22 b\\5c \\3c /style\\3e "'
    assert css_content("") == '""'


def test_hyphenation_dictionaries() -> None:
    assert hyphenation_available("es")
    assert hyphenation_available("pt-BR")
    assert not hyphenation_available("tlh")


def test_a_spanish_paragraph_is_hyphenated(tmp_path: Path) -> None:
    words = (
        "La Organización de los Estados Americanos aprobó por consenso la resolución "
        "presupuestaria que duplica progresivamente los recursos destinados a los órganos "
        "interamericanos de derechos humanos."
    )
    html = (
        '<!DOCTYPE html><html lang="es"><head><style>@page { size: 60mm 200mm; margin: 5mm }'
        "p { width: 28mm; hyphens: auto; font: 11pt 'Noto Serif'; text-align: justify }"
        "</style></head><body><p>" + words + "</p></body></html>"
    )
    pdf = render_pdf(html, BUILTIN_TEMPLATES, [BUILTIN_TEMPLATES], PdfOptions(draft=True))
    path = tmp_path / "hyphenated.pdf"
    path.write_bytes(pdf.content)
    document = pdfium.PdfDocument(str(path))
    try:
        page = document[0]
        text = page.get_textpage().get_text_range()
    finally:
        document.close()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    broken = [line for line in lines if line.endswith(("-", "\u2010", "\u00ad"))]
    assert broken, lines
    assert Decimal(len(lines)) > 3


def test_extraction_reads_templates_as_the_build_does(tmp_path: Path) -> None:
    """A link out of the folder, a pipe and a huge file, each named like a template, are not
    opened to find messages (a pipe would hang, the link would leak): only real templates."""
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "own.html.j2").write_text("{{ _('Prepared for the minister') }}\n")
    (folder / "leak.html.j2").symlink_to("/etc/passwd")
    os.mkfifo(folder / "pipe.html.j2")
    (folder / "huge.html.j2").write_text("{{ _('Never read') }}" + " " * (2 * 1024 * 1024))

    used = {key[1] for key in used_messages([folder])}

    assert "Prepared for the minister" in used
    assert "Never read" not in used
