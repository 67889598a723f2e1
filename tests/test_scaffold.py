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
from reportgen.scaffold import STARTER_NAME_RULE, init_template


def test_starter_folder_builds_as_it_is(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    written = init_template(folder, "parliament")
    assert {path.relative_to(folder).as_posix() for path in written} == {
        "audiences/parliament.yaml",
        "locale/es.po",
        "parliament.html.j2",
        "style/parliament.css",
    }
    (built,) = build(EXAMPLE_BRIEFING, ["parliament"], tmp_path / "out", [folder], language="en")
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


# ---- Names and folders that would write elsewhere: refused, nothing written ------------------


def tree(folder: Path) -> list[str]:
    """Everything under ``folder`` (links as links), to show nothing was written."""
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


@pytest.mark.parametrize(
    "name",
    [
        *("../../x", "a b", "../x", "x/y", "/tmp/x", ".hidden", "", "a" * 41),
        *("Press", "press!", "-press", "1press", "press-", "press\n", "pr\u00e9ss"),
    ],
)
def test_a_name_that_is_not_an_audience_name_is_refused_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "work").mkdir()
    result = CliRunner().invoke(main, ["init-template", "work/t", "--name", name])

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stderr.splitlines() == [
        f"error: --name {name!r} is not an audience name: use {STARTER_NAME_RULE}, "
        "e.g. press-office"
    ]
    assert tree(tmp_path) == ["work"]
    with pytest.raises(ReportgenError, match="is not an audience name"):
        init_template(tmp_path / "work" / "t", name)
    assert tree(tmp_path) == ["work"]


@pytest.mark.parametrize("name", ["press", "press-office", "p2", "a" * 40])
def test_an_audience_name_is_accepted(tmp_path: Path, name: str) -> None:
    written = init_template(tmp_path / "t", name)
    assert (tmp_path / "t" / "audiences" / f"{name}.yaml") in written


def test_a_link_in_the_folder_leading_out_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "t"
    folder.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (folder / "audiences").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ReportgenError, match=r"^will not write outside .*audiences/custom\.yaml"):
        init_template(folder, "custom")
    assert tree(tmp_path) == ["elsewhere", "t", "t/audiences"]


def test_a_dangling_link_where_a_file_would_go_is_not_written_through(tmp_path: Path) -> None:
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "custom.html.j2").symlink_to(folder / "gone.html.j2")
    with pytest.raises(ReportgenError, match="will not overwrite existing files"):
        init_template(folder, "custom")
    assert not (folder / "gone.html.j2").exists()
    assert tree(tmp_path) == ["t", "t/custom.html.j2"]


def test_a_folder_that_is_a_file_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("taken").write_text("mine\n")
    result = CliRunner().invoke(main, ["init-template", "taken/t"])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: taken"), result.stderr
    assert "Traceback" not in result.output
    assert Path("taken").read_text() == "mine\n"


def test_a_folder_name_with_a_line_break_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ReportgenError, match="control characters"):
        init_template(tmp_path / "t\nname: evil", "custom")
    assert tree(tmp_path) == []


def test_the_profile_comment_quotes_a_folder_with_spaces(tmp_path: Path) -> None:
    folder = tmp_path / "my templates"
    init_template(folder, "custom")
    profile = (folder / "audiences" / "custom.yaml").read_text()
    assert f"reportgen build --templates '{folder}' --audience custom" in profile
