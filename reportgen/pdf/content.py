"""The marked-content sequences of a page's content stream, with their text, for tag repairs.

WeasyPrint marks each laid-out line of text as one sequence (``/Span << /MCID n >> BDC ... EMC``)
and writes its glyphs as two-byte codes of subset Type 0 fonts, with a ``/ToUnicode`` map. This
module reads those sequences back and edits them in place: it turns sequences into artifacts and
gives them ``/ActualText``. It knows nothing of the structure tree; `reportgen.pdf.tagging` does.
"""

from __future__ import annotations

import array
import re
import sys
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pikepdf

# A ToUnicode CMap's two mappings (PDF 32000-1, 9.10.3): one code to a string, and a range of
# codes to consecutive characters (WeasyPrint writes both forms).
_BFCHAR_BLOCK = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_BFRANGE_BLOCK = re.compile(rb"beginbfrange(.*?)endbfrange", re.S)
_BFCHAR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>")
_BFRANGE = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")


# An affine transformation (a, b, c, d, e, f), as PDF writes them (PDF 32000-1, 8.3.3).
Matrix = tuple[float, float, float, float, float, float]


def _matrix(operands: Any) -> Matrix:
    a, b, c, d, e, f = (float(value) for value in list(operands)[:6])
    return (a, b, c, d, e, f)


def _multiply(first: Matrix, then: Matrix) -> Matrix:
    """``first`` applied, then ``then``."""
    a, b, c, d, e, f = first
    p, q, r, s, t, u = then
    return (
        a * p + b * r,
        a * q + b * s,
        c * p + d * r,
        c * q + d * s,
        e * p + f * r + t,
        e * q + f * s + u,
    )


def _track(ctm: Matrix, saved: list[Matrix], operator: str, operands: Any) -> Matrix:
    """The transformation matrix after a ``q``, ``Q`` or ``cm``; ``saved`` is the stack."""
    if operator == "q":
        saved.append(ctm)
    elif operator == "Q" and saved:
        return saved.pop()
    elif operator == "cm":
        return _multiply(_matrix(operands), ctm)
    return ctm


def _apply(matrix: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = matrix
    return (a * x + c * y + e, b * x + d * y + f)


@dataclass
class Font:
    """How to turn a font's codes back into text."""

    code_bytes: int
    to_text: dict[int, str]
    widths: dict[int, float] = field(default_factory=dict)  # per code, in 1/1000 em
    default_width: float = 1000

    def advance(self, data: bytes) -> float:
        """How far, in em, the glyphs of ``data`` move the pen."""
        widths, default = self.widths, self.default_width
        return sum(widths.get(code, default) for code in self.codes(data)) / 1000

    def codes(self, data: bytes) -> list[int]:
        if self.code_bytes == 1:
            return list(data)
        codes = array.array("H", data[: len(data) // 2 * 2])
        if sys.byteorder == "little":
            codes.byteswap()  # PDF codes are big-endian
        return codes.tolist()

    def text(self, data: bytes) -> str:
        to_text = self.to_text
        return "".join([to_text.get(code, "") for code in self.codes(data)])


def read_font(font: pikepdf.Dictionary) -> Font:
    """The code width and ToUnicode map of ``font`` (empty when it has none)."""
    code_bytes = 2 if font.get("/Subtype") == "/Type0" else 1
    to_text: dict[int, str] = {}
    cmap = font.get("/ToUnicode")
    if isinstance(cmap, pikepdf.Stream):
        data = cmap.read_bytes()
        for block in _BFCHAR_BLOCK.findall(data):
            for code, text in _BFCHAR.findall(block):
                to_text[int(code, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be", "ignore")
        for block in _BFRANGE_BLOCK.findall(data):
            for first, last, start in _BFRANGE.findall(block):
                base = int(start, 16)
                for offset, code in enumerate(range(int(first, 16), int(last, 16) + 1)):
                    to_text[code] = chr(base + offset)
    widths, default_width = _widths(font)
    return Font(code_bytes, to_text, widths, default_width)


def _widths(font: pikepdf.Dictionary) -> tuple[dict[int, float], float]:
    """A Type 0 font's glyph widths (its CIDFont's ``/W``, PDF 32000-1, 9.7.4.3): WeasyPrint
    writes Identity-H fonts, so codes are CIDs."""
    descendants = font.get("/DescendantFonts")
    if not isinstance(descendants, pikepdf.Array) or not len(descendants):
        return {}, 1000
    cid_font = descendants[0]
    default = float(cid_font.get("/DW", 1000))
    entries = list(cid_font.get("/W", pikepdf.Array()))
    widths: dict[int, float] = {}
    position = 0
    while position < len(entries) - 1:
        first, following = int(entries[position]), entries[position + 1]
        if isinstance(following, pikepdf.Array):
            for offset, width in enumerate(following):
                widths[first + offset] = float(width)
            position += 2
        else:
            for code in range(first, int(following) + 1):
                widths[code] = float(entries[position + 2])
            position += 3
    return widths, default


@dataclass
class Showing:
    """One text-showing instruction (``Tj`` or ``TJ``) inside a sequence."""

    index: int
    font: Font
    operands: pikepdf.Object  # its string, or its array of strings and offsets

    @cached_property
    def codes(self) -> bytes:
        parts = self.operands if isinstance(self.operands, pikepdf.Array) else [self.operands]
        return b"".join(bytes(p) for p in parts if isinstance(p, pikepdf.String))

    @cached_property
    def text(self) -> str:
        # Decoded only when asked: most sequences are never looked at.
        return self.font.text(self.codes)

    @property
    def last_character(self) -> str:
        """The text of its last glyph, without decoding the rest."""
        parts = self.operands if isinstance(self.operands, pikepdf.Array) else [self.operands]
        for part in reversed(list(parts)):
            if isinstance(part, pikepdf.String) and (codes := bytes(part)):
                return self.font.text(codes[-self.font.code_bytes :])
        return ""


@dataclass
class Sequence:
    """A marked-content sequence that carries an MCID."""

    mcid: int
    begin: int  # index of its BDC instruction
    showings: list[Showing] = field(default_factory=list)
    # Where its text starts: the text matrix and font size there, and the transformation
    # matrix to user space (page coordinates) then in force.
    text_matrix: Matrix | None = None
    font_size: float = 0
    ctm: Matrix = (1, 0, 0, 1, 0, 0)

    @property
    def baseline(self) -> float | None:
        """The text matrix's vertical offset where its text starts."""
        return None if self.text_matrix is None else self.text_matrix[5]

    def bounds(self) -> tuple[float, float, float, float] | None:
        """The box (x0, y0, x1, y1, in page coordinates) its first showing's glyphs take, from
        the baseline down a fifth of the font size and up to its size; None without text."""
        if self.text_matrix is None or not self.showings:
            return None
        showing = self.showings[0]
        width = showing.font.advance(showing.codes)
        glyphs = _multiply((self.font_size, 0, 0, self.font_size, 0, 0), self.text_matrix)
        to_page = _multiply(glyphs, self.ctm)
        corners = [_apply(to_page, x, y) for x in (0, width) for y in (-0.2, 1.0)]
        xs, ys = [x for x, _ in corners], [y for _, y in corners]
        return min(xs), min(ys), max(xs), max(ys)

    @property
    def text(self) -> str:
        return "".join(showing.text for showing in self.showings)

    @property
    def last_character(self) -> str:
        return self.showings[-1].last_character if self.showings else ""


@dataclass
class _Wraps:
    """Glyphs at the start and the end of one showing that read as other text."""

    start: tuple[int, str] | None = None  # (characters, what they read as)
    end: tuple[int, str] | None = None


class PageContent:
    """A page's content stream as instructions, editable, written back with `save`."""

    def __init__(
        self, pdf: pikepdf.Pdf, page: pikepdf.Page, fonts: dict[tuple[int, int], Font]
    ) -> None:
        """``fonts``: fonts already read, by object, shared between the pages of a PDF."""
        self._pdf = pdf
        self._page = page
        self._fonts = fonts
        self.instructions: list[pikepdf.ContentStreamInstruction | pikepdf.ContentStreamInlineImage]
        self.instructions = list(pikepdf.parse_content_stream(page))
        self._wraps: dict[int, _Wraps] = {}
        self.sequences = self._read_sequences()

    def _read_sequences(self) -> dict[int, Sequence]:
        resources = self._page.obj.get("/Resources", pikepdf.Dictionary())
        fonts = resources.get("/Font", pikepdf.Dictionary())
        by_name = {
            str(name): self._font(font)
            for name, font in fonts.items()
            if isinstance(font, pikepdf.Dictionary)
        }
        found: dict[int, Sequence] = {}
        open_sequences: list[Sequence | None] = []
        font, size = Font(1, {}), 0.0
        ctm: Matrix = (1, 0, 0, 1, 0, 0)
        saved: list[Matrix] = []
        for index, instruction in enumerate(self.instructions):
            if isinstance(instruction, pikepdf.ContentStreamInlineImage):
                continue
            operator, operands = str(instruction.operator), instruction.operands
            if operator == "BDC":
                properties = operands[1] if len(operands) > 1 else None
                mcid = (
                    properties.get("/MCID") if isinstance(properties, pikepdf.Dictionary) else None
                )
                sequence = Sequence(int(mcid), index) if mcid is not None else None
                if sequence is not None:
                    found[sequence.mcid] = sequence
                open_sequences.append(sequence)
            elif operator == "BMC":
                open_sequences.append(None)
            elif operator == "EMC" and open_sequences:
                open_sequences.pop()
            elif operator == "Tf":
                font, size = by_name.get(str(operands[0]), Font(1, {})), float(operands[1])
            elif operator in {"q", "Q", "cm"}:
                ctm = _track(ctm, saved, operator, operands)
            current = next((s for s in reversed(open_sequences) if s is not None), None)
            if current is None:
                continue
            if operator == "Tm" and current.text_matrix is None:
                current.text_matrix, current.ctm = _matrix(operands), ctm
            elif operator in {"Tj", "TJ"}:
                current.font_size = current.font_size or size
                current.showings.append(Showing(index, font, operands[0]))
        return found

    def _font(self, font: pikepdf.Dictionary) -> Font:
        if font.objgen not in self._fonts:
            self._fonts[font.objgen] = read_font(font)
        return self._fonts[font.objgen]

    def make_artifact(self, mcid: int) -> None:
        """Re-mark sequence ``mcid`` as a pagination artifact, out of the structure tree."""
        begin = self.sequences.pop(mcid).begin
        self.instructions[begin] = pikepdf.ContentStreamInstruction(
            [pikepdf.Name.Artifact, pikepdf.Dictionary(Type=pikepdf.Name.Pagination)],
            pikepdf.Operator("BDC"),
        )

    def can_read_as(self, mcid: int, characters: int, *, at_end: bool) -> bool:
        """Whether `read_as` can mark those characters: a glyph boundary falls there (not a
        ligature across it), and they do not overlap the other end's."""
        showings = self.sequences[mcid].showings
        showing = showings[-1] if at_end else showings[0]
        wraps = self._wraps.get(showing.index, _Wraps())
        other = wraps.start if at_end else wraps.end
        if characters + (other[0] if other else 0) > len(showing.text):
            return False
        split = len(showing.text) - characters if at_end else characters
        return _divide(self._parts(showing), showing.font, split) is not None

    def read_as(self, mcid: int, characters: int, text: str, *, at_end: bool) -> None:
        """Have readers take ``text`` for the first (or, ``at_end``, the last) ``characters``
        characters sequence ``mcid`` shows (check `can_read_as` first): `save` wraps those
        glyphs in a ``/Span`` with ``/ActualText``."""
        showings = self.sequences[mcid].showings
        showing = showings[-1] if at_end else showings[0]
        wraps = self._wraps.setdefault(showing.index, _Wraps())
        if at_end:
            wraps.end = (characters, text)
        else:
            wraps.start = (characters, text)

    def _parts(self, showing: Showing) -> list[pikepdf.Object]:
        instruction = self.instructions[showing.index]
        assert isinstance(instruction, pikepdf.ContentStreamInstruction)
        operands = instruction.operands[0]
        return list(operands) if str(instruction.operator) == "TJ" else [operands]

    def _wrapped(self, showing: Showing, wraps: _Wraps) -> list[pikepdf.ContentStreamInstruction]:
        """The showing cut into up to three ``TJ``, its ends marked with their actual text."""
        parts, font = self._parts(showing), showing.font
        start_characters = wraps.start[0] if wraps.start else 0
        end_characters = wraps.end[0] if wraps.end else 0
        head, rest = _divide(parts, font, start_characters) or ([], parts)
        middle, tail = _divide(
            rest, font, len(showing.text) - start_characters - end_characters
        ) or (rest, [])
        written: list[pikepdf.ContentStreamInstruction] = []
        for glyphs, wrap in ((head, wraps.start), (middle, None), (tail, wraps.end)):
            if wrap is not None:
                properties = pikepdf.Dictionary(ActualText=pikepdf.String(wrap[1]))
                written.append(_instruction("BDC", pikepdf.Name.Span, properties))
            if glyphs:
                written.append(_instruction("TJ", pikepdf.Array(glyphs)))
            if wrap is not None:
                written.append(_instruction("EMC"))
        return written

    def save(self) -> None:
        """Write the edited instructions back as the page's one content stream."""
        written: list[pikepdf.ContentStreamInstruction | pikepdf.ContentStreamInlineImage] = []
        showings = {
            showing.index: showing
            for sequence in self.sequences.values()
            for showing in sequence.showings
        }
        for index, instruction in enumerate(self.instructions):
            wraps = self._wraps.get(index)
            written.extend(
                [instruction] if wraps is None else self._wrapped(showings[index], wraps)
            )
        self._page.obj.Contents = self._pdf.make_stream(pikepdf.unparse_content_stream(written))


def _instruction(operator: str, *operands: pikepdf.Object) -> pikepdf.ContentStreamInstruction:
    return pikepdf.ContentStreamInstruction(list(operands), pikepdf.Operator(operator))


def _divide(
    parts: list[pikepdf.Object], font: Font, characters: int
) -> tuple[list[pikepdf.Object], list[pikepdf.Object]] | None:
    """A ``TJ`` array cut after the glyphs that show its first ``characters`` characters, or
    None when no glyph boundary falls there."""
    head: list[pikepdf.Object] = []
    tail: list[pikepdf.Object] = []
    seen = 0
    for part in parts:
        if tail or seen >= characters:
            tail.append(part)
            continue
        if not isinstance(part, pikepdf.String):
            head.append(part)
            continue
        data, step = bytes(part), font.code_bytes
        cut = None
        for offset, code in zip(range(0, len(data), step), font.codes(data), strict=True):
            if seen >= characters:
                cut = offset
                break
            seen += len(font.to_text.get(code, ""))
        if cut is None:
            head.append(part)
        else:
            head.append(pikepdf.String(data[:cut]))
            tail.append(pikepdf.String(data[cut:]))
    return (head, tail) if seen == characters else None
