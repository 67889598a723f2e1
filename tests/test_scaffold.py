"""`init-template` writes a starter folder that builds as it is, and never overwrites."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from reportgen.build import build
from reportgen.cli import main
from reportgen.errors import ReportgenError
from reportgen.resources import EXAMPLE_BRIEFING
from reportgen.scaffold import init_template


def test_starter_folder_builds_as_it_is(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    written = init_template(folder, "parliament")
    assert {path.relative_to(folder).as_posix() for path in written} == {
        "audiences/parliament.yaml",
        "parliament.html.j2",
        "style/parliament.css",
    }
    (built,) = build(EXAMPLE_BRIEFING, ["parliament"], tmp_path / "out", [folder])
    text = PdfReader(built.path).pages[0].extract_text()
    assert "Your own cover text goes here." in text


def test_init_template_refuses_to_overwrite(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    init_template(folder, "custom")
    profile = folder / "audiences" / "custom.yaml"
    profile.write_text("edited")
    with pytest.raises(ReportgenError, match="will not overwrite"):
        init_template(folder, "custom")
    assert profile.read_text() == "edited"


def test_cli_init_template_says_how_to_build(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["init-template", str(tmp_path / "t"), "--name", "press"])
    assert result.exit_code == 0, result.output
    assert f"reportgen build --templates {tmp_path / 't'} --audience press" in result.output
