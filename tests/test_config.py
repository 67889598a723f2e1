"""Settings files: where they are found, what they default, and that flags win when given."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reportgen.cli import main
from reportgen.config import find_config, load_settings
from reportgen.errors import DataError
from reportgen.resources import EXAMPLE_BRIEFING


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_no_settings_file_means_no_settings(tmp_path: Path) -> None:
    assert find_config(tmp_path) is None
    assert load_settings(None).templates == ()


def test_pyproject_counts_only_with_a_tool_reportgen_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.other]\nx = 1\n")
    assert find_config(tmp_path) is None
    (tmp_path / "pyproject.toml").write_text('[tool.reportgen]\nout = "dist"\n')
    assert find_config(tmp_path) == tmp_path / "pyproject.toml"
    assert load_settings(tmp_path / "pyproject.toml").out == tmp_path.resolve() / "dist"


def test_reportgen_toml_wins_over_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.reportgen]\nout = "a"\n')
    (tmp_path / "reportgen.toml").write_text('out = "b"\n')
    assert find_config(tmp_path) == tmp_path / "reportgen.toml"


def test_relative_paths_resolve_against_the_settings_file(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    config = tmp_path / "reportgen.toml"
    config.write_text('templates = ["mine"]\nout = "dist"\n')
    settings = load_settings(config)
    assert settings.templates == (tmp_path.resolve() / "mine",)
    assert settings.out == tmp_path.resolve() / "dist"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("unknown = 1\n", "unknown: unknown setting"),
        ('templates = ["nowhere"]\n', "templates: no such folder"),
        ('data = "missing.yaml"\n', "data: no such file"),
        ("out = [\n", "TOML error"),
    ],
)
def test_a_bad_settings_file_is_a_clean_error(tmp_path: Path, text: str, expected: str) -> None:
    config = tmp_path / "reportgen.toml"
    config.write_text(text)
    with pytest.raises(DataError) as caught:
        load_settings(config)
    assert str(config) in str(caught.value)
    assert expected in str(caught.value)


def test_settings_are_defaults_and_flags_override_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reportgen.toml").write_text(
        f'data = ["{EXAMPLE_BRIEFING}"]\naudiences = ["executive"]\nout = "from-config"\n'
    )

    result = run("build")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "from-config").glob("*.pdf")) == [
        "mexico-multilateral-human-rights-executive.pdf"
    ]

    result = run("build", "--out", "from-flag")
    assert result.exit_code == 0, result.output
    assert [p.name for p in (tmp_path / "from-flag").glob("*.pdf")] == [
        "mexico-multilateral-human-rights-executive.pdf"
    ]


def test_explicit_config_option_and_a_broken_settings_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reportgen.toml").write_text("bogus = true\n")
    result = run("validate")
    assert result.exit_code == 1
    assert "reportgen.toml: bogus: unknown setting" in result.output
    assert "Traceback" not in result.output

    other = tmp_path / "team.toml"
    other.write_text(f'data = "{EXAMPLE_BRIEFING}"\n')
    result = run("--config", str(other), "validate")
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_limits_come_from_settings_and_a_flag_overrides_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reportgen.toml").write_text(
        f'data = "{EXAMPLE_BRIEFING}"\naudiences = ["public"]\nmax_pages = 2\n'
    )
    result = run("build")
    assert result.exit_code == 1
    assert "mexico-multilateral-human-rights/public: the PDF would have" in result.output
    assert "the cap is 2" in result.output
    # Nothing is written; the folder may exist, holding only the (hidden) lock file.
    assert [path.name for path in (tmp_path / "output").glob("*")] in ([], [".reportgen.lock"])

    result = run("build", "--max-pages", "50")
    assert result.exit_code == 0, result.output
