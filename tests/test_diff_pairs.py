"""Matching two sides edition by edition: by variant, a lone PDF with its own edition, the
audiences asked for, and the fast path for editions whose data did not change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reportgen.build.variants import VariantKey
from reportgen.diff import Edition, EditionRef, Side, compare_sides
from reportgen.errors import DiffError


def ref(briefing: str, audience: str, data: dict[str, Any], **known: Any) -> EditionRef:
    key = VariantKey(briefing, audience, "en")
    edition = Edition(key, data, pages=known.get("pages"))
    return EditionRef(
        key, f"{briefing}-{audience}.pdf", known.get("digest"), known.get("pages"), lambda: edition
    )


def side(kind: str, *refs: EditionRef, notes: tuple[str, ...] = ()) -> Side:
    return Side(Path(kind), kind, {each.key: each for each in refs}, notes)  # type: ignore[arg-type]


def never() -> Edition:
    raise AssertionError("an edition known to be unchanged was read")


DATA = {"id": "b", "sections": [{"id": "s", "title": "One"}]}
EDITED = {"id": "b", "sections": [{"id": "s", "title": "Two"}]}


def test_editions_on_one_side_are_added_or_removed() -> None:
    old = side("folder", ref("b", "public", DATA), ref("b", "executive", DATA, pages=2))
    new = side("folder", ref("b", "public", DATA), ref("b", "press", DATA, pages=3))
    report = compare_sides(old, new)
    assert [(str(e.key), e.status) for e in report.editions] == [
        ("b/executive/en", "removed"),
        ("b/press/en", "added"),
        ("b/public/en", "unchanged"),
    ]
    assert report.editions[0].old_pages == 2 and report.editions[1].new_pages == 3


def test_equal_digests_are_not_read_but_pages_still_count() -> None:
    same = EditionRef(VariantKey("b", "public", "en"), "x.pdf", "d1", 6, never)
    longer = EditionRef(VariantKey("b", "public", "en"), "y.pdf", "d1", 7, never)
    (edition,) = compare_sides(side("folder", same), side("folder", same)).editions
    assert edition.status == "unchanged"
    (edition,) = compare_sides(side("folder", same), side("folder", longer)).editions
    assert edition.status == "changed" and edition.pages_changed


def test_a_lone_pdf_is_compared_with_the_same_edition_only() -> None:
    lone = side("pdf", ref("b", "public", DATA))
    other = side("data", ref("b", "public", EDITED), ref("b", "delegation", EDITED))
    (edition,) = compare_sides(lone, other).editions
    assert str(edition.key) == "b/public/en" and edition.status == "changed"
    with pytest.raises(DiffError, match="has no edition b/executive"):
        compare_sides(side("pdf", ref("b", "executive", DATA)), other)


def test_two_pdfs_of_different_audiences_are_compared_and_say_so() -> None:
    (edition,) = compare_sides(
        side("pdf", ref("b", "public", DATA)), side("pdf", ref("b", "delegation", EDITED))
    ).editions
    assert edition.status == "changed"
    assert edition.notes == (
        "compares the public (en) edition (b-public.pdf) with the delegation (en) edition "
        "(b-delegation.pdf)",
    )


def test_only_the_audiences_asked_for() -> None:
    old = side("folder", ref("b", "public", DATA), ref("b", "executive", DATA))
    new = side("folder", ref("b", "public", EDITED), ref("b", "executive", EDITED))
    report = compare_sides(old, new, ["executive"])
    assert [str(e.key) for e in report.editions] == ["b/executive/en"]
    with pytest.raises(DiffError, match="neither side has an edition for audience 'press'"):
        compare_sides(old, new, ["press"])


def test_sides_with_no_briefing_in_common_are_refused() -> None:
    with pytest.raises(DiffError, match=r"hold different briefings \(b; c\)"):
        compare_sides(
            side("folder", ref("b", "public", DATA)), side("folder", ref("c", "public", DATA))
        )


def test_side_notes_reach_the_report() -> None:
    old = side("folder", ref("b", "public", DATA), notes=("old has no manifest.json",))
    report = compare_sides(old, side("folder", ref("b", "public", DATA)))
    assert report.notes == ("old has no manifest.json",)


def test_an_edition_of_older_data_leaves_derived_figures_out_on_both_sides() -> None:
    key = VariantKey("b", "public", "en")
    rule = {"id": "s", "increment_percent_of_base": "33", "schedule": [{"year": 2018}]}
    older = Edition(key, {"id": "b", "sections": [{**rule, "schedule": None}]}, derived=False)
    current = Edition(key, {"id": "b", "sections": [rule]})
    old = Side(Path("o"), "folder", {key: EditionRef(key, "o", None, None, lambda: older)})
    new = Side(Path("n"), "folder", {key: EditionRef(key, "n", None, None, lambda: current)})
    (edition,) = compare_sides(old, new).editions
    assert edition.status == "unchanged"


def test_two_pdfs_of_different_languages_say_so_and_which_lacks_translations() -> None:
    spanish_key = VariantKey("b", "public", "es")
    spanish = Edition(spanish_key, DATA, catalog={"sections.s.title": "Uno"})
    old = side("pdf", ref("b", "public", DATA))
    new = side("pdf", EditionRef(spanish_key, "b-public.es.pdf", None, None, lambda: spanish))
    (edition,) = compare_sides(old, new).editions
    assert str(edition.key) == "b/public/es" and edition.status == "unchanged"
    assert edition.notes == (
        "compares the public (en) edition (b-public.pdf) with the public (es) edition "
        "(b-public.es.pdf)",
        "the translations are on one side only, so they were not compared",
    )


def test_changed_translations_are_fields_of_the_edition() -> None:
    key = VariantKey("b", "public", "es")
    before = Edition(key, DATA, catalog={"title": "Uno", "sections.s.title": "Dos"})
    after = Edition(key, DATA, catalog={"title": "Uno", "sections.s.title": "Tres", "x": "Y"})
    old = side("folder", EditionRef(key, "o", None, None, lambda: before))
    new = side("folder", EditionRef(key, "n", None, None, lambda: after))
    (edition,) = compare_sides(old, new).editions
    assert edition.status == "changed" and edition.language == "es"
    assert [(f.path, f.old, f.new) for f in edition.fields] == [
        ("catalog.sections.s.title", "Dos", "Tres"),
        ("catalog.x", None, "Y"),
    ]
