"""The change report as JSON for other tools; docs/diff.schema.json is its JSON Schema."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from reportgen import versions
from reportgen.diff.compare import EditionDiff, Report

# Raised when a field changes meaning or goes; new fields may appear without it. 2: an
# edition is a briefing in one language too ("edition" is <briefing>/<audience>/<language>).
FORMAT = 2


def render_json(report: Report) -> str:
    """The whole report as one JSON document (see docs/diff.md for what each field means)."""
    document = {
        "format": FORMAT,
        "generator": f"reportgen {versions.REPORTGEN}",
        "old": report.old,
        "new": report.new,
        "changed": report.changed,
        "summary": report.tally(),
        "notes": list(report.notes),
        "editions": [_edition(edition) for edition in report.editions],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _edition(edition: EditionDiff) -> dict[str, Any]:
    fields = asdict(edition)
    old_pages, new_pages = fields.pop("old_pages"), fields.pop("new_pages")
    return {
        "edition": str(edition.key),
        **fields,
        "pages": {"old": old_pages, "new": new_pages},
    }
