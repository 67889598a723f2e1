"""User template folders: search order, override-and-extend, user audiences built end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from reportgen.build import build, render_variants
from reportgen.errors import AudienceError, TemplateError
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
    (variant,) = render_variants(EXAMPLE_BRIEFING, ["public"], [folder])
    assert "Custom contents" in variant.html
    assert 'class="contents"' not in variant.html  # the block was replaced...
    assert "Key messages" in variant.html  # ...and everything else still comes from builtin


def test_user_section_template_applies_everywhere(tmp_path: Path) -> None:
    folder = tmp_path / "override"
    (folder / "sections").mkdir(parents=True)
    (folder / "sections" / "timeline.html.j2").write_text("<p>Timeline elided</p>")
    (variant,) = render_variants(EXAMPLE_BRIEFING, ["delegation"], [folder])
    assert "Timeline elided" in variant.html
    assert 'class="timeline"' not in variant.html


def test_missing_template_names_every_folder_searched(tmp_path: Path) -> None:
    folder = user_folder(tmp_path)
    (folder / "press.html.j2").unlink()
    with pytest.raises(TemplateError) as caught:
        render_variants(EXAMPLE_BRIEFING, ["press"], [folder])
    message = str(caught.value)
    assert "'press.html.j2' not found" in message
    assert str(folder) in message
    assert str(BUILTIN_TEMPLATES) in message


def test_user_audience_from_a_folder_outside_the_package_builds(tmp_path: Path) -> None:
    folder = user_folder(tmp_path)
    (built,) = build(EXAMPLE_BRIEFING, ["press"], tmp_path / "out", [folder])
    assert built.path.name == "mexico-multilateral-human-rights-press.pdf"
    reader = PdfReader(built.path)
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Press kit: Mexico" in text
    assert "FOR IMMEDIATE RELEASE" in text
    assert "Talking points" not in text
    # The profile's section order: the budget resolution before the key messages.
    assert text.index("The OAS budget resolution Mexico promoted") < text.index("Key messages")


def test_unknown_section_names_the_profile_and_the_sections_there_are(tmp_path: Path) -> None:
    folder = user_folder(tmp_path)
    profile = folder / "audiences" / "press.yaml"
    profile.write_text(profile.read_text().replace("key-messages]", "key-mesages]"))
    with pytest.raises(AudienceError) as caught:
        render_variants(EXAMPLE_BRIEFING, ["press"], [folder])
    message = str(caught.value)
    assert message.startswith(f"{profile}: ")
    assert "no section 'key-mesages'" in message
    assert "key-messages" in message.split("its sections are")[1]
