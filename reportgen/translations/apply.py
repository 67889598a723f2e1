"""A briefing in another language: each translatable field replaced by its catalog's current
translation, the result validated as the data is, and what could not be translated named."""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po
from pydantic import ValidationError

from reportgen.discovery import display_name
from reportgen.editions import Edition, catalog_path, locale_for
from reportgen.errors import DataError, Problem
from reportgen.models import Briefing
from reportgen.pdf.hyphenation import hyphenation_available
from reportgen.translations.catalog import read_catalog
from reportgen.translations.fields import Entry, translatable_entries
from reportgen.translations.interface import ui_translation_problems
from reportgen.translations.status import EXPLAINED, MISSING, STALE

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Translation:
    """A briefing as translated, the strings that fell back to its own language (as problems
    naming the catalog's file and line), and the catalog of exactly the strings it used."""

    briefing: Briefing
    untranslated: tuple[Problem, ...]
    catalog: bytes  # PO: what the PDF carries, and `reportgen extract` writes back

    @property
    def fallbacks(self) -> tuple[str, ...]:
        return tuple(problem.field or "" for problem in self.untranslated)


class TranslationInvalidError(Exception):
    """Translations that the data's own rules refuse (too long, invisible characters)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(map(str, problems)))


def translate(briefing: Briefing, catalog: Catalog, path: Path, language: str) -> Translation:
    """``briefing`` (already cut for its audience, so only what it shows is looked up) in
    ``language``, from ``catalog`` (read from ``path``). A string with no current translation
    keeps its source text and is listed in ``untranslated``; the caller refuses those unless
    it builds a draft."""
    shown = display_name(path)
    data: dict[str, Any] = briefing.model_dump(mode="json", round_trip=True)
    by_context = {message.context: message for message in catalog if message.id}
    used = _subset_catalog(catalog, briefing)
    untranslated = []
    entries: dict[str, Entry] = {}
    for entry in translatable_entries(briefing):
        entries[entry.position] = entry
        message = catalog.get(entry.text, context=entry.context)
        if message is not None and message.string and not message.fuzzy:
            _put(data, entry.position, str(message.string))
            used.add(entry.text, str(message.string), context=entry.context)
            continue
        known = message or by_context.get(entry.context)
        state = STALE if known is not None and known.string else MISSING
        line = known.lineno if known is not None else None
        untranslated.append(Problem(shown, line, EXPLAINED[state], entry.context))
    # Its language is now this one; the others it is published in include its own.
    data["language"] = language
    data["translations"] = [
        other for other in (briefing.language, *briefing.translations) if other != language
    ]
    try:
        translated = Briefing.model_validate(data)
    except ValidationError as error:
        raise TranslationInvalidError(_located(error, entries, catalog, shown)) from None
    return Translation(translated, tuple(untranslated), _render(used))


def _put(data: dict[str, Any], position: str, text: str) -> None:
    *parents, last = position.split(".")
    target: Any = data
    for step in parents:
        target = target[int(step)] if isinstance(target, list) else target[step]
    if isinstance(target, list):
        target[int(last)] = text
    else:
        target[last] = text


def _located(
    error: ValidationError, entries: dict[str, Entry], catalog: Catalog, shown: str
) -> list[Problem]:
    problems = []
    for item in error.errors(include_url=False):
        # A section's location names its kind after its index (the union's tag): the
        # entries know it without.
        steps = [str(step) for step in item["loc"]]
        tagged = [n for n in range(1, len(steps)) if steps[n - 1].isdigit()]
        candidates = [steps, *([s for i, s in enumerate(steps) if i != n] for n in tagged)]
        position, entry = next(
            ((p, entries[p]) for p in map(".".join, candidates) if p in entries),
            (".".join(steps), None),
        )
        context = entry.context if entry is not None else position
        message = catalog.get(entry.text, context=entry.context) if entry is not None else None
        line = message.lineno if message is not None else None
        problems.append(Problem(shown, line, f"the translation: {item['msg']}", context))
    return problems


def _subset_catalog(catalog: Catalog, briefing: Briefing) -> Catalog:
    """An empty catalog like ``catalog``, dated by the briefing (not the clock), so that the
    same translations always give the same bytes."""
    moment = dt.datetime.combine(briefing.date, dt.time(), dt.UTC)
    return Catalog(
        locale=catalog.locale,
        project=briefing.id,
        header_comment=f"# The translations {briefing.id} was built with (reportgen).",
        creation_date=moment,
        revision_date=moment,
        fuzzy=False,
    )


def _render(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=79, omit_header=False, sort_output=True)
    return buffer.getvalue()


def _fields(untranslated: Sequence[Problem]) -> tuple[str, ...]:
    """What fell back, as the edition lists it: a data field's path, or a template's line."""
    return tuple(problem.field or str(problem) for problem in untranslated)


class Translator:
    """Each variant's edition: in the briefing's own language as it is, in another translated
    from the briefing's catalog (each catalog read once). A string without a current
    translation, in the data's catalog or the templates', refuses the edition, unless drafts
    are allowed: then it is shown in the briefing's language, and the edition lists it."""

    def __init__(self, template_dirs: Sequence[Path] = (), *, allow_untranslated: bool = False):
        self.template_dirs = tuple(template_dirs)
        self.allow_untranslated = allow_untranslated
        self._catalogs: dict[Path, Catalog] = {}
        self._interface: dict[str, list[Problem]] = {}  # by language: the same for every variant
        self._hyphenation_checked: set[str] = set()

    def edition(
        self, data: Path, tailored: Briefing, language: str
    ) -> tuple[Edition, Briefing, bytes]:
        """The edition, the briefing as it shows, and the catalog of the translations it used
        (empty in the briefing's own language); raises `DataError` naming each string that
        has no current translation, at its line in the catalog."""
        own = tailored.language
        self._check_hyphenation(data, language)
        if language not in self._interface:
            self._interface[language] = ui_translation_problems(self.template_dirs, language)
        if language == own:
            # The templates' own words must be in the briefing's language too.
            self._refuse_or_warn(self._interface[language], own)
            edition = Edition.original(own, tailored.locales)
            fallbacks = _fields(self._interface[language])
            return replace(edition, fallbacks=fallbacks), tailored, b""
        path = catalog_path(data, language)
        if path not in self._catalogs:
            if not path.is_file():
                raise DataError(
                    [
                        Problem(
                            display_name(data),
                            None,
                            f"lists {language!r}, but there is no catalog {path.name} beside "
                            f"it: run `reportgen translations update --language {language}`",
                            "translations",
                        )
                    ]
                )
            self._catalogs[path] = read_catalog(path)
        try:
            translation = translate(tailored, self._catalogs[path], path, language)
        except TranslationInvalidError as error:
            raise DataError(error.problems) from None
        untranslated = [*translation.untranslated, *self._interface[language]]
        self._refuse_or_warn(untranslated, own)
        edition = Edition(
            language, locale_for(language, tailored.locales), own, _fields(untranslated)
        )
        return edition, translation.briefing, translation.catalog

    def _refuse_or_warn(self, untranslated: Sequence[Problem], own: str) -> None:
        if untranslated and not self.allow_untranslated:
            raise DataError(untranslated)
        for problem in untranslated:  # a draft, asked for: still said, one line each
            logger.warning("%s (shown in %s: an incomplete draft)", problem, own)

    def _check_hyphenation(self, data: Path, language: str) -> None:
        """Said once per language: WeasyPrint hyphenates with Pyphen's dictionary for the
        language, and without one it sets every line unhyphenated, silently."""
        if language in self._hyphenation_checked:
            return
        self._hyphenation_checked.add(language)
        if not hyphenation_available(language):
            logger.warning(
                "%s: %r has no hyphenation dictionary (Pyphen's): its editions are set "
                "without hyphenation",
                display_name(data),
                language,
            )
