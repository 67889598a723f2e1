"""The command line: what each command prints, and its exit status."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pypdf import PdfReader

from reportgen import __version__
from reportgen.audiences import load_audiences
from reportgen.cli import main
from reportgen.editions import catalog_path
from reportgen.errors import DataError
from reportgen.models import Briefing

WriteYaml = Callable[..., Path]
COMMANDS = ["build", "validate", "audiences", "schema"]


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture(autouse=True)
def _in_a_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shipped_data: Path) -> None:
    """Each test runs in a briefings project of its own: a data/ folder with the shipped data
    and its Spanish catalog."""
    (tmp_path / "data").mkdir()
    for path in (shipped_data, catalog_path(shipped_data, "es")):
        (tmp_path / "data" / path.name).write_bytes(path.read_bytes())
    monkeypatch.chdir(tmp_path)


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert __version__ in result.stdout
    assert "reportgen" in result.stdout


def test_help_lists_every_command() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_help_on_each_command(command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0
    assert f"Usage: main {command}" in result.stdout or f"{command} [OPTIONS]" in result.stdout


def test_audiences_lists_names_and_descriptions() -> None:
    result = run("audiences")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    profiles = load_audiences()
    assert len(lines) == len(profiles)
    for line, (name, profile) in zip(lines, sorted(profiles.items()), strict=True):
        assert line.startswith(name)
        assert line.endswith(f"{profile.description}  [built-in]")


def test_audiences_says_where_a_user_audience_comes_from(tmp_path: Path) -> None:
    (tmp_path / "audiences").mkdir()
    profile = tmp_path / "audiences" / "press.yaml"
    profile.write_text("name: press\ndescription: Press kit.\nmarking: PUBLIC\n")
    result = run("audiences", "--templates", str(tmp_path))
    assert result.exit_code == 0
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("press")]
    assert line.endswith(f"Press kit.  [{profile}]")


def test_schema_is_the_json_schema_of_the_data_format() -> None:
    result = run("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert "properties" in schema
    assert {"id", "title", "sections", "sources"} <= set(schema["properties"])
    assert schema == Briefing.model_json_schema()


def test_validate_shipped_data(shipped_data: Path) -> None:
    result = run("validate")
    assert result.exit_code == 0
    assert "valid" in result.stdout
    assert result.stderr == ""


def test_validate_a_given_file(tmp_path: Path, shipped_text: str, write_yaml: WriteYaml) -> None:
    path = write_yaml(tmp_path, shipped_text, "mine.yaml")
    result = run("validate", str(path))
    assert result.exit_code == 0
    assert result.stdout.startswith("mine.yaml: valid")


def test_validate_broken_file_reports_lines_without_traceback(
    tmp_path: Path, shipped_text: str, write_yaml: WriteYaml
) -> None:
    text = shipped_text.replace("established: 2001", "established: soon").replace(
        "years: 3", "years: 0"
    )
    write_yaml(tmp_path, text, "bad.yaml")
    lines = text.splitlines()
    first = next(n for n, line in enumerate(lines, 1) if "established: soon" in line)
    second = next(n for n, line in enumerate(lines, 1) if "years: 0" in line)

    result = run("validate", "bad.yaml")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert "Traceback" not in result.output
    reported = result.stderr.strip().splitlines()
    assert len(reported) == 2
    assert f"bad.yaml:{first}: " in reported[0]
    assert f"bad.yaml:{second}: " in reported[1]
    assert not isinstance(result.exception, DataError)


def test_validate_impossible_date_is_a_clean_error(
    tmp_path: Path, shipped_text: str, write_yaml: WriteYaml
) -> None:
    write_yaml(tmp_path, shipped_text.replace("date: 2026-11-27", "date: 2026-02-30"), "bad.yaml")
    result = run("validate", "bad.yaml")
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.stderr.startswith("error: bad.yaml:")


def test_debug_lets_the_error_through(
    tmp_path: Path, shipped_text: str, write_yaml: WriteYaml
) -> None:
    write_yaml(tmp_path, shipped_text.replace("years: 3", "years: 0"), "bad.yaml")
    result = run("--debug", "validate", "bad.yaml")
    assert result.exit_code == 1
    assert isinstance(result.exception, DataError)


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "nowhere.yaml"],
        ["build", "--data", "nowhere.yaml"],
        ["build", "--templates", "nowhere"],
        ["audiences", "--templates", "nowhere"],
        ["extract", "nowhere.pdf"],
        ["--config", "nowhere.toml", "build"],
    ],
)
def test_a_missing_file_or_folder_is_one_line_naming_it(args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: nowhere")
    assert "no such" in line


def test_no_data_outside_a_project_says_how_to_start_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path / "data")
    result = run("build")
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert "reportgen new" in line


def test_unknown_option_is_a_usage_error() -> None:
    result = run("build", "--colour", "blue")
    assert result.exit_code == 2
    assert "--colour" in result.stderr


def test_unknown_command_is_a_usage_error() -> None:
    assert run("publish").exit_code == 2


def test_build_unknown_audience_is_a_usage_error(tmp_path: Path) -> None:
    result = run("build", "--out", str(tmp_path / "out"), "--audience", "nosuch")
    assert result.exit_code == 2
    assert "nosuch" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_build_one_audience(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run("build", "--out", str(out), "--audience", "executive", "--language", "en")
    assert result.exit_code == 0, result.output
    written = out / "mexico-multilateral-human-rights-executive.en.pdf"
    visible = sorted(path for path in out.iterdir() if not path.name.startswith("."))
    assert visible == [out / "manifest.json", written]
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("wrote")]
    assert str(written) in line
    pages = len(PdfReader(written).pages)
    assert f"({pages} pages, {written.stat().st_size:,} bytes)" in line


def run_python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_validate_does_not_import_weasyprint(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from reportgen.cli import main\n"
        "main(['validate'], standalone_mode=False)\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'weasyprint')\n"
        "assert 'weasyprint' not in sys.modules, loaded\n"
        "print('no weasyprint')\n"
    )
    result = run_python(code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout
    assert "no weasyprint" in result.stdout


def test_help_does_not_import_weasyprint(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from reportgen.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0\n"
        "assert 'weasyprint' not in sys.modules\n"
        "print('no weasyprint')\n"
    )
    result = run_python(code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "no weasyprint" in result.stdout


@pytest.mark.parametrize("mode", [[], ["--check"]])
def test_an_up_to_date_build_loads_nothing_it_does_not_need(
    tmp_path: Path, mode: list[str]
) -> None:
    # It hashes files and compares them with the manifest: no parsing, rendering, layout or
    # process starting, so none of the modules that take the time of those.
    first = CliRunner().invoke(main, ["build", "--audience", "executive", "--out", str(tmp_path)])
    assert first.exit_code == 0, first.output
    code = (
        "import sys\n"
        "from reportgen.cli import main\n"
        f"main(['build', *{mode!r}, '--audience', 'executive', '--out', {str(tmp_path)!r}],"
        " standalone_mode=False)\n"
        "heavy = ['pydantic', 'jinja2', 'babel', 'weasyprint', 'pikepdf', 'multiprocessing']\n"
        "loaded = [name for name in [*heavy, 'urllib.request'] if name in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    result = run_python(code, tmp_path)
    assert result.returncode == 0, result.stderr
    expected = "every output is up to date" if mode else "unchanged"
    assert expected in result.stdout


def test_python_dash_m(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reportgen", "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert __version__ in result.stdout


def _fail_with(error: BaseException) -> Callable[..., object]:
    def fail(*args: object, **kwargs: object) -> object:
        raise error

    return fail


def test_an_internal_error_is_one_line_with_the_traceback_saved(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("reportgen.loading.load_briefings", _fail_with(RuntimeError("boom")))
    result = run("validate")
    assert result.exit_code == 70
    (line,) = result.stderr.splitlines()
    assert line.startswith("internal error: RuntimeError: boom. This is a bug in reportgen")
    saved = Path(line.rsplit(" ", 1)[-1])
    assert "RuntimeError: boom" in saved.read_text()
    assert "Traceback" not in result.output
    saved.unlink()


def test_debug_shows_an_internal_error_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("reportgen.loading.load_briefings", _fail_with(RuntimeError("boom")))
    result = run("--debug", "validate")
    assert isinstance(result.exception, RuntimeError)


def test_an_interrupted_command_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("reportgen.loading.load_briefings", _fail_with(KeyboardInterrupt()))
    result = run("validate")
    assert result.exit_code == 130
    assert result.stderr.strip() == "interrupted"


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["validate"], 0),
        (["validate", "broken.yaml"], 1),
        (["build", "--check", "--out", "never-built"], 1),
        (["build", "--audience", "nosuch"], 2),
        (["build", "--jobs", "0"], 2),
    ],
)
def test_exit_statuses_of_the_readme_table(args: list[str], status: int) -> None:
    Path("broken.yaml").write_text("id: [unclosed\n")
    assert run(*args).exit_code == status
