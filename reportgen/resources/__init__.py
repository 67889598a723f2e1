"""The files reportgen ships inside its package: built-in templates, the example project.

Read through `importlib.resources`, so an installed wheel and a checkout find them the same way.
In a checkout, ``templates`` and the example briefing are links to the repository's top-level
``templates/`` and ``data/`` folders: one copy of each file, which the wheel carries as files.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path

from reportgen.errors import ReportgenError


def _package_folder() -> Path:
    folder = files(__name__)
    # WeasyPrint and Fontconfig read fonts and stylesheets by file name, so the resources must
    # be files on disk, not members of a zip archive.
    if not isinstance(folder, Path):
        raise ReportgenError(f"reportgen's resources must be installed as files, not {folder!r}")
    # Resolved once: every check that a file lies inside a folder compares real paths.
    return folder.resolve()


RESOURCES = _package_folder()
BUILTIN_TEMPLATES = (RESOURCES / "templates").resolve()
BUILTIN_AUDIENCES = BUILTIN_TEMPLATES / "audiences"
BUNDLED_FONTS = BUILTIN_TEMPLATES / "fonts"
STARTER = BUILTIN_TEMPLATES / "starter"
# What `reportgen new` writes; its example briefing is the shipped one.
PROJECT_SKELETON = RESOURCES / "project"
EXAMPLE_BRIEFING = (PROJECT_SKELETON / "data" / "mexico-multilateral-human-rights.yaml").resolve()


def template_search_path(user_dirs: Sequence[Path] = ()) -> list[Path]:
    """Where templates and assets are looked up: the user's folders in order, then built-in."""
    return [*user_dirs, BUILTIN_TEMPLATES]
