"""User template folders: search order, override-and-extend, user audiences built end to end."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from reportgen.build import build, render_variants
from reportgen.errors import DataError, TemplateError
from reportgen.resources import BUILTIN_TEMPLATES, EXAMPLE_BRIEFING, template_search_path
from reportgen.templating import make_environment

PRESS_PROFILE = """\
name: press
description: Press kit.
edition: Press kit
template: press.html.j2
sections: [oas-budget-resolution, key-messages]
visibility: [public]
marking: FOR IMMEDIATE RELEASE
"""

# Extends the built-in briefing it replaces nothing of, and changes only the cover.
PRESS_TEMPLATE = """\
{% extends "builtin/briefing.html.j2" %}
{% block cover %}<section class="cover"><h1 class="title">Press kit: {{ briefing.title }}</h1>
</section>{% endblock %}
"""


def user_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "my-templates"
    (folder / "audiences").mkdir(parents=True)
    (folder / "audiences" / "press.yaml").write_text(PRESS_PROFILE)
    (folder / "press.html.j2").write_text(PRESS_TEMPLATE)
    return folder


def test_search_path_puts_user_folders_first_in_the_order_given(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    assert template_search_path([first, second]) == [first, second, BUILTIN_TEMPLATES]


def test_earlier_user_folder_wins(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for folder, word in ((first, "first"), (second, "second")):
        folder.mkdir()
        (folder / "macros.html.j2").write_text(word)
    assert make_environment([first, second]).get_template("macros.html.j2").render() == "first"


def test_user_template_replaces_builtin_and_can_extend_the_original(tmp_path: Path) -> None:
    folder = tmp_path / "override"
    folder.mkdir()
    (folder / "briefing.html.j2").write_text(
        '{% extends "builtin/briefing.html.j2" %}'
        "{% block contents %}<p>Custom contents</p>{% endblock %}"
    )
    (variant,) = render_variants(EXAMPLE_BRIEFING, ["public"], [folder], language="en")
    assert "Custom contents" in variant.html
    assert 'class="contents"' not in variant.html  # the block was replaced...
    assert "Key messages" in variant.html  # ...and everything else still comes from builtin


def test_user_section_template_applies_everywhere(tmp_path: Path) -> None:
    folder = tmp_path / "override"
    (folder / "sections").mkdir(parents=True)
    (folder / "sections" / "timeline.html.j2").write_text(
        '<h2 id="s-{{ section.id }}">{{ section.title }}</h2><p>Timeline elided</p>'
    )
    (variant,) = render_variants(EXAMPLE_BRIEFING, ["delegation"], [folder], language="en")
    assert "Timeline elided" in variant.html
    assert 'class="timeline"' not in variant.html


def section_element(html: str, section_id: str) -> str:
    """The ``<section>`` element of one section, from its start tag to the next section's."""
    start = html.index(f'data-section="{section_id}"')
    end = html.find("<section", start)
    return html[start : end if end >= 0 else len(html)]


KINDS = sorted(
    path.name.removesuffix(".html.j2")
    for path in (BUILTIN_TEMPLATES / "sections").glob("*.html.j2")
)


@pytest.mark.parametrize("kind", KINDS)
def test_a_line_can_be_added_inside_any_section_by_extending_it(tmp_path: Path, kind: str) -> None:
    # Before, section templates had no blocks: the extending template built with exit 0 and
    # its paragraph silently vanished.
    folder = tmp_path / "looks"
    (folder / "sections").mkdir(parents=True)
    (folder / "sections" / f"{kind}.html.j2").write_text(
        f'{{% extends "builtin/sections/{kind}.html.j2" %}}\n'
        '{% block notes %}<p class="mine">Checked by the committee.</p>{% endblock %}\n'
    )
    (variant,) = render_variants(EXAMPLE_BRIEFING, ["delegation"], [folder], language="en")
    (section,) = [s for s in variant.briefing.sections if s.kind == kind]
    inside = section_element(variant.html, section.id)
    assert inside.count('<p class="mine">Checked by the committee.</p>') == 1
    assert variant.html.count("Checked by the committee.") == 1
    # The rest of the section is the built-in one's: its heading and its own class.
    assert f'id="s-{section.id}"' in inside


def test_an_item_block_changes_each_item_and_keeps_the_rest(tmp_path: Path) -> None:
    folder = tmp_path / "looks"
    (folder / "sections").mkdir(parents=True)
    (folder / "sections" / "key_messages.html.j2").write_text(
        '{% extends "builtin/sections/key_messages.html.j2" %}\n'
        "{% block item %}<li><strong>{{ item.text }}</strong></li>{% endblock %}\n"
        "{% block heading %}{{ super() }}<p>Updated today.</p>{% endblock %}\n"
    )
    (variant,) = render_variants(EXAMPLE_BRIEFING, ["public"], [folder], language="en")
    messages = variant.briefing.section("key-messages").messages  # type: ignore[union-attr]
    inside = section_element(variant.html, "key-messages")
    assert inside.count("<li><strong>") == len(messages)
    assert 'id="s-key-messages"' in inside and "Updated today." in inside


def test_missing_template_names_every_folder_searched(tmp_path: Path) -> None:
    folder = user_folder(tmp_path)
    (folder / "press.html.j2").unlink()
    with pytest.raises(TemplateError) as caught:
        render_variants(EXAMPLE_BRIEFING, ["press"], [folder], language="en")
    message = str(caught.value)
    assert message.startswith(
        f"{folder / 'audiences' / 'press.yaml'}:4: template: there is no template "
        "'press.html.j2'; the templates in the top folder are: base.html.j2, briefing.html.j2, "
    )
    assert message.endswith(f"; looked in {folder}, then in reportgen's built-in templates")
    assert str(BUILTIN_TEMPLATES) not in message


def test_user_audience_from_a_folder_outside_the_package_builds(tmp_path: Path) -> None:
    folder = user_folder(tmp_path)
    (built,) = build(EXAMPLE_BRIEFING, ["press"], tmp_path / "out", [folder], language="en")
    assert built.path.name == "mexico-multilateral-human-rights-press.en.pdf"
    reader = PdfReader(built.path)
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Press kit: Mexico" in text
    assert "FOR IMMEDIATE RELEASE" in text
    assert "Talking points" not in text
    # The profile's section order: the budget resolution before the key messages.
    assert text.index("The OAS budget resolution Mexico promoted") < text.index("Key messages")


def test_unknown_section_names_the_profile_line_and_the_nearest_section(tmp_path: Path) -> None:
    folder = user_folder(tmp_path)
    profile = folder / "audiences" / "press.yaml"
    profile.write_text(profile.read_text().replace("key-messages]", "key-mesages]"))
    with pytest.raises(DataError) as caught:
        render_variants(EXAMPLE_BRIEFING, ["press"], [folder], language="en")
    assert str(caught.value) == (
        f"{profile}:5: sections.1: the briefing 'mexico-multilateral-human-rights' has no "
        "section 'key-mesages' (did you mean 'key-messages'?); its sections are: key-messages, "
        "ohchr-mexico, un-summits, inter-american-system, oas-budget-resolution, timeline, "
        "talking-points"
    )


GUIDE = Path(__file__).resolve().parent.parent / "docs" / "customising.md"


def guide_example(name: str) -> str:
    """The code block of docs/customising.md marked ``<!-- example: name -->``."""
    found = re.search(rf"<!-- example: {name} -->\n```\w*\n(.*?)```", GUIDE.read_text(), re.S)
    assert found, f"docs/customising.md has no example {name!r}"
    return found.group(1)


def test_the_guides_worked_examples_do_what_it_says(tmp_path: Path) -> None:
    folder = user_folder(tmp_path)
    (folder / "press.html.j2").write_text(guide_example("new-cover"))
    (folder / "sections").mkdir()
    (folder / "sections" / "initiatives.html.j2").write_text(guide_example("table-head"))
    (folder / "style").mkdir()
    (folder / "style" / "press.css").write_text(guide_example("table-css"))
    profile = folder / "audiences" / "press.yaml"
    profile.write_text(
        profile.read_text().replace("key-messages]", "key-messages, un-summits]")
        + "theme:\n  stylesheets: [style/press.css]\n"
    )
    (variant,) = render_variants(EXAMPLE_BRIEFING, ["press"], [folder], language="en")
    cover = variant.html[variant.html.index('<section class="cover">') :]
    cover = cover[: cover.index("</section>")]
    assert '<p class="kicker">Committee hearing</p>' in cover
    assert "FOR IMMEDIATE RELEASE" in cover  # the marking, placed by the new cover
    table = section_element(variant.html, "un-summits")
    assert '<th scope="col">Initiative</th><th scope="col">Date</th>' in table
    assert "Summit or conference" not in table
    assert (folder / "style" / "press.css").resolve().as_uri() in variant.html
    # And it lays out.
    (built,) = build(EXAMPLE_BRIEFING, ["press"], tmp_path / "out", [folder], language="en")
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(built.path).pages).split())
    # The stylesheet sets the kicker and the table's header cells in capitals.
    assert "COMMITTEE HEARING" in text and "INITIATIVE DATE ABOUT" in text.upper()
