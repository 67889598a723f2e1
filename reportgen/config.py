"""A team's defaults from ``reportgen.toml`` or ``[tool.reportgen]`` in ``pyproject.toml``."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from reportgen import files
from reportgen.build.limits import MIN_MEMORY_MIB
from reportgen.errors import DataError, FileRefusedError, Problem

CONFIG_FILE = "reportgen.toml"
PYPROJECT = "pyproject.toml"
AUDIENCE_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# tomllib ends a message with where it is: "Invalid value (at line 3, column 7)".
_TOML_POSITION = re.compile(r" \(at line (\d+), column (\d+)\)$")


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
    if pyproject.is_file() and "reportgen" in _tool_table(pyproject, _read(pyproject)):
        return pyproject
    return None


def load_settings(path: Path | None) -> Settings:
    """The settings in ``path``, relative paths made absolute against its folder."""
    if path is None:
        return Settings()
    table = _read(path)
    prefix = ""
    if path.name == PYPROJECT:
        table, prefix = _reportgen_table(path, table), "tool.reportgen."
    base = path.resolve().parent
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    known = {field.name for field in fields(Settings)}
    for key, raw in table.items():
        if key not in known:
            # A key is any string TOML can quote, line breaks included: shown escaped, on one line.
            shown = key if key.isprintable() else repr(key)
            problems.append(Problem(str(path), None, "unknown setting", field=prefix + shown))
            continue
        try:
            values[key] = _CHECKS[key](raw, base)
        except ValueError as error:
            problems.append(Problem(str(path), None, str(error), field=prefix + key))
        except OSError as error:  # a path the system cannot even look up (far too long)
            message = f"cannot use this path: {error.strerror or error}"
            problems.append(Problem(str(path), None, message, field=prefix + key))
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
        if not AUDIENCE_NAME.fullmatch(name):  # match() allows a final line break
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
    if "\x00" in raw:
        raise ValueError(f"{raw!r} holds a NUL character, which no file name can")
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
    """The TOML document in ``path``, read through `reportgen.files`: a regular file (a named
    pipe would hang every command), at most 1 MiB, UTF-8. The operator chose the file, so a
    link is followed wherever it leads."""
    try:
        text = files.read_text(path, files.SETTINGS)
    except FileRefusedError as error:
        raise DataError([Problem(str(path), error.line, error.reason)]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        position = _TOML_POSITION.search(message)
        if position is None:
            raise DataError([Problem(str(path), None, f"TOML error: {message}")]) from None
        line, column = int(position[1]), int(position[2])
        message = f"TOML error: {message[: position.start()]}"
        raise DataError([Problem(str(path), line, message, column=column)]) from None
    except RecursionError:
        # tomllib parses nested arrays recursively; thousands of brackets exhaust the stack.
        raise DataError([Problem(str(path), None, "TOML error: nested too deeply")]) from None


def _tool_table(path: Path, document: dict[str, Any]) -> dict[str, Any]:
    """``[tool]`` of a ``pyproject.toml``, which must be a table if it is there at all."""
    tool = document.get("tool", {})
    if not isinstance(tool, dict):
        message = f"must be a table ([tool]), not {_kind(tool)}"
        raise DataError([Problem(str(path), None, message, field="tool")])
    return tool


def _reportgen_table(path: Path, document: dict[str, Any]) -> dict[str, Any]:
    table = _tool_table(path, document).get("reportgen", {})
    if not isinstance(table, dict):
        message = f"must be a table ([tool.reportgen]), not {_kind(table)}"
        raise DataError([Problem(str(path), None, message, field="tool.reportgen")])
    return table


def _kind(value: object) -> str:
    """A TOML value's kind as its specification names it, for a message."""
    kinds = {
        bool: "a boolean",
        int: "an integer",
        float: "a float",
        str: "a string",
        list: "an array",
    }
    return next((name for kind, name in kinds.items() if isinstance(value, kind)), "a date")
