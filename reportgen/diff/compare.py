"""The semantic model of what changed between two editions, and the comparison that finds it.

Editions are compared as plain JSON-like data (the briefing as its audience sees it), walked
with what the data format means: lists of things with an ``id`` are matched by id, the budget
schedule by year, other items by equal content first and then by similar text, so that an item
that moved is reported as moved and an item reworded as changed, never as a delete and an add.
"""

from __future__ import annotations

import bisect
import difflib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from reportgen.build.variants import VariantKey

Json = Any  # a JSON value: None, bool, int, float, str, list, dict
Status = Literal["added", "removed", "changed"]
EditionStatus = Literal["added", "removed", "changed", "unchanged"]
WordOp = Literal["same", "removed", "added"]

# Figures the data format computes from a rule (`BudgetResolutionSection`), never typed in.
DERIVED_FIELDS = frozenset({"schedule", "final_percent_of_base", "shortfall_points"})
# Where a translated edition's changed translations are reported, as fields below it.
CATALOG_FIELD = "catalog"
# Lists of things known by another field than ``id``: each year of a schedule by its year.
KEYED_BY = {"schedule": "year"}
# Below this similarity two unmatched items are a removal and an addition, not one edit.
SIMILAR = 0.5
_WORDS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class Word:
    """A run of text in a changed text field: kept, removed or added."""

    op: WordOp
    text: str


@dataclass(frozen=True)
class FieldChange:
    """One value that changed: ``old`` or ``new`` is None when the field was absent.

    ``derived`` marks figures computed from others (they changed because their inputs did);
    ``words`` marks, for text, which words were removed and added.
    """

    path: str
    old: Json
    new: Json
    derived: bool = False
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Change:
    """A section, item, source or list entry added, removed, or kept but moved or edited.

    ``list`` is the field that holds it (``sections``, ``initiatives``, ``points``, ...);
    positions count from 1. ``value`` is the whole entry when it was added or removed.
    """

    list: str
    label: str
    status: Status
    title: str | None = None
    old_position: int | None = None
    new_position: int | None = None
    moved: bool = False
    derived: bool = False
    fields: tuple[FieldChange, ...] = ()
    children: tuple[Change, ...] = ()
    value: Json = None

    def count(self) -> int:
        """How many changes this is, counting each field and nested change once."""
        own = 1 if self.status != "changed" or self.moved else 0
        return own + len(self.fields) + sum(child.count() for child in self.children)


@dataclass(frozen=True)
class EditionDiff:
    """What changed in one edition (a briefing as one audience sees it)."""

    briefing: str
    audience: str
    language: str
    status: EditionStatus
    old_pages: int | None = None
    new_pages: int | None = None
    fields: tuple[FieldChange, ...] = ()
    changes: tuple[Change, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def key(self) -> VariantKey:
        return VariantKey(self.briefing, self.audience, self.language)

    @property
    def pages_changed(self) -> bool:
        return None not in (self.old_pages, self.new_pages) and self.old_pages != self.new_pages

    def count(self) -> int:
        return len(self.fields) + sum(change.count() for change in self.changes)


@dataclass(frozen=True)
class Report:
    """Every edition of two builds, matched by variant, and what changed in each."""

    old: str
    new: str
    editions: tuple[EditionDiff, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def changed(self) -> bool:
        return any(edition.status != "unchanged" for edition in self.editions)

    def tally(self) -> dict[EditionStatus, int]:
        counts: dict[EditionStatus, int] = {
            "changed": 0,
            "added": 0,
            "removed": 0,
            "unchanged": 0,
        }
        for edition in self.editions:
            counts[edition.status] += 1
        return counts


def compare_editions(
    key: VariantKey,
    old: Mapping[str, Json],
    new: Mapping[str, Json],
    *,
    old_pages: int | None = None,
    new_pages: int | None = None,
    notes: Sequence[str] = (),
    old_catalog: Mapping[str, str] | None = None,
    new_catalog: Mapping[str, str] | None = None,
) -> EditionDiff:
    """What changed from ``old`` to ``new``, two dumps of one edition's briefing data, and
    in a translated edition, between the translations of its two catalogs (by context)."""
    fields, changes = _compare_mappings(old, new, "", derived=False)
    if old_catalog is not None and new_catalog is not None:
        fields += compare_catalogs(old_catalog, new_catalog)
    pages_differ = None not in (old_pages, new_pages) and old_pages != new_pages
    changed = bool(fields or changes or pages_differ)
    return EditionDiff(
        key.briefing,
        key.audience,
        key.language,
        "changed" if changed else "unchanged",
        old_pages,
        new_pages,
        tuple(fields),
        tuple(changes),
        tuple(notes),
    )


def compare_catalogs(old: Mapping[str, str], new: Mapping[str, str]) -> list[FieldChange]:
    """Each translation that changed, came or went, as a field ``catalog.<context>`` (the
    context names the field translated: ``catalog.sections.overview.title``). A translation
    that came is one a build had shown in the briefing's own language, or a new field's."""
    changed = []
    for context in [*old, *(name for name in new if name not in old)]:
        before, after = old.get(context), new.get(context)
        if before == after:
            continue
        words: tuple[Word, ...] = ()
        if before is not None and after is not None and " " in before + after:
            words = word_diff(before, after)
        changed.append(FieldChange(f"{CATALOG_FIELD}.{context}", before, after, False, words))
    return changed


def word_diff(old: str, new: str) -> tuple[Word, ...]:
    """``old`` turned into ``new`` word by word (spaces kept), as runs of kept, removed and
    added text. A lone kept word between two changes joins them, as a reader would mark it."""
    before, after = _WORDS.findall(old), _WORDS.findall(new)
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    runs: list[tuple[str, str, str]] = []  # (op, old text, new text)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        runs.append((tag, "".join(before[i1:i2]), "".join(after[j1:j2])))
    merged: list[tuple[str, str, str]] = []
    for index, (kind, removed, added) in enumerate(runs):
        op, old_text, new_text = kind, removed, added
        between = 0 < index < len(runs) - 1 and runs[index + 1][0] != "equal"
        if op == "equal" and between and merged and len(old_text.split()) <= 1:
            op = "replace"
        if op != "equal" and merged and merged[-1][0] != "equal":
            _, old_before, new_before = merged.pop()
            old_text, new_text = old_before + old_text, new_before + new_text
        merged.append((op, old_text, new_text))
    words: list[Word] = []
    for kept, old_text, new_text in merged:
        if kept == "equal":
            words.append(Word("same", old_text))
            continue
        if old_text:
            words.append(Word("removed", old_text))
        if new_text:
            words.append(Word("added", new_text))
    return tuple(words)


def label_of(value: Json, list_name: str = "", position: int = 0) -> str:
    """A short name for an entry of a list: its id or year, else its position (``#2``), and
    for a plain value the value itself, quoted."""
    if isinstance(value, Mapping):
        keyed = KEYED_BY.get(list_name, "id")
        if keyed in value:
            return str(value[keyed])
        return f"#{position}"
    return f"“{excerpt(format_value(value))}”"


def title_of(value: Json) -> str | None:
    """What a reader knows an entry by besides its label: its title, name or text."""
    if isinstance(value, Mapping):
        for name in ("title", "name", "short_name", "label", "body", "text"):
            if isinstance(value.get(name), str):
                return str(value[name])
        date = value.get("date")
        if isinstance(date, Mapping):
            return format_value(date)
    return None


def excerpt(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def format_value(value: Json) -> str:
    """A value as a reader writes it: text as is, a partial date as ``2017-06``, lists joined."""
    if value is None or isinstance(value, bool):
        return {None: "(none)", True: "yes", False: "no"}[value]
    if isinstance(value, list):
        return ", ".join(format_value(item) for item in value)
    if isinstance(value, Mapping):
        if _is_date(value) and "year" in value:
            month = value.get("month")
            return f"{value['year']}-{month:02d}" if isinstance(month, int) else str(value["year"])
        return "; ".join(f"{name}: {format_value(item)}" for name, item in value.items())
    return str(value)


# -- the walk ------------------------------------------------------------------------------


def _compare_mappings(
    old: Mapping[str, Json], new: Mapping[str, Json], prefix: str, *, derived: bool
) -> tuple[list[FieldChange], list[Change]]:
    fields: list[FieldChange] = []
    changes: list[Change] = []
    names = list(old) + [name for name in new if name not in old]
    for name in names:
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        path = f"{prefix}{name}"
        is_derived = derived or name in DERIVED_FIELDS
        if isinstance(before, list) and isinstance(after, list):
            changes += _compare_lists(before, after, path, derived=is_derived)
        elif (
            isinstance(before, Mapping)
            and isinstance(after, Mapping)
            and not _is_date(before)
            and not _is_date(after)
        ):
            more_fields, more_changes = _compare_mappings(
                before, after, f"{path}.", derived=is_derived
            )
            fields += more_fields
            changes += more_changes
        else:
            words: tuple[Word, ...] = ()
            if isinstance(before, str) and isinstance(after, str) and " " in before + after:
                words = word_diff(before, after)
            fields.append(FieldChange(path, before, after, is_derived, words))
    return fields, changes


def _compare_lists(
    old: Sequence[Json], new: Sequence[Json], name: str, *, derived: bool
) -> list[Change]:
    pairs = _match(old, new, name.rsplit(".", 1)[-1])
    matched_old = {i for i, _ in pairs}
    matched_new = {j for _, j in pairs}
    staying = _in_place(pairs)
    changes: list[Change] = []
    for i, j in sorted(pairs, key=lambda pair: pair[1]):
        before, after = old[i], new[j]
        moved = (i, j) not in staying
        fields: list[FieldChange] = []
        children: list[Change] = []
        if before != after:
            if isinstance(before, Mapping) and isinstance(after, Mapping):
                fields, children = _compare_mappings(before, after, "", derived=derived)
            else:
                words: tuple[Word, ...] = ()
                if isinstance(before, str) and isinstance(after, str):
                    words = word_diff(before, after)
                fields = [FieldChange("value", before, after, derived, words)]
        if moved or fields or children:
            changes.append(
                Change(
                    name,
                    label_of(after, name, j + 1),
                    "changed",
                    title=title_of(after),
                    old_position=i + 1,
                    new_position=j + 1,
                    moved=moved,
                    derived=derived,
                    fields=tuple(fields),
                    children=tuple(children),
                )
            )
    # What only one side has: removed from the old, added in the new.
    removed: Status = "removed"
    added: Status = "added"
    for values, matched, status in ((old, matched_old, removed), (new, matched_new, added)):
        for index, value in enumerate(values):
            if index not in matched:
                changes.append(
                    Change(
                        name,
                        label_of(value, name, index + 1),
                        status,
                        title=title_of(value),
                        old_position=index + 1 if status == "removed" else None,
                        new_position=index + 1 if status == "added" else None,
                        derived=derived,
                        value=value,
                    )
                )
    changes.sort(key=lambda change: change.new_position or change.old_position or 0)
    return changes


def _match(old: Sequence[Json], new: Sequence[Json], name: str) -> list[tuple[int, int]]:
    """Pairs (old index, new index) of the same entry: by id (or the list's key) where entries
    have one, else equal entries first, then the most similar of the rest."""
    keyed = KEYED_BY.get(name, "id")
    old_keys = [_key(value, keyed) for value in old]
    new_keys = [_key(value, keyed) for value in new]
    pairs: list[tuple[int, int]] = []
    by_key: dict[object, int] = {}
    for i, key in enumerate(old_keys):
        if key is not None:
            by_key.setdefault(key, i)
    used_old: set[int] = set()
    used_new: set[int] = set()
    for j, key in enumerate(new_keys):
        if key is not None and key in by_key and by_key[key] not in used_old:
            pairs.append((by_key[key], j))
            used_old.add(by_key[key])
            used_new.add(j)
    # Entries without a key: identical ones are the same entry, wherever it went.
    waiting: dict[str, list[int]] = {}
    for i, value in enumerate(old):
        if old_keys[i] is None:
            waiting.setdefault(_canonical(value), []).append(i)
    for j, value in enumerate(new):
        if new_keys[j] is None and (queue := waiting.get(_canonical(value))):
            i = queue.pop(0)
            pairs.append((i, j))
            used_old.add(i)
            used_new.add(j)
    rest_old = [i for i in range(len(old)) if i not in used_old and old_keys[i] is None]
    rest_new = [j for j in range(len(new)) if j not in used_new and new_keys[j] is None]
    pairs += _similar(old, new, rest_old, rest_new)
    return pairs


def _similar(
    old: Sequence[Json], new: Sequence[Json], rest_old: list[int], rest_new: list[int]
) -> list[tuple[int, int]]:
    """The rest paired by how alike their text is, most alike first; nearer positions break
    ties. Quadratic in what is left unmatched, so a large reshuffle is capped."""
    if not rest_old or not rest_new or len(rest_old) * len(rest_new) > 40_000:
        return []
    texts_old = {i: _text(old[i]) for i in rest_old}
    texts_new = {j: _text(new[j]) for j in rest_new}
    scored = []
    for i in rest_old:
        matcher = difflib.SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(texts_old[i])
        for j in rest_new:
            matcher.set_seq1(texts_new[j])
            if matcher.real_quick_ratio() < SIMILAR or matcher.quick_ratio() < SIMILAR:
                continue
            ratio = matcher.ratio()
            if ratio >= SIMILAR:
                scored.append((-ratio, abs(i - j), i, j))
    pairs = []
    used_old: set[int] = set()
    used_new: set[int] = set()
    for _, _, i, j in sorted(scored):
        if i not in used_old and j not in used_new:
            pairs.append((i, j))
            used_old.add(i)
            used_new.add(j)
    return pairs


def _in_place(pairs: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """The most pairs that keep their order (a longest increasing run of old positions, in
    new order): the others moved."""
    ordered = sorted(pairs, key=lambda pair: pair[1])
    tails: list[int] = []  # old index ending the best run of each length
    tail_at: list[int] = []  # its position in ``ordered``
    before: list[int] = [-1] * len(ordered)
    for at, (i, _) in enumerate(ordered):
        length = bisect.bisect_left(tails, i)
        if length == len(tails):
            tails.append(i)
            tail_at.append(at)
        else:
            tails[length] = i
            tail_at[length] = at
        before[at] = tail_at[length - 1] if length else -1
    kept: set[tuple[int, int]] = set()
    at = tail_at[-1] if tail_at else -1
    while at >= 0:
        kept.add(ordered[at])
        at = before[at]
    return kept


def _key(value: Json, keyed: str) -> object:
    if isinstance(value, Mapping):
        key = value.get(keyed)
        if isinstance(key, (str, int)) and not isinstance(key, bool):
            return key
    return None


def _is_date(value: Mapping[str, Json]) -> bool:
    return bool(value) and set(value) <= {"year", "month"}


def _canonical(value: Json) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _text(value: Json) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return " ".join(_text(item) for item in value.values() if isinstance(item, (str, dict)))
    return _canonical(value)
