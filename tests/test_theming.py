"""Theme settings reach the rendered CSS, only as CSS values; assets come from template folders."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from reportgen.audiences import Theme
from reportgen.build import build, render_variants
from reportgen.errors import TemplateError
from reportgen.resources import BUILTIN_TEMPLATES, EXAMPLE_BRIEFING
from reportgen.theming import AssetFinder, theme_css


def user_folder(tmp_path: Path, theme: str) -> Path:
    folder = tmp_path / "brand"
    (folder / "audiences").mkdir(parents=True)
    (folder / "audiences" / "brand.yaml").write_text(
        "name: brand\ndescription: Branded.\nmarking: PUBLIC\ntheme:\n" + theme
    )
    return folder


def test_theme_settings_reach_the_rendered_css(tmp_path: Path) -> None:
    folder = user_folder(
        tmp_path, '  primary: "#0b5d3b"\n  accent: teal\n  heading_font: Noto Serif\n'
    )
    (variant,) = render_variants(EXAMPLE_BRIEFING, ["brand"], [folder], language="en")
    assert "--primary: #0b5d3b;" in variant.html
    assert "--accent: teal;" in variant.html
    assert '--heading-font: "Noto Serif";' in variant.html
    # The chart is SVG with its own attributes, so it is given the theme's colours directly.
    assert 'fill="#0b5d3b"' in variant.html
    assert 'stroke="teal"' in variant.html


def test_cover_accent_and_functional_colours_reach_the_css() -> None:
    css = str(theme_css(Theme(cover_accent="rgb(1, 2, 3)"), AssetFinder([BUILTIN_TEMPLATES])))
    assert css == ":root { --cover-accent: rgb(1, 2, 3); }"


def test_no_theme_emits_no_overrides() -> None:
    assert str(theme_css(Theme(), AssetFinder([BUILTIN_TEMPLATES]))) == ""


@pytest.mark.parametrize(
    "settings",
    [
        {"primary": "red; } body { display: none"},
        {"accent": "url(http://127.0.0.1/x)"},
        {"body_font": 'Serif"; } * { color: red'},
        {"logo": "../../etc/passwd", "logo_alt": "x"},
        {"logo": "/etc/passwd", "logo_alt": "x"},
        {"stylesheets": ["https://example.org/x.css"]},
        {"logo": "img/logo.svg"},  # no text alternative
        {"accent": "orangey"},  # looks like a colour name, is not one
        {"cover_accent": "var(--x)"},
    ],
)
def test_theme_values_that_are_not_plain_css_values_are_refused(
    settings: dict[str, object],
) -> None:
    with pytest.raises(ValidationError):
        Theme.model_validate(settings)


def test_logo_stylesheet_and_cover_image_load_from_the_user_folder(tmp_path: Path) -> None:
    folder = user_folder(
        tmp_path,
        "  logo: img/logo.svg\n  logo_alt: Our logo\n  cover_image: img/cover.svg\n"
        "  stylesheets: [css/brand.css]\n",
    )
    (folder / "img").mkdir()
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        '<rect width="10" height="10"/></svg>'
    )
    (folder / "img" / "logo.svg").write_text(svg)
    (folder / "img" / "cover.svg").write_text(svg)
    (folder / "css").mkdir()
    (folder / "css" / "brand.css").write_text(".cover .subtitle { color: #123456; }")

    (variant,) = render_variants(EXAMPLE_BRIEFING, ["brand"], [folder], language="en")
    assert f'src="{(folder / "img" / "logo.svg").resolve().as_uri()}"' in variant.html
    assert 'alt="Our logo"' in variant.html
    assert (folder / "css" / "brand.css").resolve().as_uri() in variant.html
    assert f'--cover-image: url("{(folder / "img" / "cover.svg").resolve().as_uri()}")' in (
        variant.html
    )
    # And the PDF builds: the confined fetcher serves the user's folder.
    (built,) = build(EXAMPLE_BRIEFING, ["brand"], tmp_path / "out", [folder], language="en")
    assert built.pages > 1


@pytest.mark.parametrize(
    ("theme", "field", "line"),
    [
        ("  stylesheets: [css/brand.css, css/missing.css]\n", "theme.stylesheets.1", 5),
        ("  logo_alt: Our logo\n  logo: img/logo-final.svg\n", "theme.logo", 6),
        ("  cover_image: img/cover.jpg\n", "theme.cover_image", 5),
    ],
)
def test_a_missing_file_is_named_at_the_profile_setting_that_asked_for_it(
    tmp_path: Path, theme: str, field: str, line: int
) -> None:
    # Before: "templates/macros.html.j2:12: TemplateError: asset 'img/logo-final.svg' not
    # found" (or base.html.j2:29 for a stylesheet), blaming a built-in file.
    folder = user_folder(tmp_path, theme)
    (folder / "css").mkdir()
    (folder / "css" / "brand.css").write_text("")
    with pytest.raises(TemplateError) as caught:
        render_variants(EXAMPLE_BRIEFING, ["brand"], [folder], language="en")
    message = str(caught.value)
    wanted = theme.rsplit(": ", maxsplit=1)[-1].strip().strip("[]\n").split(", ")[-1]
    assert message.startswith(
        f"{folder / 'audiences' / 'brand.yaml'}:{line}: {field}: no file {wanted!r} in the "
        f"template folders (looked in {folder}, then in reportgen's built-in templates); "
    )
    assert message.endswith(
        "put the file there, or correct the path, which is relative to your template folder"
    )
    assert str(folder) in message
    assert "macros.html.j2" not in message and "base.html.j2" not in message


def test_a_user_stylesheet_replaces_the_builtin_one_of_the_same_name(tmp_path: Path) -> None:
    folder = tmp_path / "restyle"
    (folder / "style").mkdir(parents=True)
    (folder / "style" / "briefing.css").write_text("body { color: black; }")
    (variant,) = render_variants(EXAMPLE_BRIEFING, ["public"], [folder], language="en")
    assert (folder / "style" / "briefing.css").resolve().as_uri() in variant.html
    assert (BUILTIN_TEMPLATES / "style" / "briefing.css").as_uri() not in variant.html


def test_asset_finder_does_not_follow_a_link_out_of_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "assets"
    folder.mkdir()
    (folder / "escape.css").symlink_to("/etc/hostname")
    with pytest.raises(TemplateError):
        AssetFinder([folder])("escape.css")
