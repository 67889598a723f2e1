"""Audience profiles (which sections, which template, what may be shown) and redaction."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    PrivateAttr,
    StringConstraints,
    field_serializer,
    model_validator,
)

from reportgen import files
from reportgen.discovery import display_name, find_profiles
from reportgen.errors import DataError, Problem
from reportgen.loading import PATTERN_WORDS, alternatives, load_located, pattern_of
from reportgen.models import (
    Briefing,
    Identifier,
    Language,
    Model,
    Section,
    ShortText,
    Sourced,
    Text,
    Visibility,
)
from reportgen.pdf.standards import DEFAULT_VARIANT, PdfVariantName
from reportgen.resources import BUILTIN_AUDIENCES

logger = logging.getLogger(__name__)

TemplateName = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*\.html\.j2$")
]

# Theme values end up inside CSS; these patterns keep them to what CSS means by them, so a
# profile can never smuggle in a declaration, a url() or markup.


COLOUR_CHARACTERS = frozenset(
    "#abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789(),.% "
)
COLOUR_HELP = "use #rrggbb, e.g. '#0b5d3b', a name like 'teal', or rgb(11, 93, 59)"


def _css_colour(value: str) -> str:
    # Only the characters colours are written with, so a value can never end the declaration
    # it goes into. Then tinycss2, WeasyPrint's own CSS parser: a value it reads as one colour
    # is one colour in the PDF, and a misspelt name ("orangey") is refused here instead of
    # turning black there.
    from tinycss2.color4 import parse_color

    if not 0 < len(value) <= 40 or not COLOUR_CHARACTERS.issuperset(value):
        raise ValueError(f"{value!r} is not a CSS colour ({COLOUR_HELP})")
    if parse_color(value) is None:
        raise ValueError(f"{value!r} is not a CSS colour ({COLOUR_HELP})")
    return value


CssColour = Annotated[str, AfterValidator(_css_colour)]
FontFamily = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9 -]{0,59}$")]


def _inside_its_folder(path: str) -> str:
    if ".." in path.split("/"):
        raise ValueError("must stay inside the template folder (no '..')")
    return path


AssetPath = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9_-][A-Za-z0-9_./-]{0,199}$"),
    AfterValidator(_inside_its_folder),
    Field(description="A file in a template folder, relative to that folder, e.g. img/logo.svg."),
]

ModelT = TypeVar("ModelT", bound=BaseModel)

# A profile's words may differ by language: one text for every language, or one per language
# ({en: Executive brief, es: Resumen ejecutivo}). `Audience.for_language` picks one.
ByLanguage = Annotated[dict[Language, ShortText], Field(min_length=1)]
LongByLanguage = Annotated[dict[Language, Text], Field(min_length=1)]
PER_LANGUAGE = ("description", "edition", "marking")

PATTERN_WORDS[pattern_of(TemplateName)] = (
    "use a template file name ending in .html.j2, e.g. 'press.html.j2' or "
    "'sections/timeline.html.j2'"
)
PATTERN_WORDS[pattern_of(FontFamily)] = (
    "use a font family name of letters, digits, spaces and hyphens, e.g. 'Noto Sans'"
)
PATTERN_WORDS[pattern_of(AssetPath)] = (
    "use a path inside your template folder of letters, digits, '-', '_', '.' and '/', "
    "e.g. 'img/logo.svg'"
)

# Set by `warnings_as_errors` (the command line's --strict): a warning then stops the build.
_STRICT: ContextVar[bool] = ContextVar("reportgen_strict_warnings", default=False)


class Theme(Model):
    """The look of an audience's PDF: colours, fonts and images, as CSS custom properties."""

    primary: CssColour | None = Field(default=None, description="Cover, headings, rules.")
    accent: CssColour | None = Field(default=None, description="Marking, list markers, notes.")
    ink: CssColour | None = Field(default=None, description="Body text.")
    muted: CssColour | None = Field(default=None, description="Captions, running heads.")
    panel: CssColour | None = Field(default=None, description="Background of boxes and tiles.")
    cover_accent: CssColour | None = Field(
        default=None, description="Kicker, title rule and labels on the cover."
    )
    body_font: FontFamily | None = Field(default=None, description="Font family of the text.")
    heading_font: FontFamily | None = Field(default=None, description="Font family of headings.")
    logo: AssetPath | None = Field(default=None, description="Image shown on the cover.")
    logo_alt: ShortText | None = Field(default=None, description="Text alternative of the logo.")
    cover_image: AssetPath | None = Field(default=None, description="Cover background image.")
    stylesheets: tuple[AssetPath, ...] = Field(
        default=(), description="Your CSS files, applied after the built-in stylesheet."
    )

    @model_validator(mode="after")
    def _logo_has_alternative_text(self) -> Theme:
        if self.logo and not self.logo_alt:
            raise ValueError("a logo needs logo_alt, its text alternative")
        return self

    def colours(self) -> dict[str, str]:
        """The colours that are set, by their CSS custom property name (without ``--``)."""
        names = ("primary", "accent", "ink", "muted", "panel", "cover_accent")
        return {
            name.replace("_", "-"): value
            for name in names
            if (value := getattr(self, name)) is not None
        }

    def fonts(self) -> dict[str, str]:
        """The font families that are set, by custom property name (``body-font``, ...)."""
        fonts = {"body-font": self.body_font, "heading-font": self.heading_font}
        return {name: value for name, value in fonts.items() if value is not None}


class Audience(Model):
    """One audience's variant of a briefing; loaded from ``<name>.yaml`` in an audiences folder."""

    name: Identifier = Field(
        description="The audience's name, as in --audience; must match the file name.",
        examples=["parliament"],
    )
    description: Text | LongByLanguage = Field(
        description="One line, shown by `reportgen audiences`; one text, or one per language.",
        examples=["Members of the foreign affairs committee."],
    )
    edition: ShortText | ByLanguage = Field(
        default="Briefing",
        description="What the document calls itself, e.g. 'Public edition'; one text, or one "
        "per language: {en: Executive brief, es: Resumen ejecutivo}.",
    )
    template: TemplateName = "briefing.html.j2"
    sections: tuple[Identifier, ...] | None = Field(
        default=None, description="Section ids in the order to show them; all when omitted."
    )
    visibility: frozenset[Visibility] = frozenset({Visibility.PUBLIC})
    page_limit: Annotated[int, Field(ge=1, le=500)] | None = None
    marking: ShortText | ByLanguage = Field(
        description="Classification marking printed on every page; one text, or one per language.",
        examples=["PUBLIC"],
    )
    languages: tuple[Language, ...] | None = Field(
        default=None,
        description="The languages this audience's variant is published in, of the "
        "briefing's; all of them when omitted.",
    )
    theme: Theme = Theme()
    pdf_variant: PdfVariantName = Field(
        default=DEFAULT_VARIANT, description="PDF standard: see docs/accessibility.md."
    )
    # Where the profile was read from, and the line of each of its keys and values, so that a
    # problem found later (a section the briefing lacks, a missing logo) names its line.
    _file: str | None = PrivateAttr(default=None)
    _lines: dict[str, int] = PrivateAttr(default_factory=dict)

    def problem(self, field: str, message: str) -> Problem:
        """A problem with ``field`` of this profile (``theme.logo``, ``sections.2``), at its
        line in the profile's file; a profile made in code is named by its name."""
        if self._file is None:
            return Problem(f"audience {self.name!r}", None, message, field)
        line = self._lines.get(field)
        parent = field
        while line is None and "." in parent:
            parent = parent.rpartition(".")[0]
            line = self._lines.get(parent)
        return Problem(self._file, line, message, field)

    def missing_languages(self, languages: Iterable[str]) -> list[Problem]:
        """A problem, at its line, for each field given per language that lacks one of
        ``languages`` (the languages the build publishes this audience in)."""
        problems = []
        for name in PER_LANGUAGE:
            value = getattr(self, name)
            if not isinstance(value, dict):
                continue
            for language in languages:
                if language not in value:
                    fix = (
                        f"copy this built-in profile to audiences/{self.name}.yaml in your "
                        f"template folder (--templates), where yours replaces it, and add "
                        f"{language}: ... there"
                        if self._builtin()
                        else f"add {language}: ... to it, or give one text for every language"
                    )
                    problems.append(
                        self.problem(
                            name, f"no {language!r} text (it has {', '.join(value)}): {fix}"
                        )
                    )
        return problems

    def _builtin(self) -> bool:
        """Whether the profile is one reportgen ships, which a user replaces, not edits."""
        if self._file is None:
            return False
        try:
            return Path(self._file).resolve().is_relative_to(BUILTIN_AUDIENCES)
        except (OSError, ValueError):
            return False

    def for_language(self, language: str) -> Audience:
        """This profile with one text per field: the one for ``language``, where a field is
        given per language. Raises `DataError` at the profile's line when one lacks it."""
        problems = self.missing_languages([language])
        if problems:
            raise DataError(problems)
        chosen = {
            name: value[language]
            for name in PER_LANGUAGE
            if isinstance(value := getattr(self, name), dict)
        }
        # A copy keeps the file and lines, so later problems still name the profile's line.
        return self.model_copy(update=chosen) if chosen else self

    def text(self, name: str) -> str:
        """A per-language field as one line: itself, or each language's text ("en: Briefing;
        es: Informe"), for listings such as `reportgen audiences`."""
        value = getattr(self, name)
        if isinstance(value, dict):
            return "; ".join(f"{language}: {text}" for language, text in value.items())
        return str(value)

    @field_serializer("visibility")
    def _sorted(self, visibility: frozenset[Visibility]) -> list[str]:
        # A set's order changes from one process to the next; digests need one fixed order.
        return sorted(visibility)


def load_profile(path: Path) -> Audience:
    """The profile in ``path``, read through `reportgen.files`: a regular file of at most 2 MiB
    whose real path, links followed, is inside the folder it was found in."""
    audience, lines = load_located(path, Audience, kind=files.PROFILE, roots=(path.parent,))
    audience._file = display_name(path)
    audience._lines = lines
    return audience


def load_audiences(folder: Path = BUILTIN_AUDIENCES) -> dict[str, Audience]:
    """Every profile in ``folder``, by name; a profile's name must match its file name."""
    return load_profiles({path.stem: path for path in sorted(folder.glob("*.yaml"))})


def discover_audiences(template_dirs: Sequence[Path] = ()) -> dict[str, tuple[Audience, Path]]:
    """Every audience, loaded and validated, with the file it comes from (see `find_profiles`)."""
    paths = find_profiles(template_dirs)
    return {name: (audience, paths[name]) for name, audience in load_profiles(paths).items()}


def load_profiles(profiles: dict[str, Path]) -> dict[str, Audience]:
    """The named profiles, loaded and validated; every problem of every file reported at once."""
    problems: list[Problem] = []
    loaded: dict[str, Audience] = {}
    for name, path in profiles.items():
        try:
            audience = load_profile(path)
        except DataError as error:
            problems += error.problems
            continue
        if audience.name != name:
            problems.append(
                audience.problem(
                    "name",
                    f"{audience.name!r} must match the file name ({path.stem!r}): rename the "
                    f"file to {audience.name}.yaml, or write name: {path.stem}",
                )
            )
        loaded[name] = audience
    if problems:
        raise DataError(problems)
    return loaded


@contextmanager
def warnings_as_errors() -> Iterator[None]:
    """Within this, what `tailor` would warn about fails it instead (``build --strict``)."""
    token = _STRICT.set(True)
    try:
        yield
    finally:
        _STRICT.reset(token)


def tailor(briefing: Briefing, audience: Audience) -> Briefing:
    """The briefing as this audience may see it: chosen sections, in order, nothing it may not see.

    Redaction walks every model, so an item marked internal anywhere in the data is dropped. A
    section the profile names but may not show is left out with a warning, logged (or, within
    `warnings_as_errors`, raised), so that nothing a designer asked for vanishes unsaid.
    """
    if audience.sections is None:
        sections = briefing.sections
    else:
        known = [section.id for section in briefing.sections]
        missing = [
            audience.problem(
                f"sections.{index}",
                f"the briefing {briefing.id!r} has no section {section_id!r}"
                + alternatives(section_id, known, "its sections are"),
            )
            for index, section_id in enumerate(audience.sections)
            if section_id not in known
        ]
        if missing:
            raise DataError(missing)
        sections = tuple(briefing.section(section_id) for section_id in audience.sections)
        _warn(_left_out(sections, audience))
    redacted = _redact(briefing.model_copy(update={"sections": sections}), audience.visibility)
    # A source cited only by what was left out would tell readers what the redacted text said.
    cited = set(redacted.cited_source_ids())
    kept_sources = tuple(source for source in redacted.sources if source.id in cited)
    return redacted.model_copy(update={"sources": kept_sources})


def _left_out(sections: Sequence[Section], audience: Audience) -> list[Problem]:
    """A warning for each section the profile names whose visibility it does not show."""
    shown = ", ".join(sorted(audience.visibility))
    assert audience.sections is not None
    return [
        audience.problem(
            f"sections.{audience.sections.index(section.id)}",
            f"section {section.id!r} is marked visibility: {section.visibility}, which this "
            f"audience does not show (visibility: [{shown}]), so it is left out; add "
            f"{section.visibility} to visibility, or take the section out of sections",
        )
        for section in sections
        if section.visibility not in audience.visibility
    ]


def _warn(problems: Sequence[Problem]) -> None:
    if problems and _STRICT.get():
        raise DataError(problems)
    for problem in problems:
        logger.warning("%s", problem)


def _redact(model: ModelT, allowed: frozenset[Visibility]) -> ModelT:
    updates: dict[str, object] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, tuple):
            kept = tuple(
                _redact(item, allowed) if isinstance(item, BaseModel) else item
                for item in value
                if not (isinstance(item, Sourced) and item.visibility not in allowed)
            )
            if kept != value:
                updates[name] = kept
        elif isinstance(value, BaseModel):
            updates[name] = _redact(value, allowed)
    return model.model_copy(update=updates) if updates else model
