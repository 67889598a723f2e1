"""Rendering HTML: what each audience's document says, escaping, the sandbox, template errors."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.audiences import Audience, load_audiences, tailor
from reportgen.build.pipeline import Variant, render_variants
from reportgen.cli import main
from reportgen.errors import DataError, FileRefusedError, TemplateError
from reportgen.loading import load_briefing
from reportgen.models import Briefing, BudgetResolutionSection, TalkingPointsSection
from reportgen.resources import BUILTIN_TEMPLATES, EXAMPLE_BRIEFING
from reportgen.templating import make_environment, render_html

FIXTURES = Path(__file__).parent / "fixtures"
WriteYaml = Callable[..., Path]


class _Reader(HTMLParser):
    """What a reader of the page sees: the text, and the text of each h2 without its footnotes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.headings: list[str] = []
        self.footnotes: list[str] = []
        self._skip = 0
        self._heading: list[str] | None = None
        self._footnote: list[str] | None = None
        self._footnote_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag in {"head", "style", "script"}:
            self._skip += 1
        elif tag == "h2":
            self._heading = []
        if self._footnote is not None and tag == "span":
            self._footnote_depth += 1
        elif tag == "span" and "footnote" in classes:
            self._footnote = []
            self._footnote_depth = 1

    def handle_endtag(self, tag: str) -> None:
        if tag in {"head", "style", "script"}:
            self._skip -= 1
        elif tag == "h2" and self._heading is not None:
            self.headings.append(" ".join("".join(self._heading).split()))
            self._heading = None
        elif tag == "span" and self._footnote is not None:
            self._footnote_depth -= 1
            if self._footnote_depth == 0:
                self.footnotes.append(" ".join("".join(self._footnote).split()))
                self._footnote = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.chunks.append(data)
        if self._footnote is not None:
            self._footnote.append(data)
        elif self._heading is not None:
            self._heading.append(data)


def read(html: str) -> _Reader:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader


def visible_text(html: str) -> str:
    return " ".join(" ".join(read(html).chunks).split())


@pytest.fixture(scope="module")
def variants(shipped_data: Path) -> dict[str, Variant]:
    return {
        variant.audience.name: variant for variant in render_variants(shipped_data, language="en")
    }


def render(briefing: Briefing, audience_name: str) -> str:
    profile = load_audiences()[audience_name]
    return render_html(tailor(briefing, profile), profile)


def talking_points(briefing: Briefing) -> list[TalkingPointsSection]:
    sections = [s for s in briefing.sections if isinstance(s, TalkingPointsSection)]
    assert sections, "the shipped data has talking points"
    return sections


def custom_audience(template: str) -> Audience:
    return Audience(name="custom", description="Custom.", template=template, marking="CUSTOM")


# ---- What each audience's document says ----------------------------------------------------


def test_delegation_has_a_heading_per_section(
    variants: dict[str, Variant], shipped_briefing: Briefing
) -> None:
    headings = read(variants["delegation"].html).headings
    assert headings == [
        "Contents",
        *(section.title for section in shipped_briefing.sections),
        "Sources",
    ]


def test_public_has_a_heading_per_public_section(
    variants: dict[str, Variant], shipped_briefing: Briefing
) -> None:
    public_titles = [s.title for s in shipped_briefing.sections if s.visibility == "public"]
    assert len(public_titles) < len(shipped_briefing.sections)
    assert read(variants["public"].html).headings == ["Contents", *public_titles, "Sources"]


def test_executive_headings(variants: dict[str, Variant], shipped_briefing: Briefing) -> None:
    assert read(variants["executive"].html).headings == [
        shipped_briefing.section("key-messages").title,
        "Figures at a glance",
        shipped_briefing.section("oas-budget-resolution").title,
    ]


@pytest.mark.parametrize("name", ["executive", "public"])
def test_no_talking_points_outside_the_delegation(
    variants: dict[str, Variant], shipped_briefing: Briefing, name: str
) -> None:
    text = visible_text(variants[name].html)
    for section in talking_points(shipped_briefing):
        assert section.title not in text
        for point in section.points:
            assert " ".join(point.text.split()) not in text


def test_delegation_has_the_talking_points(
    variants: dict[str, Variant], shipped_briefing: Briefing
) -> None:
    text = visible_text(variants["delegation"].html)
    for section in talking_points(shipped_briefing):
        for point in section.points:
            assert " ".join(point.text.split()) in text


def test_public_html_shows_nothing_internal() -> None:
    briefing = load_briefing(FIXTURES / "redaction.yaml")
    text = visible_text(render(briefing, "public"))
    assert "Public commitment point." in text
    assert "SECRET" not in text
    # Nor the source that only an internal point cites, in a footnote or the source list.
    assert "CONFIDENTIAL-SOURCE" not in text


def test_delegation_html_shows_the_internal_items() -> None:
    briefing = load_briefing(FIXTURES / "redaction.yaml")
    text = visible_text(render(briefing, "delegation"))
    for phrase in [
        "SECRET commitment point",
        "SECRET summit",
        "SECRET event.",
        "SECRET provision.",
    ]:
        assert phrase in text
    assert "CONFIDENTIAL-SOURCE" in text


@pytest.mark.parametrize("name", ["delegation", "executive", "public"])
def test_marking_and_language_reach_the_document(
    variants: dict[str, Variant], shipped_briefing: Briefing, name: str
) -> None:
    html = variants[name].html
    marking = load_audiences()[name].for_language(shipped_briefing.language).marking
    assert f'data-marking="{marking}"' in html
    assert f'<html lang="{shipped_briefing.language}">' in html


def duplicate_ids(html: str) -> list[str]:
    ids = re.findall(r'\sid="([^"]+)"', html)
    return sorted({value for value in ids if ids.count(value) > 1})


@pytest.mark.parametrize("name", ["delegation", "executive", "public"])
def test_element_ids_are_unique(variants: dict[str, Variant], name: str) -> None:
    # Contents links, footnote targets and bookmarks all resolve through ids.
    assert duplicate_ids(variants[name].html) == []


def test_section_id_cannot_collide_with_a_built_in_anchor(
    tmp_path: Path, shipped_text: str, write_yaml: WriteYaml
) -> None:
    # "sources" is the anchor of the source list that the contents links to. Either the data is
    # refused, or the rendered ids stay unique; a second id="sources" is neither.
    assert shipped_text.count("  - id: timeline\n") == 1
    path = write_yaml(tmp_path, shipped_text.replace("  - id: timeline\n", "  - id: sources\n"))
    try:
        variants = render_variants(path, ["public"])
    except DataError:
        return
    for variant in variants:
        assert duplicate_ids(variant.html) == []


def test_variant_file_names(variants: dict[str, Variant]) -> None:
    assert {v.file_name for v in variants.values()} == {
        f"mexico-multilateral-human-rights-{name}.en.pdf"
        for name in ("delegation", "executive", "public")
    }


def test_budget_table_shows_the_computed_schedule(
    variants: dict[str, Variant], shipped_briefing: Briefing
) -> None:
    (section,) = shipped_briefing.sections_of_kind("budget_resolution")
    assert isinstance(section, BudgetResolutionSection)
    text = visible_text(variants["delegation"].html)
    assert f"{section.base_year} (base) \u2013 100%" in text
    for year in section.schedule:
        assert f"{year.year} +{year.increment_percent}% {year.percent_of_base}%" in text
    assert "1 percentage point short of the 200% target" in text


def test_target_met_is_said_so(tmp_path: Path) -> None:
    briefing = load_briefing(FIXTURES / "redaction.yaml")
    text = visible_text(render(briefing, "public"))
    assert "By 2024 the budget reaches 200% of its 2020 level, meeting the 200% target." in text
    assert "short of" not in text


def test_percentages_keep_the_precision_of_the_data(tmp_path: Path, write_yaml: WriteYaml) -> None:
    # A resolution of 12.5% a year must not be reported as 12% (nor 112.5% as 112%).
    source = (FIXTURES / "redaction.yaml").read_text(encoding="utf-8")
    assert source.count("increment_percent_of_base: 25\n    years: 4") == 1
    data = source.replace(
        "increment_percent_of_base: 25\n    years: 4",
        "increment_percent_of_base: 12.5\n    years: 2",
    )
    briefing = load_briefing(write_yaml(tmp_path, data))
    text = visible_text(render(briefing, "public"))
    assert "+12.5%" in text
    assert "112.5%" in text


def test_dates_are_written_out(variants: dict[str, Variant]) -> None:
    text = visible_text(variants["delegation"].html)
    assert "November 27, 2026" in text
    assert "September 2015" in text


def test_first_citation_is_full_and_later_ones_short(
    variants: dict[str, Variant], shipped_briefing: Briefing
) -> None:
    footnotes = read(variants["delegation"].html).footnotes
    cited = list(shipped_briefing.cited_source_ids())
    assert len(footnotes) == len(cited)
    for source_id in set(cited):
        source = shipped_briefing.source(source_id)
        full = [note for note in footnotes if note.startswith(source.title)]
        assert len(full) == 1, source_id
    un_agenda = shipped_briefing.source("un-a-res-70-1")
    assert cited.count("un-a-res-70-1") == 2
    assert footnotes.count(un_agenda.reference or "") == 1


# ---- Escaping ------------------------------------------------------------------------------


def test_html_in_data_is_escaped(tmp_path: Path, write_yaml: WriteYaml) -> None:
    source = (FIXTURES / "redaction.yaml").read_text(encoding="utf-8")
    data = (
        source.replace("title: Redaction fixture", 'title: "<script>alert(1)</script>"')
        .replace("text: Public message one.", 'text: "<b>x</b> & <i>y</i>"')
        .replace("fund: Fixture Fund", 'fund: "<script>alert(2)</script>"')
    )
    briefing = load_briefing(write_yaml(tmp_path, data))

    html = render(briefing, "public")

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;x&lt;/b&gt; &amp; &lt;i&gt;y&lt;/i&gt;" in html
    assert "<script" not in html.lower()
    assert "<b>" not in html
    # And a reader sees the text as typed.
    assert "<b>x</b> & <i>y</i>" in visible_text(html)


# ---- The environment -----------------------------------------------------------------------


def write_template(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_runtime_template_error_names_file_and_line(
    tmp_path: Path, shipped_briefing: Briefing
) -> None:
    path = write_template(tmp_path, "broken.html.j2", "<p>one</p>\n<p>two</p>\n{{ nosuch }}\n")
    environment = make_environment([tmp_path])
    with pytest.raises(TemplateError) as caught:
        render_html(shipped_briefing, custom_audience("broken.html.j2"), environment)
    message = str(caught.value)
    assert message.startswith(f"{path}:3:")
    assert "nosuch" in message


def test_misspelt_attribute_is_an_error_not_blank(
    tmp_path: Path, shipped_briefing: Briefing
) -> None:
    write_template(tmp_path, "typo.html.j2", "<h1>{{ briefing.titel }}</h1>\n")
    with pytest.raises(TemplateError, match="titel"):
        render_html(shipped_briefing, custom_audience("typo.html.j2"), make_environment([tmp_path]))


def render_error(folder: Path, briefing: Briefing, template: str = "mine.html.j2") -> str:
    with pytest.raises(TemplateError) as caught:
        render_html(briefing, custom_audience(template), make_environment([folder]))
    return str(caught.value)


def test_an_unknown_field_lists_the_fields_there_are_closest_first(
    tmp_path: Path, shipped_briefing: Briefing
) -> None:
    # Before: "UndefinedError: 'reportgen.context.Record object' has no attribute 'committee'".
    path = write_template(tmp_path, "mine.html.j2", "<p>x</p>\n<h1>{{ briefing.autor }}</h1>\n")
    fields = ["author", *(name for name in Briefing.model_fields if name != "author")]
    assert render_error(tmp_path, shipped_briefing) == (
        f"{path}:2: the briefing has no field 'autor' (did you mean 'author'?); its fields are: "
        + ", ".join(fields)
    )


def test_an_unknown_field_of_a_section_names_its_kind(
    tmp_path: Path, shipped_briefing: Briefing
) -> None:
    write_template(
        tmp_path,
        "mine.html.j2",
        "{% for section in briefing.sections %}{{ section.committee }}{% endfor %}\n",
    )
    message = render_error(tmp_path, shipped_briefing)
    assert "a key_messages section has no field 'committee'; its fields are: sources," in message
    assert "reportgen" not in message and "object" not in message


def test_an_unknown_name_lists_the_names_a_template_can_use(
    tmp_path: Path, shipped_briefing: Briefing
) -> None:
    path = write_template(tmp_path, "mine.html.j2", "{{ breifing.title }}\n")
    assert render_error(tmp_path, shipped_briefing) == (
        f"{path}:1: there is no 'breifing' (did you mean 'briefing'?); a template can use: "
        "briefing, audience, edition, percent, number, long_date, month_year, cite, "
        "full_citation, gettext, ngettext, pgettext, npgettext, _, css_content, budget_chart, "
        "asset_url, theme_css"
    )


def test_text_outside_a_block_of_a_child_template_is_refused_with_its_line(
    tmp_path: Path, shipped_briefing: Briefing
) -> None:
    # Jinja renders only the blocks of a template that extends another: this paragraph would
    # have vanished from the PDF, with exit status 0.
    path = write_template(
        tmp_path,
        "mine.html.j2",
        '{% extends "builtin/briefing.html.j2" %}\n'
        "{% block cover_title %}Title{% endblock %}\n"
        "\n"
        "<p>A paragraph for the committee.</p>\n",
    )
    assert render_error(tmp_path, shipped_briefing) == (
        f"{path}:4: text outside a block is ignored by Jinja; put it inside {{% block ... %}}"
    )


@pytest.mark.parametrize(
    "outside",
    ["{{ briefing.title }}", "{% if true %}<p>x</p>{% endif %}", "{% for x in [1] %}x{% endfor %}"],
)
def test_any_output_outside_a_block_is_refused(
    tmp_path: Path, shipped_briefing: Briefing, outside: str
) -> None:
    write_template(
        tmp_path,
        "sections/timeline.html.j2",
        f'{{% extends "builtin/sections/timeline.html.j2" %}}\n{outside}\n',
    )
    with pytest.raises(TemplateError, match="text outside a block is ignored by Jinja"):
        render_html(shipped_briefing, load_audiences()["public"], make_environment([tmp_path]))


def test_what_a_child_template_may_have_outside_its_blocks(
    tmp_path: Path, shipped_briefing: Briefing
) -> None:
    # Whitespace, comments, imports, assignments and macros render nothing of their own.
    write_template(
        tmp_path,
        "sections/timeline.html.j2",
        '{% extends "builtin/sections/timeline.html.j2" %}\n\n{# a comment #}\n'
        '{% from "macros.html.j2" import points with context %}\n{% set note = "Dated." %}\n'
        "{% macro small(text) %}<small>{{ text }}</small>{% endmacro %}\n"
        "{% block notes %}{{ small(note) }}{% endblock %}\n",
    )
    html = render_html(shipped_briefing, load_audiences()["public"], make_environment([tmp_path]))
    assert "<small>Dated.</small>" in html


BUDGET_BLOCKS = "heading, intro, purpose, body, increase, provision, figures, notes, after"


def public_render_error(folder: Path, briefing: Briefing) -> str:
    with pytest.raises(TemplateError) as caught:
        render_html(briefing, load_audiences()["public"], make_environment([folder]))
    return str(caught.value)


def test_a_misspelt_block_of_a_built_in_parent_is_refused_with_the_nearest(
    tmp_path: Path, shipped_briefing: Briefing
) -> None:
    # Jinja renders only the blocks its parent has: this note would have vanished, exit 0.
    path = write_template(
        tmp_path,
        "sections/budget_resolution.html.j2",
        '{% extends "builtin/sections/budget_resolution.html.j2" %}\n\n'
        "{% block note %}<p>Confirmed with the secretariat.</p>{% endblock %}\n",
    )
    assert public_render_error(tmp_path, shipped_briefing) == (
        f"{path}:3: block 'note' is not a block of builtin/sections/budget_resolution.html.j2; "
        f"its blocks are: {BUDGET_BLOCKS} (did you mean 'notes'?)"
    )


def test_a_block_of_a_users_parent_or_of_its_own_parent_is_accepted_and_others_refused(
    tmp_path: Path, shipped_briefing: Briefing
) -> None:
    # A chain: mine -> base-of-mine (the user's) -> builtin/briefing.html.j2 -> base.html.j2.
    write_template(
        tmp_path,
        "base-of-mine.html.j2",
        '{% extends "builtin/briefing.html.j2" %}\n'
        "{% block cover_title %}{% block committee %}Committee{% endblock %}{% endblock %}\n",
    )
    write_template(
        tmp_path,
        "mine.html.j2",
        '{% extends "base-of-mine.html.j2" %}\n'
        "{% block committee %}Foreign Affairs{% endblock %}\n"
        "{% block title %}{{ super() }}{% endblock %}\n",
    )
    html = render_html(
        shipped_briefing, custom_audience("mine.html.j2"), make_environment([tmp_path])
    )
    assert "Foreign Affairs" in html
    path = write_template(
        tmp_path,
        "mine.html.j2",
        '{% extends "base-of-mine.html.j2" %}\n{% block comittee %}x{% endblock %}\n',
    )
    message = render_error(tmp_path, shipped_briefing)
    assert message.startswith(
        f"{path}:2: block 'comittee' is not a block of base-of-mine.html.j2; its blocks are: "
    )
    assert message.endswith("(did you mean 'committee'?)")
    assert "body_class" in message  # a block of base.html.j2, two parents up


def test_a_block_inside_a_filled_block_is_the_childs_own(
    tmp_path: Path, shipped_briefing: Briefing
) -> None:
    write_template(
        tmp_path,
        "sections/budget_resolution.html.j2",
        '{% extends "builtin/sections/budget_resolution.html.j2" %}\n'
        "{% block notes %}{% block my_note %}<p>Mine.</p>{% endblock %}{% endblock %}\n",
    )
    html = render_html(shipped_briefing, load_audiences()["public"], make_environment([tmp_path]))
    assert "<p>Mine.</p>" in html


def test_an_extends_of_a_template_that_is_not_there_names_the_line_and_the_nearest(
    tmp_path: Path, shipped_briefing: Briefing
) -> None:
    path = write_template(
        tmp_path,
        "sections/budget_resolution.html.j2",
        '{# the committee note #}\n{% extends "builtin/sections/budget.html.j2" %}\n'
        "{% block notes %}<p>x</p>{% endblock %}\n",
    )
    message = public_render_error(tmp_path, shipped_briefing)
    assert message == (
        f"{path}:2: there is no template 'builtin/sections/budget.html.j2' (did you mean "
        "'builtin/sections/budget_resolution.html.j2'?); a name starting with builtin/ is one "
        "of reportgen's built-in templates"
    )


def test_an_extends_of_a_users_template_that_is_not_there_says_where_it_looked(
    tmp_path: Path, shipped_briefing: Briefing
) -> None:
    write_template(tmp_path, "committee-base.html.j2", '{% extends "builtin/briefing.html.j2" %}\n')
    path = write_template(tmp_path, "mine.html.j2", '{% extends "comittee-base.html.j2" %}\n')
    assert render_error(tmp_path, shipped_briefing) == (
        f"{path}:1: there is no template 'comittee-base.html.j2' (did you mean "
        f"'committee-base.html.j2'?); looked in {tmp_path}, then in reportgen's built-in templates"
    )
    assert str(BUILTIN_TEMPLATES) not in render_error(tmp_path, shipped_briefing)


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        (
            "{% block notes %}\n<p>x</p>\n",
            2,
            "{% block notes %} is never closed: add {% endblock %} where it ends",
        ),
        (
            "{% block notes %}<p>x</p>{% endblock %}\n{% block after %}\n"
            "{% if true %}y{% endif %}\n\n",
            3,
            "{% block after %} is never closed: add {% endblock %} where it ends",
        ),
        (
            "{% block notes %}\n{% for x in [1] %}\n<p>x</p>\n{% endblock %}\n",
            5,
            "{% endblock %} here, but {% for %} of line 3 is still open: close it first with "
            "{% endfor %}",
        ),
    ],
)
def test_a_tag_left_open_is_said_plainly_at_the_line_it_opens(
    tmp_path: Path, shipped_briefing: Briefing, text: str, line: int, says: str
) -> None:
    path = write_template(
        tmp_path,
        "sections/budget_resolution.html.j2",
        '{% extends "builtin/sections/budget_resolution.html.j2" %}\n' + text,
    )
    message = public_render_error(tmp_path, shipped_briefing)
    assert message.startswith(f"{path}:{line}: {says}")
    assert "Jinja was looking" not in message and "innermost" not in message


def test_a_profiles_misspelt_template_is_named_at_its_line_with_the_nearest(
    tmp_path: Path, shipped_briefing: Briefing
) -> None:
    write_template(tmp_path, "parliament.html.j2", '{% extends "builtin/briefing.html.j2" %}\n')
    profile = tmp_path / "audiences" / "parliament.yaml"
    profile.parent.mkdir()
    profile.write_text(
        "name: parliament\ndescription: The committee.\nmarking: PUBLIC\n"
        "template: parlament.html.j2\n"
    )
    audience = load_audiences(profile.parent)["parliament"]
    with pytest.raises(TemplateError) as caught:
        render_html(tailor(shipped_briefing, audience), audience, make_environment([tmp_path]))
    assert str(caught.value) == (
        f"{profile}:4: template: there is no template 'parlament.html.j2' (did you mean "
        f"'parliament.html.j2'?); looked in {tmp_path}, then in reportgen's built-in templates"
    )


def test_the_colophon_keeps_the_product_name_whole(variants: dict[str, Variant]) -> None:
    # Hyphenation is on for text; a name split as "re-portgen" reads as a typo.
    colophon = variants["delegation"].html.split('class="colophon"')[1].split("</p>")[0]
    assert '<span class="product-name">reportgen</span>' in colophon
    css = (BUILTIN_TEMPLATES / "style" / "briefing.css").read_text(encoding="utf-8")
    assert ".product-name { hyphens: manual; }" in css


def test_a_section_template_without_the_heading_anchor_says_what_to_add(
    tmp_path: Path, shipped_briefing: Briefing
) -> None:
    # Before: WeasyPrint's "Content discarded: target points to undefined anchor ('string',
    # '#s-oas-budget-resolution')", three times, naming no file.
    path = write_template(
        tmp_path,
        "sections/budget_resolution.html.j2",
        '{% extends "builtin/sections/budget_resolution.html.j2" %}\n'
        "{% block heading %}<h2>{{ section.title }}</h2>{% endblock %}\n",
    )
    with pytest.raises(TemplateError) as caught:
        render_html(shipped_briefing, load_audiences()["public"], make_environment([tmp_path]))
    assert str(caught.value) == (
        f"{path}: the heading of section 'oas-budget-resolution' needs "
        'id="s-{{ section.id }}": the contents links to it. Keep {{ section_heading(section) }} '
        'in the heading block, or write your heading as <h2 id="s-{{ section.id }}">'
    )


def test_a_link_to_no_anchor_names_the_audience_template(
    tmp_path: Path, shipped_briefing: Briefing
) -> None:
    path = write_template(
        tmp_path,
        "mine.html.j2",
        '{% extends "builtin/briefing.html.j2" %}\n'
        '{% block cover_title %}<a href="#annex">Annex</a>{% endblock %}\n',
    )
    assert render_error(tmp_path, shipped_briefing) == (
        f'{path}: a link points to #annex, but nothing in the page has id="annex"; add the id, '
        "or remove the link"
    )


def test_template_syntax_error_names_file_and_line(
    tmp_path: Path, shipped_briefing: Briefing
) -> None:
    path = write_template(tmp_path, "syntax.html.j2", "<p>fine</p>\n\n{% if %}\n")
    with pytest.raises(TemplateError) as caught:
        render_html(
            shipped_briefing, custom_audience("syntax.html.j2"), make_environment([tmp_path])
        )
    assert str(caught.value).startswith(f"{path}:3:")


def test_error_in_an_included_template_names_that_template(
    tmp_path: Path, shipped_briefing: Briefing
) -> None:
    # A user override of one section kind, broken on its second line.
    path = write_template(tmp_path, "sections/timeline.html.j2", "<section>\n{{ section.when }}\n")
    environment = make_environment([tmp_path, BUILTIN_TEMPLATES])
    with pytest.raises(TemplateError) as caught:
        render_html(shipped_briefing, load_audiences()["public"], environment)
    assert str(caught.value).startswith(f"{path}:2:")


def test_missing_template_names_the_searched_paths(
    tmp_path: Path, shipped_briefing: Briefing
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    with pytest.raises(TemplateError) as caught:
        render_html(
            shipped_briefing, custom_audience("absent.html.j2"), make_environment([first, second])
        )
    message = str(caught.value)
    assert "absent.html.j2" in message
    assert str(first) in message
    assert str(second) in message
    assert message.index(str(first)) < message.index(str(second))


def test_user_templates_override_built_in_ones_first(
    tmp_path: Path, shipped_briefing: Briefing
) -> None:
    write_template(
        tmp_path,
        "sections/timeline.html.j2",
        '<section id="mine"><h2 id="s-{{ section.id }}">{{ section.title }}</h2></section>\n',
    )
    environment = make_environment([tmp_path, BUILTIN_TEMPLATES])
    html = render_html(shipped_briefing, load_audiences()["public"], environment)
    assert '<section id="mine"><h2 id="s-timeline">Timeline</h2></section>' in html
    assert 'class="timeline"' not in html
    assert 'class="section office"' in html


@pytest.mark.parametrize(
    "expression",
    [
        "''.__class__.__mro__",
        "briefing.__class__.__init__.__globals__",
        "cite.__init__.__globals__",
        "percent.__globals__",
    ],
)
def test_sandbox_refuses_python_internals(
    tmp_path: Path, shipped_briefing: Briefing, expression: str
) -> None:
    write_template(tmp_path, "evil.html.j2", "{{ " + expression + " }}\n")
    with pytest.raises(TemplateError) as caught:
        render_html(shipped_briefing, custom_audience("evil.html.j2"), make_environment([tmp_path]))
    assert re.search(r"SecurityError|unsafe", str(caught.value))
    assert "<class" not in str(caught.value)


def test_sandbox_keeps_models_immutable(tmp_path: Path, shipped_briefing: Briefing) -> None:
    write_template(tmp_path, "mutate.html.j2", "{% set names = ['a'] %}{{ names.append('b') }}\n")
    with pytest.raises(TemplateError, match="unsafe"):
        render_html(
            shipped_briefing, custom_audience("mutate.html.j2"), make_environment([tmp_path])
        )


def test_autoescape_applies_whatever_the_extension(tmp_path: Path) -> None:
    write_template(tmp_path, "plain.txt", "{{ value }}")
    environment = make_environment([tmp_path])
    assert environment.get_template("plain.txt").render(value="<b>") == "&lt;b&gt;"


# ---- Reading templates: the rule of reportgen.files ------------------------------------------

LEAK_PROFILE = """\
name: leak
description: Includes a file it should not.
template: leak.html.j2
marking: PUBLIC
"""


def test_an_include_of_a_link_out_of_the_template_folders_is_refused(
    tmp_path: Path, shipped_briefing: Briefing
) -> None:
    including = write_template(tmp_path, "evil.html.j2", "<p>start</p>\n{% include 'leak.txt' %}\n")
    (tmp_path / "leak.txt").symlink_to("/etc/passwd")
    with pytest.raises(TemplateError) as caught:
        render_html(shipped_briefing, custom_audience("evil.html.j2"), make_environment([tmp_path]))
    assert str(caught.value) == (
        f"{including}:2: {tmp_path / 'leak.txt'}: links to a file outside the template "
        "folders; refused"
    )


def test_a_link_between_folders_of_the_search_path_is_followed(
    tmp_path: Path, shipped_briefing: Briefing
) -> None:
    mine = tmp_path / "mine"
    write_template(mine, "part.html.j2", "<p>shared part</p>\n")
    other = tmp_path / "other"
    other.mkdir()
    (other / "linked.html.j2").symlink_to(mine / "part.html.j2")
    (other / "builtin-base.html.j2").symlink_to(BUILTIN_TEMPLATES / "base.html.j2")
    environment = make_environment([other, mine])
    assert environment.get_template("linked.html.j2").render() == "<p>shared part</p>\n"
    assert environment.get_template("builtin-base.html.j2").filename == str(
        other / "builtin-base.html.j2"
    )


def test_a_template_that_is_not_utf8_is_named_with_its_line(
    tmp_path: Path, shipped_briefing: Briefing
) -> None:
    path = tmp_path / "latin1.html.j2"
    path.write_bytes("<p>one</p>\n<p>Canc\u00fan</p>\n".encode("latin-1"))
    with pytest.raises(TemplateError) as caught:
        render_html(
            shipped_briefing, custom_audience("latin1.html.j2"), make_environment([tmp_path])
        )
    assert str(caught.value) == f"{path}:2: is not valid UTF-8: invalid start byte"


def test_a_named_pipe_for_a_template_is_refused_at_once(
    tmp_path: Path, shipped_briefing: Briefing
) -> None:
    os.mkfifo(tmp_path / "pipe.html.j2")
    with pytest.raises(TemplateError) as caught:
        render_html(shipped_briefing, custom_audience("pipe.html.j2"), make_environment([tmp_path]))
    assert str(caught.value) == (
        f"{tmp_path / 'pipe.html.j2'}: is not a regular file (it is a named pipe)"
    )


def test_a_template_over_its_cap_is_refused_unread(
    tmp_path: Path, shipped_briefing: Briefing
) -> None:
    with (tmp_path / "huge.html.j2").open("wb") as stream:
        stream.truncate(3 * 1024**3)
    with pytest.raises(TemplateError, match=r"huge\.html\.j2: is 3 GiB; the limit for a template"):
        render_html(shipped_briefing, custom_audience("huge.html.j2"), make_environment([tmp_path]))


def test_a_dangling_link_is_refused_by_name_not_skipped_for_the_built_in_one(
    tmp_path: Path,
) -> None:
    # A link that leads nowhere is refused by name, not skipped for the built-in template.
    (tmp_path / "base.html.j2").symlink_to(tmp_path / "gone.html.j2")
    with pytest.raises(FileRefusedError, match="links to a file that does not exist"):
        make_environment([tmp_path]).get_template("base.html.j2")
    assert make_environment([tmp_path]).get_template("builtin/base.html.j2").filename == str(
        BUILTIN_TEMPLATES / "base.html.j2"
    )


def test_a_changed_template_is_read_again(tmp_path: Path) -> None:
    path = write_template(tmp_path, "note.html.j2", "first")
    environment = make_environment([tmp_path])
    assert environment.get_template("note.html.j2").render() == "first"
    path.write_text("second")
    os.utime(path, ns=(0, 0))  # a different mtime, however fast the file system's clock
    assert environment.get_template("note.html.j2").render() == "second"


def test_the_cli_refuses_an_include_of_etc_passwd_and_keeps_earlier_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "templates"
    (folder / "audiences").mkdir(parents=True)
    (folder / "audiences" / "leak.yaml").write_text(LEAK_PROFILE)
    (folder / "leak.html.j2").write_text("{% include 'leak.txt' %}\n")
    (folder / "leak.txt").symlink_to("/etc/passwd")
    out = tmp_path / "out"
    out.mkdir()
    earlier = out / f"{shipped_id()}-leak.en.pdf"
    earlier.write_bytes(b"%PDF-1.7\n% an earlier build\n%%EOF\n")
    before = {path.name: path.read_bytes() for path in out.iterdir()}

    arguments = ["--data", str(EXAMPLE_BRIEFING), "--templates", "templates", "--out", "out"]
    result = CliRunner().invoke(main, ["build", *arguments, "--audience", "leak"])

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stderr.splitlines() == [
        "error: nothing was written; these variants failed:",
        f"{shipped_id()}/leak/en, {shipped_id()}/leak/es: templates/leak.html.j2:1: "
        "templates/leak.txt: links to a file "
        "outside the template folders; refused",
    ]
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before
    assert "root:" not in result.output


def shipped_id() -> str:
    return load_briefing(EXAMPLE_BRIEFING).id
