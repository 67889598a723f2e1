"""Text of a built PDF as readers get it, shared by the security and property tests."""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium
from pypdf import PdfReader


def pdf_texts(path: Path) -> list[str]:
    """The PDF's text as two independent extractors give it: PDFium (Chrome's PDF engine) and
    pypdf. Each has blind spots the other has not: pypdf garbles every glyph of a font that has
    a .notdef glyph (WeasyPrint then gives the font its own CMap); PDFium drops flag emoji and
    reverses Arabic lam-alef ligatures. Text counts as found if either extractor finds it."""
    document = pdfium.PdfDocument(str(path))
    try:
        pages = []
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            pages.append(textpage.get_text_range())
            textpage.close()
            page.close()
    finally:
        document.close()
    with_pypdf = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    return ["\n".join(pages), with_pypdf]


# Between the end of one page's text and the start of the next: footnotes, running heads and
# the footer, "Page N of M" (whitespace removed, as squash leaves it).
PAGE_BREAK = r".{0,1500}?Page\d+of\d+.{0,1500}?"


def contains(haystack: str, needle: str) -> bool:
    """``needle`` is in ``haystack``, whole or split once by a page break."""
    if needle in haystack:
        return True
    return any(
        re.search(re.escape(needle[:i]) + PAGE_BREAK + re.escape(needle[i:]), haystack, re.DOTALL)
        for i in range(1, len(needle))
    )
