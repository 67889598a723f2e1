"""PDFs carry the data they were made from; `extract` gives it back and it rebuilds the same PDF."""

from __future__ import annotations

import json
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner

from reportgen.build import BuiltFile, build
from reportgen.cli import main
from reportgen.errors import ReportgenError
from reportgen.loading import load_briefing
from reportgen.provenance import BUILD_RECORD_NAME, SOURCE_DATA_NAME, extract


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
    assert record["audience"] == "public"
    assert len(record["inputs_sha256"]) == 64

    load_briefing(data)  # the extracted data validates
    (rebuilt,) = build(data, ["public"], tmp_path / "rebuilt")
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
