"""The briefing data format: Pydantic models, their checks, and the figures derived from them."""

from __future__ import annotations

import datetime as dt
import itertools
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    computed_field,
    field_validator,
    model_validator,
)

# Years outside this window are almost certainly typos in a briefing about current affairs.
EARLIEST_YEAR = 1900
LATEST_YEAR = 2100

# Unicode categories no reader can see: control characters (but tab and newline), surrogates,
# private-use and unassigned code points. They print as nothing or as boxes, and PDF text
# extraction cannot give them back, so text holding one is refused, with the code point named.
INVISIBLE_CATEGORIES = {
    "Cc": "a control character",
    "Cs": "a lone surrogate",
    "Co": "a private-use character",
    "Cn": "an unassigned code point",
}
ALLOWED_CONTROLS = {"\t", "\n"}
# Bidirectional overrides and isolates make text display in another order than it is written
# ("Trojan Source"); a briefing never needs them, since the layout orders scripts itself.
BIDI_CONTROLS = {chr(code) for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def _visible(text: str) -> str:
    # Fast path, one call in C: printable text (tab and newline aside) holds no control,
    # surrogate, private-use, unassigned or format character, so nothing below can refuse it.
    if text.replace("\t", "").replace("\n", "").isprintable():
        return text
    for char in text:
        if char in BIDI_CONTROLS:
            raise ValueError(
                f"contains U+{ord(char):04X}, a bidirectional control that reorders the text "
                "on the page; remove it"
            )
        category = unicodedata.category(char)
        if category in INVISIBLE_CATEGORIES and char not in ALLOWED_CONTROLS:
            reason = INVISIBLE_CATEGORIES[category]
            raise ValueError(f"contains U+{ord(char):04X}, {reason}; remove it")
    return text


Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    AfterValidator(_visible),
]
ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_visible),
]


@dataclass(frozen=True)
class Translatable:
    """Marks a text field a translator translates: its values go into the briefing's PO
    catalogs (`reportgen.translations`). Validation ignores it."""


# The translatable uses of Text and ShortText: the same checks, and the marker.
Prose = Annotated[Text, Translatable()]
Label = Annotated[ShortText, Translatable()]
Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", min_length=1, max_length=80),
]
Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")]
Locale = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}([-_][A-Z]{2})?$")]
Year = Annotated[int, Field(ge=EARLIEST_YEAR, le=LATEST_YEAR)]
Month = Annotated[int, Field(ge=1, le=12)]
Percent = Annotated[Decimal, Field(gt=0, le=1000, max_digits=6, decimal_places=2)]


class Model(BaseModel):
    """Base of every data model: unknown keys are errors, values are immutable after loading."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Visibility(StrEnum):
    """Who may see an item: ``internal`` items never reach a public document."""

    PUBLIC = "public"
    INTERNAL = "internal"


class Sourced(Model):
    """Something that may cite sources (by id) and may be kept internal."""

    sources: tuple[Identifier, ...] = ()
    visibility: Visibility = Visibility.PUBLIC


class Point(Sourced):
    """One statement of fact, restated from a source."""

    text: Prose


class Source(Model):
    """A reference that facts cite; rendered as a footnote where it is cited."""

    id: Identifier
    title: Prose
    short_title: Label | None = Field(
        default=None, description="Used when the source is cited again after its first note."
    )
    publisher: Label
    year: Year | None = None
    reference: ShortText | None = Field(
        default=None, description="A document symbol or other identifier, e.g. A/RES/70/1."
    )
    url: AnyHttpUrl | None = Field(
        default=None, description="Printed as text in the citation; never fetched."
    )


class PartialDate(Model):
    """A date known to the year or to the month, as sources often give them."""

    year: Year
    month: Month | None = None

    def sort_key(self) -> tuple[int, int]:
        return (self.year, self.month or 0)

    def __str__(self) -> str:
        if self.month is None:
            return str(self.year)
        return dt.date(self.year, self.month, 1).strftime("%B %Y")


class TimelineEvent(Sourced):
    """One dated event; a timeline must be given in chronological order."""

    date: PartialDate
    text: Prose


class Section(Sourced):
    """Fields every section shares; ``kind`` picks its template under ``templates/sections``."""

    id: Identifier
    title: Label
    summary: Prose | None = None


class KeyMessagesSection(Section):
    """The few sentences a principal must retain."""

    kind: Literal["key_messages"]
    messages: tuple[Point, ...] = Field(min_length=1)


class OfficeSection(Section):
    """A field office of an international organisation and what it does with the host State."""

    kind: Literal["office"]
    name: Label
    short_name: Label
    established: Year
    established_by: Label
    partners: tuple[Label, ...] = Field(
        min_length=1, description="The entities the office works with."
    )
    activities: tuple[Label, ...] = Field(
        min_length=1, description="What the office develops with its partners."
    )


class Initiative(Sourced):
    """A summit, conference or agreement the briefing's subject promotes."""

    id: Identifier
    name: Label
    short_name: Label | None = None
    description: Prose | None = None
    date: PartialDate | None = None


class InitiativesSection(Section):
    """A list of initiatives, such as the UN summits and conferences Mexico promotes."""

    kind: Literal["initiatives"]
    initiatives: tuple[Initiative, ...] = Field(min_length=1)


class Figure(Sourced):
    """A number stated by a source, with the words that explain it."""

    value: Annotated[int, Field(ge=0)]
    label: Label


class CommitmentsSection(Section):
    """A record of engagement with an institution: points of fact and the figures behind them."""

    kind: Literal["commitments"]
    points: tuple[Point, ...] = Field(min_length=1)
    figures: tuple[Figure, ...] = ()


class BudgetIncrease(Sourced):
    """A one-off increase over a base-year budget, for a named body."""

    body: Label
    short_name: Label
    percent: Percent
    purpose: Prose | None = None


class ScheduleYear(BaseModel):
    """One year of a budget schedule, derived from the rule: never typed in."""

    model_config = ConfigDict(frozen=True)

    year: int
    increment_percent: Decimal
    percent_of_base: Decimal


class BudgetResolutionSection(Section):
    """A budget resolution modelled as its rule, from which the yearly schedule is computed."""

    kind: Literal["budget_resolution"]
    body: Label = Field(description="The assembly that adopted the resolution.")
    place: Label
    date: PartialDate
    promoted_by: Label
    adoption: Label = Field(description="How it was adopted, e.g. 'by consensus'.")
    purpose: Prose
    beneficiary: Label = Field(description="Whose budget the rule raises.")
    fund: Label
    base_year: Year
    first_year: Year
    increment_percent_of_base: Percent = Field(
        description="Yearly increment, as a share of the base-year budget."
    )
    years: Annotated[int, Field(ge=1, le=20)]
    target_percent_of_base: Percent = Field(
        description="What the resolution aims at, e.g. 200 for doubling."
    )
    other_increases: tuple[BudgetIncrease, ...] = ()
    other_provisions: tuple[Point, ...] = ()

    @model_validator(mode="after")
    def _schedule_starts_after_base(self) -> BudgetResolutionSection:
        if self.first_year <= self.base_year:
            raise ValueError(
                f"first_year ({self.first_year}) must come after base_year ({self.base_year})"
            )
        return self

    @computed_field  # type: ignore[prop-decorator]
    @property
    def schedule(self) -> tuple[ScheduleYear, ...]:
        """Each year's budget as a percentage of the base year, increments accumulating."""
        return tuple(
            ScheduleYear(
                year=self.first_year + index,
                increment_percent=self.increment_percent_of_base,
                percent_of_base=100 + self.increment_percent_of_base * (index + 1),
            )
            for index in range(self.years)
        )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def final_percent_of_base(self) -> Decimal:
        return self.schedule[-1].percent_of_base

    @computed_field  # type: ignore[prop-decorator]
    @property
    def shortfall_points(self) -> Decimal:
        """Percentage points by which the final year falls short of the target (0 if met)."""
        return max(Decimal(0), self.target_percent_of_base - self.final_percent_of_base)

    @property
    def last_year(self) -> int:
        return self.schedule[-1].year


class TimelineSection(Section):
    """Dated events, in chronological order."""

    kind: Literal["timeline"]
    events: tuple[TimelineEvent, ...] = Field(min_length=1)

    @field_validator("events")
    @classmethod
    def _in_order(cls, events: tuple[TimelineEvent, ...]) -> tuple[TimelineEvent, ...]:
        for earlier, later in itertools.pairwise(events):
            if later.date.sort_key() < earlier.date.sort_key():
                raise ValueError(
                    f"events must be in chronological order: {later.date} "
                    f"comes after {earlier.date}"
                )
        return events


class TalkingPointsSection(Section):
    """Lines for negotiators, each restating facts the briefing already sources."""

    kind: Literal["talking_points"]
    points: tuple[Point, ...] = Field(min_length=1)


AnySection = Annotated[
    KeyMessagesSection
    | OfficeSection
    | InitiativesSection
    | CommitmentsSection
    | BudgetResolutionSection
    | TimelineSection
    | TalkingPointsSection,
    Field(discriminator="kind"),
]


class Briefing(Model):
    """A whole briefing: what it is, its sections, and the sources its facts cite."""

    model_config = ConfigDict(
        json_schema_extra={"title": "reportgen briefing"},
    )

    id: Identifier = Field(description="Used in output file names: <id>-<audience>.<language>.pdf")
    title: Label
    subtitle: Label | None = None
    subject: Prose = Field(description="One sentence for the PDF's subject metadata.")
    author: Label
    keywords: tuple[Label, ...] = ()
    language: Language = "en"
    translations: tuple[Language, ...] = Field(
        default=(),
        description="The languages the briefing is also published in, besides its own; each "
        "has a PO catalog beside the data file: <file>.<language>.po.",
    )
    locales: dict[Language, Locale] = Field(
        default_factory=dict,
        description="The CLDR locale each language's dates and numbers follow, e.g. "
        "{es: es-ES}; by default a language's own, and es-MX for Spanish.",
    )
    date: dt.date = Field(description="The briefing's date; also the PDF creation date.")
    audiences: tuple[Identifier, ...] | None = Field(
        default=None,
        description="The audiences this briefing is built for, by name; every audience when "
        "omitted.",
    )
    sections: tuple[AnySection, ...] = Field(min_length=1)
    sources: tuple[Source, ...] = ()

    @field_validator("date")
    @classmethod
    def _plausible_date(cls, value: dt.date) -> dt.date:
        if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            raise ValueError(f"year {value.year} is outside {EARLIEST_YEAR}-{LATEST_YEAR}")
        return value

    @field_validator("translations")
    @classmethod
    def _other_languages(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        if info.data.get("language") in value:
            raise ValueError(f"lists {info.data['language']!r}, the briefing's own language")
        repeated = _duplicates(iter(value))
        if repeated:
            raise ValueError(f"lists a language twice: {', '.join(repeated)}")
        return value

    @model_validator(mode="after")
    def _ids_unique_and_citations_known(self) -> Briefing:
        duplicated = _duplicates(section.id for section in self.sections)
        duplicated += _duplicates(source.id for source in self.sources)
        if duplicated:
            raise ValueError(f"ids must be unique; repeated: {', '.join(sorted(duplicated))}")
        known = {source.id for source in self.sources}
        unknown = sorted({cited for cited in self.cited_source_ids() if cited not in known})
        if unknown:
            raise ValueError(f"cites sources that are not listed under sources: {unknown}")
        return self

    def cited_source_ids(self) -> Iterator[str]:
        """Every source id cited anywhere in the briefing, in document order, with repeats."""
        yield from _cited(self.sections)

    def source(self, source_id: str) -> Source:
        return next(source for source in self.sources if source.id == source_id)

    def section(self, section_id: str) -> AnySection:
        return next(section for section in self.sections if section.id == section_id)

    def sections_of_kind(self, kind: str) -> tuple[AnySection, ...]:
        return tuple(section for section in self.sections if section.kind == kind)


def _duplicates(ids: Iterator[str]) -> list[str]:
    return [value for value, count in Counter(ids).items() if count > 1]


def _cited(value: object) -> Iterator[str]:
    if isinstance(value, Sourced):
        yield from value.sources
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _cited(getattr(value, name))
    elif isinstance(value, tuple):
        for item in value:
            yield from _cited(item)
