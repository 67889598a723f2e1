"""Starter files: ``reportgen new`` (a briefings project) and ``init-template`` (a template
folder). Both write only into the folder they are given, and never overwrite a file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from reportgen.errors import ReportgenError
from reportgen.resources import PROJECT_SKELETON, STARTER

SCHEMA_NAME = "briefing.schema.json"


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


def init_template(folder: Path, name: str) -> list[Path]:
    """Write the starter files into ``folder`` for an audience called ``name``.

    Refuses to overwrite anything, so running it twice cannot destroy a user's work.
    """
    files = {
        folder / _fill(str(source.relative_to(STARTER)), name, folder): source
        for source in sorted(STARTER.rglob("*"))
        if source.is_file()
    }
    existing = [str(target) for target in files if target.exists()]
    if existing:
        raise ReportgenError(f"will not overwrite existing files: {', '.join(existing)}")
    for target, source in files.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_fill(source.read_text(encoding="utf-8"), name, folder), encoding="utf-8")
    return list(files)


def _fill(text: str, name: str, folder: Path) -> str:
    return text.replace("__NAME__", name).replace("__FOLDER__", str(folder))
