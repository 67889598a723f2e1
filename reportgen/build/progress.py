"""What a build reports as it goes, and what it covered: kept apart from the pipeline, so that
the command line can print a build's progress without loading the pipeline to start."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reportgen.build.variants import VariantKey
from reportgen.errors import ReportgenError


@dataclass(frozen=True)
class BuiltFile:
    """A PDF a build covers: ``rebuilt`` is False when it was up to date and kept as it was."""

    key: VariantKey
    path: Path
    pages: int
    size: int
    rebuilt: bool = True

    @property
    def briefing(self) -> str:
        return self.key.briefing

    @property
    def audience(self) -> str:
        return self.key.audience


class Progress:
    """Receives what a build is doing; the CLI subclasses it to print. Does nothing itself."""

    def waiting(self, message: str) -> None:
        """Another build holds the output folder; this one waits for it."""

    def started(self, key: VariantKey) -> None:
        """A variant's layout started."""

    def finished(self, key: VariantKey, error: ReportgenError | None, seconds: float) -> None:
        """A variant's layout ended, with the error it failed with (None when it succeeded)."""

    def unchanged(self, key: VariantKey) -> None:
        """A variant was up to date and kept."""
