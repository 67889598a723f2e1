"""The words of a change report, shared by its formats: lines of styled parts, which the
terminal report colours and the markdown report marks up."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from reportgen.diff.compare import (
    Change,
    EditionDiff,
    FieldChange,
    Json,
    Report,
    Word,
    excerpt,
    format_value,
)

Style = Literal["plain", "name", "removed", "added", "note", "gone", "came"]
# Unchanged words kept around each changed run of a text; longer runs are shortened to "…".
CONTEXT_WORDS = 6
ARROW = " → "

# What a list's entries are called in a report, where the field name is not plain English.
NOUNS = {
    "sections": "section",
    "sources": "source",
    "initiatives": "initiative",
    "messages": "message",
    "points": "point",
    "figures": "figure",
    "events": "event",
    "other_increases": "other increase",
    "other_provisions": "other provision",
    "partners": "partner",
    "activities": "activity",
    "keywords": "keyword",
    "audiences": "audience",
    "schedule": "schedule year",
}


@dataclass(frozen=True)
class Part:
    text: str
    style: Style = "plain"


@dataclass(frozen=True)
class Line:
    depth: int
    parts: tuple[Part, ...]

    @property
    def text(self) -> str:
        return "".join(part.text for part in self.parts)


def summary(report: Report) -> str:
    """``3 editions: 2 changed, 1 unchanged``."""
    tally = report.tally()
    total = len(report.editions)
    counts = [f"{count} {status}" for status, count in tally.items() if count]
    noun = "edition" if total == 1 else "editions"
    return f"{total} {noun}: {', '.join(counts)}" if counts else f"{total} {noun}"


def headline(edition: EditionDiff, *, pages_too: bool = True) -> str:
    """``changed: 3 changes, 8 → 9 pages`` and the like: the edition's status in a few words."""
    pages = _pages(edition) if pages_too else ""
    if edition.status == "changed":
        count = edition.count()
        what = f"{count} change{'s' if count != 1 else ''}" if count else "its data is the same"
        return f"changed: {what}{pages}"
    return f"{edition.status}{pages}"


def _pages(edition: EditionDiff) -> str:
    if edition.pages_changed:
        return f", {edition.old_pages}{ARROW}{edition.new_pages} pages"
    if edition.status == "added" and edition.new_pages is not None:
        return f" ({edition.new_pages} pages)"
    if edition.status == "removed" and edition.old_pages is not None:
        return f" ({edition.old_pages} pages)"
    return ""


def touched(edition: EditionDiff) -> list[str]:
    """Where the edition changed: the ids of its sections that did, then "sources" and the
    other lists of the briefing that did, then its own fields (each once: "catalog" for all of
    a translated edition's changed translations)."""
    places = [change.label for change in edition.changes if change.list == "sections"]
    places += [c.list for c in edition.changes if c.list != "sections"]
    places += [field.path.split(".")[0] for field in edition.fields]
    return list(dict.fromkeys(places))


def edition_lines(edition: EditionDiff) -> list[Line]:
    """What changed in the edition, one line per change, nested as the data is."""
    lines = [Line(0, (Part(note, "note"),)) for note in edition.notes]
    for field in edition.fields:
        lines += field_lines(field, 0)
    for change in edition.changes:
        lines += change_lines(change, 0)
    return lines


def field_lines(change: FieldChange, depth: int) -> list[Line]:
    name = Part(f"{change.path}: ", "name")
    derived = (Part(" (derived)", "note"),) if change.derived else ()
    if change.words:
        return [Line(depth, (name, *word_parts(change.words), *derived))]
    return [Line(depth, (name, *value_change(change.path, change.old, change.new), *derived))]


def value_change(path: str, old: Json, new: Json) -> tuple[Part, ...]:
    if old is None:
        return (Part("added "), Part(_value(path, new), "added"))
    if new is None:
        return (Part("removed "), Part(_value(path, old), "removed"))
    return (Part(_value(path, old), "removed"), Part(ARROW), Part(_value(path, new), "added"))


def change_lines(change: Change, depth: int) -> list[Line]:
    noun = NOUNS.get(change.list.rsplit(".", 1)[-1], change.list)
    title = f" “{excerpt(change.title, 80)}”" if change.title else ""
    label = Part(f"{noun} {change.label}", "name")
    if change.status == "added":
        where = f" (at {change.new_position})"
        return [
            Line(depth, (Part("added ", "came"), label, Part(title + where))),
            *_whole(change.value, depth + 1),
        ]
    if change.status == "removed":
        where = f" (was at {change.old_position})"
        return [
            Line(depth, (Part("removed ", "gone"), label, Part(title + where))),
            *_whole(change.value, depth + 1),
        ]
    moved = (
        [Part(f", moved from {change.old_position} to {change.new_position}", "note")]
        if change.moved
        else []
    )
    compact = (
        not change.children
        and change.fields
        and all(not field.words for field in change.fields)
        and len(change.fields) <= 3
    )
    if compact:
        parts: list[Part] = [label, Part(title + ": ")]
        for index, field in enumerate(change.fields):
            if index:
                parts.append(Part("; "))
            parts.append(Part(f"{field.path} ", "name"))
            parts += value_change(field.path, field.old, field.new)
        if change.derived:
            parts.append(Part(" (derived)", "note"))
        return [Line(depth, (*parts, *moved))]
    lines = [Line(depth, (label, Part(title), *moved))]
    for field in change.fields:
        lines += field_lines(field, depth + 1)
    for child in change.children:
        lines += change_lines(child, depth + 1)
    return lines


def word_parts(words: Sequence[Word]) -> tuple[Part, ...]:
    """Changed runs marked, unchanged runs kept short around them."""
    parts: list[Part] = []
    for index, word in enumerate(words):
        if word.op == "same":
            text = word.text
            tokens = text.split(" ")
            first, last = index == 0, index == len(words) - 1
            keep_start = 0 if first else CONTEXT_WORDS
            keep_end = 0 if last else CONTEXT_WORDS
            if len(tokens) > keep_start + keep_end + 1:
                head = " ".join(tokens[:keep_start])
                tail = " ".join(tokens[len(tokens) - keep_end :]) if keep_end else ""
                text = (head + " " if head else "") + "…" + (" " + tail if tail else "")
            parts.append(Part(text))
        else:
            parts.append(Part(word.text, word.op))
    return tuple(parts)


def _whole(value: Json, depth: int) -> Iterator[Line]:
    """The text of an entry added or removed, where its label does not already say it all."""
    if isinstance(value, dict):
        for name in ("text", "description", "purpose"):
            if isinstance(value.get(name), str) and len(value[name]) > 60:
                yield Line(depth, (Part(f"{name}: ", "name"), Part(value[name])))


def _value(path: str, value: Json) -> str:
    text = format_value(value)
    if "percent" in path.rsplit(".", 1)[-1] and _is_number(text):
        text += " %"
    return excerpt(text, 300)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
