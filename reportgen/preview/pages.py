"""A laid-out PDF as the page shows it: each page as a PNG, and its text with where it sits."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from typing import Any

# PDFium is not thread-safe: every call into it, from any server thread, holds this lock.
_PDFIUM = threading.Lock()
# The page is drawn at most this much larger than at 100% (72 dpi), so a zoomed page stays
# sharp; and no smaller than 1.
MAX_SCALE = 4.0


@dataclass(frozen=True)
class TextRun:
    """A run of text on a page, and its box in points from the page's top left corner."""

    text: str
    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True)
class PageText:
    """One page's size in points and the runs of text on it."""

    width: float
    height: float
    runs: tuple[TextRun, ...]


class Document:
    """A PDF held in memory; its pages drawn on request (each kept once drawn at a scale)."""

    def __init__(self, content: bytes) -> None:
        import pypdfium2

        self._content = content  # PDFium reads from this buffer for as long as it is open
        with _PDFIUM:
            self._pdf: Any = pypdfium2.PdfDocument(content)
            self.pages = tuple(self._page_text(index) for index in range(len(self._pdf)))
        self._drawn: dict[tuple[int, float], bytes] = {}

    def _page_text(self, index: int) -> PageText:
        page = self._pdf[index]
        try:
            width, height = page.get_size()
            text = page.get_textpage()
            runs = []
            for number in range(text.count_rects()):
                left, bottom, right, top = text.get_rect(number)
                words = text.get_text_bounded(left, bottom, right, top).strip()
                if words:
                    runs.append(TextRun(words, left, height - top, right - left, top - bottom))
            text.close()
            return PageText(width, height, tuple(runs))
        finally:
            page.close()

    def png(self, index: int, scale: float) -> bytes:
        """Page ``index`` (from 0) as a PNG, ``scale`` times its size at 72 dpi."""
        if not 0 <= index < len(self.pages):
            raise IndexError(index)
        scale = min(max(scale, 1.0), MAX_SCALE)
        key = (index, round(scale, 2))
        with _PDFIUM:
            if key not in self._drawn:
                page = self._pdf[index]
                try:
                    image = page.render(scale=key[1]).to_pil()
                finally:
                    page.close()
                buffer = io.BytesIO()
                # Fast rather than small: it crosses the loopback, not a network.
                image.save(buffer, "PNG", compress_level=1)
                self._drawn[key] = buffer.getvalue()
            return self._drawn[key]

    def close(self) -> None:
        with _PDFIUM:
            self._pdf.close()
