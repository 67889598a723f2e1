"""The semantic comparison: each kind of change in the hand-built pairs of tests/fixtures/diff,
found as what it is (a move as a move, an edit as an edit), per audience."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.build.variants import VariantKey
from reportgen.diff import Change, EditionDiff, diff
from reportgen.diff.compare import compare_editions, word_diff

PAIRS = Path(__file__).parent / "fixtures" / "diff"
BASE = PAIRS / "base.yaml"


def edition(name: str, audience: str = "public") -> EditionDiff:
    report = diff(BASE, PAIRS / f"{name}.yaml")
    (found,) = [each for each in report.editions if each.audience == audience]
    return found


def walk(changes: tuple[Change, ...]) -> list[Change]:
    found = []
    for change in changes:
        found.append(change)
        found += walk(change.children)
    return found


def test_nothing_changed_when_both_sides_are_the_same_data() -> None:
    report = diff(BASE, BASE)
    assert [each.status for each in report.editions] == ["unchanged", "unchanged"]
    assert not report.changed


def test_moves_are_moves_not_a_delete_and_an_add() -> None:
    changes = walk(edition("moved").changes)
    assert {(c.list, c.label) for c in changes if c.moved} == {
        ("sections", "budget"),
        ("initiatives", "gcm"),
        ("messages", "#3"),  # no id: matched by its text, wherever it went
    }
    assert not [c for c in changes if c.status in {"added", "removed"}]
    assert all(not c.fields for c in changes)
    (message,) = [c for c in changes if c.list == "messages"]
    assert (message.old_position, message.new_position) == (1, 3)
    assert message.title and message.title.startswith("The office has worked")


def test_a_new_id_in_the_same_place_is_a_removal_and_an_addition() -> None:
    changes = walk(edition("replaced").changes)
    statuses = {(c.status, c.label) for c in changes if c.list == "initiatives"}
    assert statuses == {("removed", "ungass-2016"), ("added", "summit-of-the-future")}
    (added,) = [c for c in changes if c.status == "added"]
    assert added.new_position == 2 and added.value["name"] == "Summit of the Future"


def test_sections_and_sources_added_and_removed() -> None:
    delegation = {
        (c.list, c.status, c.label) for c in edition("added-removed", "delegation").changes
    }
    assert delegation == {
        ("sections", "removed", "talking-points"),
        ("sections", "added", "timeline"),
        ("sources", "added", "un-a-res-73-195"),
    }
    # The talking points are internal: the public edition never had them to lose.
    public = {(c.list, c.status, c.label) for c in edition("added-removed", "public").changes}
    assert public == delegation - {("sections", "removed", "talking-points")}


def test_edited_fields_with_old_and_new_values_and_words_marked() -> None:
    changes = {c.label: c for c in walk(edition("edited").changes)}
    summits = changes["summits"]
    (title,) = summits.fields
    assert (title.path, title.old, title.new) == (
        "title",
        "UN summits",
        "UN summits and conferences",
    )
    assert [(w.op, w.text) for w in title.words if w.op != "same"] == [
        ("added", " and conferences")
    ]
    (date,) = changes["gcm"].fields
    assert (date.path, date.old, date.new) == (
        "date",
        {"year": 2018, "month": 12},
        {"year": 2018, "month": 11},
    )
    (text,) = changes["#2"].fields
    assert [(w.op, w.text) for w in text.words if w.op != "same"] == [
        ("removed", "promotes"),
        ("added", "champions specific"),
    ]


def test_derived_figures_change_with_their_rule_and_say_so() -> None:
    budget = {c.label: c for c in walk(edition("edited").changes)}["budget"]
    typed = {f.path: (f.old, f.new) for f in budget.fields if not f.derived}
    derived = {f.path: (f.old, f.new) for f in budget.fields if f.derived}
    assert typed == {"increment_percent_of_base": ("33", "35")}
    assert derived == {"final_percent_of_base": ("199", "205"), "shortfall_points": ("1", "0")}
    years = {c.label: {f.path: (f.old, f.new) for f in c.fields} for c in budget.children}
    assert years["2019"]["percent_of_base"] == ("166", "170")
    assert all(c.derived and c.list == "schedule" for c in budget.children)


def test_an_internal_edit_shows_in_the_delegation_edition_only() -> None:
    report = diff(BASE, PAIRS / "internal.yaml")
    statuses = {each.audience: each.status for each in report.editions}
    assert statuses == {"delegation": "changed", "public": "unchanged"}
    (change,) = walk(edition("internal", "delegation").changes)[1:]
    assert change.list == "points" and change.label == "#2"


def test_a_reworded_item_without_id_is_one_edit_and_a_new_one_is_an_addition() -> None:
    old = {"id": "b", "sections": [{"id": "s", "points": [{"text": "One two three four five."}]}]}
    new = {
        "id": "b",
        "sections": [
            {
                "id": "s",
                "points": [
                    {"text": "Entirely unrelated words here."},
                    {"text": "One two three four six."},
                ],
            }
        ],
    }
    result = compare_editions(VariantKey("b", "public", "en"), old, new)
    (section,) = result.changes
    kinds = sorted((c.status, c.label) for c in section.children)
    assert kinds == [("added", "#1"), ("changed", "#2")]
    changed = next(c for c in section.children if c.status == "changed")
    assert not changed.moved  # it kept its place among the entries kept


def test_lists_of_plain_values_report_each_value() -> None:
    old = {"id": "b", "sections": [], "keywords": ["Mexico", "OAS"]}
    new = {"id": "b", "sections": [], "keywords": ["OAS", "Mexico", "UN"]}
    result = compare_editions(VariantKey("b", "public", "en"), old, new)
    # Two values swapped places: one of them moved (either reading is right), none was lost.
    moved = [c for c in result.changes if c.moved]
    assert len(moved) == 1 and moved[0].status == "changed"
    assert moved[0].label in {"“Mexico”", "“OAS”"}
    assert [(c.status, c.label) for c in result.changes if not c.moved] == [("added", "“UN”")]


def test_page_counts_alone_make_a_change() -> None:
    data = {"id": "b", "sections": []}
    result = compare_editions(VariantKey("b", "public", "en"), data, data, old_pages=6, new_pages=7)
    assert result.status == "changed" and result.pages_changed and result.count() == 0


def test_word_diff_gives_back_both_texts() -> None:
    old, new = (
        "the UN High Commissioner's office in Mexico",
        "the office of the UN High Commissioner",
    )
    words = word_diff(old, new)
    assert "".join(w.text for w in words if w.op != "added") == old
    assert "".join(w.text for w in words if w.op != "removed") == new


def test_a_lone_kept_word_between_two_changes_joins_them() -> None:
    words = word_diff("works with all three branches", "works with the three branches too")
    assert [(w.op, w.text) for w in words] == [
        ("same", "works with "),
        ("removed", "all"),
        ("added", "the"),
        ("same", " three branches"),
        ("added", " too"),
    ]
    joined = word_diff("a b c d", "a x c y")
    assert [(w.op, w.text) for w in joined] == [
        ("same", "a "),
        ("removed", "b c d"),
        ("added", "x c y"),
    ]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "b", "c", "the", "Court", ","]), max_size=12),
    st.lists(st.sampled_from(["a", "b", "c", "the", "Court", ","]), max_size=12),
)
def test_word_diff_always_gives_back_both_texts(old: list[str], new: list[str]) -> None:
    before, after = " ".join(old), " ".join(new)
    words = word_diff(before, after)
    assert "".join(w.text for w in words if w.op != "added") == before
    assert "".join(w.text for w in words if w.op != "removed") == after
    assert all(w.text for w in words)
