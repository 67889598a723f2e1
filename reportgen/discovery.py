"""Which briefings and audiences exist: their files, found by name before any is read."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from reportgen import files
from reportgen.errors import ReportgenError, UnknownAudienceError
from reportgen.resources import BUILTIN_AUDIENCES

ItemT = TypeVar("ItemT")
DATA_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class DataFile:
    """A briefing data file a build was given (or found in a folder it was given)."""

    path: Path
    name: str  # as messages and the manifest name it: relative to the current folder
    sha256: str


def find_data_files(paths: Sequence[Path], *, exclude: Sequence[Path] = ()) -> list[DataFile]:
    """The data files named, and those found in the folders named (``*.yaml`` and ``*.yml``, in
    sub-folders too, hidden ones left out), each once, sorted by name.

    A file named is the operator's choice; a file found in a folder must really be in it (a
    link out of the folder is refused), and every one must be a regular file within the cap
    for data, read once here to hash it.
    """
    skipped = {path.resolve() for path in exclude}
    found: dict[Path, tuple[Path, tuple[Path, ...] | None]] = {}
    for given in paths:
        if given.is_dir():
            root = given.resolve()
            # An output folder inside a data folder is left out; one that holds it is not.
            skip = [folder for folder in skipped if folder.is_relative_to(root)]
            inside = sorted(
                path
                for path in given.rglob("*")
                if path.suffix in DATA_SUFFIXES
                and not path.is_dir()
                and not any(part.startswith(".") for part in path.relative_to(given).parts)
                and not any(path.resolve().is_relative_to(folder) for folder in skip)
            )
            if not inside:
                raise ReportgenError(f"{given}: no briefing data files (*.yaml) in this folder")
            found.update((path.resolve(), (path, (root,))) for path in inside)
        elif given.exists() or given.is_symlink():
            found[given.resolve()] = (given, None)
        else:
            raise ReportgenError(f"{given}: no such file or folder")
    data_files = []
    for path, roots in found.values():
        shown = display_name(path)
        content = files.read_bytes(path, files.DATA, roots, shown=shown)
        data_files.append(DataFile(path, shown, hashlib.sha256(content).hexdigest()))
    return sorted(data_files, key=lambda file: file.name)


def display_name(path: Path) -> str:
    """A file as messages name it: relative to the current directory if it is under it, as a
    user would type it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def find_profiles(template_dirs: Sequence[Path] = ()) -> dict[str, Path]:
    """Every audience's profile file by name: built-in ones, then those in each user folder's
    ``audiences/``.

    A user profile with a built-in audience's name replaces it, as a user template replaces
    the built-in template of the same name; earlier folders win over later ones. Each must be
    a regular file inside the folder it is found in (see `reportgen.files`): a named pipe there
    would hang whatever reads it, and skipping it would quietly build the built-in audience of
    that name instead, so it is refused.
    """
    found: dict[str, Path] = {}
    for folder in [BUILTIN_AUDIENCES, *(path / "audiences" for path in reversed(template_dirs))]:
        for path in sorted(folder.glob("*.yaml")):
            files.check(path, files.PROFILE, (folder,))
            found[path.stem] = path
    return dict(sorted(found.items()))


def select(names: Sequence[str], available: dict[str, ItemT]) -> list[ItemT]:
    """The named items in the order given (every one when ``names`` is empty)."""
    if not names:
        return list(available.values())
    unknown = [name for name in names if name not in available]
    if unknown:
        raise UnknownAudienceError(
            f"unknown audience {', '.join(map(repr, unknown))}; available: {', '.join(available)}"
        )
    return [available[name] for name in dict.fromkeys(names)]
