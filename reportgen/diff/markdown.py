"""The change report as GitHub-flavoured markdown, for a job summary or a pull-request
comment: a short table of the editions that changed, with each edition's details folded in
``<details>``, and never more than `MARKDOWN_LIMIT` bytes however large the change."""

from __future__ import annotations

import html
import re

from reportgen.diff.compare import EditionDiff, Report
from reportgen.diff.wording import Line, Part, edition_lines, headline, summary, touched

# GitHub refuses a job summary over 1 MiB (and a comment over 65536 characters: pass a
# smaller limit for those); what is left out past the limit is said, never cut mid-line.
MARKDOWN_LIMIT = 1024 * 1024 - 4096
_SPECIAL = re.compile(r"([\\`*_\[\]~|#!])")
_WHOLE = "run `reportgen diff --format json` for the whole report"


def render_markdown(report: Report, *, limit: int = MARKDOWN_LIMIT) -> str:
    """The report, at most ``limit`` bytes of UTF-8."""
    head = [f"### reportgen diff: `{_code(report.old)}` → `{_code(report.new)}`", ""]
    head += [f"*{_escape(note)}*" for note in report.notes]
    head += [f"**{summary(report)}**", ""]
    listed = [edition for edition in report.editions if edition.status != "unchanged"]
    unchanged = [edition for edition in report.editions if edition.status == "unchanged"]
    rows = ["| edition | what changed | where | pages |", "|---|---|---|---|"]
    rows += [
        f"| `{_code(str(edition.key))}` | {_escape(headline(edition, pages_too=False))} "
        f"| {_escape(', '.join(touched(edition))) or '-'} | {_pages(edition)} |"
        for edition in listed
    ]
    if not listed:
        rows = ["Nothing changed."]
    tail = ""
    if unchanged:
        names = ", ".join(f"`{_code(str(edition.key))}`" for edition in unchanged)
        tail = f"\n<details><summary>{len(unchanged)} unchanged</summary>\n\n{names}\n</details>\n"
    text = _fit("\n".join(head), rows, limit // 2, "editions")
    budget = limit - _size(text) - _size(tail) - 200
    blocks: list[str] = []
    for index, edition in enumerate(listed):
        block = _details(edition, budget)
        if block is None:
            left = len(listed) - index
            blocks.append(f"\n*The details of {left} more editions are left out: {_WHOLE}.*\n")
            break
        blocks.append(block)
        budget -= _size(block)
    if _size(text + "".join(blocks) + tail) > limit:
        tail = ""
    return text + "".join(blocks) + tail


def _details(edition: EditionDiff, budget: int) -> str | None:
    """One edition's changes, folded; shortened to ``budget`` bytes, None if not even its
    first line fits."""
    opening = (
        f"\n<details><summary><code>{html.escape(str(edition.key))}</code>: "
        f"{html.escape(headline(edition))}</summary>\n\n"
    )
    closing = "\n</details>\n"
    lines = [_item(line) for line in edition_lines(edition)] or ["- nothing more to say"]
    cut_note = f"- *… and more: {_WHOLE}*"
    room = budget - _size(opening + closing + cut_note) - 1
    if room < _size(lines[0]):
        return None
    kept: list[str] = []
    for line in lines:
        if room - _size(line) - 1 < 0:
            kept.append(cut_note)
            break
        kept.append(line)
        room -= _size(line) + 1
    return opening + "\n".join(kept) + closing


def _fit(head: str, rows: list[str], limit: int, noun: str) -> str:
    kept = [head]
    used = _size(head)
    for index, row in enumerate(rows):
        if used + _size(row) + 1 > limit:
            kept.append(f"\n*{len(rows) - index} more {noun} are left out: {_WHOLE}.*")
            break
        kept.append(row)
        used += _size(row) + 1
    return "\n".join(kept) + "\n"


def _item(line: Line) -> str:
    return "  " * line.depth + "- " + "".join(_part(part) for part in line.parts)


def _part(part: Part) -> str:
    text = _escape(part.text)
    if not text.strip():
        return text
    if part.style == "removed":
        return f"<del>{text}</del>"
    if part.style == "added":
        return f"<ins>{text}</ins>"
    marks = {"name": "**", "gone": "**", "came": "**", "note": "*"}.get(part.style)
    if marks is None:
        return text
    # Emphasis must hug its words: spaces around the text go outside the marks.
    core = text.strip()
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
    return f"{lead}{marks}{core}{marks}{trail}"


def _pages(edition: EditionDiff) -> str:
    old, new = edition.old_pages, edition.new_pages
    if old is not None and new is not None:
        return str(new) if old == new else f"{old} → {new}"
    shown = new if new is not None else old
    return "-" if shown is None else str(shown)


def _escape(text: str) -> str:
    """Text that markdown and HTML show as it is: no markup, links or tables it could start."""
    text = " ".join(text.split()) if "\n" in text else text
    return _SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def _code(text: str) -> str:
    return text.replace("`", "'")


def _size(text: str) -> int:
    return len(text.encode("utf-8"))
