"""What one variant's work may use: time, memory and pages."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """What one variant's layout may use. The defaults leave the shipped briefing (8 pages, a
    few seconds, a few hundred MiB) far inside them and stop a hostile template early."""

    seconds: float = 120.0
    max_pages: int = 500
    memory_mib: int = 4096


DEFAULT_LIMITS = Limits()

# Python, WeasyPrint, Pango and the fonts map ~400 MiB of address space before any layout;
# below this even the smallest briefing fails, with an error that would not say why.
MIN_MEMORY_MIB = 512
