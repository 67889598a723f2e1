"""The preview's pages: each drawn as a PNG at the scale asked, and its text with its place."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image

from reportgen.preview.pages import MAX_SCALE, Document


def tiny_pdf(pages: list[tuple[float, float, str]]) -> bytes:
    """A PDF whose pages (width, height in points) each show one line of Helvetica at 12 pt,
    72 pt from the left and 100 pt from the top."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b""]
    kids = []
    for width, height, text in pages:
        stream = f"BT /F1 12 Tf 72 {height - 100} Td ({text}) Tj ET".encode()
        page_number = len(objects) + 1
        kids.append(f"{page_number} 0 R")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] "
            f"/Resources << /Font << /F1 {page_number + 2} 0 R >> >> "
            f"/Contents {page_number + 1} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>".encode()
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def _png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_each_page_has_its_size_and_its_text_where_it_is_drawn() -> None:
    document = Document(tiny_pdf([(300, 400, "First page words"), (200, 250, "Second")]))
    try:
        first, second = document.pages
        assert (first.width, first.height) == (300, 400)
        assert (second.width, second.height) == (200, 250)
        assert [run.text for run in first.runs] == ["First page words"]
        assert [run.text for run in second.runs] == ["Second"]
        run = first.runs[0]
        # From the top left, as the page lays it over the image: 72 pt in, the baseline at
        # 100 pt down, so the box's top a cap height above it.
        assert run.left == pytest.approx(72, abs=1.5)
        assert 88 < run.top < 100 < run.top + run.height + 3
        assert 80 < run.width < 110  # "First page words" at 12 pt
    finally:
        document.close()


def test_a_page_is_drawn_at_the_scale_asked_within_limits() -> None:
    document = Document(tiny_pdf([(300, 400, "Drawn")]))
    try:
        assert _png_size(document.png(0, 2.0)) == (600, 800)
        assert _png_size(document.png(0, 0.1)) == (300, 400)  # never below 72 dpi
        assert _png_size(document.png(0, 50)) == (300 * MAX_SCALE, 400 * MAX_SCALE)
        # The text is drawn: dark pixels where the run is, none far from it.
        image = Image.open(io.BytesIO(document.png(0, 1.0))).convert("L")
        darkest, _ = image.crop((72, 88, 170, 102)).getextrema()
        assert isinstance(darkest, int) and darkest < 100
        assert image.crop((0, 200, 300, 400)).getextrema() == (255, 255)
        with pytest.raises(IndexError):
            document.png(1, 1.0)
        with pytest.raises(IndexError):
            document.png(-1, 1.0)
    finally:
        document.close()
