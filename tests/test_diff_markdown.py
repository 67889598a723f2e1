"""The markdown report: short, details folded, marked-up words, and under its cap whatever the
size of the change."""

from __future__ import annotations

from pathlib import Path

from reportgen.build.variants import VariantKey
from reportgen.diff import Report, diff
from reportgen.diff.compare import compare_editions
from reportgen.diff.markdown import MARKDOWN_LIMIT, render_markdown

PAIRS = Path(__file__).parent / "fixtures" / "diff"


def test_short_table_and_folded_details() -> None:
    text = render_markdown(diff(PAIRS / "base.yaml", PAIRS / "internal.yaml"))
    table, _, details = text.partition("<details>")
    assert "| `diff-example/delegation/en` | changed: 1 change |" in table
    assert "diff-example/public/en" not in table  # unchanged: listed apart, folded
    assert "<summary>1 unchanged</summary>" in text and "`diff-example/public/en`" in text
    assert "<del>fund</del><ins>Regular Fund</ins>" in details
    assert details.count("</details>") == text.count("<details>")


def test_text_from_the_data_cannot_become_markup() -> None:
    old = {"id": "b", "sections": [{"id": "s", "title": "Plain"}]}
    new = {"id": "b", "sections": [{"id": "s", "title": "<script>x</script> *bold* [l](u) | a"}]}
    edition = compare_editions(VariantKey("b", "public", "en"), old, new)
    text = render_markdown(Report("old", "new", (edition,)))
    assert "<script>" not in text
    assert "&lt;script&gt;" in text and r"\*bold\*" in text and r"\[l\](u) \| a" in text


def test_a_huge_change_stays_under_the_cap_and_says_what_it_left_out() -> None:
    points = [{"text": f"Point number {n} says something rather long " * 8} for n in range(400)]
    old = {"id": "b", "sections": [{"id": "s", "points": points}]}
    new = {"id": "b", "sections": [{"id": "s", "points": points[::-1][:300]}]}
    editions = tuple(
        compare_editions(VariantKey(f"b{n:04d}", "public", "en"), old, new) for n in range(60)
    )
    report = Report("old", "new", editions)
    text = render_markdown(report)
    assert len(text.encode()) <= MARKDOWN_LIMIT < 1024 * 1024
    assert "left out" in text and "--format json" in text
    assert text.count("<details>") == text.count("</details>")
    small = render_markdown(report, limit=20_000)
    assert len(small.encode()) <= 20_000 and "left out" in small
