"""The files a reportgen PDF carries, by name, and what its build record says of its data.

Kept free of the models and of PDF libraries: `diff` reads a folder built by this reportgen
with this module alone, without importing Pydantic and the models (a third of its time).

The build record says which model code validated the data (`models_sha256`) and carries the
figures that code derived from it (the budget schedule), which the data itself leaves out, so
that a reader with the same model code need not validate the data again to know them.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path
from typing import Any

SOURCE_DATA_NAME = "briefing.json"
BUILD_RECORD_NAME = "build-record.json"
# A translated edition also carries the translations it used, named as its catalog would be
# beside the extracted data: briefing.<language>.po, which a rebuild of briefing.json reads.
CATALOG_NAME = re.compile(r"briefing\.([a-z]{2,3}(?:-[A-Z]{2})?)\.po")

# A place in the data: keys of objects and indexes of arrays, from the top.
JsonPath = list[str | int]


def catalog_name(language: str) -> str:
    return f"briefing.{language}.po"


@cache
def models_sha256() -> str:
    """The SHA-256 of the model code (``reportgen/models.py``, which imports nothing else of
    reportgen): data it validated once validates the same way, with the same derived figures,
    for as long as this digest is the same."""
    return hashlib.sha256(Path(__file__).with_name("models.py").read_bytes()).hexdigest()


def derived_figures(full: Any, given: Any) -> list[list[Any]]:
    """What ``full`` (the validated briefing's JSON dump, computed fields and all) holds that
    ``given`` (the data as embedded) does not: ``[path, value]`` pairs, in ``full``'s order."""
    found: list[list[Any]] = []

    def visit(full: Any, given: Any, path: JsonPath) -> None:
        if isinstance(full, dict) and isinstance(given, dict):
            for key, value in full.items():
                if key in given:
                    visit(value, given[key], [*path, key])
                else:
                    found.append([[*path, key], value])
        elif isinstance(full, list) and isinstance(given, list) and len(full) == len(given):
            for index, (item, known) in enumerate(zip(full, given, strict=True)):
                visit(item, known, [*path, index])

    visit(full, given, [])
    return found


def with_derived(data: Any, derived: Any) -> Any:
    """``data`` (changed in place) with the `derived_figures` of a build record put back where
    the dump had them; None when they do not fit it (a record that is not about this data)."""
    if not isinstance(derived, list):
        return None
    for pair in derived:
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], list)):
            return None
        path, value = pair
        if not path:
            return None
        parent = data
        for step in path[:-1]:
            if not _has(parent, step):
                return None
            parent = parent[step]
        last = path[-1]
        if not (isinstance(parent, dict) and isinstance(last, str) and last not in parent):
            return None
        parent[last] = value
    return data


def _has(container: Any, step: Any) -> bool:
    if isinstance(container, dict):
        return isinstance(step, str) and step in container
    # type(), not isinstance(): JSON's true and false are bools, which are ints to Python.
    return isinstance(container, list) and type(step) is int and 0 <= step < len(container)
