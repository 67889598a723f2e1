"""`reportgen diff` on the command line: exit 0 unchanged, 1 changed, 2 on an error (as
diff(1)), the three formats, and no layout: WeasyPrint is never imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import main

PAIRS = Path(__file__).parent / "fixtures" / "diff"
BASE = str(PAIRS / "base.yaml")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["diff", *args])
    return result.exit_code, result.stdout, result.stderr


def test_exit_0_when_nothing_changed() -> None:
    code, out, _ = run(BASE, BASE)
    assert code == 0
    assert out.splitlines()[-1] == "2 editions: 2 unchanged"


def test_exit_1_when_something_changed() -> None:
    code, out, _ = run(BASE, str(PAIRS / "internal.yaml"))
    assert code == 1
    assert "diff-example/public/en: unchanged" in out.splitlines()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{tmp}/missing.yaml"], "missing.yaml: no such file"),
        ([BASE, "--audience", "nobody"], "no audience 'nobody'; the audiences are"),
        (["{tmp}"], "neither an output folder"),
    ],
)
def test_exit_2_with_one_line_on_an_error(args: list[str], message: str, tmp_path: Path) -> None:
    code, out, err = run(BASE, *(arg.format(tmp=tmp_path) for arg in args))
    assert code == 2
    assert out == ""
    (line,) = err.splitlines()
    assert line.startswith("error: ") and message in line


def test_exit_2_on_bad_data(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text((PAIRS / "base.yaml").read_text().replace("date: 2026-11-27", "date: soon"))
    code, _, err = run(BASE, str(broken))
    assert code == 2
    assert "broken.yaml:" in err and "date" in err and "Traceback" not in err


def test_markdown_and_json_formats() -> None:
    code, out, _ = run(BASE, str(PAIRS / "edited.yaml"), "--format", "markdown")
    assert code == 1 and out.startswith("### reportgen diff:") and "<details>" in out
    code, out, _ = run(BASE, str(PAIRS / "edited.yaml"), "--format", "json", "--audience", "public")
    assert code == 1
    document = json.loads(out)
    assert [edition["edition"] for edition in document["editions"]] == ["diff-example/public/en"]


def test_help_states_the_exit_statuses() -> None:
    result = CliRunner().invoke(main, ["diff", "--help"])
    assert "0 nothing changed, 1 something changed, 2 an error" in " ".join(result.stdout.split())


def test_a_diff_lays_nothing_out(tmp_path: Path) -> None:
    # In a process of its own: did the diff, reading data and cutting it per audience, load
    # WeasyPrint (the layout engine) at all?
    script = (
        "import sys\n"
        "from reportgen.cli import main\n"
        "try:\n"
        f"    main(['diff', {BASE!r}, {str(PAIRS / 'edited.yaml')!r}])\n"
        "except SystemExit as done:\n"
        "    assert done.code == 1, done.code\n"
        "print('weasyprint' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert done.stdout.splitlines()[-1] == "False"
