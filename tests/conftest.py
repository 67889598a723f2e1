"""Shared fixtures: the shipped data, YAML helpers, and the shipped PDFs built once per session."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import regex
from pypdf import PdfReader

from reportgen.build import BuiltFile, build
from reportgen.loading import load_briefing
from reportgen.models import Briefing
from reportgen.resources import EXAMPLE_BRIEFING

FIXTURES = Path(__file__).parent / "fixtures"
SHIPPED_AUDIENCES = ("delegation", "executive", "public")

WriteYaml = Callable[..., Path]


def _write_yaml(tmp_path: Path, text: str, name: str = "briefing.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def normalise_pdf_text(text: str) -> str:
    """Text as a reader sees it: hyphenation undone, accents and quotes plain, spaces single,
    invisible characters gone.

    WeasyPrint hyphenates with U+2010 (or a soft hyphen) at a line end; pypdf gives those back
    with the line break, so a word split across lines is joined again here. A real hyphen at a
    line end (``Inter-`` / ``American``) keeps its hyphen.
    """
    text = unicodedata.normalize("NFKD", text)
    text = "".join(char for char in text if not unicodedata.combining(char))
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"[\u00ad\u2010]\s*\n\s*", "", text)
    # Invisible by definition (zero-width joiners, soft hyphens, variation selectors): they
    # shape the text, but are not text a reader sees or searches for. Unicode says to ignore
    # them in matching; PDF text extraction leaves them out.
    text = regex.sub(r"\p{Default_Ignorable_Code_Point}", "", text)
    text = re.sub(r"-\s*\n\s*", "-", text)
    text = re.sub(r"/\s*\n\s*", "/", text)
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="session")
def normalise() -> Callable[[str], str]:
    """The normalisation applied to extracted PDF text, for phrases compared against it."""
    return normalise_pdf_text


@pytest.fixture(scope="session")
def shipped_data() -> Path:
    return EXAMPLE_BRIEFING


@pytest.fixture(scope="session")
def shipped_text() -> str:
    """The shipped briefing's text, published in English only: tests that edit and build it
    test something else than translation, and have no catalog beside their copy. The line is
    commented out, not removed, so every line number stays the shipped file's."""
    return english_only(EXAMPLE_BRIEFING.read_text(encoding="utf-8"))


def english_only(text: str) -> str:
    declared = "translations: [es]\n"
    assert text.count(declared) == 1
    return text.replace(declared, "# " + declared)


@pytest.fixture(scope="session")
def shipped_briefing() -> Briefing:
    return load_briefing(EXAMPLE_BRIEFING)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], Path]]:
    """A new empty folder per hypothesis example (tmp_path is one per test)."""
    root = tmp_path_factory.mktemp("examples")
    count = iter(range(10**9))

    def new() -> Path:
        folder = root / str(next(count))
        folder.mkdir()
        return folder

    yield new


@pytest.fixture
def write_yaml() -> WriteYaml:
    """``write_yaml(tmp_path, text, name="briefing.yaml")`` writes a data file, returns its path."""
    return _write_yaml


@pytest.fixture(scope="session")
def built_pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, BuiltFile]:
    """The three shipped English PDFs, built once for the whole session: audience to file."""
    out = tmp_path_factory.mktemp("shipped-pdfs")
    built = build(EXAMPLE_BRIEFING, SHIPPED_AUDIENCES, out, language="en")
    return {each.audience: each for each in built}


@pytest.fixture(scope="session")
def pdf_readers(built_pdfs: dict[str, BuiltFile]) -> dict[str, PdfReader]:
    return {name: PdfReader(built.path) for name, built in built_pdfs.items()}


@pytest.fixture(scope="session")
def page_texts(pdf_readers: dict[str, PdfReader]) -> dict[str, list[str]]:
    """Each shipped PDF's extracted text, page by page, normalised."""
    return {
        name: [normalise_pdf_text(page.extract_text()) for page in reader.pages]
        for name, reader in pdf_readers.items()
    }


@pytest.fixture(scope="session")
def pdf_texts(page_texts: dict[str, list[str]]) -> dict[str, str]:
    """Each shipped PDF's whole extracted text, normalised."""
    return {name: " ".join(pages) for name, pages in page_texts.items()}
