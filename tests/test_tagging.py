"""The structure tree as a screen reader walks it, and the text as search and copy get it."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pypdfium2
import pytest

from reportgen.build import BuiltFile, tailored_briefings
from reportgen.models import Briefing
from reportgen.pdf.content import read_font
from reportgen.pdf.layout import render_pdf
from reportgen.resources import EXAMPLE_BRIEFING

SHIPPED = ("delegation", "executive", "public")
FULL = ("delegation", "public")  # the audiences whose template shows every section in full


def elements(node: pikepdf.Object) -> Iterator[tuple[pikepdf.Dictionary, pikepdf.Dictionary]]:
    """(element, parent) for every structure element listed below ``node``, in reading order."""
    assert isinstance(node, pikepdf.Dictionary)
    kids = node.get("/K")
    for kid in list(kids) if isinstance(kids, pikepdf.Array) else [kids]:
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            yield kid, node
            yield from elements(kid)


def kids(node: pikepdf.Dictionary) -> list[pikepdf.Object]:
    kid = node.get("/K")
    return [] if kid is None else list(kid) if isinstance(kid, pikepdf.Array) else [kid]


def is_annotation(kid: pikepdf.Object) -> bool:
    return isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR"


def marked_content(
    page: pikepdf.Page, *, actual: bool = False
) -> Iterator[tuple[int | None, bool, str]]:
    """(MCID, inside an artifact, text) for each text-showing operator of ``page``; with
    ``actual``, a sequence with ``/ActualText`` gives that text once instead of its glyphs'."""
    fonts = {str(name): read_font(font) for name, font in page.Resources.Font.items()}  # type: ignore[arg-type]
    # (MCID, artifact, actual text not yet given, inside an actual text)
    stack: list[tuple[int | None, bool, str | None, bool]] = []
    font = None
    for instruction in pikepdf.parse_content_stream(page):
        operator, operands = str(instruction.operator), instruction.operands
        if operator in {"BDC", "BMC"}:
            properties = operands[1] if operator == "BDC" else None
            if not isinstance(properties, pikepdf.Dictionary):
                properties = pikepdf.Dictionary()
            own = properties.get("/MCID")
            given = str(properties.ActualText) if actual and "/ActualText" in properties else None
            artifact = operands[0] == "/Artifact" or any(entry[1] for entry in stack)
            outer = next((entry[0] for entry in reversed(stack) if entry[0] is not None), None)
            replaced = given is not None or any(entry[3] for entry in stack)
            stack.append((int(own) if own is not None else outer, artifact, given, replaced))
        elif operator == "EMC":
            stack.pop()
        elif operator == "Tf":
            font = fonts[str(operands[0])]
        elif operator in {"Tj", "TJ"} and font is not None:
            parts = operands[0] if operator == "TJ" else [operands[0]]
            text = "".join(font.text(bytes(p)) for p in parts if isinstance(p, pikepdf.String))
            mcid, artifact, given, replaced = stack[-1] if stack else (None, False, None, False)
            if replaced:
                text = given or ""
                if stack and given is not None:
                    stack[-1] = (mcid, artifact, None, replaced)
            yield mcid, artifact, text


def tree_text(pdf: pikepdf.Pdf) -> str:
    """The text of the structure tree, in its order, as a screen reader assembles it: each
    marked sequence's text (its /ActualText where it has one), with nothing put between."""
    shown: list[dict[int, str]] = []
    for page in pdf.pages:
        texts: dict[int, str] = {}
        for mcid, artifact, text in marked_content(page, actual=True):
            if mcid is not None and not artifact:
                texts[mcid] = texts.get(mcid, "") + text
        shown.append(texts)
    page_of = {page.obj.objgen: index for index, page in enumerate(pdf.pages)}
    parts: list[str] = []
    for node, _ in elements(pdf.Root.StructTreeRoot):
        for kid in kids(node):
            if isinstance(kid, int):
                parts.append(shown[page_of[node.Pg.objgen]].get(kid, ""))
    return "".join(parts)


@pytest.fixture(scope="module")
def pdfs(built_pdfs: dict[str, BuiltFile]) -> Iterator[dict[str, pikepdf.Pdf]]:
    opened = {name: pikepdf.open(built.path) for name, built in built_pdfs.items()}
    yield opened
    for pdf in opened.values():
        pdf.close()


@pytest.mark.parametrize("name", SHIPPED)
def test_header_cells_say_what_they_head(pdfs: dict[str, pikepdf.Pdf], name: str) -> None:
    """The budget table: the header row's cells head columns; each year heads its row."""
    pdf = pdfs[name]
    for table, _ in elements(pdf.Root.StructTreeRoot):
        if table.S != "/Table":
            continue
        rows = [row for row, _ in elements(table) if row.S == "/TR"]
        header, body = rows[0], rows[1:]
        assert [cell.A.Scope for cell in kids(header)] == ["/Column"] * len(kids(header))
        for row in body:
            cells = [cell for cell in kids(row) if isinstance(cell, pikepdf.Dictionary)]
            assert cells[0].S == "/TH"
            assert cells[0].A.Scope == "/Row"
            assert all("/Scope" not in c.A for c in cells if c.S == "/TD")
            # The data cells name their row's header and their column's.
            assert all(cells[0].ID in list(c.A.Headers) for c in cells if c.S == "/TD")


@pytest.mark.parametrize("name", SHIPPED)
def test_links_are_one_element_each_described_in_words(
    pdfs: dict[str, pikepdf.Pdf], name: str
) -> None:
    pdf = pdfs[name]
    page_of = {page.obj.objgen: number for number, page in enumerate(pdf.pages, start=1)}
    outline = {}
    with pdf.open_outline() as tree:
        for item in tree.root:
            target: pikepdf.Object = item.destination  # type: ignore[assignment]
            if isinstance(target, pikepdf.String):
                target = pikepdf.NameTree(pdf.Root.Names.Dests)[str(target)]
            outline[str(item.title)] = page_of[target[0].objgen]
    described = []
    for link, parent in elements(pdf.Root.StructTreeRoot):
        if link.S != "/Link":
            continue
        assert parent.S != "/Link"
        inside = [node for node, _ in elements(link)]
        assert all(node.S != "/Link" for node in inside)
        # Each annotation sits directly in its Link (PDF/UA 7.18.5), none deeper.
        assert not [kid for node in inside for kid in kids(node) if is_annotation(kid)]
        annotations = [kid.Obj for kid in kids(link) if is_annotation(kid)]
        assert annotations
        for annotation in annotations:
            assert not str(annotation.Contents).startswith("s-")
            described.append(str(annotation.Contents))
    # Each entry of the contents reads "<bookmark title>, page <the page it leads to>".
    if name != "executive":
        for title, page in outline.items():
            assert f"{title}, page {page}" in described, (title, described)


def test_the_contents_page_has_no_text_leaders(built_pdfs: dict[str, BuiltFile]) -> None:
    """Dot leaders are drawn, not typed: WCAG 2.2 (1.3.1) fails runs of repeated characters."""
    pdf = pdfium_text(built_pdfs["delegation"].path)
    assert "Contents" in pdf[1]
    assert not re.search(r"(\.\s*){4}", pdf[1])


@pytest.mark.parametrize("name", FULL)
def test_footnotes_are_notes_their_calls_references(
    pdfs: dict[str, pikepdf.Pdf], name: str
) -> None:
    pdf = pdfs[name]
    listed = list(elements(pdf.Root.StructTreeRoot))
    notes = [node for node, _ in listed if node.S == "/Note"]
    references = [node for node, parent in listed if node.S == "/Reference"]
    assert notes
    ids = [str(note.ID) for note in notes]
    assert len(set(ids)) == len(ids)
    assert ids == [f"note-{number}" for number in range(1, len(notes) + 1)]
    for note in notes:
        assert kids(note)[0].S == "/Lbl"
    # One call per note, and no call inside a note or a list's own numbering.
    assert len(references) == len(notes)
    parents = {node.objgen: parent for node, parent in listed}
    for reference in references:
        assert parents[reference.objgen].S in {"/H2", "/H3", "/P", "/LBody", "/TD", "/Span"}


@pytest.mark.parametrize("name", FULL)
def test_each_call_links_to_its_note(pdfs: dict[str, pikepdf.Pdf], name: str) -> None:
    pdf = pdfs[name]
    page_of = {page.obj.objgen: number for number, page in enumerate(pdf.pages)}
    listed = list(elements(pdf.Root.StructTreeRoot))
    notes = {str(node.ID): node for node, _ in listed if node.S == "/Note"}
    for reference, _ in listed:
        if reference.S != "/Reference":
            continue
        (link,) = kids(reference)
        assert isinstance(link, pikepdf.Dictionary)
        assert link.S == "/Link"
        (annotation,) = [kid.Obj for kid in kids(link) if is_annotation(kid)]
        number = str(annotation.Contents).split(".")[0]
        note = notes[f"note-{number}"]
        # It leads to the note's page, and says what the note says.
        assert page_of[annotation.Dest[0].objgen] == page_of[note.Pg.objgen]
        assert str(annotation.Contents).startswith(f"{number}. ")
        # The annotation is on the page the call is on, and listed in the parent tree.
        assert annotation.objgen in {a.objgen for a in pdf.pages[page_of[link.Pg.objgen]].Annots}
        parent_tree = pikepdf.NumberTree(pdf.Root.StructTreeRoot.ParentTree)
        assert parent_tree[int(annotation.StructParent)].objgen == link.objgen


@pytest.mark.parametrize("name", SHIPPED)
def test_running_heads_and_page_numbers_are_artifacts(
    pdfs: dict[str, pikepdf.Pdf], name: str
) -> None:
    """Every marked sequence belongs to a listed element; the margins' text is an artifact."""
    pdf = pdfs[name]
    listed = {node.objgen for node, _ in elements(pdf.Root.StructTreeRoot)}
    parent_tree = pikepdf.NumberTree(pdf.Root.StructTreeRoot.ParentTree)
    pages = len(pdf.pages)
    for number, page in enumerate(pdf.pages, start=1):
        owners = parent_tree[int(page.StructParents)]
        shown = list(marked_content(page))
        for mcid, artifact, text in shown:
            if not artifact:
                assert mcid is not None, text
                assert owners[mcid].objgen in listed, text
        artifacts = "".join(text for _, artifact, text in shown if artifact)
        if number > 1:  # the cover has no running heads
            assert f"Page {number} of {pages}" in artifacts
            assert f"Page {number} of {pages}" not in "".join(t for _, a, t in shown if not a)


def pdfium_text(path: Path) -> list[str]:
    document = pypdfium2.PdfDocument(str(path))
    try:
        return [document[index].get_textpage().get_text_range() for index in range(len(document))]
    finally:
        document.close()


def poppler_text(path: Path) -> str:
    assert shutil.which("pdftotext"), "poppler-utils is installed by scripts/install-system-deps"
    return subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def words(text: str) -> str:
    return " ".join(text.split())


def shown_texts(briefing: Briefing, full: bool) -> Iterator[str]:
    """The data's text values the audience's template prints whole."""
    yield briefing.title
    for section in briefing.sections:
        if full or section.kind == "key_messages":
            yield section.title
            if section.summary:
                yield section.summary
        dumped = section.model_dump()
        for field in ("messages", "points", "events", "initiatives", "other_provisions"):
            if not full and (section.kind != "key_messages" or field != "messages"):
                continue
            for item in dumped.get(field, ()):
                for key in ("text", "name", "description"):
                    if item.get(key):
                        yield item[key]
        if full and section.kind == "budget_resolution":
            yield dumped["purpose"]
    if full:
        for source in briefing.sources:
            yield source.title


@pytest.mark.parametrize("name", SHIPPED)
def test_every_text_extracts_as_written(built_pdfs: dict[str, BuiltFile], name: str) -> None:
    """What the data says is found in the text PDFium and Poppler give, line wraps and
    hyphenation included (no "re- sources", no "InterAmerican")."""
    (briefing,) = [b for a, b in tailored_briefings(EXAMPLE_BRIEFING, [name])]
    path = built_pdfs[name].path
    pdfium, poppler = words(" ".join(pdfium_text(path))), words(poppler_text(path))
    texts = list(shown_texts(briefing, full=name in FULL))
    assert len(texts) > 5
    for text in texts:
        assert words(text) in pdfium, text
        assert words(text) in poppler, text
    assert "\u2010" not in pdfium + poppler


@pytest.mark.parametrize("name", SHIPPED)
def test_the_tree_reads_every_text_as_written(pdfs: dict[str, pikepdf.Pdf], name: str) -> None:
    """Read from the tags alone, with nothing added between lines, words neither run together
    at a line wrap ("SustainableDevelopment") nor break at a hyphen."""
    (briefing,) = [b for a, b in tailored_briefings(EXAMPLE_BRIEFING, [name])]
    text = words(tree_text(pdfs[name]))
    for value in shown_texts(briefing, full=name in FULL):
        assert words(value) in text, value


def test_the_shipped_briefing_does_hyphenate(pdfs: dict[str, pikepdf.Pdf]) -> None:
    """So that the test above covers words broken at a line end."""
    pages = pdfs["delegation"].pages
    assert sum(page.Contents.read_bytes().count(b"/ActualText") for page in pages) >= 4


@pytest.mark.parametrize(
    ("word", "hyphen"), [("internationalization", "\u2010"), ("Inter-American", "-")]
)
def test_a_word_broken_at_a_line_end_reads_whole(tmp_path: Path, word: str, hyphen: str) -> None:
    html = (
        '<html lang="en"><head><style>@page { size: 60mm 80mm; margin: 5mm }'
        "p { width: 26mm; hyphens: auto; font: 11pt 'Noto Sans' }</style></head>"
        f"<body><p>The word {word} again and {word} once more.</p></body></html>"
    )
    path = tmp_path / "word.pdf"
    path.write_bytes(render_pdf(html, tmp_path, [tmp_path]).content)
    raw = words(" ".join(pdfium_text(path)))
    with pikepdf.open(path) as pdf:
        drawn = "".join(text for _, _, text in marked_content(pdf.pages[0]))
    assert hyphen in drawn.replace(word, "")  # the word was broken, by its hyphen
    assert f"The word {word} again and {word} once more." in raw
    assert f"The word {word} again and {word} once more." in words(poppler_text(path))
