"""Two sides matched edition by edition: by variant key, or a lone PDF with its own edition."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from reportgen.build.variants import VariantKey
from reportgen.diff.compare import DERIVED_FIELDS, EditionDiff, Report, compare_editions
from reportgen.diff.sources import Edition, EditionRef, Side, read_side
from reportgen.discovery import display_name
from reportgen.errors import DiffError


def diff(
    old: Path,
    new: Path,
    *,
    audiences: Sequence[str] = (),
    template_dirs: Sequence[Path] = (),
    strict: bool = False,
) -> Report:
    """What changed from ``old`` to ``new`` (each a reportgen PDF, an output folder, or briefing
    data), edition by edition, for the ``audiences`` named (every one when none is).

    Lays nothing out: PDFs are read for the data they carry, data is cut per audience.
    """
    old_side, new_side = (
        read_side(path, template_dirs=template_dirs, audiences=audiences, strict=strict)
        for path in (old, new)
    )
    return compare_sides(old_side, new_side, audiences)


def compare_sides(old: Side, new: Side, audiences: Sequence[str] = ()) -> Report:
    """Every edition of either side, matched by variant; editions on one side only are added
    or removed. Refuses two sides that share no briefing."""
    labels = display_name(old.path), display_name(new.path)
    notes = [*old.notes, *new.notes]
    if old.kind == "pdf" and new.kind == "pdf":
        return Report(*labels, (_lone_pair(old, new),))
    old_refs, new_refs = _chosen(old, new, audiences)
    old_briefings = {key.briefing for key in old_refs}
    new_briefings = {key.briefing for key in new_refs}
    if old_briefings and new_briefings and not old_briefings & new_briefings:
        raise DiffError(
            f"{labels[0]} and {labels[1]} hold different briefings "
            f"({', '.join(sorted(old_briefings))}; {', '.join(sorted(new_briefings))}): "
            "nothing to compare"
        )
    editions = []
    for key in sorted(old_refs.keys() | new_refs.keys()):
        before, after = old_refs.get(key), new_refs.get(key)
        if after is None and before is not None:
            editions.append(
                EditionDiff(
                    key.briefing, key.audience, key.language, "removed", old_pages=before.pages
                )
            )
        elif before is None and after is not None:
            editions.append(
                EditionDiff(
                    key.briefing, key.audience, key.language, "added", new_pages=after.pages
                )
            )
        elif before is not None and after is not None:
            editions.append(_pair(key, before, after))
    if not editions:
        notes.append("neither side holds an edition")
    return Report(*labels, tuple(editions), tuple(notes))


def _chosen(
    old: Side, new: Side, audiences: Sequence[str]
) -> tuple[dict[VariantKey, EditionRef], dict[VariantKey, EditionRef]]:
    """Each side's editions to compare: those of the named audiences, and where one side is a
    lone PDF, the other's edition of the same variant only."""
    old_refs, new_refs = dict(old.editions), dict(new.editions)
    for lone, other, other_refs in ((old, new, new_refs), (new, old, old_refs)):
        if lone.kind == "pdf":
            (key,) = lone.editions
            if key not in other_refs:
                raise DiffError(f"{display_name(other.path)} has no edition {key} to compare with")
            for each in list(other_refs):
                if each != key:
                    del other_refs[each]
    if not audiences:
        return old_refs, new_refs
    present = {key.audience for key in old_refs.keys() | new_refs.keys()}
    if unknown := [name for name in audiences if name not in present]:
        raise DiffError(
            f"neither side has an edition for audience {', '.join(map(repr, unknown))}; "
            f"their audiences are {', '.join(sorted(present)) or 'none'}"
        )
    chosen = set(audiences)
    return (
        {key: ref for key, ref in old_refs.items() if key.audience in chosen},
        {key: ref for key, ref in new_refs.items() if key.audience in chosen},
    )


def _lone_pair(old: Side, new: Side) -> EditionDiff:
    ((old_key, before),) = old.editions.items()
    ((new_key, after),) = new.editions.items()
    if old_key.briefing != new_key.briefing:
        raise DiffError(
            f"{before.origin} and {after.origin} are editions of different briefings "
            f"({old_key.briefing}; {new_key.briefing}): nothing to compare"
        )
    notes: tuple[str, ...] = ()
    if (old_key.audience, old_key.language) != (new_key.audience, new_key.language):
        notes = (
            f"compares the {_edition_name(old_key)} edition ({before.origin}) with the "
            f"{_edition_name(new_key)} edition ({after.origin})",
        )
    return _pair(new_key, before, after, notes)


def _edition_name(key: VariantKey) -> str:
    return f"{key.audience} ({key.language})"


def _pair(
    key: VariantKey, before: EditionRef, after: EditionRef, notes: tuple[str, ...] = ()
) -> EditionDiff:
    if before.digest is not None and before.digest == after.digest:
        # The same data: only the page count (a template or software change) can differ.
        changed = None not in (before.pages, after.pages) and before.pages != after.pages
        return EditionDiff(
            key.briefing,
            key.audience,
            key.language,
            "changed" if changed else "unchanged",
            before.pages,
            after.pages,
            notes=notes + before.notes + after.notes,
        )
    old, new = before.load(), after.load()
    old_data, new_data = _comparable(old, new)
    more = notes + old.notes + new.notes
    if (old.catalog is None) != (new.catalog is None) and not (old.notes + new.notes):
        # A translated edition on one side, the briefing's own language on the other (two
        # lone PDFs), or a stranger's PDF without its catalog.
        more += ("the translations are on one side only, so they were not compared",)
    return compare_editions(
        key,
        old_data,
        new_data,
        old_pages=old.pages,
        new_pages=new.pages,
        notes=more,
        old_catalog=old.catalog,
        new_catalog=new.catalog,
    )


def _comparable(old: Edition, new: Edition) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """Both editions' data with the same kinds of figures: if one side's data could not be
    validated, it has no derived figures, so the other's are left out too."""
    if old.derived and new.derived:
        return old.data, new.data
    return _underived(old.data), _underived(new.data)


def _underived(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            name: _underived(item) for name, item in value.items() if name not in DERIVED_FIELDS
        }
    if isinstance(value, list):
        return [_underived(item) for item in value]
    return value
