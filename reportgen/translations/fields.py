"""The text a translator translates: every value of a field the models mark `Translatable`."""

from __future__ import annotations

import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from reportgen.models import Translatable


@dataclass(frozen=True)
class Entry:
    """One translatable value: where it is in the briefing, its text, and its line in the data.

    ``context`` names the field by ids where the data gives them
    (``sections.un-summits.initiatives.agenda-2030.name``), so it does not change when items
    are reordered; an item without an id is named by its position in its list
    (``sections.key-messages.messages.0.text``).
    """

    context: str
    text: str
    line: int | None
    position: str = ""  # the index-based path, as validation errors and the line map give it


def translatable_entries(
    briefing: BaseModel, lines: Mapping[str, int] | None = None
) -> Iterator[Entry]:
    """Every translatable value in ``briefing``, in data order; ``lines`` (from
    `reportgen.loading.load_located`) gives each its line in the data file."""
    yield from _walk(briefing, (), (), lines or {})


def is_translatable(field: FieldInfo) -> bool:
    """Whether the field holds translatable text, alone, optional or in a list."""
    return any(isinstance(item, Translatable) for item in field.metadata) or _marked(
        field.annotation
    )


def _marked(annotation: Any) -> bool:
    if typing.get_origin(annotation) is typing.Annotated:
        return any(isinstance(item, Translatable) for item in annotation.__metadata__)
    return any(_marked(argument) for argument in typing.get_args(annotation))


def _walk(
    value: Any, context: tuple[str, ...], position: tuple[str, ...], lines: Mapping[str, int]
) -> Iterator[Entry]:
    """``context`` is the id-based path, ``position`` the index-based one the line map uses."""
    for name, field in type(value).model_fields.items():
        child = getattr(value, name)
        if child is None:
            continue
        translatable = is_translatable(field)
        if isinstance(child, tuple):
            for index, item in enumerate(child):
                key = _item_key(item, index)
                where, at = (*context, name, key), (*position, name, str(index))
                if translatable and isinstance(item, str):
                    yield Entry(".".join(where), item, lines.get(".".join(at)), ".".join(at))
                elif isinstance(item, BaseModel):
                    yield from _walk(item, where, at, lines)
        elif translatable and isinstance(child, str):
            path = ".".join((*position, name))
            yield Entry(".".join((*context, name)), child, lines.get(path), path)
        elif isinstance(child, BaseModel):
            yield from _walk(child, (*context, name), (*position, name), lines)


def _item_key(item: object, index: int) -> str:
    """A list item's key: its id if it has one, which no reordering changes, else its position.

    Ids are identifiers (lower case, digits, hyphens), so an id never reads as a position.
    """
    item_id = getattr(item, "id", None)
    return item_id if isinstance(item_id, str) else str(index)
