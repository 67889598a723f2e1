"""Which audiences exist: profile files found by name, before any is read."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

from reportgen.errors import AudienceError
from reportgen.resources import BUILTIN_AUDIENCES

ItemT = TypeVar("ItemT")


def find_profiles(template_dirs: Sequence[Path] = ()) -> dict[str, Path]:
    """Every audience's profile file by name: built-in ones, then those in each user folder's
    ``audiences/``.

    A user profile with a built-in audience's name replaces it, as a user template replaces
    the built-in template of the same name; earlier folders win over later ones.
    """
    found: dict[str, Path] = {}
    for folder in [BUILTIN_AUDIENCES, *(path / "audiences" for path in reversed(template_dirs))]:
        for path in sorted(folder.glob("*.yaml")):
            found[path.stem] = path
    return dict(sorted(found.items()))


def select(names: Sequence[str], available: dict[str, ItemT]) -> list[ItemT]:
    """The named items in the order given (every one when ``names`` is empty)."""
    if not names:
        return list(available.values())
    unknown = [name for name in names if name not in available]
    if unknown:
        raise AudienceError(
            f"unknown audience {', '.join(map(repr, unknown))}; available: {', '.join(available)}"
        )
    return [available[name] for name in dict.fromkeys(names)]
