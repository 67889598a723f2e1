"""Property-based tests (issue 6): any text, in any string field, is shown as typed or refused.

Any text in a string field of the data either builds a PDF in which text extraction finds that
text, or gets a clean validation error naming the data file; never a crash or a traceback. A
refusal changes nothing: the output folder holds exactly what it held before.

Text is compared as a reader would search for it: conftest's normalisation (accents, quotes,
hyphenation, invisible characters) and no whitespace, since where lines break is the layout's
choice. The PDF is read with PDFium and with pypdf, and found if either finds it (pdftext says
why).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import english_only
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from pdftext import contains, pdf_texts

from reportgen.build import build, render_variants
from reportgen.errors import DataError, PageLimitError, ReportgenError, VariantsFailedError
from reportgen.resources import EXAMPLE_BRIEFING

AUDIENCE = "executive"
Normalise = Callable[[str], str]


def _section(raw: dict[str, Any], kind: str) -> dict[str, Any]:
    found: dict[str, Any] = next(item for item in raw["sections"] if item["kind"] == kind)
    return found


def _set_title(raw: dict[str, Any], text: str) -> None:
    raw["title"] = text


def _set_key_message(raw: dict[str, Any], text: str) -> None:
    _section(raw, "key_messages")["messages"][0]["text"] = text


def _set_source_title(raw: dict[str, Any], text: str) -> None:
    raw["sources"][0]["title"] = text


def _set_figure_label(raw: dict[str, Any], text: str) -> None:
    _section(raw, "commitments")["figures"][0]["label"] = text


# Fields the executive brief (the quickest to build) shows: in the title band and running
# heads, in the body, in a footnote, and in a figure tile.
FIELDS: dict[str, Callable[[dict[str, Any], str], None]] = {
    "title": _set_title,
    "key message": _set_key_message,
    "source title": _set_source_title,
    "figure label": _set_figure_label,
}

# English only: the copies have no catalog beside them (and a build refused for the want of
# one would pass every example).
_SHIPPED: dict[str, Any] = yaml.safe_load(
    english_only(EXAMPLE_BRIEFING.read_text(encoding="utf-8"))
)
EARLIER_PDF = b"%PDF-1.7\n% an earlier build\n%%EOF\n"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def data_with(folder: Path, field: str, text: str) -> Path:
    """The shipped data with ``field`` set to ``text``, written as YAML into ``folder``."""
    raw = copy.deepcopy(_SHIPPED)
    FIELDS[field](raw, text)
    dumped = yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)
    if yaml.safe_load(dumped) != raw:
        # PyYAML writes U+0085 (NEL) unescaped inside a quoted scalar, where its own reader
        # folds it into a space; escaped (without allow_unicode) every text survives the trip.
        dumped = yaml.safe_dump(raw, allow_unicode=False, sort_keys=False)
    assert yaml.safe_load(dumped) == raw
    path = folder / "briefing.yaml"
    path.write_text(dumped, encoding="utf-8")
    return path


def squashed(normalise: Normalise, text: str) -> str:
    """``text`` as compared: normalised, then without whitespace.

    Whitespace is collapsed first, as HTML collapses it, so that conftest's joining of words
    hyphenated across lines applies only to lines the PDF broke, not to newlines in the data.
    """
    return "".join(normalise(" ".join(text.split())).split())


def names_the_file(message: str, data: Path) -> bool:
    """Every line of ``message`` starts ``<the data file>:``, as given or relative to here."""
    return all(line.split(":")[0].endswith(data.name) for line in message.splitlines())


def check_build(folder: Path, field: str, text: str, normalise: Normalise) -> None:
    """The property, for one text in one field."""
    data = data_with(folder, field, text)
    out = folder / "out"
    out.mkdir()
    (out / f"{_SHIPPED['id']}-{AUDIENCE}.en.pdf").write_bytes(EARLIER_PDF)
    (out / "notes.txt").write_text("not ours to touch\n")
    before = snapshot(out)
    try:
        (built,) = build(data, [AUDIENCE], out)
    except ReportgenError as error:
        # A clean refusal changes nothing, and names the data file on every line; or it is the
        # audience's page limit (a long enough text can push the two-page brief to a third).
        assert snapshot(out) == before
        # Layout refusals come per variant: each names the data file, or is the page limit.
        failures = error.failures.values() if isinstance(error, VariantsFailedError) else [error]
        for failure in failures:
            if isinstance(failure, PageLimitError):
                assert "has a limit of 2 pages" in str(failure)
            else:
                assert names_the_file(str(failure), data), str(failure)
        return
    # The PDF replaced the earlier one, other files are as they were, no temporary file is left.
    after = snapshot(out)
    assert after[built.path.name] != before.pop(built.path.name)
    assert {name: after.get(name) for name in before} == before
    assert not [name for name in after if name.endswith(".part")]
    expected = squashed(normalise, text)
    extracted = ["".join(normalise(each).split()) for each in pdf_texts(built.path)]
    assert any(contains(each, expected) for each in extracted), (expected, extracted)


# Each example is a whole build (about half a second), so the shrinking phase is left out: it
# would take minutes. KINDS_OF_TEXT below names the small cases a shrink would arrive at.
@settings(
    max_examples=25,
    deadline=None,
    database=None,
    # Fixed examples in CI: a property that can draw the known gaps below at random would make
    # the suite pass or fail by chance. Run with derandomize=False locally to explore.
    derandomize=True,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
)
@given(field=st.sampled_from(sorted(FIELDS)), text=st.text())
def test_any_text_in_a_field_is_found_in_the_pdf_or_refused(
    tmp_path_factory: pytest.TempPathFactory, normalise: Normalise, field: str, text: str
) -> None:
    check_build(tmp_path_factory.mktemp("property"), field, text, normalise)


# One text of each kind that has needed care, so that each shows up by name, whatever
# hypothesis happens to draw.
KINDS_OF_TEXT = {
    "plain": ("key message", "Plain words, as most briefings have them."),
    "markup": ("title", "<b>Bold</b> & <script>alert('x')</script>"),
    "template syntax": ("key message", "{{ 7 * 7 }} {% raw %}"),
    "YAML syntax": ("source title", "*alias &anchor !!python/object: null ---"),
    "quotes and accents": ("figure label", "Cancún, \u201cquoted\u201d and it\u2019s"),
    "whitespace only": ("title", " \t "),
    "too long": ("title", "x" * 201),
    "lone surrogate": ("title", "before\ud800after"),
    "NUL": ("key message", "before\x00after"),
    "C0 control character": ("key message", "before\x01after"),
    "C1 control character": ("key message", "before\x93after"),
    "noncharacter U+FFFF": ("key message", "before\uffffafter"),
    "zero-width joiner": ("key message", "before\u200dafter"),
    "zero-width space and word joiner": ("key message", "be\u200bfo\u2060re"),
    "emoji": ("key message", "Agreed \U0001f44d, \u2714\ufe0f and \U0001f1f2\U0001f1fd"),
    "emoji joined into one": ("figure label", "Family \U0001f468\u200d\U0001f469\u200d\U0001f467"),
    "emoji with and without a skin tone": pytest.param(
        "key message",
        "Agreed \U0001f44d and \U0001f44d\U0001f3fd",
        marks=pytest.mark.xfail(
            strict=True,
            reason="known gap: the monochrome emoji font draws both with one glyph, and "
            "WeasyPrint maps each glyph to one text, so both are extracted as the first",
        ),
    ),
    "bidi override": ("key message", "before\u202eabc\u202cafter"),
    "left-to-right and right-to-left": pytest.param(
        "key message",
        "Mexico \u05de\u05e7\u05e1\u05d9\u05e7\u05d5 2017",
        marks=pytest.mark.xfail(
            strict=True, reason="known gap: drawn right, extracted in display order"
        ),
    ),
    "private use": ("key message", "before\ue000after"),
    "no font has it": ("key message", "before\u4eba\u6743after"),
    "no font has it, beyond U+FFFF": ("key message", "before\U000233b2after"),
    "astral plane": ("key message", "before\U0001d400\U00010348after"),
    "combining mark first": ("key message", "\u0301before"),
}


@pytest.mark.parametrize(("field", "text"), KINDS_OF_TEXT.values(), ids=KINDS_OF_TEXT.keys())
def test_each_kind_of_text_is_found_in_the_pdf_or_refused(
    tmp_path: Path, normalise: Normalise, field: str, text: str
) -> None:
    check_build(tmp_path, field, text, normalise)


@settings(max_examples=200, deadline=None, database=None)
@given(field=st.sampled_from(sorted(FIELDS)), text=st.text())
def test_any_text_in_a_field_is_escaped_in_the_html(
    tmp_path_factory: pytest.TempPathFactory, field: str, text: str
) -> None:
    data = data_with(tmp_path_factory.mktemp("html"), field, text)
    try:
        (variant,) = render_variants(data, [AUDIENCE])
    except DataError as error:
        assert names_the_file(str(error), data), str(error)
        return
    # Validation strips surrounding whitespace; the rest must be there, escaped.
    assert str(escape(text.strip())) in variant.html
