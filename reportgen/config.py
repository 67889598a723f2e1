"""A team's defaults from ``reportgen.toml`` or ``[tool.reportgen]`` in ``pyproject.toml``."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from reportgen.build.limits import MIN_MEMORY_MIB
from reportgen.errors import DataError, Problem

CONFIG_FILE = "reportgen.toml"
PYPROJECT = "pyproject.toml"
AUDIENCE_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Settings:
    """Defaults for the command line; a flag given on the command line always wins.

    A plain dataclass, checked by hand below: every command reads settings, and importing
    Pydantic would cost each of them a tenth of a second before it starts.
    """

    data: tuple[Path, ...] = ()
    templates: tuple[Path, ...] = ()
    out: Path | None = None
    audiences: tuple[str, ...] = ()
    time_limit: float | None = None
    max_pages: int | None = None
    memory_limit: int | None = None


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
    """The settings in ``path``, relative paths made absolute against its folder."""
    if path is None:
        return Settings()
    table = _read(path)
    prefix = ""
    if path.name == PYPROJECT:
        table, prefix = table.get("tool", {}).get("reportgen", {}), "tool.reportgen."
    base = path.resolve().parent
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    known = {field.name for field in fields(Settings)}
    for key, raw in table.items():
        if key not in known:
            problems.append(Problem(str(path), None, "unknown setting", field=prefix + key))
            continue
        try:
            values[key] = _CHECKS[key](raw, base)
        except ValueError as error:
            problems.append(Problem(str(path), None, str(error), field=prefix + key))
    if problems:
        raise DataError(problems)
    return replace(Settings(), **values)


def _data(raw: Any, base: Path) -> tuple[Path, ...]:
    """Data files or folders of them: one, as text, or a list."""
    paths = tuple(base / _string(item) for item in ([raw] if isinstance(raw, str) else _list(raw)))
    for path in paths:
        if not path.exists():
            raise ValueError(f"no such file or folder: {path}")
    return paths


def _folders(raw: Any, base: Path) -> tuple[Path, ...]:
    folders = tuple(base / _string(item) for item in _list(raw))
    for folder in folders:
        if not folder.is_dir():
            raise ValueError(f"no such folder: {folder}")
    return folders


def _audiences(raw: Any, _base: Path) -> tuple[str, ...]:
    names = tuple(_string(item) for item in _list(raw))
    for name in names:
        if not AUDIENCE_NAME.match(name):
            raise ValueError(f"{name!r} is not an audience name (lower-case words and hyphens)")
    return names


def _number(low: float, high: float, integer: bool) -> Callable[[Any, Path], Any]:
    def check(raw: Any, _base: Path) -> Any:
        kinds = (int,) if integer else (int, float)
        if isinstance(raw, bool) or not isinstance(raw, kinds) or not low <= raw <= high:
            kind = "a whole number" if integer else "a number"
            raise ValueError(f"must be {kind} from {low:g} to {high:g}")
        return raw

    return check


def _string(raw: Any) -> str:
    if not isinstance(raw, str) or not raw:
        raise ValueError(f"expected text, got {raw!r}")
    return raw


def _list(raw: Any) -> list[Any]:
    if not isinstance(raw, list):
        raise ValueError(f"expected a list, got {raw!r}")
    return raw


_CHECKS: dict[str, Callable[[Any, Path], Any]] = {
    "data": _data,
    "templates": _folders,
    "out": lambda raw, base: base / _string(raw),
    "audiences": _audiences,
    "time_limit": _number(0.1, 3600, integer=False),
    "max_pages": _number(1, 100_000, integer=True),
    "memory_limit": _number(MIN_MEMORY_MIB, 65_536, integer=True),
}


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as stream:
            return tomllib.load(stream)
    except OSError as error:
        raise DataError([Problem(str(path), None, f"cannot read file: {error.strerror}")]) from None
    except tomllib.TOMLDecodeError as error:
        # tomllib puts the position in the message: "... (at line 3, column 7)".
        raise DataError([Problem(str(path), None, f"TOML error: {error}")]) from None
