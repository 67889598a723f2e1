"""An edition: the language a variant is published in, the locale its dates and numbers follow,
and which of its strings, if any, fell back to the briefing's own language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# CLDR locales for a bare language where the briefings reportgen is made for want a regional
# one: Spanish for Mexico (the shipped briefing's). A briefing's `locales` overrides them.
DEFAULT_LOCALES = {"es": "es_MX"}


def locale_for(language: str, configured: Mapping[str, str] | None = None) -> str:
    """The CLDR locale (``es_MX``) of ``language`` (``es``, ``pt-BR``): the briefing's choice,
    else reportgen's default for the language, else the language itself."""
    chosen = (configured or {}).get(language) or DEFAULT_LOCALES.get(language) or language
    return chosen.replace("-", "_")


@dataclass(frozen=True)
class Edition:
    """What a variant's templates need to know of its language.

    ``fallbacks`` are the fields (translation contexts, ``sections.x.title``) shown in the
    source language because their translation is missing or stale: only a draft build, asked
    for, has any, and then the PDF says so on its cover and in its metadata.
    """

    language: str  # BCP 47, as in the data: "es", "pt-BR"
    locale: str  # CLDR, for Babel: "es_MX"
    source_language: str
    fallbacks: tuple[str, ...] = ()

    @property
    def translated(self) -> bool:
        return self.language != self.source_language

    @property
    def draft(self) -> bool:
        return bool(self.fallbacks)

    @classmethod
    def original(cls, language: str, locales: Mapping[str, str] | None = None) -> Edition:
        """The edition in the briefing's own language."""
        return cls(language, locale_for(language, locales), language)


def catalog_path(data: Path, language: str) -> Path:
    """The catalog of ``language`` for the briefing in ``data``: beside it, ``<stem>.<lang>.po``."""
    return data.with_name(f"{data.stem}.{language}.po")
