"""The docs/customising.md walkthrough (steps 1-4, logo included) lays out as a reader expects."""

from __future__ import annotations

import re
from pathlib import Path

from pypdf import PdfReader

from reportgen.build import build
from reportgen.resources import EXAMPLE_BRIEFING
from reportgen.scaffold import init_template

# Step 4 of docs/customising.md, verbatim.
STEP_4_THEME = """\
theme:
  primary: "#0b5d3b"       # cover background, headings, rules, chart bars
  accent: "#b8860b"        # marking on inner pages, list markers, footnote numbers
  cover_accent: "#f2d479"  # kicker, title rule and labels on the cover
  logo: img/logo.svg
  logo_alt: Foreign Affairs Committee
  stylesheets: [style/parliament.css]
"""
# A hand-made logo: 240 x 80 px, wider than .cover-logo's 60 mm, so max-width applies.
LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="80" viewBox="0 0 240 80">'
    '<rect x="2" y="2" width="76" height="76" rx="10" fill="#f2d479"/></svg>'
)


def walkthrough_folder(root: Path, *, logo: bool) -> Path:
    """Steps 1 to 4 of the walkthrough, done as a new user does them, outside the checkout."""
    folder = root / "briefing-looks"
    init_template(folder, "parliament")
    profile = folder / "audiences" / "parliament.yaml"
    text = re.sub(
        r"^sections: .*$",
        "sections: [key-messages, inter-american-system, oas-budget-resolution, timeline]",
        profile.read_text(),
        flags=re.MULTILINE,
    )
    theme = (
        STEP_4_THEME
        if logo
        else "".join(line + "\n" for line in STEP_4_THEME.splitlines() if "logo" not in line)
    )
    profile.write_text(text[: text.index("theme:")] + theme)
    template = folder / "parliament.html.j2"
    template.write_text(
        template.read_text().replace(
            "Your own cover text goes here.",
            "Prepared for the Foreign Affairs Committee, hearing of 3 December",
        )
    )
    if logo:
        (folder / "img").mkdir()
        (folder / "img" / "logo.svg").write_text(LOGO)
    return folder


def heading_top_mm(reader: PdfReader, page_number: int, heading: str) -> float | None:
    """How far below the top edge of the page ``heading`` is drawn, in mm (None if absent)."""
    page = reader.pages[page_number - 1]
    height = float(page.mediabox.height)
    found: list[float] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        if text.strip() == heading:
            found.append((height - (tm[5] * cm[3] + cm[5])) * 25.4 / 72)

    page.extract_text(visitor_text=visit)
    return min(found) if found else None


def test_walkthrough_logo_changes_only_the_cover(tmp_path: Path) -> None:
    pdfs = {}
    for logo in (False, True):
        folder = walkthrough_folder(tmp_path / f"logo-{logo}", logo=logo)
        (built,) = build(EXAMPLE_BRIEFING, ["parliament"], tmp_path / f"out-{logo}", [folder])
        pdfs[logo] = PdfReader(built.path)
    without, with_logo = pdfs[False], pdfs[True]

    # Cover, then the contents page, then Key messages at the top of page 3's text area
    # (the page's top margin is 24 mm; the first h2 has no top margin).
    assert with_logo.pages[1].extract_text().lstrip().startswith("Contents")
    assert "Key messages" not in with_logo.pages[0].extract_text()
    top = heading_top_mm(with_logo, 3, "Key messages")
    assert top is not None and top < 35, f"Key messages starts {top} mm down page 3"

    # The logo lives on the fixed-height cover: every later page is as it was without it.
    assert len(with_logo.pages) == len(without.pages)
    assert [p.extract_text() for p in with_logo.pages[1:]] == [
        p.extract_text() for p in without.pages[1:]
    ]


def test_the_budget_table_is_never_split_from_its_caption(tmp_path: Path) -> None:
    # In the walkthrough the budget table falls at the foot of a page: it moves whole, with its
    # caption, rather than leaving the caption (or the caption and one row) behind.
    folder = walkthrough_folder(tmp_path, logo=True)
    (built,) = build(EXAMPLE_BRIEFING, ["parliament"], tmp_path / "out", [folder])
    pages = [page.extract_text() for page in PdfReader(built.path).pages]
    caption = "Budget of the Inter-American human rights organs by year"
    rows = ("2017 (base)", "2018 +33%", "2019 +33%", "2020 +33%")
    holding = [number for number, text in enumerate(pages, 1) if caption in " ".join(text.split())]
    assert len(holding) == 1, holding
    text = " ".join(pages[holding[0] - 1].split())
    assert all(row in text for row in rows), text
