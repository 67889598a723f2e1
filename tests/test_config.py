"""Settings files: where they are found, what they default, and that flags win when given."""

from __future__ import annotations

import os
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

    # The shipped briefing is published in English and Spanish: one PDF of each.
    executive = [
        "mexico-multilateral-human-rights-executive.en.pdf",
        "mexico-multilateral-human-rights-executive.es.pdf",
    ]
    result = run("build")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "from-config").glob("*.pdf")) == executive

    result = run("build", "--out", "from-flag")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "from-flag").glob("*.pdf")) == executive


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
    result = run("build", "--language", "en")
    assert result.exit_code == 1
    assert "mexico-multilateral-human-rights/public/en: the PDF would have" in result.output
    assert "the cap is 2" in result.output
    # Nothing is written; the folder may exist, holding only the (hidden) lock file.
    assert [path.name for path in (tmp_path / "output").glob("*")] in ([], [".reportgen.lock"])

    result = run("build", "--max-pages", "50", "--language", "en")
    assert result.exit_code == 0, result.output


# ---- Settings files that are broken, or not files at all: one line, never a traceback -------

BROKEN_SETTINGS = {
    "not UTF-8": (
        "reportgen.toml",
        b'# caf\xe9\nout = "x"\n',
        "reportgen.toml:1: is not valid UTF-8: invalid continuation byte",
    ),
    "not TOML": (
        "reportgen.toml",
        b'out = "x"\nbad line here\n',
        "reportgen.toml:2:5: TOML error: Expected '=' after a key in a key/value pair",
    ),
    "binary": ("reportgen.toml", b"\x00\x01\x02", "reportgen.toml:1:1: TOML error: Invalid"),
    "tool = 5": ("pyproject.toml", b"tool = 5\n", "pyproject.toml: tool: must be a table"),
    "tool.reportgen = 5": (
        "pyproject.toml",
        b"[tool]\nreportgen = 5\n",
        "pyproject.toml: tool.reportgen: must be a table ([tool.reportgen]), not an integer",
    ),
    'tool.reportgen = "x"': (
        "pyproject.toml",
        b'[tool]\nreportgen = "x"\n',
        "pyproject.toml: tool.reportgen: must be a table ([tool.reportgen]), not a string",
    ),
    'tool = "reportgen"': (
        "pyproject.toml",
        b'tool = "reportgen"\n',
        "pyproject.toml: tool: must be a table ([tool]), not a string",
    ),
    "a setting of the wrong type": (
        "pyproject.toml",
        b"[tool.reportgen]\nmax_pages = true\n",
        "pyproject.toml: tool.reportgen.max_pages: must be a whole number from 1 to 100000",
    ),
    "a list for text": (
        "reportgen.toml",
        b"out = [1]\n",
        "reportgen.toml: out: expected text, got [1]",
    ),
    "a NUL in a path": (
        "reportgen.toml",
        b'out = "a\\u0000b"\n',
        "reportgen.toml: out: 'a\\x00b' holds a NUL character, which no file name can",
    ),
    "a path too long to look up": (
        "reportgen.toml",
        b'templates = ["' + b"x" * 5000 + b'"]\n',
        "reportgen.toml: templates: cannot use this path: File name too long",
    ),
    "a name with a line break": (
        "reportgen.toml",
        b'audiences = ["public\\n"]\n',
        "reportgen.toml: audiences: 'public\\n' is not an audience name",
    ),
    "nested too deeply": (
        "reportgen.toml",
        b"out = " + b"[" * 100_000 + b"]" * 100_000 + b"\n",
        "reportgen.toml: TOML error: nested too deeply",
    ),
    "over the cap": (
        "reportgen.toml",
        b"# padding\n" * 110_000,
        "reportgen.toml: is 1,100,000 bytes; the limit for a settings file is 1 MiB",
    ),
}


@pytest.mark.parametrize(
    ("name", "content", "expected"), BROKEN_SETTINGS.values(), ids=BROKEN_SETTINGS.keys()
)
def test_a_broken_settings_file_is_one_line_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, content: bytes, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_bytes(content)

    result = run("audiences")

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {tmp_path / expected}"), line


@pytest.mark.parametrize("kind", ["named pipe", "link to /dev/zero", "folder"])
def test_a_settings_file_that_is_not_a_file_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "reportgen.toml"
    if kind == "named pipe":
        os.mkfifo(config)
    elif kind == "folder":
        config.mkdir()
    else:
        config.symlink_to("/dev/zero")
    # Not a settings file: the defaults apply, as with no file at all.
    assert find_config(tmp_path) is None
    assert run("audiences").exit_code == 0
    # Named with --config, it is refused in one line.
    result = run("--config", "reportgen.toml", "audiences")
    assert result.exit_code == 1, result.output
    assert result.stderr == "error: reportgen.toml: no such settings file\n"
    # And the library, given it anyway, refuses it without blocking.
    with pytest.raises(DataError, match=r"reportgen\.toml: (is not a regular file|cannot be)"):
        load_settings(config)


def test_a_settings_file_linked_from_elsewhere_is_the_operators_choice(tmp_path: Path) -> None:
    (tmp_path / "team.toml").write_text('out = "dist"\n')
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "reportgen.toml").symlink_to(tmp_path / "team.toml")
    settings = load_settings(find_config(tmp_path / "project"))
    # Read wherever it leads; its paths are relative to the file it links to, as before.
    assert settings.out == tmp_path.resolve() / "dist"
