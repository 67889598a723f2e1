"""Vector charts as inline SVG, drawn from computed figures so they match the data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from xml.etree import ElementTree as ET

from markupsafe import Markup

from reportgen.models import BudgetResolutionSection

# Geometry in SVG user units; the chart scales to the column width in print.
WIDTH = 480
HEIGHT = 250
PLOT_LEFT = 44
PLOT_RIGHT = WIDTH - 12
PLOT_TOP = 24
PLOT_BOTTOM = HEIGHT - 36
GRID_STEP = 50


@dataclass(frozen=True)
class ChartColours:
    """The theme's colours and heading font, which the chart draws with."""

    primary: str = "#1f3a5f"
    accent: str = "#8c1c2c"
    font: str = "Noto Sans"


def _styles(colours: ChartColours) -> dict[str, dict[str, str]]:
    # Presentation attributes rather than document CSS: WeasyPrint styles inline SVG from its
    # own attributes, and a chart that carries its look renders the same wherever it is put.
    font = f"{colours.font}, Noto Sans Arabic, Noto Sans Hebrew, sans-serif"
    return {
        "axis": {"stroke": "#5b6470", "stroke-width": "1"},
        "grid": {"stroke": "#d5dae1", "stroke-width": "0.6"},
        "tick": {"fill": "#5b6470", "font-size": "10", "text-anchor": "end", "font-family": font},
        "bar": {"fill": "#9aa8b8"},
        "bar highlight": {"fill": colours.primary},
        "value": {
            "fill": "#ffffff",
            "font-size": "12",
            "font-weight": "bold",
            "text-anchor": "middle",
            "font-family": font,
        },
        "category": {
            "fill": "#1c2430",
            "font-size": "11",
            "text-anchor": "middle",
            "font-family": font,
        },
        "target": {"stroke": colours.accent, "stroke-width": "1.4", "stroke-dasharray": "5 3"},
        "target-label": {
            "fill": colours.accent,
            "font-size": "10.5",
            "font-weight": "bold",
            "text-anchor": "start",
            "font-family": font,
        },
    }


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    highlight: bool = False


def _untranslated(message: str) -> str:
    return message


def budget_chart(
    section: BudgetResolutionSection,
    format_percent: Callable[[Decimal], str],
    colours: ChartColours = ChartColours(),
    _: Callable[[str], str] = _untranslated,
) -> Markup:
    """A bar chart of the budget schedule against the base year, with the target as a line.

    ``_`` is the edition's gettext: the chart's words are in the templates' catalogs, which
    `reportgen.translations.interface` also extracts from this module.
    """
    bars = [Bar(str(section.base_year), Decimal(100))]
    bars += [Bar(str(year.year), year.percent_of_base, highlight=True) for year in section.schedule]
    target = format_percent(section.target_percent_of_base)
    figures = "; ".join(
        _("%(year)s: %(share)s") % {"year": bar.label, "share": format_percent(bar.value)}
        for bar in bars
    )
    description = _(
        "Bar chart: the %(beneficiary)s budget as a share of the %(base_year)s budget. "
        "%(figures)s. Target: %(target)s."
    ) % {
        "beneficiary": section.beneficiary,
        "base_year": section.base_year,
        "figures": figures,
        "target": target,
    }
    return _bar_chart(
        bars,
        target=section.target_percent_of_base,
        target_label=_("Target %(target)s") % {"target": target},
        title=_("%(fund)s: budget as a share of %(base_year)s")
        % {"fund": section.fund, "base_year": section.base_year},
        description=description,
        format_value=format_percent,
        style=_styles(colours),
    )


def _bar_chart(
    bars: list[Bar],
    *,
    target: Decimal,
    target_label: str,
    title: str,
    description: str,
    format_value: Callable[[Decimal], str],
    style: dict[str, dict[str, str]],
) -> Markup:
    top = max([target, *(bar.value for bar in bars)])
    top = (top // GRID_STEP + 1) * GRID_STEP  # headroom up to the next gridline

    def y(value: Decimal) -> float:
        return PLOT_BOTTOM - float(value / top) * (PLOT_BOTTOM - PLOT_TOP)

    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "viewBox": f"0 0 {WIDTH} {HEIGHT}",
            "role": "img",
            "aria-label": description,
            "class": "chart",
        },
    )
    ET.SubElement(svg, "title").text = title
    ET.SubElement(svg, "desc").text = description

    for step in range(0, int(top) + 1, GRID_STEP):
        gy = f"{y(Decimal(step)):.1f}"
        ET.SubElement(
            svg,
            "line",
            {
                "x1": str(PLOT_LEFT),
                "x2": str(PLOT_RIGHT),
                "y1": gy,
                "y2": gy,
                **style["grid" if step else "axis"],
            },
        )
        label = ET.SubElement(
            svg, "text", {"x": str(PLOT_LEFT - 6), "y": gy, "dy": "3.5", **style["tick"]}
        )
        label.text = format_value(Decimal(step))

    slot = (PLOT_RIGHT - PLOT_LEFT) / len(bars)
    bar_width = slot * 0.56
    for index, bar in enumerate(bars):
        x = PLOT_LEFT + slot * index + (slot - bar_width) / 2
        bar_top = y(bar.value)
        ET.SubElement(
            svg,
            "rect",
            {
                "x": f"{x:.1f}",
                "y": f"{bar_top:.1f}",
                "width": f"{bar_width:.1f}",
                "height": f"{PLOT_BOTTOM - bar_top:.1f}",
                **style["bar highlight" if bar.highlight else "bar"],
            },
        )
        centre = f"{x + bar_width / 2:.1f}"
        value = ET.SubElement(
            svg, "text", {"x": centre, "y": f"{bar_top + 17:.1f}", **style["value"]}
        )
        value.text = format_value(bar.value)
        category = ET.SubElement(
            svg, "text", {"x": centre, "y": str(PLOT_BOTTOM + 16), **style["category"]}
        )
        category.text = bar.label

    ty = f"{y(target):.1f}"
    ET.SubElement(
        svg,
        "line",
        {"x1": str(PLOT_LEFT), "x2": str(PLOT_RIGHT), "y1": ty, "y2": ty, **style["target"]},
    )
    target_text = ET.SubElement(
        svg, "text", {"x": str(PLOT_LEFT + 4), "y": f"{y(target) - 5:.1f}", **style["target-label"]}
    )
    target_text.text = target_label
    # ElementTree escapes every text and attribute, so data can never inject markup here.
    return Markup(ET.tostring(svg, encoding="unicode"))
