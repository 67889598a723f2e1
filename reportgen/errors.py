"""Every error reportgen raises on purpose, under one base class the CLI can catch."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


class ReportgenError(Exception):
    """Base of every error caused by the user's data, templates or options.

    The CLI prints ``str(error)`` and exits with status 1; anything else is a bug.
    """


@dataclass(frozen=True)
class Problem:
    """One problem in one input file, located as precisely as the parser allows."""

    file: str
    line: int | None
    message: str
    field: str | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        what = f"{self.field}: {self.message}" if self.field else self.message
        return f"{where}: {what}"


class DataError(ReportgenError):
    """Raised when a data or profile file cannot be read, parsed or validated, or holds text
    no font can draw (then a problem may name "templates", where the rest of the text is).

    Carries every problem found, so the user fixes them all in one pass.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))

    def __reduce__(self) -> tuple[type[DataError], tuple[tuple[Problem, ...]]]:
        # Errors cross from the layout processes pickled; unpickling calls the class with
        # ``args``, which here is the message, not the problems it was made from.
        return type(self), (self.problems,)


class AudienceError(ReportgenError):
    """Raised when an audience is unknown or its profile does not fit the briefing."""


class UnknownAudienceError(AudienceError):
    """Raised when an audience named on the command line or in the settings does not exist: a
    usage error, which the command line reports with exit status 2."""


class TemplateError(ReportgenError):
    """Raised when a template is missing, does not parse, or fails while rendering.

    The message names the template file and line.
    """


class ResourceError(ReportgenError):
    """Raised when a template or stylesheet asks for a resource that is refused or missing.

    Raised instead of writing a PDF with holes in it.
    """


class FileRefusedError(ReportgenError):
    """Raised when a file is not read (see `reportgen.files`): it lies, or links, outside the
    folders it may come from, is not a regular file, is over its size cap, or is not UTF-8.

    ``file`` names it as the user wrote it, ``reason`` says why in plain words, and ``line`` is
    where the first byte that is not UTF-8 is.
    """

    def __init__(self, file: str, reason: str, line: int | None = None) -> None:
        self.file = file
        self.reason = reason
        self.line = line
        super().__init__(f"{file}:{line}: {reason}" if line is not None else f"{file}: {reason}")

    def __reduce__(self) -> tuple[type[FileRefusedError], tuple[str, str, int | None]]:
        return type(self), (self.file, self.reason, self.line)  # as DataError.__reduce__


class BuildError(ReportgenError):
    """Raised when WeasyPrint fails or the PDF cannot be written to the output folder."""


class FontNotFoundError(ResourceError):
    """Raised when a font family the document asks for by a setting (a theme's ``heading_font``)
    is neither bundled nor declared with ``@font-face``."""


NO_FONT_CAN_DRAW = (
    'no font the templates declare can draw {} (to add one, see "Fonts" in docs/customising.md)'
)


class MissingGlyphsError(BuildError):
    """Raised when the text holds characters that none of the fonts can draw.

    Layout finds them, not validation: which fonts there are is the templates' choice. The build
    then looks for ``characters`` in the data and profile files, to say where each one is.
    """

    def __init__(self, characters: Sequence[str]) -> None:
        self.characters = tuple(characters)
        super().__init__(NO_FONT_CAN_DRAW.format(describe_characters(self.characters)))

    def __reduce__(self) -> tuple[type[MissingGlyphsError], tuple[tuple[str, ...]]]:
        return type(self), (self.characters,)  # as DataError.__reduce__


def describe_characters(characters: Sequence[str]) -> str:
    """Characters as a user can find them: each itself, its code point and its Unicode name."""
    described = []
    for character in characters:
        name = unicodedata.name(character, "")
        described.append(f'"{character}" (U+{ord(character):04X}{" " + name if name else ""})')
    return ", ".join(described)


class PageLimitError(BuildError):
    """Raised when a variant is longer than its audience's page limit."""


class PreviewError(ReportgenError):
    """Raised when `reportgen preview` cannot serve (its port is taken, say), or is asked for
    a variant it does not offer."""


class VariantsFailedError(BuildError):
    """Raised by a build when one or more variants failed; ``failures`` maps each failed
    variant's key to its error.

    Raised after every variant was tried, so one run reports all failures.
    """

    def __init__(self, failures: Mapping[Any, ReportgenError]) -> None:
        self.failures = dict(failures)
        # One problem (a broken section template, say) fails every variant that uses it: it
        # is said once, after the variants it failed.
        grouped: dict[str, list[str]] = {}
        for key, error in self.failures.items():
            grouped.setdefault(str(error), []).append(str(key))
        lines = [f"{', '.join(keys)}: {message}" for message, keys in grouped.items()]
        super().__init__("nothing was written; these variants failed:\n" + "\n".join(lines))

    def __reduce__(
        self,
    ) -> tuple[type[VariantsFailedError], tuple[dict[Any, ReportgenError]]]:
        return type(self), (self.failures,)  # as DataError.__reduce__


class DiffError(ReportgenError):
    """Raised when `reportgen diff` cannot compare two sides: a PDF reportgen did not write, data
    that is no briefing, a damaged output folder, or two different briefings.

    ``reportgen diff`` exits with status 2 on it, as ``diff`` does on trouble.
    """


class CatalogError(DataError):
    """Raised when a translation catalog (a PO file) cannot be read: its syntax, its encoding,
    or a translation whose numbers differ from the source text's; one problem per line."""
