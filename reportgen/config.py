"""A team's defaults from ``reportgen.toml`` or ``[tool.reportgen]`` in ``pyproject.toml``."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError

from reportgen.errors import DataError, Problem
from reportgen.models import Identifier, Model

CONFIG_FILE = "reportgen.toml"
PYPROJECT = "pyproject.toml"


class Settings(Model):
    """Defaults for the command line; a flag given on the command line always wins."""

    data: Path | None = Field(default=None, description="Briefing data file.")
    templates: tuple[Path, ...] = Field(default=(), description="Template folders, first wins.")
    out: Path | None = Field(default=None, description="Folder the PDFs are written to.")
    audiences: tuple[Identifier, ...] = Field(default=(), description="Audiences to build.")
    time_limit: Annotated[float, Field(gt=0, le=3600)] | None = Field(
        default=None, description="Seconds one variant's layout may take."
    )
    max_pages: Annotated[int, Field(ge=1, le=100_000)] | None = Field(
        default=None, description="Most pages one PDF may have."
    )
    memory_limit: Annotated[int, Field(ge=256, le=65_536)] | None = Field(
        default=None, description="MiB of memory one variant's layout may use."
    )


def find_config(directory: Path) -> Path | None:
    """``reportgen.toml`` in ``directory``, else its ``pyproject.toml`` if that has a
    ``[tool.reportgen]`` table; None when neither does."""
    candidate = directory / CONFIG_FILE
    if candidate.is_file():
        return candidate
    pyproject = directory / PYPROJECT
    if pyproject.is_file() and "reportgen" in _read(pyproject).get("tool", {}):
        return pyproject
    return None


def load_settings(path: Path | None) -> Settings:
    """The settings in ``path`` with relative paths made absolute against its folder."""
    if path is None:
        return Settings()
    table = _read(path)
    if path.name == PYPROJECT:
        table = table.get("tool", {}).get("reportgen", {})
    try:
        settings = Settings.model_validate(table)
    except ValidationError as error:
        prefix = "tool.reportgen." if path.name == PYPROJECT else ""
        raise DataError(
            [
                Problem(
                    str(path), None, detail["msg"], field=prefix + ".".join(map(str, detail["loc"]))
                )
                for detail in error.errors()
            ]
        ) from None
    base = path.resolve().parent
    resolved = settings.model_copy(
        update={
            "data": base / settings.data if settings.data else None,
            "templates": tuple(base / folder for folder in settings.templates),
            "out": base / settings.out if settings.out else None,
        }
    )
    missing = []
    if resolved.data is not None and not resolved.data.is_file():
        missing.append(Problem(str(path), None, f"no such file: {resolved.data}", field="data"))
    missing += [
        Problem(str(path), None, f"no such folder: {folder}", field="templates")
        for folder in resolved.templates
        if not folder.is_dir()
    ]
    if missing:
        raise DataError(missing)
    return resolved


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as stream:
            return tomllib.load(stream)
    except OSError as error:
        raise DataError([Problem(str(path), None, f"cannot read file: {error.strerror}")]) from None
    except tomllib.TOMLDecodeError as error:
        # tomllib puts the position in the message: "... (at line 3, column 7)".
        raise DataError([Problem(str(path), None, f"TOML error: {error}")]) from None
