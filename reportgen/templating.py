"""The Jinja2 environment: sandboxed, autoescaped, strict; and rendering a variant to HTML."""

from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path

import jinja2
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from reportgen import charts
from reportgen.audiences import Audience, Theme
from reportgen.errors import TemplateError
from reportgen.models import Briefing, PartialDate, Source
from reportgen.resources import BUILTIN_TEMPLATES, template_search_path
from reportgen.theming import AssetFinder, theme_css

BUILTIN_PREFIX = "builtin"


def make_environment(user_dirs: Sequence[Path] = ()) -> jinja2.Environment:
    """A sandboxed environment over the user's template folders, then the built-in ones.

    A user template replaces the built-in one of the same name everywhere, and can still extend
    the original as ``builtin/<name>`` (``{% extends "builtin/briefing.html.j2" %}``).

    Autoescaping is on for every template whatever its extension: ``select_autoescape`` would
    leave ``*.html.j2`` unescaped. ``StrictUndefined`` turns a misspelt name into an error
    instead of an empty string in a finished PDF.
    """
    loader = jinja2.ChoiceLoader(
        [
            jinja2.FileSystemLoader([str(path) for path in template_search_path(user_dirs)]),
            jinja2.PrefixLoader({BUILTIN_PREFIX: jinja2.FileSystemLoader(str(BUILTIN_TEMPLATES))}),
        ]
    )
    environment = ImmutableSandboxedEnvironment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    find_asset = AssetFinder(template_search_path(user_dirs))
    environment.globals["asset_url"] = find_asset
    environment.globals["theme_css"] = lambda theme: theme_css(theme, find_asset)
    return environment


def render_html(
    briefing: Briefing, audience: Audience, environment: jinja2.Environment | None = None
) -> str:
    """Render one audience's variant of an already tailored briefing to an HTML string."""
    environment = environment or make_environment()
    formats = _Formats(briefing.language)
    context = {
        "briefing": briefing,
        "audience": audience,
        "cite": _Citations(briefing, formats),
        "budget_chart": lambda section: charts.budget_chart(
            section, formats.percent, _chart_colours(audience.theme)
        ),
        "percent": formats.percent,
        "number": formats.number,
        "long_date": formats.long_date,
        "month_year": formats.month_year,
    }
    try:
        template = environment.get_template(audience.template)
        return template.render(context)
    except jinja2.TemplateNotFound as error:
        searched = ", ".join(str(path) for path in _search_path(environment))
        raise TemplateError(f"template {error.name!r} not found; searched: {searched}") from None
    except jinja2.TemplateSyntaxError as error:
        where = f"{error.filename or error.name}:{error.lineno}"
        raise TemplateError(f"{where}: template syntax error: {error.message}") from None
    except MemoryError:
        raise  # the layout process reports it against its memory limit
    except Exception as error:
        # Jinja rewrites tracebacks so template frames carry the template's file and line.
        raise TemplateError(
            f"{_template_location(error)}: {type(error).__name__}: {error}"
        ) from None


def _search_path(environment: jinja2.Environment) -> list[str]:
    """Every folder a template name was looked up in, for a message that shows them all."""
    loader = environment.loader
    loaders = loader.loaders if isinstance(loader, jinja2.ChoiceLoader) else [loader]
    folders: list[str] = []
    for each in loaders:
        if isinstance(each, jinja2.FileSystemLoader):
            folders += each.searchpath
        elif isinstance(each, jinja2.PrefixLoader):
            folders += [f"{prefix}/ -> {sub}" for prefix, sub in _prefixed(each)]
    return folders


def _prefixed(loader: jinja2.PrefixLoader) -> list[tuple[str, str]]:
    return [
        (prefix, ", ".join(sub.searchpath))
        for prefix, sub in loader.mapping.items()
        if isinstance(sub, jinja2.FileSystemLoader)
    ]


def _template_location(error: BaseException) -> str:
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename.endswith(".j2")
    ]
    if not frames:
        return "while rendering"
    return f"{frames[-1].filename}:{frames[-1].lineno}"


def _chart_colours(theme: Theme) -> charts.ChartColours:
    chosen = {
        "primary": theme.primary,
        "accent": theme.accent,
        "font": theme.heading_font,
    }
    return charts.ChartColours(**{name: value for name, value in chosen.items() if value})


class _Formats:
    """Numbers and dates written the way the briefing's language writes them (CLDR via Babel)."""

    def __init__(self, language: str) -> None:
        self.locale = language.replace("-", "_")

    def percent(self, value: Decimal | int) -> str:
        # decimal_quantization=False: 12.5 stays 12.5 %, not a rounded 12 %.
        return format_percent(Decimal(value) / 100, locale=self.locale, decimal_quantization=False)

    def number(self, value: Decimal | int) -> str:
        return format_decimal(value, locale=self.locale)

    def long_date(self, value: dt.date) -> str:
        return format_date(value, format="long", locale=self.locale)

    def month_year(self, value: PartialDate) -> str:
        if value.month is None:
            return str(value.year)
        return format_date(dt.date(value.year, value.month, 1), "MMMM y", locale=self.locale)


class _Citations:
    """Called from templates as ``cite(ids)``: footnote markup for each source cited.

    The first citation of a source gives it in full; later ones a short form, as a careful
    editor would. Rendering order is document order, so "first" means first on the page.
    """

    def __init__(self, briefing: Briefing, formats: _Formats) -> None:
        self._sources = {source.id: source for source in briefing.sources}
        self._formats = formats
        self._cited: set[str] = set()

    def __call__(self, source_ids: Iterable[str]) -> Markup:
        notes = []
        for source_id in source_ids:
            source = self._sources[source_id]
            text = self.short(source) if source_id in self._cited else self.full(source)
            self._cited.add(source_id)
            notes.append(Markup('<span class="footnote">{}</span>').format(text))
        return Markup("").join(notes)

    @staticmethod
    def short(source: Source) -> str:
        return source.short_title or source.reference or source.title

    @staticmethod
    def full(source: Source) -> Markup:
        parts: list[Markup | str] = [
            Markup("<cite>{}</cite>").format(source.title),
            source.publisher,
        ]
        if source.year:
            parts.append(str(source.year))
        if source.reference:
            parts.append(source.reference)
        if source.url:
            parts.append(Markup('<span class="url">{}</span>').format(str(source.url)))
        return Markup(". ").join(escape(part) for part in parts) + "."
