"""The WeasyPrint adapter: HTML to a tagged, standards-declaring PDF, and nothing else.

Every use of WeasyPrint and of its internals (font configuration, log messages, XMP) is in this
subpackage, so an upgrade of WeasyPrint touches one place. WeasyPrint itself is imported only
inside the functions that lay out, so importing this package stays cheap.
"""

from reportgen.pdf.hyphenation import hyphenation_available
from reportgen.pdf.layout import EmbeddedFile, PdfOptions, RenderedPdf, render_pdf, warm_up

__all__ = [
    "EmbeddedFile",
    "PdfOptions",
    "RenderedPdf",
    "hyphenation_available",
    "render_pdf",
    "warm_up",
]
