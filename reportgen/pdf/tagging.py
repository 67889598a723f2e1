"""Finish WeasyPrint's structure tree with what screen readers need and WeasyPrint 70 omits.

WeasyPrint 70 tags the HTML faithfully but leaves out what PDF/UA readers rely on; each repair
below is one function, run in `finish_structure`, and each could go upstream (see "What reportgen
adds to WeasyPrint's tags" in docs/accessibility.md):

- running heads and page numbers (margin boxes) are tagged but listed nowhere in the tree: they
  become pagination artifacts;
- a link drawn in several boxes is one ``Link`` nested in another: they become one, and its
  annotation's description reads "Key messages, page 3" instead of the anchor id;
- ``TH`` cells get the ``/Scope`` WeasyPrint reads from the HTML (for ``/Headers``) but does not
  write;
- CSS footnotes become ``Note`` elements with an ``ID`` and a ``Lbl``, and their calls
  ``Reference`` elements holding a link to the note;
- a word hyphenated at a line end gets ``/ActualText``, so that search and copy find it whole.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pikepdf

from reportgen.pdf.content import Font, PageContent, Sequence

HYPHEN = "\u2010"  # what CSS hyphenation inserts (WeasyPrint's default hyphenate-character)
_INLINE_ROLES = {"/Span", "/NonStruct", "/Link", "/Reference", "/Lbl"}
_NOTE_MARKER = re.compile(r"\s*(\d+)\W*\s*")
_NOTE_CALL = re.compile(r"(\d+)")
_WORD_START = re.compile(r"\w[^\s" + HYPHEN + r"-]*")


def finish_structure(content: bytes) -> bytes:
    """``content`` (a tagged PDF from WeasyPrint) with its structure tree finished."""
    with pikepdf.open(io.BytesIO(content)) as pdf:
        if "/StructTreeRoot" not in pdf.Root:
            return content
        tree = _Tree(pdf)
        mark_unlisted_content_as_artifacts(tree)
        merge_nested_links(tree)
        collapse_nested_lists(tree)
        describe_links(tree)
        scope_header_cells(tree)
        tag_notes(tree)
        link_calls_to_notes(tree)
        carry_hyphenated_words(tree)
        for page in tree.pages:
            page.save()
        written = io.BytesIO()
        # deterministic_id: the same PDF in gives the same bytes out (reproducible builds).
        pdf.save(written, deterministic_id=True, fix_metadata_version=False)
        return written.getvalue()


@dataclass
class _Element:
    node: pikepdf.Dictionary
    parent: pikepdf.Dictionary

    @property
    def role(self) -> str:
        return str(self.node.S)


class _Tree:
    """The structure tree and the page contents it points into."""

    def __init__(self, pdf: pikepdf.Pdf) -> None:
        self.pdf = pdf
        self.root = pdf.Root.StructTreeRoot
        self.parent_tree = pikepdf.NumberTree(self.root.ParentTree)
        fonts: dict[tuple[int, int], Font] = {}
        self.pages = [PageContent(pdf, page, fonts) for page in pdf.pages]
        self.page_index = {page.obj.objgen: index for index, page in enumerate(pdf.pages)}
        self._elements: list[_Element] | None = None

    def elements(self) -> list[_Element]:
        """Every element listed in the tree, depth first, in reading order (walked once, and
        again after `changed`: pikepdf's object access is slow)."""
        if self._elements is None:
            self._elements = list(self._below(self.root))  # type: ignore[arg-type]
        return self._elements

    def changed(self) -> None:
        """The tree's shape changed: walk it anew when next asked."""
        self._elements = None

    def _below(self, node: pikepdf.Dictionary) -> Iterator[_Element]:
        for kid in kids(node):
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                yield _Element(kid, node)
                yield from self._below(kid)

    def page_of(self, node: pikepdf.Dictionary) -> int | None:
        page = node.get("/Pg")
        return None if page is None else self.page_index.get(page.objgen)

    def marked(self, node: pikepdf.Dictionary) -> Iterator[tuple[int, int]]:
        """(page index, MCID) of each marked-content sequence directly in ``node``."""
        for kid in kids(node):
            located = self.locate(node, kid)
            if located is not None:
                yield located

    def locate(self, node: pikepdf.Dictionary, kid: pikepdf.Object) -> tuple[int, int] | None:
        if isinstance(kid, int):
            page = self.page_of(node)
            return None if page is None else (page, kid)
        if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
            page = self.page_of(kid) if "/Pg" in kid else self.page_of(node)
            return None if page is None else (page, int(kid.MCID))
        return None

    def text(self, node: pikepdf.Dictionary) -> str:
        """What ``node`` and its descendants show, in order."""
        parts = []
        for kid in kids(node):
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                parts.append(self.text(kid))
            elif (located := self.locate(node, kid)) is not None:
                parts.append(self._sequence_text(*located))
        return "".join(parts)

    def _sequence_text(self, page: int, mcid: int) -> str:
        sequence = self.pages[page].sequences.get(mcid)
        return "" if sequence is None else sequence.text

    def owners(self, page: int) -> pikepdf.Array | None:
        """The page's MCID-to-element array of the parent tree."""
        key = self.pdf.pages[page].obj.get("/StructParents")
        if key is None or int(key) not in self.parent_tree:
            return None
        owners = self.parent_tree[int(key)]
        return owners if isinstance(owners, pikepdf.Array) else None


def kids(node: pikepdf.Dictionary) -> list[pikepdf.Object]:
    kid = node.get("/K")
    if kid is None:
        return []
    return list(kid) if isinstance(kid, pikepdf.Array) else [kid]


def mark_unlisted_content_as_artifacts(tree: _Tree) -> None:
    """Content whose element the tree does not list (WeasyPrint's margin boxes) is an artifact:
    PDF/UA allows no tagged content outside the tree, and a reader should not hear the running
    head on every page. The cover states the marking once as text."""
    listed = {element.node.objgen for element in tree.elements()}
    for index, page in enumerate(tree.pages):
        owners = tree.owners(index)
        if owners is None:
            continue
        for mcid, owner in enumerate(owners):
            if isinstance(owner, pikepdf.Dictionary) and owner.objgen not in listed:
                if mcid in page.sequences:
                    page.make_artifact(mcid)
                owners[mcid] = None


def merge_nested_links(tree: _Tree) -> None:
    """A link drawn in several boxes (text, then a generated page number) is one link."""
    for element in tree.elements():
        if element.role != "/Link" or element.parent.get("/S") == "/Link":
            continue
        outer = element.node
        merged: list[pikepdf.Object] = []
        for kid in _flattened_link_kids(tree, outer, outer):
            merged.append(kid)
        outer.K = pikepdf.Array(merged)
    tree.changed()


def _flattened_link_kids(
    tree: _Tree, outer: pikepdf.Dictionary, node: pikepdf.Dictionary
) -> Iterator[pikepdf.Object]:
    for kid in kids(node):
        if isinstance(kid, pikepdf.Dictionary) and kid.get("/S") == "/Link":
            yield from _flattened_link_kids(tree, outer, kid)
            continue
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            if node is not outer:
                kid.P = outer
            # PDF/UA wants each link annotation directly in its Link, not in a Span within.
            yield from _hoisted_annotations(tree, outer, kid)
            yield kid
        elif node is not outer:
            yield _repoint(tree, outer, node, kid)
        else:
            yield kid


def _hoisted_annotations(
    tree: _Tree, outer: pikepdf.Dictionary, node: pikepdf.Dictionary
) -> Iterator[pikepdf.Object]:
    """The annotation references below ``node``, taken out of it for ``outer``."""
    kept: list[pikepdf.Object] = []
    for kid in kids(node):
        if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR":
            yield _repoint(tree, outer, node, kid)
            continue
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            yield from _hoisted_annotations(tree, outer, kid)
        kept.append(kid)
    if len(kept) != len(kids(node)):
        node.K = pikepdf.Array(kept)


def _repoint(
    tree: _Tree, outer: pikepdf.Dictionary, inner: pikepdf.Dictionary, kid: pikepdf.Object
) -> pikepdf.Object:
    """Make ``outer`` the owner of ``kid`` (an MCID or an annotation) of ``inner``."""
    if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR":
        key = kid.Obj.get("/StructParent")
        if key is not None:
            tree.parent_tree[int(key)] = outer
        return kid
    page = tree.page_of(inner)
    mcid = int(kid.MCID) if isinstance(kid, pikepdf.Dictionary) else int(kid)
    owners = tree.owners(page) if page is not None else None
    if owners is not None and mcid < len(owners):
        owners[mcid] = outer
    if isinstance(kid, pikepdf.Dictionary) or tree.page_of(outer) == page:
        return kid
    return tree.pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.MCR, Pg=inner.Pg, MCID=mcid))


def collapse_nested_lists(tree: _Tree) -> None:
    """A list laid out as a table comes out as an ``L`` in an ``L`` (one per wrapper box):
    one list it is."""
    for element in tree.elements():
        node = element.node
        while element.role == "/L" and len(inner := kids(node)) == 1:
            only = inner[0]
            if not (isinstance(only, pikepdf.Dictionary) and only.get("/S") == "/L"):
                break
            node.K = only.get("/K", pikepdf.Array())
            for kid in kids(node):
                if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                    kid.P = node
            tree.changed()


def describe_links(tree: _Tree) -> None:
    """Each link annotation's description says what it is: its text, and for a link inside
    the document the page it leads to ("Key messages, page 3")."""
    destinations = _named_destinations(tree.pdf)
    for element in tree.elements():
        if element.role != "/Link":
            continue
        text = " ".join(tree.text(element.node).split())
        for kid in kids(element.node):
            if not (isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR"):
                continue
            annotation = kid.Obj
            if not isinstance(annotation, pikepdf.Dictionary):
                continue
            page = _target_page(tree, annotation, destinations)
            uri = annotation.get("/A", pikepdf.Dictionary()).get("/URI")
            if page is not None and text:
                annotation.Contents = pikepdf.String(f"{text}, page {page}")
            elif text:
                annotation.Contents = pikepdf.String(text)
            elif uri is not None:
                annotation.Contents = pikepdf.String(str(uri))


def _named_destinations(pdf: pikepdf.Pdf) -> dict[str, pikepdf.Object]:
    names = pdf.Root.get("/Names", pikepdf.Dictionary()).get("/Dests")
    found: dict[str, pikepdf.Object] = {}
    if names is not None:
        for name, destination in pikepdf.NameTree(names).items():
            found[str(name)] = destination
    for name, destination in pdf.Root.get("/Dests", pikepdf.Dictionary()).items():
        found[str(name)[1:]] = destination
    return found


def _target_page(
    tree: _Tree, annotation: pikepdf.Dictionary, destinations: dict[str, pikepdf.Object]
) -> int | None:
    """The page number (1-based) a link inside the document leads to."""
    destination = annotation.get("/Dest")
    action = annotation.get("/A")
    if destination is None and isinstance(action, pikepdf.Dictionary):
        destination = action.get("/D") if action.get("/S") == "/GoTo" else None
    if isinstance(destination, pikepdf.String | pikepdf.Name):
        name = str(destination)
        destination = destinations.get(name[1:] if name.startswith("/") else name)
    if isinstance(destination, pikepdf.Dictionary):
        destination = destination.get("/D")
    if isinstance(destination, pikepdf.Array) and len(destination) > 0:
        index = tree.page_index.get(destination[0].objgen)
        return None if index is None else index + 1
    return None


def scope_header_cells(tree: _Tree) -> None:
    """``TH`` gets ``/Scope``: Row for a header of its own row, Column otherwise.

    WeasyPrint lists, in each ``TD``'s ``/Headers``, the IDs of the headers that apply to it
    (from the HTML's ``scope``); a header that cells of its own row name is a row header.
    """
    rows_naming: dict[str, set[tuple[int, int]]] = {}
    row_of: dict[tuple[int, int], tuple[int, int]] = {}
    for element in tree.elements():
        if element.role in {"/TD", "/TH"}:
            row_of[element.node.objgen] = element.parent.objgen
        if element.role == "/TD":
            attributes = element.node.get("/A")
            headers = (
                attributes.get("/Headers") if isinstance(attributes, pikepdf.Dictionary) else None
            )
            for header in headers or []:
                rows_naming.setdefault(str(header), set()).add(element.parent.objgen)
    for element in tree.elements():
        if element.role != "/TH":
            continue
        own_row = row_of[element.node.objgen]
        is_row_header = own_row in rows_naming.get(str(element.node.get("/ID", "")), set())
        attributes = element.node.get("/A")
        if not isinstance(attributes, pikepdf.Dictionary):
            attributes = pikepdf.Dictionary(O=pikepdf.Name.Table)
            element.node.A = attributes
        attributes.Scope = pikepdf.Name.Row if is_row_header else pikepdf.Name.Column


def tag_notes(tree: _Tree) -> None:
    """CSS footnotes as notes: WeasyPrint puts each page's footnote area at document level as a
    ``NonStruct`` of ``Span``s, each opening with its marker ("1. "), and each call as a
    ``NonStruct`` holding the number. The notes become ``Note`` (with ``ID``) and ``Lbl``, the
    calls ``Reference``."""
    document = kids(tree.root)[0]  # type: ignore[arg-type]
    if not isinstance(document, pikepdf.Dictionary):
        return
    numbers: set[str] = set()
    for area in kids(document):
        if not (isinstance(area, pikepdf.Dictionary) and area.get("/S") == "/NonStruct"):
            continue
        notes = [kid for kid in kids(area) if isinstance(kid, pikepdf.Dictionary) and "/S" in kid]
        markers = [_note_marker(tree, note) for note in notes]
        if not notes or None in markers:
            continue
        for note, marker in zip(notes, markers, strict=True):
            assert marker is not None
            label, number = marker
            note.S = pikepdf.Name.Note
            note.ID = pikepdf.String(f"note-{number}")
            label.S = pikepdf.Name.Lbl
            numbers.add(number)
    if not numbers:
        return
    for element in tree.elements():
        if element.role != "/NonStruct" or element.parent.get("/S") in {"/Note", "/Lbl"}:
            continue
        inner = kids(element.node)
        if len(inner) == 1 and isinstance(inner[0], pikepdf.Dictionary):
            call = _NOTE_CALL.fullmatch(tree.text(element.node))
            if call and call.group(1) in numbers and _raised(tree, inner[0]):
                element.node.S = pikepdf.Name.Reference


def link_calls_to_notes(tree: _Tree) -> None:
    """Each note's call becomes a link to the note (PDF 1.7 has no other tie from a
    ``Reference`` to its ``Note``): a link annotation over the call's number, described by the
    note's own text, in a ``Link`` inside the ``Reference``."""
    notes = {
        str(element.node.ID): element.node
        for element in tree.elements()
        if element.role == "/Note" and "/ID" in element.node
    }
    next_key = max((int(key) for key, _ in tree.parent_tree.items()), default=-1) + 1
    for element in tree.elements():
        if element.role != "/Reference":
            continue
        note = notes.get(f"note-{tree.text(element.node).strip()}")
        call = _first_sequence(tree, element.node)
        target = _first_sequence(tree, note) if note is not None else None
        if note is None or call is None or target is None:
            continue
        (page, shown), (note_page, note_shown) = call, target
        box, at = shown.bounds(), note_shown.bounds()
        if box is None or at is None:
            continue
        annotation = tree.pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.Link,
                Rect=pikepdf.Array([box[0] - 1, box[1] - 1, box[2] + 1, box[3] + 1]),
                BS=pikepdf.Dictionary(W=0),
                F=4,  # printable, as PDF/A asks
                Contents=pikepdf.String(" ".join(tree.text(note).split())),
                Dest=pikepdf.Array(
                    [tree.pdf.pages[note_page].obj, pikepdf.Name.XYZ, at[0], at[3], 0]
                ),
                StructParent=next_key,
            )
        )
        page_object = tree.pdf.pages[page].obj
        if "/Annots" not in page_object:
            page_object.Annots = pikepdf.Array()
        page_object.Annots.append(annotation)
        link = tree.pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.StructElem,
                S=pikepdf.Name.Link,
                P=element.node,
                Pg=page_object,
            )
        )
        reference = pikepdf.Dictionary(Type=pikepdf.Name.OBJR, Obj=annotation, Pg=page_object)
        inner = kids(element.node)
        for kid in inner:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                kid.P = link
        link.K = pikepdf.Array([*inner, tree.pdf.make_indirect(reference)])
        element.node.K = pikepdf.Array([link])
        tree.parent_tree[next_key] = link
        next_key += 1
    tree.changed()


def _first_sequence(tree: _Tree, node: pikepdf.Dictionary) -> tuple[int, Sequence] | None:
    """The page and the first marked sequence with text in ``node``, depth first."""
    for kid in kids(node):
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            found = _first_sequence(tree, kid)
            if found is not None:
                return found
        elif (located := tree.locate(node, kid)) is not None:
            sequence = tree.pages[located[0]].sequences.get(located[1])
            if sequence is not None and sequence.showings:
                return located[0], sequence
    return None


def _raised(tree: _Tree, node: pikepdf.Dictionary) -> bool:
    """Whether ``node``'s text sits above the baseline of the text just before it, as a note
    call does (a list's counter or a page number, also bare numbers, do not)."""
    located = next(tree.marked(node), None)
    if located is None:
        return False
    page = tree.pages[located[0]]
    call = page.sequences.get(located[1])
    earlier = [s for s in page.sequences.values() if call and s.begin < call.begin and s.text]
    if call is None or call.baseline is None or not earlier:
        return False
    before = max(earlier, key=lambda sequence: sequence.begin)
    return before.baseline is not None and before.baseline - call.baseline > 0.5


def _note_marker(tree: _Tree, note: pikepdf.Dictionary) -> tuple[pikepdf.Dictionary, str] | None:
    first = next(iter(kids(note)), None)
    if not (isinstance(first, pikepdf.Dictionary) and first.get("/S") == "/NonStruct"):
        return None
    marker = _NOTE_MARKER.fullmatch(tree.text(first))
    return (first, marker.group(1)) if marker else None


def carry_hyphenated_words(tree: _Tree) -> None:
    """Words read whole and apart across line ends.

    A word broken at line ends: the hyphen ending its first line reads as itself (if typed)
    followed by the rest of the word, and the rest on the following lines reads as a space.
    Search and copy then find "resources", not "re- sources", and readers that drop a line-end
    hyphen (Poppler does) keep "Inter-American" whole. A line WeasyPrint ended without its
    space (it drops it in some boxes, table cells among them) reads with one, so the tree's
    text never runs "Sustainable" into "Development" (link text excepted: a URL breaks
    anywhere). Lines are consecutive sequences of one block, each lower than the one before.
    """
    block_of: dict[tuple[int, int], tuple[int, int]] = {}
    in_link: set[tuple[int, int]] = set()
    for element in tree.elements():
        for located in tree.marked(element.node):
            block_of[located] = _block(element).objgen
            if _inside_link(element):
                in_link.add(located)
    for index, page in enumerate(tree.pages):
        lines = sorted(
            (s for s in page.sequences.values() if s.showings), key=lambda line: line.begin
        )
        blocks = {mcid: block for (on, mcid), block in block_of.items() if on == index}
        position = 0
        while position < len(lines) - 1:
            line, following = lines[position], lines[position + 1]
            # Look at the last glyph only, for most lines: decoding them all is slow.
            last = line.last_character
            if last not in {HYPHEN, "-"}:
                wrapped = following.baseline != line.baseline and bool(last.strip())
                same_block = blocks.get(line.mcid) == blocks.get(following.mcid)
                separate = wrapped and same_block and (index, line.mcid) not in in_link
                if separate and page.can_read_as(line.mcid, 1, at_end=True):
                    page.read_as(line.mcid, 1, last + " ", at_end=True)
                position += 1
                continue
            chain = _broken_word(lines, position, blocks)
            position += max(1, len(chain) - 1)
            if chain:
                _read_whole(page, chain)


def _inside_link(element: _Element) -> bool:
    node: pikepdf.Object | None = element.node
    while isinstance(node, pikepdf.Dictionary) and "/S" in node:
        if node.get("/S") == "/Link":
            return True
        node = node.get("/P")
    return False


def _broken_word(
    lines: list[Sequence], start: int, blocks: dict[int, tuple[int, int]]
) -> list[tuple[Sequence, str]]:
    """The lines a word broken at the end of ``lines[start]`` runs over, each with the part of
    the word it shows (the hyphen that ends it included); empty if none is broken there."""
    chain: list[tuple[Sequence, str]] = []
    line = lines[start]
    for following in lines[start + 1 :]:
        text = line.text if not chain else chain[-1][1]
        inside_word = len(text) > 1 and text[-2].isalnum() and text[-1] in {HYPHEN, "-"}
        lower = following.baseline != line.baseline
        if not (inside_word and lower and blocks.get(following.mcid) == blocks.get(line.mcid)):
            break
        rest = _WORD_START.match(following.text)
        if rest is None:
            break
        if not chain:
            chain.append((line, line.text))
        part = rest.group()
        whole_line = following.text.startswith(part) and following.text[len(part) :] in {
            HYPHEN,
            "-",
        }
        chain.append((following, following.text if whole_line else part))
        if not whole_line:
            break
        line = following
    return chain if len(chain) > 1 else []


def _read_whole(page: PageContent, chain: list[tuple[Sequence, str]]) -> None:
    first, *rest = chain
    remainder = "".join(
        part if part[-1] not in {HYPHEN, "-"} else part[:-1] + ("" if part[-1] == HYPHEN else "-")
        for _, part in rest
    )
    hyphen = first[1][-1]
    edits = [(first[0], 1, ("" if hyphen == HYPHEN else hyphen) + remainder, True)]
    # A space, not nothing, for the parts after the first line: PDFium ignores an empty
    # /ActualText.
    edits += [(line, len(part), " ", False) for line, part in rest]
    if all(page.can_read_as(line.mcid, n, at_end=end) for line, n, _, end in edits):
        for line, characters, text, at_end in edits:
            page.read_as(line.mcid, characters, text, at_end=at_end)


def _block(element: _Element) -> pikepdf.Dictionary:
    """The nearest element around ``element`` that is not inline."""
    node = element.node
    while str(node.get("/S")) in _INLINE_ROLES and isinstance(node.get("/P"), pikepdf.Dictionary):
        node = node.P  # type: ignore[assignment]
    return node
