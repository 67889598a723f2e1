"""The data models: shipped data is valid, derived figures follow the rule, bad data is refused."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from factories import budget_rule
from pydantic import ValidationError

from reportgen.models import (
    Briefing,
    BudgetResolutionSection,
    OfficeSection,
    PartialDate,
    TimelineSection,
    Visibility,
)


@pytest.fixture
def raw(shipped_data: Path) -> dict[str, Any]:
    """The shipped data as plain Python values, a fresh copy for each test to spoil."""
    loaded = yaml.safe_load(shipped_data.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return copy.deepcopy(loaded)


def section_index(raw: dict[str, Any], kind: str) -> int:
    return next(i for i, section in enumerate(raw["sections"]) if section["kind"] == kind)


def error_locations(error: ValidationError) -> list[tuple[int | str, ...]]:
    return [tuple(detail["loc"]) for detail in error.errors()]


# ---- The shipped data ----------------------------------------------------------------------


def test_shipped_data_is_valid(raw: dict[str, Any]) -> None:
    briefing = Briefing.model_validate(raw)
    assert briefing.id == "mexico-multilateral-human-rights"
    assert len(briefing.sections) == len(raw["sections"])
    assert {source.id for source in briefing.sources} >= set(briefing.cited_source_ids())


def test_shipped_schedule_is_computed_from_the_rule(raw: dict[str, Any]) -> None:
    briefing = Briefing.model_validate(raw)
    (section,) = briefing.sections_of_kind("budget_resolution")
    assert isinstance(section, BudgetResolutionSection)

    expected = [
        (section.first_year + i, 100 + section.increment_percent_of_base * (i + 1))
        for i in range(section.years)
    ]
    assert [(year.year, year.percent_of_base) for year in section.schedule] == expected
    # The figures the source text implies: 33% of the 2017 budget a year from 2018, three years.
    assert [(year.year, year.percent_of_base) for year in section.schedule] == [
        (2018, Decimal(133)),
        (2019, Decimal(166)),
        (2020, Decimal(199)),
    ]
    assert all(year.increment_percent == Decimal(33) for year in section.schedule)
    assert section.final_percent_of_base == Decimal(199)
    assert section.shortfall_points == Decimal(1)
    assert section.last_year == 2020


def test_schedule_is_not_typed_in(raw: dict[str, Any]) -> None:
    index = section_index(raw, "budget_resolution")
    raw["sections"][index]["schedule"] = [{"year": 2018, "percent_of_base": 150}]
    with pytest.raises(ValidationError) as caught:
        Briefing.model_validate(raw)
    assert ("sections", index, "budget_resolution", "schedule") in error_locations(caught.value)


def test_hand_made_rule_meets_its_target() -> None:
    section = budget_rule(base_year=2020, first_year=2021, increment_percent_of_base=25, years=4)
    assert [(y.year, y.percent_of_base) for y in section.schedule] == [
        (2021, Decimal(125)),
        (2022, Decimal(150)),
        (2023, Decimal(175)),
        (2024, Decimal(200)),
    ]
    assert section.final_percent_of_base == Decimal(200)
    assert section.shortfall_points == Decimal(0)


def test_overshooting_rule_has_no_negative_shortfall() -> None:
    section = budget_rule(increment_percent_of_base=30, years=4, target_percent_of_base=200)
    assert section.final_percent_of_base == Decimal(220)
    assert section.shortfall_points == Decimal(0)


def test_fractional_increments_accumulate_exactly() -> None:
    section = budget_rule(increment_percent_of_base="33.33", years=3, target_percent_of_base=200)
    assert section.final_percent_of_base == Decimal("199.99")
    assert section.shortfall_points == Decimal("0.01")


def test_computed_fields_are_in_the_dump(raw: dict[str, Any]) -> None:
    briefing = Briefing.model_validate(raw)
    index = section_index(raw, "budget_resolution")
    dumped = briefing.model_dump()["sections"][index]
    assert [year["percent_of_base"] for year in dumped["schedule"]] == [133, 166, 199]
    assert dumped["shortfall_points"] == 1


def test_partial_dates_sort_year_before_month() -> None:
    assert PartialDate(year=2017).sort_key() < PartialDate(year=2017, month=6).sort_key()
    assert str(PartialDate(year=2017, month=6)) == "June 2017"
    assert str(PartialDate(year=2001)) == "2001"


def test_visibility_defaults_to_public(raw: dict[str, Any]) -> None:
    briefing = Briefing.model_validate(raw)
    assert briefing.section("key-messages").visibility is Visibility.PUBLIC
    assert briefing.section("talking-points").visibility is Visibility.INTERNAL


def test_committed_schema_matches_the_models(shipped_data: Path) -> None:
    """data/briefing.schema.json is the output of `reportgen schema`; it must not drift."""
    committed = shipped_data.parent / "briefing.schema.json"
    assert committed.is_file(), f"{committed} is missing; run `reportgen schema > {committed}`"
    assert json.loads(committed.read_text(encoding="utf-8")) == Briefing.model_json_schema()


# ---- Bad data is refused -------------------------------------------------------------------


def test_extra_key_is_rejected(raw: dict[str, Any]) -> None:
    raw["colour"] = "blue"
    with pytest.raises(ValidationError) as caught:
        Briefing.model_validate(raw)
    assert [(d["loc"], d["type"]) for d in caught.value.errors()] == [
        (("colour",), "extra_forbidden")
    ]


def test_extra_key_in_a_nested_item_is_rejected(raw: dict[str, Any]) -> None:
    index = section_index(raw, "office")
    raw["sections"][index]["establised"] = 2001
    with pytest.raises(ValidationError) as caught:
        Briefing.model_validate(raw)
    assert ("sections", index, "office", "establised") in error_locations(caught.value)


@pytest.mark.parametrize("year", [1066, 1899, 2101, 3000])
def test_implausible_year_is_rejected(raw: dict[str, Any], year: int) -> None:
    index = section_index(raw, "office")
    raw["sections"][index]["established"] = year
    with pytest.raises(ValidationError) as caught:
        Briefing.model_validate(raw)
    assert error_locations(caught.value) == [("sections", index, "office", "established")]


@pytest.mark.parametrize("date", ["1850-01-01", "2150-06-30"])
def test_implausible_briefing_date_is_rejected(raw: dict[str, Any], date: str) -> None:
    raw["date"] = date
    with pytest.raises(ValidationError) as caught:
        Briefing.model_validate(raw)
    assert error_locations(caught.value) == [("date",)]


@pytest.mark.parametrize("percent", [0, -33, "-0.5"])
def test_non_positive_increment_is_rejected(raw: dict[str, Any], percent: object) -> None:
    index = section_index(raw, "budget_resolution")
    raw["sections"][index]["increment_percent_of_base"] = percent
    with pytest.raises(ValidationError) as caught:
        Briefing.model_validate(raw)
    assert error_locations(caught.value) == [
        ("sections", index, "budget_resolution", "increment_percent_of_base")
    ]


def test_non_positive_other_increase_is_rejected(raw: dict[str, Any]) -> None:
    index = section_index(raw, "budget_resolution")
    raw["sections"][index]["other_increases"][1]["percent"] = 0
    with pytest.raises(ValidationError) as caught:
        Briefing.model_validate(raw)
    assert error_locations(caught.value) == [
        ("sections", index, "budget_resolution", "other_increases", 1, "percent")
    ]


def test_zero_years_is_rejected() -> None:
    with pytest.raises(ValidationError):
        budget_rule(years=0)


def test_duplicate_section_ids_are_rejected(raw: dict[str, Any]) -> None:
    raw["sections"][1]["id"] = raw["sections"][0]["id"]
    with pytest.raises(ValidationError) as caught:
        Briefing.model_validate(raw)
    message = str(caught.value)
    assert "ids must be unique" in message
    assert raw["sections"][0]["id"] in message


def test_duplicate_source_ids_are_rejected(raw: dict[str, Any]) -> None:
    raw["sources"][2]["id"] = raw["sources"][1]["id"]
    with pytest.raises(ValidationError, match="ids must be unique"):
        Briefing.model_validate(raw)


def test_unknown_cited_source_is_rejected(raw: dict[str, Any]) -> None:
    index = section_index(raw, "initiatives")
    raw["sections"][index]["initiatives"][0]["sources"] = ["un-a-res-99-9"]
    with pytest.raises(ValidationError) as caught:
        Briefing.model_validate(raw)
    assert "un-a-res-99-9" in str(caught.value)
    assert "not listed under sources" in str(caught.value)


def test_timeline_out_of_order_is_rejected(raw: dict[str, Any]) -> None:
    index = section_index(raw, "timeline")
    events = raw["sections"][index]["events"]
    events[0], events[1] = events[1], events[0]
    with pytest.raises(ValidationError) as caught:
        Briefing.model_validate(raw)
    assert error_locations(caught.value) == [("sections", index, "timeline", "events")]
    assert "chronological order" in str(caught.value)


def test_month_before_year_only_is_out_of_order() -> None:
    with pytest.raises(ValidationError, match="chronological order"):
        TimelineSection.model_validate(
            {
                "id": "t",
                "kind": "timeline",
                "title": "T",
                "events": [
                    {"date": {"year": 2017, "month": 6}, "text": "June"},
                    {"date": {"year": 2017}, "text": "Some time in 2017"},
                ],
            }
        )


@pytest.mark.parametrize("first_year", [2017, 2016])
def test_schedule_must_start_after_the_base_year(raw: dict[str, Any], first_year: int) -> None:
    index = section_index(raw, "budget_resolution")
    assert raw["sections"][index]["base_year"] == 2017
    raw["sections"][index]["first_year"] = first_year
    with pytest.raises(ValidationError, match="must come after base_year"):
        Briefing.model_validate(raw)


@pytest.mark.parametrize(
    "bad_id", ["Key-Messages", "key_messages", "key messages", "-key", "key-", "key--messages", ""]
)
def test_bad_id_pattern_is_rejected(raw: dict[str, Any], bad_id: str) -> None:
    raw["sections"][0]["id"] = bad_id
    with pytest.raises(ValidationError) as caught:
        Briefing.model_validate(raw)
    assert ("sections", 0, "key_messages", "id") in error_locations(caught.value)


@pytest.mark.parametrize("title", ["", "   "])
def test_blank_text_is_rejected(raw: dict[str, Any], title: str) -> None:
    raw["title"] = title
    with pytest.raises(ValidationError) as caught:
        Briefing.model_validate(raw)
    assert error_locations(caught.value) == [("title",)]


def test_unknown_section_kind_is_rejected(raw: dict[str, Any]) -> None:
    raw["sections"][0]["kind"] = "key_message"
    with pytest.raises(ValidationError, match="key_message"):
        Briefing.model_validate(raw)


def test_office_needs_partners(raw: dict[str, Any]) -> None:
    index = section_index(raw, "office")
    raw["sections"][index]["partners"] = []
    with pytest.raises(ValidationError):
        Briefing.model_validate(raw)


def test_models_are_frozen(raw: dict[str, Any]) -> None:
    briefing = Briefing.model_validate(raw)
    office = briefing.sections_of_kind("office")[0]
    assert isinstance(office, OfficeSection)
    with pytest.raises(ValidationError):
        office.established = 1999  # type: ignore[misc]
