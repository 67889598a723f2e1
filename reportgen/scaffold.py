"""Starter files: ``reportgen new`` (a briefings project) and ``init-template`` (a template
folder). Both write only into the folder they are given, and never overwrite a file."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

from reportgen.errors import ReportgenError
from reportgen.resources import PROJECT_SKELETON, STARTER

SCHEMA_NAME = "briefing.schema.json"
# The name of the starter audience becomes file names and the profile's ``name``: an audience
# name (`reportgen.config.AUDIENCE_NAME`) that starts with a letter and fits in a file name.
STARTER_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
STARTER_NAME_RULE = (
    "lower-case letters, digits and hyphens, starting with a letter, at most 40 characters"
)
MAX_STARTER_NAME = 40
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def new_project(folder: Path) -> list[Path]:
    """Write a briefings project into ``folder`` (new, or empty): the project skeleton the
    package ships, and the JSON Schema its example briefing points editors at."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ReportgenError(f"{folder}: already exists and is not an empty folder")
    from reportgen.models import Briefing

    written = []
    for source in sorted(PROJECT_SKELETON.rglob("*")):
        # In a checkout the example briefing is a link to data/; the project gets the file.
        if source.is_file() and "__pycache__" not in source.parts:
            target = folder / source.relative_to(PROJECT_SKELETON)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            written.append(target)
    schema = folder / "data" / SCHEMA_NAME
    schema.write_text(
        json.dumps(Briefing.model_json_schema(), indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    return [*written, schema]


def starter_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a starter audience, or None if it can (see STARTER_NAME_RULE)."""
    if len(name) <= MAX_STARTER_NAME and STARTER_NAME.fullmatch(name):
        return None
    return f"{name!r} is not an audience name: use {STARTER_NAME_RULE}, e.g. press-office"


def init_template(folder: Path, name: str) -> list[Path]:
    """Write the starter files into ``folder`` for an audience called ``name``.

    Refuses to overwrite anything, so running it twice cannot destroy a user's work, and
    checks every file it would write before writing any: each must land inside ``folder``
    once links are followed, and ``name`` must be an audience name (so not ``../x``).
    """
    problem = starter_name_problem(name)
    if problem:
        raise ReportgenError(f"name {problem}")
    if _CONTROL.search(str(folder)):
        # The folder is written into the profile's comments; a line break would end one.
        raise ReportgenError(f"{str(folder)!r}: a folder name with control characters")
    files = {
        folder / _fill(str(source.relative_to(STARTER)), name, folder): source
        for source in sorted(STARTER.rglob("*"))
        if source.is_file()
    }
    try:
        home = folder.resolve()
        outside = [str(target) for target in files if not target.resolve().is_relative_to(home)]
        existing = [str(target) for target in files if _there(target)]
    except (OSError, RuntimeError) as error:
        raise ReportgenError(f"{folder}: cannot write here: {error}") from None
    if outside:
        raise ReportgenError(f"will not write outside {folder}: {', '.join(outside)}")
    if existing:
        raise ReportgenError(f"will not overwrite existing files: {', '.join(existing)}")
    try:
        for target, source in files.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            text = _fill(source.read_text(encoding="utf-8"), name, folder)
            # "x": never through a link or over a file that appeared since the check.
            with target.open("x", encoding="utf-8") as stream:
                stream.write(text)
    except OSError as error:
        raise ReportgenError(
            f"{error.filename or folder}: cannot write: {error.strerror}"
        ) from None
    return list(files)


def _there(path: Path) -> bool:
    """Whether anything is at ``path``, a link that leads nowhere included."""
    return path.is_symlink() or path.exists()


def _fill(text: str, name: str, folder: Path) -> str:
    # Quoted, so the command the profile's comment shows works as it is for any folder name.
    return text.replace("__NAME__", name).replace("__FOLDER__", shlex.quote(str(folder)))
