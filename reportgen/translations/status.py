"""How complete a catalog is for its briefing: strings translated, missing and stale."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from reportgen.discovery import display_name
from reportgen.editions import catalog_path
from reportgen.translations.catalog import read_catalog
from reportgen.translations.fields import Entry

MISSING = "missing"
STALE = "stale"
EXPLAINED = {
    MISSING: "missing (not translated yet)",
    STALE: "stale (the English changed since it was translated)",
}


@dataclass(frozen=True)
class Finding:
    """One string a translation lacks: its field, and its line in the catalog if it is there."""

    file: str
    line: int | None
    context: str
    state: str  # MISSING or STALE

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.context}: {EXPLAINED[self.state]}"


@dataclass(frozen=True)
class Status:
    """The state of one briefing's catalog for one language."""

    briefing: str
    language: str
    path: Path
    translated: int
    findings: tuple[Finding, ...]

    @property
    def missing(self) -> int:
        return sum(finding.state == MISSING for finding in self.findings)

    @property
    def stale(self) -> int:
        return sum(finding.state == STALE for finding in self.findings)

    @property
    def total(self) -> int:
        return self.translated + len(self.findings)

    @property
    def coverage(self) -> float:
        """Per cent of the strings translated and current; 100 when there are none."""
        return 100.0 * self.translated / self.total if self.total else 100.0

    @property
    def complete(self) -> bool:
        return not self.findings


def status(data: Path, briefing: str, entries: Iterable[Entry], language: str) -> Status:
    """Compare the briefing's translatable ``entries`` with its ``language`` catalog (which
    may not exist yet), as the data is now: a catalog not refreshed since the English changed
    is stale where it translates an older text under the same context."""
    path = catalog_path(data, language)
    shown = display_name(path)
    catalog = read_catalog(path) if path.exists() else None
    by_context = {m.context: m for m in catalog if m.id} if catalog is not None else {}
    translated = 0
    findings = []
    for entry in entries:
        message = catalog.get(entry.text, context=entry.context) if catalog is not None else None
        if message is not None and message.string and not message.fuzzy:
            translated += 1
            continue
        if message is None:
            message = by_context.get(entry.context)
        state = STALE if message is not None and message.string else MISSING
        line = message.lineno if message is not None else None
        findings.append(Finding(shown, line, entry.context, state))
    return Status(briefing, language, path, translated, tuple(findings))


def coverage_text(value: float) -> str:
    """Coverage as printed, rounded down: a catalog one string short never shows 100 %."""
    return f"{math.floor(value * 10) / 10:.1f} %"
