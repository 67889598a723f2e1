"""What a build is made of: variants, each known by one typed key, and shards of them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reportgen.errors import ReportgenError


@dataclass(frozen=True, order=True)
class VariantKey:
    """One PDF a build makes: a briefing as one audience sees it, in one language.

    The plan, the manifest, progress lines, failures, shards, file names and ``--check`` all
    speak of variants by this key.
    """

    briefing: str
    audience: str
    language: str

    def __str__(self) -> str:
        return f"{self.briefing}/{self.audience}/{self.language}"

    @property
    def file_name(self) -> str:
        """The PDF's name in the output folder: ``<briefing id>-<audience>.<language>.pdf``,
        the language as the data writes it (``es``, ``pt-BR``). Ids and audience names are
        lower case, so the language's dot and capitals never read as part of them."""
        return f"{self.briefing}-{self.audience}.{self.language}.pdf"


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (1-based): every variant falls in exactly one shard."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.count:
            raise ReportgenError(f"shard {self.index}/{self.count}: need 1 <= K <= N")

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def take(self, keys: Iterable[VariantKey]) -> list[VariantKey]:
        """This shard's keys: round-robin over the sorted keys, so deterministic on every
        machine and balanced to within one variant."""
        return [key for i, key in enumerate(sorted(keys)) if i % self.count == self.index - 1]
