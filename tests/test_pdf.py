"""Laying out PDFs with a confined URL fetcher, and writing them atomically."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader

from reportgen.build.output import write_atomically
from reportgen.errors import BuildError, ResourceError
from reportgen.pdf import EmbeddedFile, PdfOptions, render_pdf

# A 1x1 PNG.
PNG_DATA_URL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
A5_WIDTH_POINTS = 148 / 25.4 * 72


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "root"
    folder.mkdir()
    return folder


def page(body: str) -> str:
    # A language is required: PDF/UA asks for one and WeasyPrint reports its absence as an error.
    return f'<html lang="en">{body}</html>'


def render(html: str, root: Path) -> PdfReader:
    pdf = render_pdf(page(html), base_dir=root, allowed_roots=[root])
    reader = PdfReader(io.BytesIO(pdf.content))
    assert len(reader.pages) == pdf.pages
    return reader


@pytest.mark.parametrize(
    ("html", "refused"),
    [
        ('<link rel="stylesheet" href="file:///etc/passwd"><p>x</p>', "file:///etc/passwd"),
        ('<link rel="stylesheet" href="http://127.0.0.1/x.css"><p>x</p>', "127.0.0.1"),
        ('<link rel="stylesheet" href="https://example.org/x.css"><p>x</p>', "example.org"),
        ('<img src="http://127.0.0.1/x.png"><p>x</p>', "127.0.0.1"),
        ('<p style="background: url(http://127.0.0.1/bg.png)">x</p>', "127.0.0.1"),
        ('<img src="file:///etc/passwd"><p>x</p>', "/etc/passwd"),
    ],
)
def test_resources_outside_the_roots_are_refused(root: Path, html: str, refused: str) -> None:
    with pytest.raises(ResourceError) as caught:
        render_pdf(page(html), base_dir=root, allowed_roots=[root])
    assert refused in str(caught.value)


def test_relative_path_climbing_out_of_the_root_is_refused(tmp_path: Path, root: Path) -> None:
    (tmp_path / "outside.css").write_text("@page { size: A5 }")
    html = '<link rel="stylesheet" href="../outside.css"><p>x</p>'
    with pytest.raises(ResourceError, match="outside"):
        render_pdf(page(html), base_dir=root, allowed_roots=[root])


def test_symlink_out_of_the_root_is_refused(tmp_path: Path, root: Path) -> None:
    (tmp_path / "outside.css").write_text("@page { size: A5 }")
    (root / "link.css").symlink_to(tmp_path / "outside.css")
    with pytest.raises(ResourceError):
        render_pdf(
            '<link rel="stylesheet" href="link.css"><p>x</p>', base_dir=root, allowed_roots=[root]
        )


@pytest.mark.parametrize(
    ("html", "name"),
    [
        ('<link rel="stylesheet" href="missing.css"><p>x</p>', "missing.css"),
        ('<img src="missing.png"><p>x</p>', "missing.png"),
    ],
)
def test_missing_file_under_the_root_is_an_error(root: Path, html: str, name: str) -> None:
    # A PDF with a hole where the image or style should be is worse than no PDF.
    with pytest.raises(ResourceError) as caught:
        render_pdf(page(html), base_dir=root, allowed_roots=[root])
    assert name in str(caught.value)


def test_file_under_the_root_is_served(root: Path) -> None:
    (root / "page.css").write_text("@page { size: A5 }")
    reader = render('<link rel="stylesheet" href="page.css"><p>Served from the root.</p>', root)
    assert float(reader.pages[0].mediabox.width) == pytest.approx(A5_WIDTH_POINTS, abs=0.5)
    assert "Served from the root." in reader.pages[0].extract_text()


def test_data_url_image_is_allowed(root: Path) -> None:
    reader = render(f'<p>An image:</p><img alt="a dot" src="{PNG_DATA_URL}" width="40">', root)
    assert len(reader.pages[0].images) == 1


def test_page_count_is_reported(root: Path) -> None:
    html = "".join(f'<p style="break-after: page">page {n}</p>' for n in range(3))
    pdf = render_pdf(page(html), base_dir=root, allowed_roots=[root])
    assert pdf.pages == 3
    assert pdf.content.startswith(b"%PDF-")


def test_a_draft_is_the_same_pages_without_tags_or_attachments(root: Path) -> None:
    """For the preview's screen only: what it shows is the same, and nothing claims a standard."""
    html = page("<h1>Title</h1><p>Some text to read.</p>")
    attached = EmbeddedFile("data.json", "the data", b"{}", "application/json", "Source")
    full = render_pdf(html, root, [root], PdfOptions(embedded=(attached,)))
    draft = render_pdf(html, root, [root], PdfOptions(embedded=(attached,), draft=True))
    with (
        pikepdf.open(io.BytesIO(full.content)) as tagged,
        pikepdf.open(io.BytesIO(draft.content)) as plain,
    ):
        assert "/StructTreeRoot" in tagged.Root and "/StructTreeRoot" not in plain.Root
        assert tagged.attachments and not plain.attachments
        assert tagged.open_metadata().get("pdfaid:part") == "3"
        assert plain.open_metadata().get("pdfaid:part") is None
    assert draft.pages == full.pages
    text = [PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text() for pdf in (full, draft)]
    assert text[0] == text[1]


# ---- Atomic writes -------------------------------------------------------------------------


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.endswith(".part"))


def test_write_atomically_writes_and_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "new" / "folder" / "out.pdf"
    write_atomically(target, b"%PDF-new")
    assert target.read_bytes() == b"%PDF-new"
    assert leftovers(target.parent) == []


def test_write_atomically_replaces_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "out.pdf"
    target.write_bytes(b"%PDF-old")
    write_atomically(target, b"%PDF-new")
    assert target.read_bytes() == b"%PDF-new"
    assert leftovers(tmp_path) == []


def test_failed_flush_leaves_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.pdf"
    target.write_bytes(b"%PDF-old")

    def failing_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(BuildError, match="No space left"):
        write_atomically(target, b"%PDF-new")

    assert target.read_bytes() == b"%PDF-old"
    assert leftovers(tmp_path) == []


def test_failed_rename_leaves_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.pdf"
    target.write_bytes(b"%PDF-old")

    def failing_replace(self: Path, target: Path) -> Path:
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(Path, "replace", failing_replace)
    with pytest.raises(BuildError):
        write_atomically(target, b"%PDF-new")

    assert target.read_bytes() == b"%PDF-old"
    assert leftovers(tmp_path) == []


def test_interrupted_write_leaves_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.pdf"
    target.write_bytes(b"%PDF-old")

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(target, b"%PDF-new")

    assert target.read_bytes() == b"%PDF-old"
    assert leftovers(tmp_path) == []


def test_unwritable_folder_is_a_build_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    with pytest.raises(BuildError):
        write_atomically(blocker / "out.pdf", b"%PDF-new")
