"""The budget chart: one bar per year, labels from the computed schedule, a text alternative."""

from __future__ import annotations

from decimal import Decimal
from xml.etree import ElementTree as ET

import pytest
from factories import budget_rule

from reportgen.charts import budget_chart
from reportgen.models import Briefing, BudgetResolutionSection

SVG = "{http://www.w3.org/2000/svg}"


def plain_percent(value: Decimal) -> str:
    # A formatter independent of Babel: the chart must print whatever it is given.
    return f"{value}%"


@pytest.fixture
def shipped_section(shipped_briefing: Briefing) -> BudgetResolutionSection:
    (section,) = shipped_briefing.sections_of_kind("budget_resolution")
    assert isinstance(section, BudgetResolutionSection)
    return section


def parse(section: BudgetResolutionSection) -> ET.Element:
    return ET.fromstring(str(budget_chart(section, plain_percent)))


def bars(svg: ET.Element) -> list[ET.Element]:
    return svg.findall(f"{SVG}rect")


def texts(svg: ET.Element) -> list[str]:
    return [element.text or "" for element in svg.iter(f"{SVG}text")]


@pytest.mark.parametrize("years", [1, 3, 4, 7])
def test_one_bar_per_schedule_year_plus_the_base(years: int) -> None:
    section = budget_rule(years=years)
    assert len(bars(parse(section))) == years + 1


def test_shipped_chart_labels_every_bar(shipped_section: BudgetResolutionSection) -> None:
    labels = texts(parse(shipped_section))
    assert str(shipped_section.base_year) in labels
    assert "100%" in labels
    for year in shipped_section.schedule:
        assert str(year.year) in labels
        assert plain_percent(year.percent_of_base) in labels
    percents = [plain_percent(y.percent_of_base) for y in shipped_section.schedule]
    assert percents == ["133%", "166%", "199%"]
    assert f"Target {plain_percent(shipped_section.target_percent_of_base)}" in labels


def test_bar_heights_are_proportional_to_the_values() -> None:
    section = budget_rule(increment_percent_of_base=50, years=3, target_percent_of_base=200)
    heights = [float(bar.attrib["height"]) for bar in bars(parse(section))]
    values = [100.0] + [float(year.percent_of_base) for year in section.schedule]
    assert values == [100.0, 150.0, 200.0, 250.0]
    for height, value in zip(heights, values, strict=True):
        assert height / heights[0] == pytest.approx(value / 100, rel=0.01)


def test_bars_share_a_baseline_and_stay_inside_the_chart() -> None:
    svg = parse(budget_rule(increment_percent_of_base=300, years=3, target_percent_of_base=200))
    _, _, width, height = (float(v) for v in svg.attrib["viewBox"].split())
    bottoms = {round(float(bar.attrib["y"]) + float(bar.attrib["height"]), 1) for bar in bars(svg)}
    assert len(bottoms) == 1
    for bar in bars(svg):
        assert float(bar.attrib["y"]) >= 0
        assert float(bar.attrib["x"]) + float(bar.attrib["width"]) <= width
    assert bottoms.pop() <= height


def test_base_bar_is_distinguished_from_the_schedule(
    shipped_section: BudgetResolutionSection,
) -> None:
    fills = [bar.attrib["fill"] for bar in bars(parse(shipped_section))]
    assert fills[0] != fills[1]
    assert len(set(fills[1:])) == 1


def test_chart_has_a_text_alternative(shipped_section: BudgetResolutionSection) -> None:
    svg = parse(shipped_section)
    title = svg.find(f"{SVG}title")
    assert title is not None
    assert title.text
    assert shipped_section.fund in title.text
    assert svg.attrib["role"] == "img"
    label = svg.attrib["aria-label"]
    assert shipped_section.beneficiary in label
    for year in shipped_section.schedule:
        assert f"{year.year}: {plain_percent(year.percent_of_base)}" in label
    assert f"Target: {plain_percent(shipped_section.target_percent_of_base)}" in label
    description = svg.find(f"{SVG}desc")
    assert description is not None
    assert description.text == label


def test_data_text_is_escaped() -> None:
    fund = '<script>alert("fund")</script>'
    beneficiary = 'A & B <b>bold</b> "quoted"'
    markup = str(budget_chart(budget_rule(fund=fund, beneficiary=beneficiary), plain_percent))

    assert "<script" not in markup
    assert "<b>" not in markup
    svg = ET.fromstring(markup)  # still well-formed
    title = svg.find(f"{SVG}title")
    assert title is not None
    assert title.text is not None
    assert fund in title.text
    assert beneficiary in svg.attrib["aria-label"]
    assert [child.tag for child in svg if child.tag.endswith("script")] == []


def test_chart_uses_the_formatter_it_is_given(shipped_section: BudgetResolutionSection) -> None:
    markup = str(budget_chart(shipped_section, lambda value: f"{value} per cent"))
    assert "199 per cent" in markup
    assert "199%" not in markup
