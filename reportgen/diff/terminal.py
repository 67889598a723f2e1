"""The change report for a terminal: coloured where the output is a terminal, plain in logs,
with ``[-removed-]`` and ``{+added+}`` words marked either way."""

from __future__ import annotations

import click

from reportgen.diff.compare import Report
from reportgen.diff.wording import Line, Part, edition_lines, headline, summary

INDENT = "  "
_COLOURS = {"removed": "red", "added": "green", "gone": "red", "came": "green", "note": "yellow"}


def render_terminal(report: Report, *, colour: bool = False) -> str:
    """The whole report as text, one edition after another, ending with a tally."""
    out = [f"reportgen diff {report.old} {report.new}"]
    out += [_line(Line(0, (Part(note, "note"),)), colour) for note in report.notes]
    for edition in report.editions:
        title = f"{edition.key}: {headline(edition)}"
        out.append(click.style(title, bold=True) if colour else title)
        out += [_line(line, colour, depth=1) for line in edition_lines(edition)]
    out.append(summary(report))
    return "\n".join(out) + "\n"


def _line(line: Line, colour: bool, depth: int = 0) -> str:
    return INDENT * (line.depth + depth) + "".join(_part(part, colour) for part in line.parts)


def _part(part: Part, colour: bool) -> str:
    text = part.text
    if part.style == "removed":
        text = f"[-{text}-]"
    elif part.style == "added":
        text = f"{{+{text}+}}"
    if not colour:
        return text
    if part.style == "name":
        return click.style(text, bold=True)
    if part.style in _COLOURS:
        return click.style(text, fg=_COLOURS[part.style])
    return text
