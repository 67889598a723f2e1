"""The wheel carries every resource, and the tool installed from it works outside the checkout.

Built from a copy of the checkout, installed (not editable) into a fresh virtual environment
with its dependencies, and run as a new user runs it: from a folder outside the checkout, with
no PYTHONPATH, through the ``reportgen`` console script the wheel installs.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po
from packaging.version import Version
from pypdf import PdfReader

CHECKOUT = Path(__file__).resolve().parent.parent
TEMPLATES = CHECKOUT / "templates"
SKELETON = CHECKOUT / "reportgen" / "resources" / "project"
EXAMPLE = CHECKOUT / "data" / "mexico-multilateral-human-rights.yaml"
IN_WHEEL = "reportgen/resources/"
SHIPPED_AUDIENCES = ("delegation", "executive", "public")
# The shipped briefing is in English, translated into Spanish by the catalog beside it: a
# default build makes one PDF per audience and language.
SHIPPED_LANGUAGES = ("en", "es")
SHIPPED_VARIANTS = tuple(
    (audience, language) for audience in SHIPPED_AUDIENCES for language in SHIPPED_LANGUAGES
)
PREVIEW_ASSETS = ("index.html", "preview.css", "preview.js")
# Named outright, so a skeleton that lost a file (or a glob in pyproject.toml that stopped
# matching dotfiles) fails here even though a walk of the skeleton would not miss it.
SKELETON_FILES = (
    ".gitignore",
    ".github/workflows/briefings.yml",
    "README.md",
    "reportgen.toml",
    "requirements.txt",
    "templates/README.md",
    "data/mexico-multilateral-human-rights.yaml",
    "data/mexico-multilateral-human-rights.es.po",
)
# Left out of the copy the wheel is built from: at the top, what is not source (and a stale
# build/ whose build/lib could carry deleted modules into the wheel); anywhere, caches.
NOT_SOURCE_AT_TOP = {".git", ".venv", "build", "dist", "output"}
NOT_SOURCE = shutil.ignore_patterns("__pycache__", "*.egg-info", ".*_cache", ".hypothesis")
INSTALL_TIMEOUT = 900
RUN_TIMEOUT = 600


@dataclass(frozen=True)
class Installed:
    """A fresh virtual environment with the wheel installed in it."""

    venv: Path
    site_packages: Path
    version: str

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def reportgen(self) -> Path:
        return self.venv / "bin" / "reportgen"


def _clean_env(venv: Path | None = None) -> dict[str, str]:
    """The caller's environment minus whatever would let the checkout or the dev venv in."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"}
    }
    if venv is not None:
        env["VIRTUAL_ENV"] = str(venv)
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    # Plain output: no colours, no terminal width, so lines compare as written.
    env["NO_COLOR"] = "1"
    env.pop("FORCE_COLOR", None)
    return env


def _run(command: list[str | Path], cwd: Path, timeout: float = INSTALL_TIMEOUT) -> str:
    """Run a setup step; on failure, fail with its whole output."""
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, (
        f"{command} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    )
    return result.stdout


def _outside_checkout(path: Path) -> Path:
    resolved = path.resolve()
    assert not resolved.is_relative_to(CHECKOUT), f"{resolved} is inside the checkout"
    return resolved


def _not_source(folder: str, names: list[str]) -> set[str]:
    ignored = set(NOT_SOURCE(folder, names))
    if Path(folder) == CHECKOUT:
        ignored |= NOT_SOURCE_AT_TOP & set(names)
    return ignored


def _setuptools_for_no_isolation() -> bool:
    """Whether the dev venv's setuptools can build the wheel itself (pyproject asks >= 77)."""
    try:
        return Version(metadata.version("setuptools")) >= Version("77")
    except metadata.PackageNotFoundError:
        return False


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the checkout as it is now (untracked files included).

    A copy, because an in-tree build leaves build/ in the checkout, whose stale build/lib can
    carry deleted modules into later wheels, and would race with anyone building at once.
    """
    root = _outside_checkout(tmp_path_factory.mktemp("wheel"))
    source = root / "source"
    # symlinks=True: the links in reportgen/resources stay links, as in a checkout, so this
    # also proves the build follows them.
    shutil.copytree(CHECKOUT, source, symlinks=True, ignore=_not_source)
    command: list[str | Path] = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", root]
    if _setuptools_for_no_isolation():
        # Skips making an isolated build environment: about 2.5 s of 5 faster, same wheel.
        command.append("--no-build-isolation")
    _run([*command, source], cwd=root)
    (built,) = root.glob("reportgen-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """A fresh venv with the wheel and its dependencies from the package index (pip's cache)."""
    venv = _outside_checkout(tmp_path_factory.mktemp("venv")) / "env"
    # Without pip of its own: the dev venv's pip installs into it (pip --python), which saves
    # bootstrapping pip (4 s) and installs in 6 s where the bundled older pip takes 20 s.
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=venv.parent)
    python = venv / "bin" / "python"
    _run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--no-compile", wheel],
        cwd=venv.parent,
    )
    site_packages = Path(
        _run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], venv).strip()
    )
    version = wheel.name.split("-")[1]
    return Installed(venv, site_packages.resolve(), version)


@dataclass(frozen=True)
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def stderr_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def reportgen(installed: Installed) -> Callable[..., Result]:
    """``reportgen(*args, cwd=folder)``: the installed console script, run outside the checkout."""

    def run(*args: str | Path, cwd: Path) -> Result:
        result = subprocess.run(
            [str(installed.reportgen), *map(str, args)],
            cwd=_outside_checkout(cwd),
            env=_clean_env(installed.venv),
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
        return Result(result.returncode, result.stdout, result.stderr)

    return run


def _ok(result: Result) -> Result:
    assert result.code == 0, (
        f"exit {result.code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    assert "Traceback" not in result.stderr
    return result


@pytest.fixture(scope="module")
def project(
    reportgen: Callable[..., Result], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """``reportgen new proj``, then ``reportgen build`` inside it: the project with its PDFs."""
    scratch = _outside_checkout(tmp_path_factory.mktemp("user"))
    _ok(reportgen("new", "proj", cwd=scratch))
    proj = scratch / "proj"
    _ok(reportgen("build", cwd=proj))
    yield proj


def _walk(folder: Path) -> set[str]:
    """Every file under ``folder``, following links, as paths relative to it."""
    return {
        str((Path(root) / name).relative_to(folder))
        for root, dirs, names in os.walk(folder, followlinks=True)
        if "__pycache__" not in Path(root).parts
        for name in names
    }


def _title() -> str:
    title = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))["title"]
    assert isinstance(title, str)
    return title


def _translated_title(language: str) -> str:
    """The title as the PDF in ``language`` shows it: the data's, or its catalog's translation."""
    if language == "en":
        return _title()
    with EXAMPLE.with_suffix(f".{language}.po").open("rb") as stream:
        message = read_po(stream).get(_title(), context="title")
    assert message is not None and isinstance(message.string, str) and message.string
    return message.string


# The wheel's file list.


def test_wheel_carries_every_resource_as_a_file(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        members = {info.filename: info for info in archive.infolist()}
        example = archive.read(IN_WHEEL + "project/data/mexico-multilateral-human-rights.yaml")
    templates = {IN_WHEEL + "templates/" + name for name in _walk(TEMPLATES)}
    skeleton = {IN_WHEEL + "project/" + name for name in (*_walk(SKELETON), *SKELETON_FILES)}
    expected = {
        IN_WHEEL + "templates/" + name
        for name in (
            "base.html.j2",
            "style/briefing.css",
            "fonts/OFL.txt",
            "fonts/NotoSerif-Regular.ttf",
            "starter/__NAME__.html.j2",
            "starter/audiences/__NAME__.yaml",
            "starter/style/__NAME__.css",
            *(f"audiences/{name}.yaml" for name in SHIPPED_AUDIENCES),
        )
    }
    assert "reportgen/py.typed" in members
    # The preview's page works offline: its script and styles are in the wheel, no CDN.
    preview = {f"reportgen/preview/static/{name}" for name in PREVIEW_ASSETS}
    assert sorted(preview - members.keys()) == []
    assert sorted((expected | templates | skeleton) - members.keys()) == []
    assert any(name.startswith(IN_WHEEL + "templates/sections/") for name in members)
    links = [name for name, info in members.items() if stat.S_ISLNK(info.external_attr >> 16)]
    assert links == []
    # The example briefing is the shipped one, as a file, not a link to ../../../../data.
    assert example == EXAMPLE.read_bytes()


# The installed package.


def test_import_resolves_inside_the_fresh_venv(installed: Installed, tmp_path: Path) -> None:
    probe = (
        "import json, reportgen, reportgen.resources as r; print(json.dumps("
        "[reportgen.__file__, str(r.BUILTIN_TEMPLATES), str(r.EXAMPLE_BRIEFING)]))"
    )
    result = subprocess.run(
        [str(installed.python), "-c", probe],
        cwd=_outside_checkout(tmp_path),
        env=_clean_env(installed.venv),
        capture_output=True,
        text=True,
        check=True,
    )
    for path in map(Path, json.loads(result.stdout)):
        assert path.resolve().is_relative_to(installed.site_packages), path
        assert not path.resolve().is_relative_to(CHECKOUT), path
    # Installed as files, not as an editable link back to the checkout.
    assert not list(installed.site_packages.glob("__editable__*"))
    assert not list(installed.site_packages.glob("*.egg-link"))


def test_version_audiences_and_schema(
    reportgen: Callable[..., Result], installed: Installed, tmp_path: Path
) -> None:
    assert _ok(reportgen("--version", cwd=tmp_path)).stdout.split()[-1] == installed.version
    listed = _ok(reportgen("audiences", cwd=tmp_path)).stdout.splitlines()
    assert sorted(line.split()[0] for line in listed) == list(SHIPPED_AUDIENCES)
    assert all(line.endswith("[built-in]") for line in listed)
    schema = json.loads(_ok(reportgen("schema", cwd=tmp_path)).stdout)
    assert schema["type"] == "object"
    assert {"id", "title", "sections"} <= schema["properties"].keys()


# A new user's project.


def test_new_project_has_the_skeleton(project: Path) -> None:
    written = _walk(project) - {name for name in _walk(project) if name.startswith("output/")}
    assert set(SKELETON_FILES) <= written
    assert _walk(SKELETON) <= written
    assert "data/briefing.schema.json" in written
    assert not (project / "data" / "mexico-multilateral-human-rights.yaml").is_symlink()
    assert (project / "data" / "mexico-multilateral-human-rights.yaml").read_bytes() == (
        EXAMPLE.read_bytes()
    )


def test_validate_in_the_project(reportgen: Callable[..., Result], project: Path) -> None:
    (line,) = _ok(reportgen("validate", cwd=project)).stdout.splitlines()
    assert "mexico-multilateral-human-rights.yaml: valid" in line


def test_build_writes_six_readable_pdfs_and_a_manifest(
    project: Path, normalise: Callable[[str], str]
) -> None:
    output = project / "output"
    pdfs = sorted(output.glob("*.pdf"))
    assert [pdf.name for pdf in pdfs] == [
        f"mexico-multilateral-human-rights-{audience}.{language}.pdf"
        for audience, language in SHIPPED_VARIANTS
    ]
    manifest = json.loads((output / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(entry["file"] for entry in manifest["variants"]) == [pdf.name for pdf in pdfs]
    for pdf in pdfs:
        reader = PdfReader(pdf)
        assert len(reader.pages) > 0
        text = normalise(" ".join(page.extract_text() for page in reader.pages))
        language = pdf.suffixes[-2].lstrip(".")
        assert normalise(_translated_title(language)) in text, pdf.name


def test_check_after_build_is_clean(reportgen: Callable[..., Result], project: Path) -> None:
    _ok(reportgen("build", "--check", cwd=project))


def test_rebuild_with_nothing_changed_keeps_everything_up_to_date(
    reportgen: Callable[..., Result], project: Path, tmp_path: Path
) -> None:
    # What CI does every night: build again with nothing changed, then check.
    proj = tmp_path / "proj"
    shutil.copytree(project, proj)
    rebuilt = _ok(reportgen("build", cwd=proj))
    assert rebuilt.stdout.count("unchanged ") == len(SHIPPED_VARIANTS), rebuilt.stdout
    manifest = json.loads((proj / "output" / "manifest.json").read_text(encoding="utf-8"))
    assert sorted((entry["audience"], entry["language"]) for entry in manifest["variants"]) == list(
        SHIPPED_VARIANTS
    )
    _ok(reportgen("build", "--check", cwd=proj))


def test_own_audience_from_init_template(
    reportgen: Callable[..., Result], project: Path, tmp_path: Path
) -> None:
    proj = tmp_path / "proj"
    shutil.copytree(project, proj)
    _ok(reportgen("init-template", "looks", "--name", "press", cwd=proj))
    _ok(reportgen("build", "--templates", "looks", "--audience", "press", cwd=proj))
    for language in SHIPPED_LANGUAGES:
        pdf = proj / "output" / f"mexico-multilateral-human-rights-press.{language}.pdf"
        assert len(PdfReader(pdf).pages) > 0


def test_extract_writes_the_data_and_build_record(
    reportgen: Callable[..., Result], project: Path, tmp_path: Path
) -> None:
    pdf = project / "output" / "mexico-multilateral-human-rights-public.en.pdf"
    _ok(reportgen("extract", pdf, "--out", "x", cwd=tmp_path))
    briefing = json.loads((tmp_path / "x" / "briefing.json").read_text(encoding="utf-8"))
    assert briefing["title"] == _title()
    assert json.loads((tmp_path / "x" / "build-record.json").read_text(encoding="utf-8"))


def test_diff_of_the_built_project_against_its_data(
    reportgen: Callable[..., Result], project: Path, tmp_path: Path
) -> None:
    # Unchanged against the data it was built from (exit 0); an edit of that data shows up in
    # every edition (exit 1).
    assert _ok(reportgen("diff", project / "output", project / "data", cwd=tmp_path)).stdout
    data = tmp_path / "edited.yaml"
    shipped = (project / "data" / "mexico-multilateral-human-rights.yaml").read_text("utf-8")
    data.write_text(
        shipped.replace("increment_percent_of_base: 33", "increment_percent_of_base: 34")
    )
    changed = reportgen("diff", project / "output", data, "--format", "json", cwd=tmp_path)
    assert changed.code == 1, changed.stderr
    assert json.loads(changed.stdout)["summary"]["changed"] == len(SHIPPED_VARIANTS)


# Mistakes a new user makes: one line, exit 1, no traceback.


def test_build_with_missing_data(reportgen: Callable[..., Result], project: Path) -> None:
    result = reportgen("build", "--data", "nowhere.yaml", cwd=project)
    assert result.code == 1, result
    assert "Traceback" not in result.stderr
    (line,) = result.stderr_lines
    assert "nowhere.yaml" in line


def test_validate_in_an_empty_folder(reportgen: Callable[..., Result], tmp_path: Path) -> None:
    result = reportgen("validate", cwd=tmp_path)
    assert result.code == 1, result
    assert "Traceback" not in result.stderr
    (line,) = result.stderr_lines
    assert "reportgen new" in line


def test_new_refuses_a_folder_with_files(reportgen: Callable[..., Result], tmp_path: Path) -> None:
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "notes.txt").write_text("mine\n", encoding="utf-8")
    result = reportgen("new", "proj", cwd=tmp_path)
    assert result.code == 1, result
    assert "Traceback" not in result.stderr
    assert len(result.stderr_lines) == 1
    assert [path.name for path in (tmp_path / "proj").iterdir()] == ["notes.txt"]
