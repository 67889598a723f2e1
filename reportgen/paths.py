"""Where the built-in templates and the shipped briefing live, relative to this checkout."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUILTIN_TEMPLATES = PROJECT_ROOT / "templates"
BUILTIN_AUDIENCES = BUILTIN_TEMPLATES / "audiences"
SHIPPED_DATA = PROJECT_ROOT / "data" / "mexico-multilateral-human-rights.yaml"
DEFAULT_OUTPUT = Path("output")
