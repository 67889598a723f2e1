"""Theme settings to CSS, and template assets (stylesheets, images) found on the search path."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from markupsafe import Markup

from reportgen.audiences import Theme
from reportgen.errors import TemplateError
from reportgen.resources import BUILTIN_TEMPLATES

BUILTIN_WORDS = "reportgen's built-in templates"


def searched(folders: Sequence[Path]) -> str:
    """Where a template or a file is looked up, in plain words: the user's folders as they were
    given, the built-in ones by name (their path, deep in an installation, says nothing)."""
    yours = [str(folder) for folder in folders if folder.resolve() != BUILTIN_TEMPLATES]
    if not yours:
        return f"looked in {BUILTIN_WORDS}"
    return f"looked in {', '.join(yours)}, then in {BUILTIN_WORDS}"


class AssetFinder:
    """Finds a file by its path relative to the template folders, earlier folders first.

    The same order as templates, so a user's ``style/briefing.css`` replaces the built-in one.
    Templates get a plain function that calls this one, never the finder: its folders are
    Path objects, which read and write any file.
    """

    def __init__(self, search_path: Sequence[Path]) -> None:
        self._given = tuple(search_path)
        self._folders = tuple(folder.resolve() for folder in search_path)

    def find(self, relative: str) -> str | None:
        """The ``file:`` URL of ``relative`` in the first folder that has it, or None."""
        for folder in self._folders:
            candidate = (folder / relative).resolve()
            if candidate.is_relative_to(folder) and candidate.is_file():
                return candidate.as_uri()
        return None

    def __call__(self, relative: str) -> str:
        """The ``file:`` URL of ``relative`` in the first folder that has it."""
        found = self.find(relative)
        if found is not None:
            return found
        raise TemplateError(
            f"no file {relative!r} in the template folders ({searched(self._given)}); asset_url() "
            "takes a path relative to your template folder, e.g. 'img/logo.svg'"
        )


def theme_css(theme: Theme, find_asset: Callable[[str], str]) -> Markup:
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
