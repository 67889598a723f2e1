"""Fonts: only the bundled ones and those the templates declare; a character none has is located.

A test font, "Test Han", is made here with fontTools: a box for each of 人 and 权, which no
bundled font has. Refusals are checked as a user meets them: the problem lines, and an output
folder left exactly as an earlier build left it.
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from conftest import english_only
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont
from pdftext import pdf_texts

from reportgen.build import BuiltFile, build
from reportgen.errors import BuildError, VariantsFailedError
from reportgen.pdf import fonts
from reportgen.resources import BUILTIN_TEMPLATES, EXAMPLE_BRIEFING

HAN = "人权"  # "human rights"
TEST_HAN = "TestHan-Regular"  # the test font's PostScript name
NO_FONT = (
    'no font the templates declare can draw {} (to add one, see "Fonts" in docs/customising.md)'
)
REN = '"人" (U+4EBA CJK UNIFIED IDEOGRAPH-4EBA)'
QUAN = '"权" (U+6743 CJK UNIFIED IDEOGRAPH-6743)'
SHIPPED_TEXT = english_only(EXAMPLE_BRIEFING.read_text(encoding="utf-8"))
# Inside the first key message, on the second line of its folded text: not where the value starts.
TYPED_AT = "with the Executive, Legislative"
EXECUTIVE_PROFILE = (BUILTIN_TEMPLATES / "audiences" / "executive.yaml").read_text()


@pytest.fixture
def han_font(tmp_path: Path) -> Path:
    """A TrueType font, family "Test Han": .notdef, space, and a box for 人 and for 权."""

    def box(bottom: int, top: int) -> Any:
        pen = TTGlyphPen(None)
        pen.moveTo((100, bottom))
        for point in ((100, top), (900, top), (900, bottom)):
            pen.lineTo(point)
        pen.closePath()
        return pen.glyph()

    glyphs = {".notdef": box(0, 700), "space": TTGlyphPen(None).glyph()}
    glyphs |= {name: box(-50, 800) for name in ("uni4EBA", "uni6743")}
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder(list(glyphs))
    builder.setupCharacterMap({0x20: "space", 0x4EBA: "uni4EBA", 0x6743: "uni6743"})
    builder.setupGlyf(glyphs)
    builder.setupHorizontalMetrics(dict.fromkeys(glyphs, (1000, 100)) | {"space": (500, 0)})
    builder.setupHorizontalHeader(ascent=880, descent=-120)
    builder.setupNameTable({"familyName": "Test Han", "styleName": "Regular", "psName": TEST_HAN})
    builder.setupOS2(sTypoAscender=880, sTypoDescender=-120, usWinAscent=880, usWinDescent=120)
    builder.setupPost()
    path = tmp_path / "TestHan.ttf"
    builder.save(str(path))
    return path


@pytest.fixture
def earlier_out(tmp_path: Path, built_pdfs: dict[str, BuiltFile]) -> Path:
    """An output folder as an earlier build of the shipped briefing left it, manifest and all."""
    return Path(shutil.copytree(built_pdfs["executive"].path.parent, tmp_path / "out"))


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Problems name files relative to the current folder, as a user typed them.
    monkeypatch.chdir(tmp_path)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def embedded_fonts(pdf: bytes | Path) -> dict[str, TTFont | None]:
    """Every font program embedded in the PDF, by its own PostScript name (name ID 6); one that
    is not TrueType, by the name the PDF gives it (so it cannot match a bundled font)."""
    fonts: dict[str, TTFont | None] = {}
    with pikepdf.open(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf) as document:
        for item in document.objects:
            if isinstance(item, pikepdf.Dictionary) and item.get("/Type") == "/FontDescriptor":
                if (file := item.get("/FontFile2")) is None:
                    fonts[str(item.FontName)] = None
                    continue
                program = TTFont(io.BytesIO(file.read_bytes()))
                fonts[program["name"].getDebugName(6)] = program
    return fonts


def data_with(tmp_path: Path, old: str, new: str) -> Path:
    assert SHIPPED_TEXT.count(old) == 1
    path = tmp_path / "briefing.yaml"
    path.write_text(SHIPPED_TEXT.replace(old, new), encoding="utf-8")
    return path


def where(path: Path, character: str) -> str:
    """``line:column`` (both from 1) of the first ``character`` in the file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    number, line = next((n, line) for n, line in enumerate(lines, 1) if character in line)
    return f"{number}:{line.index(character) + 1}"


def described(line: str) -> list[str]:
    """The characters a problem line names, as ``"人" (U+4EBA ...)``."""
    return re.findall(r'"(.)" \(U\+[0-9A-F]{4,6}\b', line)


def refusal(data: Path, template_dirs: list[Path], out: Path) -> list[str]:
    """Build the executive variant, which must be refused, and return its problem lines."""
    before = snapshot(out)
    with pytest.raises(VariantsFailedError) as caught:
        build(data, ["executive"], out, template_dirs, language="en")
    assert [key.audience for key in caught.value.failures] == ["executive"]
    assert snapshot(out) == before, "a refused build changed the output folder"
    return str(next(iter(caught.value.failures.values()))).splitlines()


def user_folder(tmp_path: Path, profile: str = EXECUTIVE_PROFILE, cover: str = "") -> Path:
    """A template folder whose ``executive`` profile replaces the built-in one; with ``cover``,
    so does its template, which puts that text above the built-in title band."""
    folder = tmp_path / "my-templates"
    (folder / "audiences").mkdir(parents=True)
    (folder / "audiences" / "executive.yaml").write_text(profile, encoding="utf-8")
    if cover:
        (folder / "executive.html.j2").write_text(
            '{% extends "builtin/executive.html.j2" %}\n'
            f"{{% block cover %}}<p>{cover}</p>{{{{ super() }}}}{{% endblock %}}\n",
            encoding="utf-8",
        )
    return folder


def test_a_font_installed_for_the_user_is_never_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, han_font: Path, earlier_out: Path
) -> None:
    home = tmp_path / "home"
    (home / ".local" / "share" / "fonts").mkdir(parents=True)
    shutil.copy(han_font, home / ".local" / "share" / "fonts")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    # Fontconfig finds it: WeasyPrint with its own font configuration draws with it...
    from weasyprint import HTML

    plain = HTML(string=f"<p style='font-family: \"Test Han\"'>{HAN}</p>").write_pdf()
    assert TEST_HAN in embedded_fonts(plain)
    # ...but reportgen, whose layout processes see the same environment, does not.
    data = data_with(tmp_path, TYPED_AT, f"with the {HAN} Executive, Legislative")

    lines = refusal(data, [], earlier_out)

    field = "sections.0.messages.0.text"
    assert lines == [
        f"briefing.yaml:{where(data, '人')}: {field}: {NO_FONT.format(f'{REN}, {QUAN}')}"
    ]


def test_a_font_declared_in_a_user_stylesheet_draws_the_text(
    tmp_path: Path, han_font: Path
) -> None:
    # What docs/customising.md tells a user to do: the font file in their folder, @font-face in
    # their stylesheet, and the family added to the fallback fonts.
    theme = "theme:\n  stylesheets: [style/han.css]\n"
    folder = user_folder(tmp_path, EXECUTIVE_PROFILE + theme)
    (folder / "fonts").mkdir()
    shutil.copy(han_font, folder / "fonts")
    (folder / "style").mkdir()
    (folder / "style" / "han.css").write_text(
        '@font-face { font-family: "Test Han"; src: url("../fonts/TestHan.ttf"); }\n'
        ':root { --fallback-fonts: "Noto Sans Arabic", "Noto Sans Hebrew", "Noto Emoji",'
        ' "Test Han"; }\n'
    )
    data = data_with(tmp_path, TYPED_AT, f"with the {HAN} Executive, Legislative")

    (built,) = build(data, ["executive"], tmp_path / "out", [folder], language="en")

    assert any(HAN in text for text in pdf_texts(built.path))
    assert TEST_HAN in embedded_fonts(built.path)


def test_a_character_in_the_audience_profile_is_located_there(
    tmp_path: Path, earlier_out: Path
) -> None:
    # The English marking: the profile gives one per language.
    marking = "  en: RESTRICTED - FOR OFFICIAL USE ONLY\n"
    assert EXECUTIVE_PROFILE.count(marking) == 1
    folder = user_folder(tmp_path, EXECUTIVE_PROFILE.replace(marking, f"{marking[:-1]} 人\n"))
    profile = "my-templates/audiences/executive.yaml"

    lines = refusal(EXAMPLE_BRIEFING, [folder], earlier_out)

    assert lines == [
        f"{profile}:{where(tmp_path / profile, '人')}: marking.en: {NO_FONT.format(REN)}"
    ]


def test_a_character_from_a_template_is_said_to_come_from_the_templates(
    tmp_path: Path, earlier_out: Path
) -> None:
    folder = user_folder(tmp_path, cover="人")

    lines = refusal(EXAMPLE_BRIEFING, [folder], earlier_out)

    assert len(lines) == 1
    assert lines[0].startswith("templates: "), lines
    assert described(lines[0]) == ["人"], lines


def test_characters_from_the_data_and_a_template_are_each_located(
    tmp_path: Path, earlier_out: Path
) -> None:
    folder = user_folder(tmp_path, cover="权")
    data = data_with(tmp_path, TYPED_AT, "with the 人 Executive, Legislative")

    lines = refusal(data, [folder], earlier_out)

    field = "sections.0.messages.0.text"
    assert lines[0] == f"briefing.yaml:{where(data, '人')}: {field}: {NO_FONT.format(REN)}"
    assert lines[1].startswith("templates: "), lines
    assert described(lines[1]) == ["权"], lines
    assert len(lines) == 2


def bundled_fonts() -> dict[str, TTFont]:
    return {
        font["name"].getDebugName(6): font
        for font in map(TTFont, sorted((BUILTIN_TEMPLATES / "fonts").glob("*.ttf")))
    }


def test_every_font_in_the_shipped_pdf_is_a_bundled_one(built_pdfs: dict[str, BuiltFile]) -> None:
    path = built_pdfs["delegation"].path
    embedded = embedded_fonts(path)
    assert embedded, "no fonts found"
    assert set(embedded) <= set(bundled_fonts()), sorted(embedded)
    # The names a PDF reader shows: WeasyPrint writes the family and style (Pango's
    # "Noto Serif Bold Italic" as "Noto-Serif-Bold-Italic"), after a subset tag.
    with pikepdf.open(path) as document:
        shown = {
            str(item.BaseFont).partition("+")[2].replace("-", " ")
            for item in document.objects
            if isinstance(item, pikepdf.Dictionary) and item.get("/Type") == "/Font"
        }
    families = {font["name"].getDebugName(1) for font in bundled_fonts().values()}
    assert all(any(name.startswith(family) for family in families) for name in shown), shown


def test_emoji_are_drawn_with_the_bundled_emoji_font_and_digits_are_not(tmp_path: Path) -> None:
    # test_security checks a briefing without emoji never uses Noto Emoji; here one has an emoji,
    # and Noto Emoji (which has digits too) must draw the emoji and nothing else.
    data = data_with(tmp_path, TYPED_AT, "with the \U0001f44d Executive, Legislative")

    (built,) = build(data, ["executive"], tmp_path / "out", language="en")

    assert any("\U0001f44d" in text for text in pdf_texts(built.path))
    emoji = embedded_fonts(built.path)["NotoEmoji-Regular"]
    assert emoji is not None
    drawn = {chr(code) for code in emoji.getBestCmap()} - {" "}
    assert drawn == {"\U0001f44d"}


# ---- Theme fonts: a family must exist, bundled or declared; checked where layout runs ------


def test_a_theme_font_that_is_neither_bundled_nor_declared_is_refused(
    tmp_path: Path, earlier_out: Path
) -> None:
    theme = "theme:\n  heading_font: Arial\n  body_font: Noto Serif\n"
    folder = user_folder(tmp_path, EXECUTIVE_PROFILE + theme)

    lines = refusal(EXAMPLE_BRIEFING, [folder], earlier_out)

    assert lines == [
        "my-templates/audiences/executive.yaml: theme.heading_font: no font 'Arial' is bundled "
        'or declared with @font-face, and reportgen uses no installed fonts (see "Fonts" in '
        "docs/customising.md)"
    ]


def test_a_font_declared_in_a_template_style_element_may_be_a_theme_font(
    tmp_path: Path, han_font: Path
) -> None:
    # Declared where no stylesheet file shows it, and named as Fontconfig matches names:
    # without regard to case or spaces.
    folder = user_folder(tmp_path, EXECUTIVE_PROFILE + "theme:\n  heading_font: testhan\n")
    shutil.copy(han_font, folder)
    (folder / "executive.html.j2").write_text(
        '{% extends "builtin/executive.html.j2" %}\n{% block stylesheets %}{{ super() }}'
        "<style>@font-face { font-family: 'Test Han'; src: url({{ asset_url('TestHan.ttf') }}) }"
        "</style>"
        "{% endblock %}\n"
    )
    data = data_with(tmp_path, TYPED_AT, f"with the {HAN} Executive, Legislative")

    (built,) = build(data, ["executive"], tmp_path / "out", [folder], language="en")

    assert TEST_HAN in embedded_fonts(built.path)


@pytest.mark.parametrize(
    ("source", "named"),
    [('local("DejaVu Sans")', "Committee Sans"), ('url("../fonts/Missing.ttf")', "Missing.ttf")],
    ids=["installed font by name", "missing file"],
)
def test_a_font_face_that_does_not_load_fails_the_build(
    tmp_path: Path, earlier_out: Path, source: str, named: str
) -> None:
    # WeasyPrint only warns, and the text would silently take the next font in the list.
    folder = user_folder(tmp_path, EXECUTIVE_PROFILE + "theme:\n  stylesheets: [style/x.css]\n")
    (folder / "style").mkdir()
    (folder / "style" / "x.css").write_text(
        f'@font-face {{ font-family: "Committee Sans"; src: {source} }}\n'
        'h2 { font-family: "Committee Sans" }\n'
    )

    lines = refusal(EXAMPLE_BRIEFING, [folder], earlier_out)

    assert any(named in line for line in lines), lines


def test_a_character_in_a_hidden_field_is_not_blamed_for_a_template(
    tmp_path: Path, earlier_out: Path
) -> None:
    # The executive brief leaves out the timeline; 人 there is not what the template drew.
    timeline = "The UN High Commissioner for Human Rights establishes an office in Mexico."
    data = data_with(tmp_path, timeline, timeline.replace("office", "office 人"))
    folder = user_folder(tmp_path, cover="人")

    lines = refusal(data, [folder], earlier_out)

    assert len(lines) == 1 and lines[0].startswith("templates: "), lines


def test_without_bundled_fonts_layout_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fonts, "BUNDLED_FONTS", tmp_path / "no-fonts")
    with pytest.raises(BuildError, match=r"no bundled font could be loaded from .*no-fonts"):
        fonts.project_font_configuration()


def test_the_font_configuration_has_what_weasyprint_s_own_sets_up() -> None:
    # project_font_configuration replaces WeasyPrint's __init__: a WeasyPrint release that sets
    # up something more must show up here, not as a failure in the middle of a layout.
    from weasyprint.text.fonts import FontConfiguration

    assert set(vars(fonts.project_font_configuration())) == set(vars(FontConfiguration()))
