"""`reportgen diff`: what changed between two builds, edition by edition, from the data each
PDF carries; nothing is laid out."""

from reportgen.diff.compare import Change, EditionDiff, FieldChange, Report, Word
from reportgen.diff.pairs import compare_sides, diff
from reportgen.diff.sources import Edition, EditionRef, Side, read_side

__all__ = [
    "Change",
    "Edition",
    "EditionDiff",
    "EditionRef",
    "FieldChange",
    "Report",
    "Side",
    "Word",
    "compare_sides",
    "diff",
    "read_side",
]
