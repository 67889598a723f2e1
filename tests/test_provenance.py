"""PDFs carry the data they were made from; `extract` gives it back and it rebuilds the same PDF."""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner

from reportgen import provenance
from reportgen.attachments import BUILD_RECORD_NAME, SOURCE_DATA_NAME, models_sha256
from reportgen.build import BuiltFile, build
from reportgen.cli import main
from reportgen.errors import ReportgenError
from reportgen.loading import load_briefing
from reportgen.provenance import extract


@pytest.mark.parametrize("name", ["delegation", "executive", "public"])
def test_embedded_files_are_pdf_a3_associated_and_dated_from_the_data(
    built_pdfs: dict[str, BuiltFile], name: str
) -> None:
    with pikepdf.open(built_pdfs[name].path) as pdf:
        relationships = {str(spec.F): str(spec.AFRelationship) for spec in pdf.Root.AF}
        assert relationships == {SOURCE_DATA_NAME: "/Source", BUILD_RECORD_NAME: "/Data"}
        for spec in pdf.Root.AF:
            params = spec.EF.F.Params
            assert str(params.CreationDate).startswith("D:20261127")
            assert str(params.ModDate).startswith("D:20261127")


def test_extract_round_trips_to_the_same_bytes(
    built_pdfs: dict[str, BuiltFile], tmp_path: Path
) -> None:
    original = built_pdfs["public"].path
    result = CliRunner().invoke(main, ["extract", str(original), "--out", str(tmp_path / "x")])
    assert result.exit_code == 0, result.output
    data = tmp_path / "x" / SOURCE_DATA_NAME
    record = json.loads((tmp_path / "x" / BUILD_RECORD_NAME).read_text())
    assert (record["audience"], record["language"]) == ("public", "en")
    assert len(record["inputs_sha256"]) == 64
    # Which model code validated the data, and the budget figures it derived (`diff` reads them).
    assert record["models_sha256"] == models_sha256()
    derived_fields = {path[-1] for path, _ in record["derived"]}
    assert derived_fields == {"schedule", "final_percent_of_base", "shortfall_points"}

    load_briefing(data)  # the extracted data validates
    # In the original's language: the data lists its translations, whose catalogs the PDF
    # does not carry.
    (rebuilt,) = build(data, ["public"], tmp_path / "rebuilt", language="en")
    assert rebuilt.path.read_bytes() == original.read_bytes()


def test_public_pdf_carries_no_internal_data(
    built_pdfs: dict[str, BuiltFile], tmp_path: Path
) -> None:
    extract(built_pdfs["public"].path, tmp_path)
    public = load_briefing(tmp_path / SOURCE_DATA_NAME)
    assert "talking-points" not in {section.id for section in public.sections}
    assert "internal" not in (tmp_path / SOURCE_DATA_NAME).read_text()

    extract(built_pdfs["delegation"].path, tmp_path / "delegation")
    delegation = load_briefing(tmp_path / "delegation" / SOURCE_DATA_NAME)
    assert "talking-points" in {section.id for section in delegation.sections}


def test_extract_never_overwrites(built_pdfs: dict[str, BuiltFile], tmp_path: Path) -> None:
    (tmp_path / SOURCE_DATA_NAME).write_text("mine")
    with pytest.raises(ReportgenError, match="will not overwrite"):
        extract(built_pdfs["executive"].path, tmp_path)
    assert (tmp_path / SOURCE_DATA_NAME).read_text() == "mine"


def test_extract_from_a_pdf_without_reportgen_data(tmp_path: Path) -> None:
    plain = tmp_path / "plain.pdf"
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.save(plain)
    result = CliRunner().invoke(main, ["extract", str(plain), "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "carries no reportgen data" in result.output
    assert "Traceback" not in result.output


# --- extract on a stranger's PDF: the rules that hold whatever the PDF holds ------------------
# (tests/test_fuzz_extract.py builds hostile PDFs and fuzzes the bytes; these are the rules.)


def _refusal(pdf: Path, out: Path) -> str:
    with pytest.raises(ReportgenError) as caught:
        extract(pdf, out)
    return str(caught.value)


def test_paths_that_are_not_pdf_files(tmp_path: Path) -> None:
    missing = tmp_path / "missing.pdf"
    assert _refusal(missing, tmp_path) == f"{missing}: no such file"
    assert _refusal(tmp_path, tmp_path / "out") == f"{tmp_path}: not a file"
    assert _refusal(Path("/dev/zero"), tmp_path / "out") == "/dev/zero: not a file"
    text = tmp_path / "notes.pdf"
    text.write_text("hello\n")
    assert _refusal(text, tmp_path / "out") == f"{text}: not a PDF (it does not begin with %PDF-)"
    assert not (tmp_path / "out").exists()


def test_an_unreadable_pdf(tmp_path: Path) -> None:
    unreadable = tmp_path / "unreadable.pdf"
    unreadable.write_bytes(b"%PDF-1.7\n")
    unreadable.chmod(0)
    if os.access(unreadable, os.R_OK):
        pytest.skip("running as root: every file is readable")
    assert _refusal(unreadable, tmp_path / "out") == (
        f"{unreadable}: cannot read the PDF: Permission denied"
    )


def test_a_pdf_over_the_size_limit_is_refused_unread(
    built_pdfs: dict[str, BuiltFile], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdf = built_pdfs["executive"].path
    monkeypatch.setattr(provenance, "MAX_PDF_BYTES", 1000)
    assert _refusal(pdf, tmp_path) == f"{pdf}: larger than 1000 bytes, which no reportgen PDF is"


def test_an_out_folder_that_cannot_be_one(built_pdfs: dict[str, BuiltFile], tmp_path: Path) -> None:
    pdf = built_pdfs["executive"].path
    a_file = tmp_path / "a-file.txt"
    a_file.write_text("mine\n")
    assert _refusal(pdf, a_file) == f"cannot write into {a_file}: it exists and is not a folder"
    assert _refusal(pdf, a_file / "out") == f"cannot write into {a_file / 'out'}: Not a directory"
    assert a_file.read_text() == "mine\n"


def test_a_link_in_the_way_is_not_followed(
    built_pdfs: dict[str, BuiltFile], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / BUILD_RECORD_NAME).symlink_to(tmp_path / "elsewhere.json")  # dangling
    message = _refusal(built_pdfs["executive"].path, out)
    assert message == f"will not overwrite existing files: {out / BUILD_RECORD_NAME}"
    assert not (tmp_path / "elsewhere.json").exists()
    assert not (out / SOURCE_DATA_NAME).exists()  # both files or neither


def test_nothing_is_written_when_the_second_attachment_is_bad(tmp_path: Path) -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    good = pikepdf.Stream(pdf, b'{"briefing": "x"}')
    bad = pikepdf.Stream(pdf, b"not json")
    names = pikepdf.Array()
    for name, stream in ((SOURCE_DATA_NAME, good), (BUILD_RECORD_NAME, bad)):
        stream.Type = pikepdf.Name.EmbeddedFile
        spec = pikepdf.Dictionary(
            Type=pikepdf.Name.Filespec, F=name, UF=name, EF=pikepdf.Dictionary(F=stream)
        )
        names.extend([pikepdf.String(name), pdf.make_indirect(spec)])
    pdf.Root.Names = pikepdf.Dictionary(EmbeddedFiles=pikepdf.Dictionary(Names=names))
    pdf.save(tmp_path / "half.pdf")
    message = _refusal(tmp_path / "half.pdf", tmp_path / "out")
    assert message == (
        f"{tmp_path / 'half.pdf'}: attachment build-record.json: line 1: not JSON: "
        "Expecting value (column 1)"
    )
    assert not (tmp_path / "out").exists()


def test_pypdf_warnings_stay_off_stderr(built_pdfs: dict[str, BuiltFile], tmp_path: Path) -> None:
    """pypdf warns through `logging` about damage it reads past; with no handler set up,
    Python would print that around the one line of the result."""
    data = built_pdfs["executive"].path.read_bytes()
    assert re.search(rb"\nstartxref\n\d+\n%%EOF\n$", data)
    readable = tmp_path / "readable.pdf"
    readable.write_bytes(data[:-3])  # pypdf: "EOF marker seems truncated"
    unreadable = tmp_path / "unreadable.pdf"
    unreadable.write_bytes(data[:-10])  # pypdf: "CAUTION: startxref found while searching ..."
    runner = CliRunner()

    result = runner.invoke(main, ["extract", str(readable), "--out", str(tmp_path / "a")])
    assert (result.exit_code, result.stderr) == (0, "")
    result = runner.invoke(main, ["extract", str(unreadable), "--out", str(tmp_path / "b")])
    assert result.exit_code == 1
    assert result.stderr == f"error: {unreadable}: cannot read the PDF: EOF marker not found\n"
    assert logging.getLogger("pypdf").handlers == []
    assert logging.getLogger("pypdf").propagate


def test_pypdf_limits_apply_only_while_extracting(
    built_pdfs: dict[str, BuiltFile], tmp_path: Path
) -> None:
    from pypdf import get_configuration

    before = get_configuration()
    extract(built_pdfs["executive"].path, tmp_path)
    assert get_configuration() == before
    assert before.zlib_maximum_output_length > provenance.MAX_ATTACHMENT_BYTES


def test_extract_with_out_naming_a_file(built_pdfs: dict[str, BuiltFile], tmp_path: Path) -> None:
    """A problem with the user's folder (exit 1, one line), not a usage error (exit 2)."""
    a_file = tmp_path / "a-file.txt"
    a_file.write_text("mine\n")
    args = ["extract", str(built_pdfs["executive"].path), "--out", str(a_file)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert result.stderr == f"error: cannot write into {a_file}: it exists and is not a folder\n"
    assert a_file.read_text() == "mine\n"
