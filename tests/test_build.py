"""Real PDFs, as a reader sees them: text, pages, outline, metadata, footers; and safe builds."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import Destination

from reportgen.audiences import load_audiences
from reportgen.build import BuiltFile, build
from reportgen.build.variants import VariantKey
from reportgen.errors import DataError, PageLimitError, VariantsFailedError
from reportgen.models import (
    Briefing,
    BudgetResolutionSection,
    InitiativesSection,
    TalkingPointsSection,
)
from reportgen.resources import EXAMPLE_BRIEFING

WriteYaml = Callable[..., Path]
Normalise = Callable[[str], str]
SHIPPED_AUDIENCES = ("delegation", "executive", "public")

# Every fact of /work/shared/source/mexico-multilateral-human-rights.txt, as a phrase a reader
# must find in the full briefing. Most are verbatim from the source; where the data restates a
# fact in other words, the phrase is the fact's core (a figure, a name, a date).
SOURCE_FACTS = [
    "dialogue and collaboration with regional and international organizations",
    "promotion and protection of human rights",
    "In 2001, the United Nations High Commissioner for Human Rights established",
    "OHCHR-Mexico",
    "Executive, Legislative and Judicial branches",
    "joint working plans, local human rights programmes and legal harmonization initiatives",
    "Mexico promotes specific human rights topics in key UN summits and conferences",
    "2030 Agenda for Sustainable Development and the Sustainable Development Goals",
    "United Nations Special Session on the World Drug Problem",
    "UNGASS 2016",
    "New York Declaration",
    "High-Level Meeting to address large movements of refugees and migrants",
    "Global Compact for Safe, Orderly and Regular Migration (GCM)",
    "one of the States of the hemisphere that most collaborates with the Inter-American Human "
    "Rights System",
    "In the last three years Mexico has hosted both",
    "Inter-American Court of Human Rights",
    "second member State of the hemisphere to have sponsored three extraordinary sessions of "
    "the Inter-American Court",
    "main contributor of Latin America and the Caribbean to the Court and the Commission",
    "supported both bodies financially without interruption",
    "budget commitments with the OAS",
    "voluntary contributions to the Commission and the Court, the most recent in 2017",
    "47th General Assembly of the Organization of American States (Cancun, Mexico, June 2017)",
    "member States adopted by consensus the resolution presented and promoted by Mexico",
    "double the resources of the Regular Fund destined for the Inter-American human rights organs",
    "over a period of 3 years",
    "yearly increments of 33% of the budget approved in 2017, beginning in 2018",
    "An increase of 26% over the authorized 2017 budget of the Inter-American Commission of "
    "Women (CIM)",
    "An increase of 49% over the authorized 2017 budget of the Inter-American Children's "
    "Institute (IIN)",
    "in accordance with its strategic plan",
    "Additional funding for development programs",
]


def budget(briefing: Briefing) -> BudgetResolutionSection:
    (section,) = briefing.sections_of_kind("budget_resolution")
    assert isinstance(section, BudgetResolutionSection)
    return section


def talking_points(briefing: Briefing) -> TalkingPointsSection:
    (section,) = briefing.sections_of_kind("talking_points")
    assert isinstance(section, TalkingPointsSection)
    return section


def outline_titles(reader: PdfReader) -> list[str]:
    """Top-level bookmark titles, in order."""
    return [str(item.title) for item in reader.outline if isinstance(item, Destination)]


def outline_pages(reader: PdfReader) -> dict[str, int]:
    """Top-level bookmark title to the 1-based page it points at."""
    pages = {}
    for item in reader.outline:
        if isinstance(item, Destination):
            index = reader.get_destination_page_number(item)
            assert index is not None
            pages[str(item.title)] = index + 1
    return pages


def flat(text: str) -> str:
    return " ".join(text.split())


# ---- What a reader finds in the shipped PDFs -----------------------------------------------


def visible(folder: Path) -> list[Path]:
    """A folder's files but hidden ones (the output lock)."""
    return [path for path in folder.iterdir() if not path.name.startswith(".")]


def test_build_returns_what_it_wrote(built_pdfs: dict[str, BuiltFile]) -> None:
    assert sorted(built_pdfs) == sorted(SHIPPED_AUDIENCES)
    folder = built_pdfs["public"].path.parent
    assert sorted(path.name for path in visible(folder)) == sorted(
        [f"mexico-multilateral-human-rights-{name}.en.pdf" for name in SHIPPED_AUDIENCES]
        + ["manifest.json"]
    )
    for name, built in built_pdfs.items():
        assert built.audience == name
        assert built.size == built.path.stat().st_size
        assert built.pages == len(PdfReader(built.path).pages)


@pytest.mark.parametrize("fact", SOURCE_FACTS)
def test_every_source_fact_is_in_the_delegation_pdf(
    pdf_texts: dict[str, str], normalise: Normalise, fact: str
) -> None:
    assert normalise(fact) in pdf_texts["delegation"]


@pytest.mark.parametrize("fact", SOURCE_FACTS)
def test_every_source_fact_is_in_the_public_pdf(
    pdf_texts: dict[str, str], normalise: Normalise, fact: str
) -> None:
    # The source text is public: redaction must not cost the public edition any of it.
    assert normalise(fact) in pdf_texts["public"]


def test_executive_fits_on_two_pages(pdf_readers: dict[str, PdfReader]) -> None:
    assert len(pdf_readers["executive"].pages) <= 2


def test_executive_carries_the_headline_figures(pdf_texts: dict[str, str]) -> None:
    text = pdf_texts["executive"]
    for phrase in ["199%", "+26%", "+49%", "Figures at a glance", "2001"]:
        assert phrase in text


@pytest.mark.parametrize("name", ["public", "executive"])
def test_no_talking_points_outside_the_delegation(
    pdf_texts: dict[str, str], shipped_briefing: Briefing, normalise: Normalise, name: str
) -> None:
    text = pdf_texts[name]
    section = talking_points(shipped_briefing)
    assert flat(section.title) not in text
    for point in section.points:
        assert normalise(point.text) not in text


def test_delegation_has_the_talking_points(
    pdf_texts: dict[str, str], shipped_briefing: Briefing, normalise: Normalise
) -> None:
    section = talking_points(shipped_briefing)
    for point in section.points:
        assert normalise(point.text) in pdf_texts["delegation"]


def test_public_has_no_restricted_marking(page_texts: dict[str, list[str]]) -> None:
    for number, text in enumerate(page_texts["public"], start=1):
        assert "RESTRICTED" not in text.upper(), f"page {number}"


@pytest.mark.parametrize("name", SHIPPED_AUDIENCES)
def test_marking_on_every_page(page_texts: dict[str, list[str]], name: str) -> None:
    marking = load_audiences()[name].for_language("en").text("marking")
    for number, text in enumerate(page_texts[name], start=1):
        assert marking.upper() in text.upper(), f"page {number}"


@pytest.mark.parametrize("name", SHIPPED_AUDIENCES)
def test_page_x_of_y_footer(page_texts: dict[str, list[str]], name: str) -> None:
    pages = page_texts[name]
    has_cover = name != "executive"
    for number, text in enumerate(pages, start=1):
        if has_cover and number == 1:
            continue
        assert f"Page {number} of {len(pages)}" in text


@pytest.mark.parametrize("name", ["delegation", "public"])
def test_outline_lists_the_sections(
    pdf_readers: dict[str, PdfReader], shipped_briefing: Briefing, name: str
) -> None:
    audience = load_audiences()[name]
    expected = [
        section.title
        for section in shipped_briefing.sections
        if section.visibility in audience.visibility
    ]
    assert outline_titles(pdf_readers[name]) == [*expected, "Sources"]


def test_executive_outline(pdf_readers: dict[str, PdfReader], shipped_briefing: Briefing) -> None:
    assert outline_titles(pdf_readers["executive"]) == [
        shipped_briefing.section("key-messages").title,
        "Figures at a glance",
        budget(shipped_briefing).title,
    ]


@pytest.mark.parametrize("name", SHIPPED_AUDIENCES)
def test_outline_points_at_the_pages_with_the_headings(
    pdf_readers: dict[str, PdfReader], page_texts: dict[str, list[str]], name: str
) -> None:
    for title, page in outline_pages(pdf_readers[name]).items():
        assert flat(title) in page_texts[name][page - 1], title


@pytest.mark.parametrize("name", ["delegation", "public"])
def test_contents_page_numbers_are_filled_in(
    pdf_readers: dict[str, PdfReader], page_texts: dict[str, list[str]], name: str
) -> None:
    reader = pdf_readers[name]
    contents = next(text for text in page_texts[name] if text.startswith("Contents"))
    assert "??" not in contents
    targets = outline_pages(reader)
    assert targets
    for title, page in targets.items():
        match = re.search(re.escape(flat(title)) + r" (\d+)\b", contents)
        assert match, f"{title!r} missing from the contents"
        number = int(match.group(1))
        assert 1 < number <= len(reader.pages)
        assert number == page, title


@pytest.mark.parametrize("name", SHIPPED_AUDIENCES)
def test_metadata(pdf_readers: dict[str, PdfReader], shipped_briefing: Briefing, name: str) -> None:
    reader = pdf_readers[name]
    metadata = reader.metadata
    assert metadata is not None
    assert metadata.title == shipped_briefing.title
    assert metadata.author == shipped_briefing.author
    assert metadata.subject == shipped_briefing.subject
    assert metadata.get("/Keywords") == ", ".join(shipped_briefing.keywords)
    day = shipped_briefing.date.strftime("%Y%m%d")
    assert str(metadata.get("/CreationDate")).startswith(f"D:{day}")
    assert str(metadata.get("/ModDate")).startswith(f"D:{day}")
    assert str(reader.root_object["/Lang"]) == shipped_briefing.language == "en"


@pytest.mark.parametrize("name", ["delegation", "public"])
def test_footnotes_sit_on_the_page_that_cites_them(
    page_texts: dict[str, list[str]], shipped_briefing: Briefing, name: str
) -> None:
    (summits,) = shipped_briefing.sections_of_kind("initiatives")
    assert isinstance(summits, InitiativesSection)
    checked = 0
    for initiative in summits.initiatives:
        assert initiative.description
        for source_id in initiative.sources:
            reference = shipped_briefing.source(source_id).reference
            assert reference
            (page,) = [text for text in page_texts[name] if flat(initiative.description) in text]
            assert reference in page
            checked += 1
    assert checked >= 4
    assert any("A/RES/70/1" in text for text in page_texts[name])


@pytest.mark.parametrize("name", SHIPPED_AUDIENCES)
def test_budget_table_shows_the_schedule(
    pdf_texts: dict[str, str], shipped_briefing: Briefing, name: str
) -> None:
    text = pdf_texts[name]
    section = budget(shipped_briefing)
    for year in section.schedule:
        assert f"{year.year} +{year.increment_percent}% {year.percent_of_base}%" in text
    for percent in ["133%", "166%", "199%"]:
        assert percent in text
    assert "1 percentage point short of the 200% target" in text


def test_rebuilding_gives_identical_bytes(
    tmp_path: Path, shipped_data: Path, built_pdfs: dict[str, BuiltFile]
) -> None:
    again = build(shipped_data, SHIPPED_AUDIENCES, tmp_path, language="en")
    assert len(again) == len(built_pdfs)
    for built in again:
        first = built_pdfs[built.audience].path
        assert first.parent != built.path.parent
        assert built.path.read_bytes() == first.read_bytes(), built.audience


# ---- Failing builds leave earlier outputs alone --------------------------------------------


def existing_outputs(out: Path, names: tuple[str, ...]) -> dict[Path, bytes]:
    out.mkdir()
    outputs = {}
    for name in names:
        path = out / f"mexico-multilateral-human-rights-{name}.en.pdf"
        path.write_bytes(f"%PDF-previous {name}".encode())
        outputs[path] = path.read_bytes()
    return outputs


def test_invalid_data_leaves_earlier_outputs(
    tmp_path: Path, shipped_text: str, write_yaml: WriteYaml
) -> None:
    data = write_yaml(tmp_path, shipped_text.replace("years: 3", "years: three"))
    outputs = existing_outputs(tmp_path / "out", SHIPPED_AUDIENCES)

    with pytest.raises(DataError):
        build(data, SHIPPED_AUDIENCES, tmp_path / "out")

    assert {path: path.read_bytes() for path in outputs} == outputs
    assert sorted(visible(tmp_path / "out")) == sorted(outputs)


def test_page_limit_overrun_writes_nothing(
    tmp_path: Path, shipped_text: str, write_yaml: WriteYaml
) -> None:
    # Twenty more key messages push the executive brief past its two pages. The delegation
    # variant, laid out first, must not be written either: all variants or none.
    anchor = "    messages:\n"
    assert shipped_text.count(anchor) == 1
    extra = "".join(
        f"      - text: Additional key message number {n} for the overflow test, long enough "
        "to take two lines of the executive brief once it is laid out on the page.\n"
        for n in range(20)
    )
    data = write_yaml(tmp_path, shipped_text.replace(anchor, anchor + extra))
    outputs = existing_outputs(tmp_path / "out", ("delegation", "executive"))

    with pytest.raises(VariantsFailedError) as caught:
        build(data, ["delegation", "executive"], tmp_path / "out")

    executive = VariantKey("mexico-multilateral-human-rights", "executive", "en")
    assert list(caught.value.failures) == [executive]
    assert isinstance(caught.value.failures[executive], PageLimitError)
    assert "executive" in str(caught.value)
    assert {path: path.read_bytes() for path in outputs} == outputs
    assert sorted(visible(tmp_path / "out")) == sorted(outputs)


def test_builds_in_separate_processes_are_byte_identical(tmp_path: Path) -> None:
    # Separate processes with different hash seeds: set and dict orders differ between them, so
    # this catches what two builds in one process cannot (a set's order leaking into a digest).
    import os
    import subprocess
    import sys

    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"seed-{seed}"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "reportgen",
                "build",
                "--audience",
                "executive",
                "--out",
                str(out),
            ],
            check=True,
            capture_output=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        outputs.append(sorted((path.name, path.read_bytes()) for path in visible(out)))
    assert outputs[0] == outputs[1]


def test_the_build_process_never_imports_weasyprint(tmp_path: Path) -> None:
    # Layout happens in the worker processes only: the process that loads the data and writes
    # the outputs stays small, and a crash in layout code cannot take it down.
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from reportgen.build import build\n"
        f"build(Path({str(EXAMPLE_BRIEFING)!r}), ['executive'], Path('out'), language='en')\n"
        "assert 'weasyprint' not in sys.modules\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "manifest.json").is_file()
