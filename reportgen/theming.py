"""Theme settings to CSS, and template assets (stylesheets, images) found on the search path."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from markupsafe import Markup

from reportgen.audiences import Theme
from reportgen.errors import AudienceError, TemplateError


class AssetFinder:
    """Finds a file by its path relative to the template folders, earlier folders first.

    The same order as templates, so a user's ``style/briefing.css`` replaces the built-in one.
    """

    def __init__(self, search_path: Sequence[Path]) -> None:
        self.search_path = [folder.resolve() for folder in search_path]

    def __call__(self, relative: str) -> str:
        """The ``file:`` URL of ``relative`` in the first folder that has it."""
        for folder in self.search_path:
            candidate = (folder / relative).resolve()
            if candidate.is_relative_to(folder) and candidate.is_file():
                return candidate.as_uri()
        searched = ", ".join(str(folder) for folder in self.search_path)
        raise TemplateError(f"asset {relative!r} not found; searched: {searched}")


def theme_css(theme: Theme, find_asset: AssetFinder) -> Markup:
    """A ``:root`` rule setting the custom properties the built-in stylesheet reads.

    Safe to emit unescaped: every value was checked against a strict pattern when the profile
    loaded, and file URLs are percent-encoded.
    """
    declarations = [f"--{name}: {value};" for name, value in theme.colours().items()]
    # The stylesheet appends the Arabic, Hebrew and emoji fallbacks and a generic family.
    declarations += [f'--{name}: "{family}";' for name, family in theme.fonts().items()]
    if theme.cover_image:
        declarations.append(f'--cover-image: url("{find_asset(theme.cover_image)}");')
    if not declarations:
        return Markup("")
    return Markup(":root { " + " ".join(declarations) + " }")


def check_theme_fonts(theme: Theme, search_path: Sequence[Path]) -> None:
    """Refuse a theme font that no stylesheet declares with ``@font-face``.

    Layout uses no installed font (see `reportgen.fonts`), so an undeclared family would be
    replaced, silently, by the next font in the list. Every stylesheet in the template folders
    counts, not only those the theme names, since one may ``@import`` another.
    """
    wanted = {f"theme.{name.replace('-', '_')}": family for name, family in theme.fonts().items()}
    if not wanted:
        return
    declared = {
        family
        for folder in search_path
        for stylesheet in sorted(folder.rglob("*.css"))
        for family in font_face_families(stylesheet.read_bytes())
    }
    for field, family in wanted.items():
        if family.casefold() not in {name.casefold() for name in declared}:
            known = ", ".join(sorted(declared))
            raise AudienceError(
                f"{field}: no stylesheet declares the font {family!r} with @font-face, and "
                f"reportgen uses no installed fonts; declared: {known} "
                '(see "Fonts" in docs/customising.md)'
            )


def font_face_families(css: bytes) -> set[str]:
    """The ``font-family`` names of the ``@font-face`` rules in a stylesheet."""
    import tinycss2

    rules, _ = tinycss2.parse_stylesheet_bytes(css, skip_comments=True, skip_whitespace=True)
    families = set()
    for rule in rules:
        if rule.type != "at-rule" or rule.lower_at_keyword != "font-face" or not rule.content:
            continue
        for declaration in tinycss2.parse_blocks_contents(rule.content, skip_comments=True):
            if declaration.type == "declaration" and declaration.lower_name == "font-family":
                family = _family_name(declaration.value)
                if family:
                    families.add(family)
    return families


def _family_name(tokens: list[Any]) -> str:
    """A family name as CSS writes it: one string, or identifiers separated by spaces."""
    parts = [token for token in tokens if token.type not in ("whitespace", "comment")]
    if len(parts) == 1 and parts[0].type == "string":
        return str(parts[0].value)
    if parts and all(part.type == "ident" for part in parts):
        return " ".join(str(part.value) for part in parts)
    return ""
