"""Every shipped PDF is tagged, archival and accessible, as independent readers see it."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pypdfium2
import pytest

from reportgen.build import BuiltFile, build
from reportgen.pdf.standards import VARIANTS, PdfVariantName
from reportgen.resources import EXAMPLE_BRIEFING

SHIPPED = ("delegation", "executive", "public")


def structure(node: pikepdf.Object) -> Iterator[pikepdf.Dictionary]:
    """Every structure element below ``node``, depth first, in reading order."""
    kids = node.get("/K") if isinstance(node, pikepdf.Dictionary) else None
    children = list(kids) if isinstance(kids, pikepdf.Array) else [kids]
    for child in children:
        if isinstance(child, pikepdf.Dictionary) and "/S" in child:
            yield child
            yield from structure(child)


def xmp(pdf: pikepdf.Pdf) -> dict[str, str | None]:
    meta = pdf.open_metadata()
    keys = ("pdfaid:part", "pdfaid:conformance", "pdfuaid:part", "dc:title")
    return {key: meta.get(key) for key in keys}


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("name", SHIPPED)
def test_qpdf_finds_no_errors(built_pdfs: dict[str, BuiltFile], name: str) -> None:
    assert shutil.which("qpdf"), "qpdf is installed by scripts/install-system-deps"
    result = run("qpdf", "--check", str(built_pdfs[name].path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors" in result.stdout


@pytest.mark.parametrize("name", SHIPPED)
def test_poppler_reads_it_without_complaint(built_pdfs: dict[str, BuiltFile], name: str) -> None:
    assert shutil.which("pdftotext"), "poppler-utils is installed by scripts/install-system-deps"
    result = run("pdftotext", str(built_pdfs[name].path), "-")
    assert result.returncode == 0
    assert result.stderr == ""
    assert "Mexico" in result.stdout
    info = run("pdfinfo", str(built_pdfs[name].path))
    assert "Tagged:          yes" in info.stdout


@pytest.mark.parametrize("name", SHIPPED)
def test_pdfium_opens_and_renders_every_page(built_pdfs: dict[str, BuiltFile], name: str) -> None:
    document = pypdfium2.PdfDocument(str(built_pdfs[name].path))
    assert len(document) == built_pdfs[name].pages
    for page in document:
        assert page.get_textpage().get_text_range().strip()
        bitmap = page.render(scale=0.2)
        assert bitmap.width > 0


@pytest.mark.parametrize("name", SHIPPED)
def test_tagged_structure(built_pdfs: dict[str, BuiltFile], name: str) -> None:
    with pikepdf.open(built_pdfs[name].path) as pdf:
        root = pdf.Root
        assert bool(root.MarkInfo.Marked) is True
        assert str(root.Lang) == "en"
        assert bool(root.ViewerPreferences.DisplayDocTitle) is True  # title, not file name
        elements = list(structure(root.StructTreeRoot))
        kinds = [str(element.S) for element in elements]
        assert "/H2" in kinds
        assert "/Table" in kinds
        assert "/TH" in kinds
        assert "/L" in kinds


@pytest.mark.parametrize("name", SHIPPED)
def test_every_figure_has_alternative_text(built_pdfs: dict[str, BuiltFile], name: str) -> None:
    with pikepdf.open(built_pdfs[name].path) as pdf:
        figures = [e for e in structure(pdf.Root.StructTreeRoot) if str(e.S) == "/Figure"]
        assert figures, "the budget chart is a figure in every shipped audience"
        for figure in figures:
            assert str(figure.get("/Alt", "")).strip()


@pytest.mark.parametrize("name", SHIPPED)
def test_declared_archival_and_accessible(built_pdfs: dict[str, BuiltFile], name: str) -> None:
    with pikepdf.open(built_pdfs[name].path) as pdf:
        declared = xmp(pdf)
    assert declared["pdfaid:part"] == "3"
    assert declared["pdfaid:conformance"] == "A"
    assert declared["pdfuaid:part"] == "1"
    assert declared["dc:title"] == "Mexico's multilateral human rights cooperation"


# Namespaces PDF/A predefines (the XMP specification's schemas, PDF/A's own identification and
# extension schemas): any other a packet uses must be declared in it as an extension schema.
PREDEFINED_NAMESPACES = {
    "http://purl.org/dc/elements/1.1/",
    "http://ns.adobe.com/pdf/1.3/",
    "http://ns.adobe.com/xap/1.0/",
    "http://www.aiim.org/pdfa/ns/id/",
    "http://www.aiim.org/pdfa/ns/extension/",
    "http://www.aiim.org/pdfa/ns/schema#",
    "http://www.aiim.org/pdfa/ns/property#",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "http://www.w3.org/XML/1998/namespace",
}


@pytest.mark.parametrize("name", SHIPPED)
def test_every_xmp_namespace_is_predefined_or_declared(
    built_pdfs: dict[str, BuiltFile], name: str
) -> None:
    # ISO 19005-3 6.6.2.3.1, which veraPDF checks: the PDF/UA identification (pdfuaid) is not a
    # PDF/A schema, so the packet must declare it with pdfaExtension:schemas.
    from xml.etree import ElementTree as ET

    with pikepdf.open(built_pdfs[name].path) as pdf:
        packet = ET.fromstring(pdf.Root.Metadata.read_bytes())
    used = {
        name.partition("}")[0][1:]
        for element in packet.iter()
        for name in [element.tag, *element.attrib]
        if name.startswith("{")
    }
    schema = "{http://www.aiim.org/pdfa/ns/schema#}namespaceURI"
    declared = {element.text for element in packet.iter(schema)}
    assert "http://www.aiim.org/pdfua/ns/id/" in used
    assert used - PREDEFINED_NAMESPACES - {"adobe:ns:meta/"} <= declared


@pytest.mark.parametrize(
    ("variant", "expected"),
    [
        ("pdf/a-3b", {"pdfaid:part": "3", "pdfaid:conformance": "B", "pdfuaid:part": None}),
        ("pdf/a-3u", {"pdfaid:part": "3", "pdfaid:conformance": "U", "pdfuaid:part": None}),
        ("pdf/ua-1", {"pdfaid:part": None, "pdfaid:conformance": None, "pdfuaid:part": "1"}),
    ],
)
def test_each_variant_declares_what_it_is_and_stays_tagged(
    tmp_path: Path, variant: PdfVariantName, expected: dict[str, str | None]
) -> None:
    assert variant in VARIANTS
    (built,) = build(EXAMPLE_BRIEFING, ["executive"], tmp_path, pdf_variant=variant, language="en")
    with pikepdf.open(built.path) as pdf:
        declared = xmp(pdf)
        assert {key: declared[key] for key in expected} == expected
        assert bool(pdf.Root.MarkInfo.Marked) is True
        assert "/StructTreeRoot" in pdf.Root
    assert run("qpdf", "--check", str(built.path)).returncode == 0
