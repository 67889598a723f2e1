"""Hostile inputs (issue 6): each is refused with the message a user needs, or gives safe output.

Refusals are checked the way a user meets them where that is practical: through the command line,
exit status 1, one line per problem, no traceback, and the output folder exactly as it was (it is
filled with earlier PDFs first). Template attacks use a user template folder with a hostile
audience, ``evil``, and a harmless one, ``tiny``, which lays out at once: ``tiny`` shows that a
variant's failure does not stop the others being tried.

Inputs that already have tests elsewhere are not repeated here at the level they were tested at:
see test_loading.py (size cap, invalid UTF-8, multi-document, ``!!python`` tags, duplicate keys),
test_pdf.py (fetching outside the roots), test_templating.py (escaping, four sandbox escapes),
test_theming.py (theme values that are not CSS values) and test_config.py (the page cap).
"""

from __future__ import annotations

import base64
import contextlib
import logging
import multiprocessing
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import click
import pypdfium2 as pdfium
import pytest
import yaml
from click.testing import CliRunner, Result
from conftest import english_only, normalise_pdf_text
from pdftext import contains, pdf_texts
from pypdf import PdfReader
from pypdf.generic import DictionaryObject, StreamObject

from reportgen.build import build, render_variants
from reportgen.build.limits import Limits
from reportgen.cli import main
from reportgen.errors import VariantsFailedError
from reportgen.loading import MAX_DEPTH, MAX_EXPANDED_VALUES, MAX_FILE_BYTES
from reportgen.resources import EXAMPLE_BRIEFING

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
BRIEFING_ID = "mexico-multilateral-human-rights"
MIB = 1024 * 1024
# The shipped briefing in English only (its line numbers unchanged): the copies these tests
# write have no Spanish catalog beside them.
SHIPPED_TEXT = english_only(EXAMPLE_BRIEFING.read_text(encoding="utf-8"))

# Short limits keep the hostile cases quick; "tiny" needs a fraction of each.
QUICK = Limits(seconds=3, max_pages=500, memory_mib=1024)


# ---- Helpers -------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run in a fresh folder, with logging as a fresh process has it.

    The CLI raises WeasyPrint's logger to CRITICAL for the rest of the process; library calls
    made after a CLI test would otherwise run with that setting, which changes what they report.
    """
    monkeypatch.chdir(tmp_path)
    # A briefings project: the commands' default data is data/ here.
    (tmp_path / "data").mkdir()
    # English only: these tests are about hostile input, not translation, and the copy has no
    # catalog beside it.
    (tmp_path / "data" / EXAMPLE_BRIEFING.name).write_text(SHIPPED_TEXT, encoding="utf-8")
    loggers = [logging.getLogger(name) for name in ("weasyprint", "reportgen")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.NOTSET)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def assert_refused(result: Result, *fragments: str) -> list[str]:
    """Exit status 1, a message on stderr and no traceback; returns the message's lines."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr
    return result.stderr.strip().splitlines()


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder``, hidden ones included, with its bytes."""
    if not folder.exists():
        return {}
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def earlier_outputs(folder: Path, *audiences: str) -> dict[str, bytes]:
    """Fill ``folder`` with PDFs from an 'earlier build' and return its snapshot."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in audiences:
        path = folder / f"{BRIEFING_ID}-{name}.en.pdf"
        path.write_bytes(b"%PDF-1.7\n% an earlier build of " + name.encode() + b"\n%%EOF\n")
    (folder / "notes.txt").write_text("not ours to touch\n")
    return snapshot(folder)


def found_in(text: str, path: Path) -> bool:
    return any(contains(squash(extracted), squash(text)) for extracted in pdf_texts(path))


def squash(text: str) -> str:
    """Text as compared: accents, quotes and hyphenation as conftest normalises them, and no
    whitespace at all, since where lines break is the layout's business."""
    return "".join(normalise_pdf_text(text).split())


def off_page_characters(path: Path) -> str:
    """The characters drawn (wholly or partly) beyond the left or right edge of their page."""
    document = pdfium.PdfDocument(str(path))
    outside = []
    try:
        for index in range(len(document)):
            page = document[index]
            width, _ = page.get_size()
            textpage = page.get_textpage()
            for char in range(textpage.count_chars()):
                left, _, right, _ = textpage.get_charbox(char)
                if right > width + 0.5 or left < -0.5:
                    outside.append(textpage.get_text_range(char, 1))
            textpage.close()
            page.close()
    finally:
        document.close()
    return "".join(outside)


def fonts_of(path: Path) -> list[Any]:
    """The font dictionaries the PDF's pages (and the forms they draw) use."""
    found: dict[int, Any] = {}

    def visit(resources: Any, seen: set[int]) -> None:
        if resources is None:
            return
        resources = resources.get_object()
        fonts = resources.get("/Font")
        for reference in (fonts.get_object() if fonts is not None else {}).values():
            font = reference.get_object()
            found[id(font)] = font
        xobjects = resources.get("/XObject")
        for xobject in (xobjects.get_object() if xobjects is not None else {}).values():
            target = xobject.get_object()
            if id(target) not in seen and isinstance(target, DictionaryObject):
                seen.add(id(target))
                visit(target.get("/Resources"), seen)

    for page in PdfReader(path).pages:
        visit(page.get("/Resources"), set())
    return list(found.values())


def notdef_fonts(path: Path) -> list[str]:
    """Fonts in which the PDF draws a .notdef glyph (the empty box of a character no font has).

    WeasyPrint gives such a font an embedded CMap that maps the missing characters to glyph 0.
    """
    found = set()
    for font in fonts_of(path):
        encoding = font.get("/Encoding")
        encoding = encoding.get_object() if encoding is not None else None
        if isinstance(encoding, StreamObject):
            cmap = encoding.get_data().decode("latin-1")
            if re.search(r"^<[0-9a-fA-F]+> 0$", cmap, re.MULTILINE):
                found.add(str(font.get("/BaseFont")))
    return sorted(found)


def shipped_raw() -> dict[str, Any]:
    raw = yaml.safe_load(SHIPPED_TEXT)
    assert isinstance(raw, dict)
    return raw


def section(raw: dict[str, Any], kind: str) -> dict[str, Any]:
    found: dict[str, Any] = next(item for item in raw["sections"] if item["kind"] == kind)
    return found


def write_data(folder: Path, raw: dict[str, Any], name: str = "briefing.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if fragment in line)


# ---- YAML ------------------------------------------------------------------------------------


AUTHOR = "author: Multilateral human rights briefing team\n"


def _deep_block() -> bytes:
    nesting = "".join("  " * level + f"level{level}:\n" for level in range(MAX_DEPTH + 5))
    return ("id: deep\n" + nesting + "  " * (MAX_DEPTH + 5) + "bottom\n").encode()


def _shipped_with(old: str, new: bytes) -> bytes:
    assert SHIPPED_TEXT.count(old) == 1
    return SHIPPED_TEXT.encode().replace(old.encode(), new)


AUTHOR_LINE = line_of(SHIPPED_TEXT, AUTHOR.strip())
_KEYWORDS = re.search(r"^keywords:\n(?:  - .*\n)+", SHIPPED_TEXT, re.MULTILINE)
assert _KEYWORDS, "the shipped briefing lists its keywords"
KEYWORDS = _KEYWORDS[0]
KEYWORDS_LINE = line_of(SHIPPED_TEXT, "keywords:")


@dataclass(frozen=True)
class YamlCase:
    content: bytes
    # The whole message after "error: ", as a regular expression over one line.
    message: str


YAML_CASES = {
    "alias bomb": YamlCase(
        (HOSTILE / "alias-bomb.yaml").read_bytes(),
        rf"bad\.yaml:\d+:\d+: expands to more than {MAX_EXPANDED_VALUES} values \(alias bomb\?\)",
    ),
    "recursive alias": YamlCase(
        (HOSTILE / "recursive-alias.yaml").read_bytes(),
        r"bad\.yaml:2:5: an alias refers to a value that contains it",
    ),
    "deep nesting": YamlCase(
        _deep_block(), rf"bad\.yaml:{MAX_DEPTH + 1}:\d+: nested more than {MAX_DEPTH} levels deep"
    ),
    "deep flow nesting": YamlCase(
        b"id: " + b"[" * 20_000 + b"]" * 20_000 + b"\n",
        rf"bad\.yaml: nested more than {MAX_DEPTH} levels deep",
    ),
    "NUL byte": YamlCase(
        _shipped_with(AUTHOR, b"author: Multilateral\x00human rights briefing team\n"),
        rf"bad\.yaml:{AUTHOR_LINE}: character U\+0000 is not allowed in YAML",
    ),
    "other control character": YamlCase(
        _shipped_with(AUTHOR, b"author: Multilateral\x1bhuman rights briefing team\n"),
        rf"bad\.yaml:{AUTHOR_LINE}: character U\+001B is not allowed in YAML",
    ),
    "tab indentation": YamlCase(
        _shipped_with(AUTHOR, b"author:\n\tMultilateral human rights briefing team\n"),
        rf"bad\.yaml:{AUTHOR_LINE + 1}:1: a tab: YAML indents with spaces, never tabs: .*",
    ),
    "invalid UTF-8": YamlCase(
        _shipped_with(AUTHOR, b"author: Multilateral \xe9quipe\n"),
        rf"bad\.yaml:{AUTHOR_LINE}: is not valid UTF-8: invalid continuation byte",
    ),
    "UTF-16": YamlCase(
        SHIPPED_TEXT.encode("utf-16"), r"bad\.yaml:1: is not valid UTF-8: invalid start byte"
    ),
    "over the size cap": YamlCase(
        SHIPPED_TEXT.encode() + b"# padding\n" * (MAX_FILE_BYTES // 10),
        r"bad\.yaml: is [\d,]+ bytes; the limit for a data file is 2 MiB",
    ),
    "multi-document stream": YamlCase(
        SHIPPED_TEXT.encode() + b"---\nid: second\n",
        rf"bad\.yaml:{len(SHIPPED_TEXT.splitlines()) + 1}:1: expected a single document in the "
        r"stream but found another document",
    ),
    "!!python tag": YamlCase(
        b"id: !!python/object/apply:os.system [touch pwned]\n",
        r"bad\.yaml:1:5: YAML tag !!python/object/apply:os\.system is not allowed; only plain "
        r"values, lists and mappings are",
    ),
    # Tags the safe loader would build: a set's order changes from one run to the next, so two
    # builds of one file would differ; the others build values no model field is written for.
    "!!set": YamlCase(
        _shipped_with(KEYWORDS, b"keywords: !!set {Mexico, OAS}\n"),
        rf"bad\.yaml:{KEYWORDS_LINE}:11: YAML tag !!set is not allowed; write a list instead",
    ),
    "!!omap": YamlCase(
        _shipped_with(KEYWORDS, b"keywords: !!omap [a: 1]\n"),
        rf"bad\.yaml:{KEYWORDS_LINE}:11: YAML tag !!omap is not allowed; write a mapping instead",
    ),
    "!!binary": YamlCase(
        _shipped_with(AUTHOR, b"author: !!binary aGVsbG8=\n"),
        rf"bad\.yaml:{AUTHOR_LINE}:9: YAML tag !!binary is not allowed; write the value as text "
        r"instead",
    ),
    "local tag": YamlCase(
        _shipped_with(AUTHOR, b"author: !team Multilateral\n"),
        rf"bad\.yaml:{AUTHOR_LINE}:9: YAML tag !team is not allowed; only plain values, lists "
        r"and mappings are",
    ),
    "duplicate key": YamlCase(
        _shipped_with(AUTHOR, AUTHOR.encode() + b"title: A second title\n"),
        rf"bad\.yaml:{AUTHOR_LINE + 1}:1: duplicate key 'title' \(first given on line "
        rf"{line_of(SHIPPED_TEXT, 'title: ')}\)",
    ),
}


@pytest.mark.parametrize("case", YAML_CASES.values(), ids=YAML_CASES.keys())
def test_hostile_yaml_is_refused_in_one_line_and_changes_nothing(
    tmp_path: Path, case: YamlCase
) -> None:
    (tmp_path / "bad.yaml").write_bytes(case.content)
    before = earlier_outputs(tmp_path / "out", "public")

    result = cli("build", "--data", "bad.yaml", "--out", "out", "--audience", "public")

    (line,) = assert_refused(result)
    assert re.fullmatch("error: " + case.message, line), line
    assert snapshot(tmp_path / "out") == before
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    "content",
    [
        b"\xef\xbb\xbf" + SHIPPED_TEXT.encode(),
        _shipped_with(AUTHOR, b'author: "Multilateral\thuman rights briefing team"\n'),
    ],
    ids=["byte-order mark", "tab inside a quoted value"],
)
def test_legitimate_yaml_oddities_are_accepted(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "odd.yaml").write_bytes(content)
    result = cli("validate", "odd.yaml")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("odd.yaml: valid")


def test_a_file_with_a_byte_order_mark_builds(tmp_path: Path) -> None:
    (tmp_path / "bom.yaml").write_bytes(b"\xef\xbb\xbf" + SHIPPED_TEXT.encode())
    result = cli("build", "--data", "bom.yaml", "--out", "out", "--audience", "executive")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / f"{BRIEFING_ID}-executive.en.pdf").read_bytes().startswith(b"%PDF-")


# ---- Data: text is shown as text, wherever it goes -------------------------------------------

# Keys whose values are not free text: identifiers, enumerations, language codes, dates, URLs,
# citations.
NOT_TEXT = {"id", "kind", "language", "translations", "date", "visibility", "url", "sources"}
METADATA_ONLY = {"subject", "keywords"}


def _hostile_text(number: int) -> str:
    # Markup, a stylesheet, attribute breaking quotes, an entity and template syntax: all of it
    # must reach the reader as the characters typed.
    return f"<i>F{number}</i><style>p{{display:none}}</style>\"'&amp;{{{{ 7*7 }}}}F{number}."


def _fill_text_fields(value: Any, path: tuple[str | int, ...], markers: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {
            key: item if key in NOT_TEXT else _fill_text_fields(item, (*path, key), markers)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_fill_text_fields(item, (*path, i), markers) for i, item in enumerate(value)]
    if isinstance(value, str):
        marker = _hostile_text(len(markers) + 1)
        markers[".".join(map(str, path))] = marker
        return marker
    return value


def attribute_values(html: str) -> list[str]:
    """Every attribute value in ``html``, with character references resolved."""
    values: list[str] = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            values.extend(value for _, value in attrs if value)

    parser = Parser(convert_charrefs=True)
    parser.feed(html)
    parser.close()
    return values


def test_html_and_css_in_every_text_field_are_shown_as_text(tmp_path: Path) -> None:
    markers: dict[str, str] = {}
    data = write_data(tmp_path, _fill_text_fields(shipped_raw(), (), markers))
    assert len(markers) > 60

    (variant,) = render_variants(data, ["delegation"])
    assert "<style>p{" not in variant.html
    assert "<i>F" not in variant.html
    # Where a value lands in an attribute (data-title, meta content, aria-label), its quotes
    # must not end the attribute: each attribute that has the start of a value has all of it.
    values = attribute_values(variant.html)
    assert any(markers["title"] in value for value in values)
    broken = [
        value
        for value in values
        for marker in markers.values()
        if marker.split("<style>")[0] in value and marker not in value
    ]
    assert broken == []
    (built,) = build(data, ["delegation"], tmp_path / "out")

    texts = [squash(extracted) for extracted in pdf_texts(built.path)]
    missing = [
        path
        for path, marker in markers.items()
        if path.split(".")[0] not in METADATA_ONLY
        and not any(contains(text, squash(marker)) for text in texts)
    ]
    assert missing == []
    metadata = PdfReader(built.path).metadata
    assert metadata is not None
    assert metadata.subject == markers["subject"]
    assert metadata.title == markers["title"]
    keywords = str(metadata.get("/Keywords"))
    assert all(marker in keywords for path, marker in markers.items() if path.startswith("keyw"))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("javascript:alert(1)", "URL scheme should be 'http' or 'https'"),
        ("file:///etc/passwd", "URL scheme should be 'http' or 'https'"),
        ("data:text/html,<script>alert(1)</script>", "URL scheme should be 'http' or 'https'"),
    ],
)
def test_source_urls_that_are_not_web_addresses_are_refused(
    tmp_path: Path, url: str, message: str
) -> None:
    raw = shipped_raw()
    raw["sources"][1]["url"] = url
    data = write_data(tmp_path, raw, "bad.yaml")
    line = line_of(data.read_text(encoding="utf-8"), "url: ")

    (problem,) = assert_refused(cli("validate", "bad.yaml"), message)

    assert problem.startswith(f"error: bad.yaml:{line}: sources.1.url: ")


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A local TCP port that records whether anything connected to it."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.3)
    yield server
    server.close()


def connections(server: socket.socket) -> int:
    count = 0
    while True:
        try:
            accepted, _ = server.accept()
        except TimeoutError:
            return count
        accepted.close()
        count += 1


def test_a_source_url_is_printed_and_never_fetched(tmp_path: Path, listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    url = f"http://127.0.0.1:{port}/report?redirect=file:///etc/passwd"
    raw = shipped_raw()
    raw["sources"][1]["url"] = url
    (built,) = build(write_data(tmp_path, raw), ["public"], tmp_path / "out")
    assert found_in(url, built.path)
    assert connections(listener) == 0


PROFILE = "name: evil\ndescription: A hostile profile.\nmarking: PUBLIC\ntheme:\n  {setting}\n"


@pytest.mark.parametrize(
    ("setting", "location"),
    [
        ('primary: "red; } body { display: none"', "theme.primary"),
        ("accent: url(http://127.0.0.1/x)", "theme.accent"),
        ("body_font: 'Serif\"; } * { color: red'", "theme.body_font"),
        ('stylesheets: ["file:///etc/passwd"]', "theme.stylesheets.0"),
        ("cover_image: ../../../etc/passwd", "theme.cover_image"),
    ],
)
def test_profile_values_bound_for_css_or_urls_are_refused_with_their_line(
    tmp_path: Path, setting: str, location: str
) -> None:
    folder = tmp_path / "brand"
    (folder / "audiences").mkdir(parents=True)
    (folder / "audiences" / "evil.yaml").write_text(PROFILE.format(setting=setting))
    before = earlier_outputs(tmp_path / "out", "evil")

    result = cli("build", "--templates", "brand", "--audience", "evil", "--out", "out")

    (line,) = assert_refused(result)
    assert line.startswith(f"error: brand/audiences/evil.yaml:5: {location}: "), line
    assert snapshot(tmp_path / "out") == before


def test_very_long_words_stay_on_the_page(tmp_path: Path) -> None:
    raw = shipped_raw()
    word = "Pneumonoultramicroscopic" + "x" * 400
    raw["title"] = "Title" + "y" * 150
    section(raw, "key_messages")["messages"][0]["text"] = f"A word: {word}."
    (built,) = build(write_data(tmp_path, raw), ["public"], tmp_path / "out")

    assert found_in(word, built.path)
    outside = off_page_characters(built.path)
    assert outside == "", f"{len(outside)} characters drawn off the page: {outside[:40]!r}..."


OTHER_SCRIPTS = {
    # "Mexico supports human rights"; the last word has a lam-alef ligature (two letters, a glyph).
    "Arabic": "\u0627\u0644\u0645\u0643\u0633\u064a\u0643 \u062a\u062f\u0639\u0645 "
    "\u062d\u0642\u0648\u0642 \u0627\u0644\u0625\u0646\u0633\u0627\u0646",
    "Hebrew": "\u05de\u05e7\u05e1\u05d9\u05e7\u05d5 \u05ea\u05d5\u05de\u05db\u05ea "
    "\u05d1\u05d6\u05db\u05d5\u05d9\u05d5\u05ea \u05d0\u05d3\u05dd",
    "emoji": "Mexico \U0001f1f2\U0001f1fd welcomes progress \U0001f44d\U0001f600",
}


@pytest.mark.parametrize("text", OTHER_SCRIPTS.values(), ids=OTHER_SCRIPTS.keys())
def test_text_in_other_scripts_is_drawn_and_found(tmp_path: Path, text: str) -> None:
    # Legitimate text, which the bundled fonts cover: it must be drawn with real glyphs (not the
    # empty box of a missing glyph) and found again by text extraction.
    raw = shipped_raw()
    section(raw, "key_messages")["messages"][0]["text"] = text
    (built,) = build(write_data(tmp_path, raw), ["executive"], tmp_path / "out")
    assert found_in(text, built.path)
    assert notdef_fonts(built.path) == [], "characters drawn as empty boxes"


def test_the_emoji_font_draws_only_emoji(tmp_path: Path) -> None:
    # Noto Emoji also has the digits, "#" and "*" (keycaps are made from them): a briefing
    # without a single emoji must not have any of its text drawn with it.
    (built,) = build(EXAMPLE_BRIEFING, ["public"], tmp_path / "out", language="en")
    names = sorted({str(font.get("/BaseFont")) for font in fonts_of(built.path)})
    assert [name for name in names if "Emoji" in name] == [], names


# ---- Templates -----------------------------------------------------------------------------

EVIL_PROFILE = """\
name: evil
description: A hostile template.
template: evil.html.j2
sections: [key-messages]
marking: PUBLIC
"""
TINY_PROFILE = """\
name: tiny
description: A one-paragraph variant, quick to lay out.
template: tiny.html.j2
sections: [key-messages]
marking: PUBLIC
"""
TINY_TEMPLATE = """\
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ briefing.title }}</title></head>
<body><p>{{ briefing.title }}</p></body></html>
"""


def in_head(markup: str) -> str:
    return (
        '{% extends "builtin/briefing.html.j2" %}\n'
        "{% block stylesheets %}{{ super() }}" + markup + "{% endblock %}\n"
    )


def in_body(markup: str) -> str:
    return (
        '{% extends "builtin/briefing.html.j2" %}\n'
        "{% block cover %}" + markup + "{{ super() }}{% endblock %}\n"
    )


def image(name: str) -> str:
    return in_body(f'<img alt="figure" src="{{{{ asset_url(\'{name}\') }}}}">')


def stylesheet(name: str) -> str:
    return in_head(f'<link rel="stylesheet" href="{{{{ asset_url(\'{name}\') }}}}">')


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png(width: int, height: int, idat: bytes) -> bytes:
    """An 8-bit RGB PNG with valid CRCs, whatever its pixel data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


# A tiny file that claims ten billion pixels.
PNG_CLAIMING_TEN_BILLION_PIXELS = png(100_000, 100_000, zlib.compress(b"\x00" * 4096))
EPS = (HOSTILE / "figure.eps").read_bytes()


@dataclass(frozen=True)
class Attack:
    template: str
    # What the refusal must say. "@FOLDER@" stands for the template folder's file URL.
    refusal: str
    files: Mapping[str, bytes] = field(default_factory=dict)
    links: Mapping[str, str] = field(default_factory=dict)
    fifos: Sequence[str] = ()


OUTSIDE = "outside the template and data folders"
NOT_SERVED = "only files in the template and data folders may load"
ATTACKS = {
    "file:///etc/passwd stylesheet": Attack(
        in_head('<link rel="stylesheet" href="file:///etc/passwd">'),
        f"file:///etc/passwd: {OUTSIDE}",
    ),
    "/dev/urandom image": Attack(
        in_body('<img alt="noise" src="/dev/urandom">'), f"file:///dev/urandom: {OUTSIDE}"
    ),
    "link to /dev/urandom in the folder": Attack(
        in_body('<img alt="noise" src="@FOLDER@/noise.png">'),
        f"@FOLDER@/noise.png: links to a file {OUTSIDE}; refused",
        links={"noise.png": "/dev/urandom"},
    ),
    "named pipe in the folder": Attack(
        in_head('<link rel="stylesheet" href="@FOLDER@/pipe.css">'),
        "@FOLDER@/pipe.css: is not a regular file (it is a named pipe)",
        fifos=["pipe.css"],
    ),
    "http://127.0.0.1 stylesheet": Attack(
        in_head('<link rel="stylesheet" href="http://127.0.0.1:9/style.css">'),
        f"http://127.0.0.1:9/style.css: {NOT_SERVED}",
    ),
    "<link rel=attachment>": Attack(
        in_head('<link rel="attachment" href="{{ asset_url(\'style/briefing.css\') }}">'),
        "templates may not attach files to the PDF",
    ),
    "<a rel=attachment>": Attack(
        in_body('<a rel="attachment" href="{{ asset_url(\'style/briefing.css\') }}">data</a>'),
        "templates may not attach files to the PDF",
    ),
    "@import of a system file": Attack(
        stylesheet("brand.css"),
        f"file:///etc/passwd: {OUTSIDE}",
        files={"brand.css": b'@import url("file:///etc/passwd");\n'},
    ),
    "@import climbing out of the folder": Attack(
        stylesheet("css/brand.css"),
        "outside.css: " + OUTSIDE,
        files={"css/brand.css": b'@import "../../outside.css";\n'},
    ),
    "@font-face from a system folder": Attack(
        in_head(
            "<style>@font-face { font-family: Stolen; src: url("
            '"file:///usr/share/fonts/truetype/dejavu/DejaVuSans.ttf") }\n'
            "body { font-family: Stolen }</style>"
        ),
        f"file:///usr/share/fonts/truetype/dejavu/DejaVuSans.ttf: {OUTSIDE}",
    ),
    "SVG entity expansion": Attack(
        image("laughs.svg"),
        "Failed to load image at '@FOLDER@/laughs.svg'",
        files={"laughs.svg": (HOSTILE / "billion-laughs.svg").read_bytes()},
    ),
    "SVG external entity": Attack(
        image("entity.svg"),
        "Failed to load image at '@FOLDER@/entity.svg'",
        files={"entity.svg": (HOSTILE / "external-entity.svg").read_bytes()},
    ),
    "SVG external references": Attack(
        image("refs.svg"),
        f"file:///etc/passwd: {OUTSIDE}",
        files={"refs.svg": (HOSTILE / "external-image.svg").read_bytes()},
    ),
    "inline SVG external reference": Attack(
        in_body('<svg width="10" height="10"><image href="file:///etc/passwd"/></svg>'),
        f"file:///etc/passwd: {OUTSIDE}",
    ),
    "EPS image": Attack(
        image("figure.eps"),
        "@FOLDER@/figure.eps: PostScript is not loaded",
        files={"figure.eps": EPS},
    ),
    "EPS named .png": Attack(
        image("figure.png"),
        "@FOLDER@/figure.png: PostScript is not loaded",
        files={"figure.png": EPS},
    ),
    "EPS in a data: URL": Attack(
        in_body(f'<img alt="x" src="data:image/png;base64,{base64.b64encode(EPS).decode()}">'),
        "PostScript is not loaded",
    ),
    "decompression-bomb PNG": Attack(
        image("bomb.png"),
        "Failed to load image at '@FOLDER@/bomb.png'",
        files={"bomb.png": PNG_CLAIMING_TEN_BILLION_PIXELS},
    ),
}


def user_folder(root: Path, template: str, attack: Attack | None = None) -> Path:
    """A template folder with the ``evil`` audience (using ``template``) and ``tiny``."""
    folder = root / "hostile-templates"
    (folder / "audiences").mkdir(parents=True)
    (folder / "audiences" / "evil.yaml").write_text(EVIL_PROFILE)
    (folder / "audiences" / "tiny.yaml").write_text(TINY_PROFILE)
    (folder / "tiny.html.j2").write_text(TINY_TEMPLATE)
    url = folder.resolve().as_uri()
    (folder / "evil.html.j2").write_text(template.replace("@FOLDER@", url))
    if attack is not None:
        for name, content in attack.files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(content)
        for name, target in attack.links.items():
            (folder / name).symlink_to(target)
        for name in attack.fifos:
            os.mkfifo(folder / name)
    (root / "outside.css").write_text("body { color: red }\n")
    return folder


def refusal(attack: Attack, folder: Path) -> str:
    return attack.refusal.replace("@FOLDER@", folder.resolve().as_uri())


@pytest.mark.parametrize("attack", ATTACKS.values(), ids=ATTACKS.keys())
def test_template_attack_fails_its_variant_only_and_writes_nothing(
    tmp_path: Path, attack: Attack
) -> None:
    folder = user_folder(tmp_path, attack.template, attack)
    before = earlier_outputs(tmp_path / "out", "evil", "tiny")

    with pytest.raises(VariantsFailedError) as caught:
        build(
            EXAMPLE_BRIEFING,
            ["evil", "tiny"],
            tmp_path / "out",
            [folder],
            limits=QUICK,
            language="en",
        )

    assert [key.audience for key in caught.value.failures] == ["evil"]
    assert refusal(attack, folder) in str(next(iter(caught.value.failures.values())))
    assert snapshot(tmp_path / "out") == before


@pytest.mark.parametrize("attack", ATTACKS.values(), ids=ATTACKS.keys())
def test_template_attack_through_the_cli(tmp_path: Path, attack: Attack) -> None:
    folder = user_folder(tmp_path, attack.template, attack)
    before = earlier_outputs(tmp_path / "out", "evil")

    result = cli("build", "--templates", str(folder), "--audience", "evil", "--out", "out")

    lines = assert_refused(result, refusal(attack, folder))
    assert lines[0] == "error: nothing was written; these variants failed:"
    assert snapshot(tmp_path / "out") == before


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("picture.png", PNG_CLAIMING_TEN_BILLION_PIXELS, "decompression bomb"),
        ("drawing.svg", (HOSTILE / "billion-laughs.svg").read_bytes(), "amplification"),
        ("drawing.svg", (HOSTILE / "external-entity.svg").read_bytes(), "undefined entity"),
    ],
    ids=["decompression-bomb PNG", "SVG entity expansion", "SVG external entity"],
)
def test_an_image_refusal_says_why(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    folder = user_folder(tmp_path, image(name), Attack("", "", files={name: content}))
    with pytest.raises(VariantsFailedError) as caught:
        build(EXAMPLE_BRIEFING, ["evil"], tmp_path / "out", [folder], limits=QUICK, language="en")
    message = str(next(iter(caught.value.failures.values())))
    assert name in message
    assert reason in message, f"the message gives no reason: {message!r}"


def test_http_is_refused_before_any_connection_so_nothing_can_redirect(
    tmp_path: Path, listener: socket.socket
) -> None:
    # There is no network here, and file:// URLs are never redirected; what can be shown is that
    # an http:// resource is refused before a connection is made, so no server can redirect it.
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/moved?to=file:///etc/passwd"
    template = in_head(f'<link rel="stylesheet" href="{url}">')
    folder = user_folder(tmp_path, template)

    with pytest.raises(VariantsFailedError) as caught:
        build(EXAMPLE_BRIEFING, ["evil"], tmp_path / "out", [folder], limits=QUICK, language="en")

    assert f"{url}: {NOT_SERVED}" in str(caught.value)
    assert connections(listener) == 0


SANDBOX_ESCAPES = [
    "cycler.__init__.__globals__",
    "lipsum.__globals__",
    "namespace.__init__.__globals__",
    "''|attr('__class__')",
    "self._TemplateReference__context",
    "'{0.__class__}'.format(briefing)",
    "asset_url.__call__.__globals__",
    "theme_css.__globals__",
    "briefing.__dict__",
    "cite._sources",
]


@pytest.mark.parametrize("expression", SANDBOX_ESCAPES)
def test_sandbox_escape_is_refused_with_the_template_line(tmp_path: Path, expression: str) -> None:
    folder = user_folder(tmp_path, in_body("\n{{ " + expression + " }}"))
    before = earlier_outputs(tmp_path / "out", "evil")

    result = cli("build", "--templates", str(folder), "--audience", "evil", "--out", "out")

    lines = assert_refused(result, "SecurityError", "unsafe")
    assert any(f"{folder / 'evil.html.j2'}:3: SecurityError" in line for line in lines), lines
    assert "<class" not in result.output and "<function" not in result.output
    assert snapshot(tmp_path / "out") == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{% macro again(n) %}{{ again(n) }}{% endmacro %}{{ again(1) }}", "RecursionError"),
        ("{{ range(10**9) | list | length }}", "Range too big"),
    ],
    ids=["endless recursion", "huge range"],
)
def test_runaway_template_is_stopped_by_the_sandbox(
    tmp_path: Path, body: str, message: str
) -> None:
    folder = user_folder(tmp_path, in_body(body))
    before = earlier_outputs(tmp_path / "out", "evil")
    result = cli("build", "--templates", str(folder), "--audience", "evil", "--out", "out")
    lines = assert_refused(result, message)
    assert any(f"{folder / 'evil.html.j2'}:2: " in line for line in lines), lines
    assert snapshot(tmp_path / "out") == before


# ---- Bounded work --------------------------------------------------------------------------

Outcome = tuple[str, dict[str, str], str]


def _build_in_child(
    sender: Connection,
    memory_guard_mib: int | None,
    folder: Path,
    out: Path,
    limits: Limits,
) -> None:
    os.setpgrp()  # so that the test can stop this build and every process it started
    if memory_guard_mib is not None:
        import resource

        status = Path("/proc/self/status").read_text()
        size_kib = int(re.search(r"^VmSize:\s+(\d+) kB", status, re.MULTILINE).group(1))  # type: ignore[union-attr]
        guard = size_kib * 1024 + memory_guard_mib * MIB
        resource.setrlimit(resource.RLIMIT_AS, (guard, guard))
    outcome: Outcome
    try:
        build(EXAMPLE_BRIEFING, ["evil", "tiny"], out, [folder], limits=limits, language="en")
        outcome = ("built", {}, "")
    except VariantsFailedError as error:
        failures = {key.audience: str(failure) for key, failure in error.failures.items()}
        outcome = ("variants failed", failures, str(error))
    except BaseException as error:
        outcome = (type(error).__name__, {}, str(error))
    sender.send(outcome)
    sender.close()


def build_guarded(
    folder: Path, out: Path, limits: Limits, wait: float, memory_guard_mib: int | None = None
) -> Outcome | None:
    """Build ``evil`` and ``tiny`` in a child process; None if it is still running after ``wait``
    seconds (it is then killed). ``memory_guard_mib`` caps what the child may allocate beyond
    what it has, so a build that does not bound its memory cannot take the test machine's.

    The child is a fresh interpreter (spawned), as a user's `reportgen` is: memory limits bound
    each layout worker's address space, and workers forked from this test process would start
    with everything the session has loaded (libraries, threads' arenas)."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_build_in_child,
        args=(sender, memory_guard_mib, folder, out, limits),
    )
    child.start()
    sender.close()
    assert child.pid is not None
    try:
        if not receiver.poll(wait):
            return None
        outcome: Outcome = receiver.recv()
        return outcome
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.join()
        receiver.close()


def test_runaway_template_loop_is_stopped_by_the_time_limit(tmp_path: Path) -> None:
    # Ten billion iterations, each within the sandbox's range cap.
    folder = user_folder(
        tmp_path,
        in_body("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"),
    )
    before = earlier_outputs(tmp_path / "out", "evil", "tiny")
    limits = Limits(seconds=2, max_pages=500, memory_mib=1024)

    outcome = build_guarded(folder, tmp_path / "out", limits, wait=20)

    assert outcome is not None, (
        "the build was still running 20 s after starting, with a time limit of 2 s: "
        "the limit does not cover rendering the template"
    )
    kind, failures, message = outcome
    assert kind == "variants failed", message
    assert list(failures) == ["evil"]
    assert "time limit of 2 s" in failures["evil"]
    assert snapshot(tmp_path / "out") == before


@pytest.mark.parametrize(
    "css",
    [
        "p, li { font-size: 1e9px }",
        "p, li { letter-spacing: 1e9px }",
        "main { width: 1e30px; column-count: 100000 }",
        "li { padding-bottom: 1e12px }",
        "@page { size: 1e9px 1e9px }",
        "@page { size: 1px 1px; margin: 0 }",
    ],
)
def test_huge_css_values_fail_cleanly_or_build(tmp_path: Path, css: str) -> None:
    folder = user_folder(tmp_path, in_head(f"<style>{css}</style>"))
    before = earlier_outputs(tmp_path / "out", "evil", "tiny")
    try:
        built = build(
            EXAMPLE_BRIEFING,
            ["evil", "tiny"],
            tmp_path / "out",
            [folder],
            limits=QUICK,
            language="en",
        )
    except VariantsFailedError as error:
        assert [key.audience for key in error.failures] == ["evil"]
        assert re.search(
            r"time limit of 3 s|the cap is 500|memory limit|WeasyPrint failed",
            str(next(iter(error.failures.values()))),
        ), str(error)
        assert snapshot(tmp_path / "out") == before
    else:
        assert sorted(item.audience for item in built) == ["evil", "tiny"]
        assert all(item.pages <= QUICK.max_pages for item in built)


def test_runaway_layout_is_stopped_by_the_time_limit(tmp_path: Path) -> None:
    folder = user_folder(
        tmp_path, in_body("{% for i in range(100000) %}<p>Paragraph {{ i }}</p>{% endfor %}")
    )
    before = earlier_outputs(tmp_path / "out", "evil", "tiny")

    with pytest.raises(VariantsFailedError) as caught:
        build(
            EXAMPLE_BRIEFING,
            ["evil", "tiny"],
            tmp_path / "out",
            [folder],
            limits=QUICK,
            language="en",
        )

    assert [key.audience for key in caught.value.failures] == ["evil"]
    assert str(next(iter(caught.value.failures.values()))) == "stopped after the time limit of 3 s"
    assert snapshot(tmp_path / "out") == before


def test_page_cap_fails_the_long_variant_only(tmp_path: Path) -> None:
    folder = user_folder(tmp_path, in_body(""))
    before = earlier_outputs(tmp_path / "out", "evil", "tiny")
    limits = Limits(seconds=30, max_pages=2, memory_mib=1024)

    with pytest.raises(VariantsFailedError) as caught:
        build(
            EXAMPLE_BRIEFING,
            ["evil", "tiny"],
            tmp_path / "out",
            [folder],
            limits=limits,
            language="en",
        )

    assert [key.audience for key in caught.value.failures] == ["evil"]
    assert re.fullmatch(
        r"the PDF would have \d+ pages; the cap is 2",
        str(next(iter(caught.value.failures.values()))),
    )
    assert snapshot(tmp_path / "out") == before


@pytest.fixture(scope="module")
def decompression_bomb() -> bytes:
    """A valid 9000 x 9000 PNG (under Pillow's bomb threshold) of 240 MB of pixels, in 240 kB."""
    width = height = 9000
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + 3 * width)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return png(width, height, idat)


def test_memory_limit_stops_a_decompression_bomb_and_says_so(
    tmp_path: Path, decompression_bomb: bytes
) -> None:
    folder = user_folder(
        tmp_path, image("bomb.png"), Attack("", "", files={"bomb.png": decompression_bomb})
    )
    before = earlier_outputs(tmp_path / "out", "evil", "tiny")
    limits = Limits(seconds=30, max_pages=500, memory_mib=640)

    outcome = build_guarded(folder, tmp_path / "out", limits, wait=60)

    assert outcome is not None
    kind, failures, message = outcome
    assert kind == "variants failed", f"{kind}: {message}"
    assert list(failures) == ["evil"]
    assert "640 MiB memory limit" in failures["evil"]
    assert snapshot(tmp_path / "out") == before


def test_memory_limit_covers_rendering_the_template(tmp_path: Path) -> None:
    # Two gigabytes of text made by the template itself, with a limit of 640 MiB a variant.
    folder = user_folder(tmp_path, in_body("{{ ('x' * 2 * 1000 * 1000 * 1000) | length }}"))
    before = earlier_outputs(tmp_path / "out", "evil", "tiny")
    limits = Limits(seconds=30, max_pages=500, memory_mib=640)

    outcome = build_guarded(folder, tmp_path / "out", limits, wait=60, memory_guard_mib=1536)

    assert outcome is not None
    kind, failures, message = outcome
    assert kind == "variants failed", f"{kind}: {message}"
    assert list(failures) == ["evil"]
    assert "640 MiB memory limit" in failures["evil"]
    assert snapshot(tmp_path / "out") == before


def test_the_smallest_memory_limit_the_cli_accepts_builds_the_shipped_briefing(
    tmp_path: Path,
) -> None:
    option = next(param for param in main.commands["build"].params if param.name == "memory_limit")
    assert isinstance(option.type, click.IntRange)
    assert option.type.min is not None
    smallest = str(option.type.min)
    # In a process of its own, as a user runs it: the limit bounds each worker's address space,
    # and a worker forked from this test process would start with all that pytest has loaded.
    command = ["build", "--audience", "executive", "--out", "out", "--memory-limit", smallest]
    result = subprocess.run(
        [sys.executable, "-m", "reportgen", *command],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "out" / f"{BRIEFING_ID}-executive.en.pdf").exists()
