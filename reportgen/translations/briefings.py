"""The briefings a translations command works on: each read with its lines, and the languages
it is published in besides its own."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reportgen.discovery import find_data_files
from reportgen.errors import DataError, Problem, ReportgenError
from reportgen.loading import load_located
from reportgen.models import Briefing
from reportgen.translations.catalog import UpdateResult, update
from reportgen.translations.fields import Entry, translatable_entries
from reportgen.translations.status import Status, status


@dataclass(frozen=True)
class Translated:
    """A briefing, the file it came from, and its translatable text."""

    path: Path
    briefing: Briefing
    entries: tuple[Entry, ...]

    def languages(self, only: str | None = None) -> tuple[str, ...]:
        """The declared languages, or just ``only`` if the briefing declares it."""
        declared = self.briefing.translations
        return declared if only is None else tuple(lang for lang in declared if lang == only)


def read_briefings(paths: Sequence[Path], language: str | None = None) -> list[Translated]:
    """Every briefing in ``paths`` with its entries; all are read before any problem is raised.
    With ``language``, one no briefing declares is an error (a misspelling, most likely)."""
    problems: list[Problem] = []
    found = []
    for data in find_data_files(paths):
        try:
            briefing, lines = load_located(data.path, Briefing)
        except DataError as error:
            problems += error.problems
            continue
        found.append(Translated(data.path, briefing, tuple(translatable_entries(briefing, lines))))
    if problems:
        raise DataError(problems)
    if language is not None and not any(item.languages(language) for item in found):
        raise ReportgenError(
            f"no briefing is published in {language!r}: list it under translations in its data"
        )
    return found


def update_all(found: Sequence[Translated], language: str | None = None) -> list[UpdateResult]:
    """Create or refresh the catalog of each declared language (or only ``language``)."""
    return [
        update(item.path, item.entries, lang, project=item.briefing.id)
        for item in found
        for lang in item.languages(language)
    ]


def status_all(found: Sequence[Translated], language: str | None = None) -> list[Status]:
    """The status of each declared language's catalog (or only ``language``'s)."""
    return [
        status(item.path, item.briefing.id, item.entries, lang)
        for item in found
        for lang in item.languages(language)
    ]
