"""The template context: models turned into plain read-only values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from decimal import Decimal
from enum import Enum
from typing import TypeAlias

from pydantic import AnyUrl, BaseModel

# What a template may hold. Models are handed over as Records, never as themselves: a Pydantic
# model carries class methods (parse_raw, parse_file, model_validate_json...) that unpickle bytes
# or read files, and the sandbox cannot tell those from data.
Plain: TypeAlias = "str | int | Decimal | dt.date | bool | Record | tuple[Plain, ...] | None"

_LEAVES = (str, int, bool, Decimal, dt.date)


class Record(Mapping[str, Plain]):
    """A read-only mapping whose keys templates also read as attributes (``section.title``).

    Jinja looks a name up as an attribute first, then as an item, so ``briefing.title`` finds
    the item. The only public attributes are Mapping's ``get``, ``items``, ``keys`` and
    ``values``, which give back the same plain values.
    """

    __slots__ = ("_label", "_values")  # no __dict__: nothing can be set on a Record

    def __init__(self, values: Mapping[str, Plain], label: str = "this value") -> None:
        shadowed = sorted(RECORD_METHODS.intersection(values))
        if shadowed:
            # Jinja would find the method, not the value, so ``x.items`` would silently
            # print a bound method instead of the data.
            raise TypeError(f"a Record cannot hold the keys {shadowed}: they name its methods")
        self._values = dict(values)
        # What a designer calls it ("the briefing", "a timeline section"), for messages; the
        # sandbox refuses underscored names, so templates cannot read it.
        self._label = label

    def __getitem__(self, key: str) -> Plain:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Record({self._values!r})"


RECORD_METHODS = frozenset({"get", "items", "keys", "values"})


def label_of(record: Record) -> str:
    """What a designer calls ``record`` ("the briefing", "a timeline section"), for messages.

    A function, not an attribute: an attribute would hide a field of the same name.
    """
    return record._label


def plain(value: object) -> Plain:
    """``value`` as plain data: models become Records, sequences tuples, enums and URLs text.

    Anything else is refused rather than passed through, so a new field of a new type cannot
    hand templates a live object without someone deciding it is safe.
    """
    if isinstance(value, Enum):
        value = value.value
    if value is None or type(value) in _LEAVES:
        return value  # type: ignore[return-value]  # narrowed by the exact type check
    if isinstance(value, AnyUrl):
        return str(value)
    if isinstance(value, BaseModel):
        values = {name: plain(getattr(value, name)) for name in _public_names(value)}
        return Record(values, _label(value))
    if isinstance(value, tuple | list):
        return tuple(plain(item) for item in value)
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return Record({key: plain(item) for key, item in value.items()}, "a table")
    if isinstance(value, frozenset | set):
        # Sorted: a set's order changes from one process to the next.
        return tuple(sorted(plain(item) for item in value))  # type: ignore[type-var]
    raise TypeError(f"no plain form for a {type(value).__name__} value: {value!r}")


# How messages name the records templates meet most; others are named from their class.
_LABELS = {
    "Briefing": "the briefing",
    "Audience": "the audience",
    "Theme": "the audience's theme",
    "Source": "a source",
    "PartialDate": "a date",
    "ScheduleYear": "a year of the budget schedule",
}


def _label(model: BaseModel) -> str:
    name = type(model).__name__
    kind = getattr(model, "kind", None)
    if isinstance(kind, str):
        return _a(f"{kind} section")
    if name in _LABELS:
        return _LABELS[name]
    return _a("".join(f" {char.lower()}" if char.isupper() else char for char in name).strip())


def _a(words: str) -> str:
    return f"{'an' if words[0] in 'aeiou' else 'a'} {words}"


def _public_names(model: BaseModel) -> list[str]:
    """Fields, then computed fields, then the other properties the model classes declare.

    Plain properties (``last_year``) are figures derived from the data just as computed fields
    are; templates use both. Methods are left out: templates filter the data themselves.
    """
    cls = type(model)
    names = [*cls.model_fields, *cls.model_computed_fields]
    for klass in reversed(cls.__mro__[: cls.__mro__.index(BaseModel)]):
        for name, attribute in vars(klass).items():
            if isinstance(attribute, property) and not name.startswith("_") and name not in names:
                names.append(name)
    return names
