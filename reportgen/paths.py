"""Where the built-in templates and the shipped briefing live, relative to this checkout."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUILTIN_TEMPLATES = PROJECT_ROOT / "templates"
BUILTIN_AUDIENCES = BUILTIN_TEMPLATES / "audiences"
SHIPPED_DATA = PROJECT_ROOT / "data" / "mexico-multilateral-human-rights.yaml"
DEFAULT_OUTPUT = Path("output")


def template_search_path(user_dirs: Sequence[Path] = ()) -> list[Path]:
    """Where templates and assets are looked up: the user's folders in order, then built-in."""
    return [*user_dirs, BUILTIN_TEMPLATES]
