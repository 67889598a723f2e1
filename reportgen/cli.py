"""The ``reportgen`` command: parse options, call one library function, print the result."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from reportgen import __version__
from reportgen.audiences import discover_audiences
from reportgen.build import build as build_briefing
from reportgen.config import CONFIG_FILE, Settings, find_config, load_settings
from reportgen.errors import ReportgenError
from reportgen.limits import DEFAULT_LIMITS, Limits
from reportgen.loading import load_briefing
from reportgen.models import Briefing
from reportgen.paths import BUILTIN_AUDIENCES, DEFAULT_OUTPUT, SHIPPED_DATA
from reportgen.provenance import extract as extract_embedded
from reportgen.scaffold import init_template
from reportgen.standards import DEFAULT_VARIANT, VARIANTS, PdfVariantName

DATA_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
TEMPLATES_OPTION = click.option(
    "--templates",
    "template_dirs",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    metavar="DIR",
    help="Folder of your own templates and audiences/, searched before the built-in ones; "
    "repeat for several, first wins.",
)


class _Group(click.Group):
    """Turns a user's mistake into one line on stderr and exit status 1, unless ``--debug``."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ReportgenError as error:
            if ctx.meta.get("reportgen.debug"):
                raise
            click.secho(f"error: {error}", err=True, fg="red")
            ctx.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reportgen")
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=f"Settings file. Default: {CONFIG_FILE}, or [tool.reportgen] in pyproject.toml, "
    "in the current folder.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks and WeasyPrint's own messages.")
@click.pass_context
def main(ctx: click.Context, config_path: Path | None, debug: bool) -> None:
    """Turn validated briefing data into finished PDF briefings."""
    ctx.meta["reportgen.debug"] = debug
    ctx.meta["reportgen.config"] = config_path
    logging.basicConfig(format="%(levelname)s: %(message)s", stream=sys.stderr)
    logging.getLogger("reportgen").setLevel(logging.DEBUG if debug else logging.WARNING)
    logging.getLogger("weasyprint").setLevel(logging.DEBUG if debug else logging.CRITICAL)


def _settings() -> Settings:
    """The settings file's defaults; read only by the commands that use them."""
    explicit = click.get_current_context().meta.get("reportgen.config")
    return load_settings(explicit or find_config(Path.cwd()))


@main.command()
@click.option(
    "--data",
    type=DATA_FILE,
    help="Briefing data file (YAML). Default: from the settings file, else the shipped briefing.",
)
@click.option(
    "--audience",
    "audiences",
    multiple=True,
    metavar="NAME",
    help="Build only this audience; repeat for several. Default: every audience.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help=f"Folder the PDFs are written to. Default: {DEFAULT_OUTPUT}/",
)
@TEMPLATES_OPTION
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help=f"Stop a variant whose layout takes longer. Default: {DEFAULT_LIMITS.seconds:g}.",
)
@click.option(
    "--max-pages",
    type=click.IntRange(min=1),
    help=f"Refuse a PDF with more pages. Default: {DEFAULT_LIMITS.max_pages}.",
)
@click.option(
    "--memory-limit",
    type=click.IntRange(min=256),
    metavar="MIB",
    help=f"Memory one variant's layout may use. Default: {DEFAULT_LIMITS.memory_mib}.",
)
@click.option(
    "--pdf-variant",
    type=click.Choice(list(VARIANTS)),
    help=f"PDF standard for every audience, instead of each audience's own "
    f"(default {DEFAULT_VARIANT}; see docs/accessibility.md).",
)
def build(
    *,
    data: Path | None,
    audiences: tuple[str, ...],
    out: Path | None,
    template_dirs: tuple[Path, ...],
    time_limit: float | None,
    max_pages: int | None,
    memory_limit: int | None,
    pdf_variant: PdfVariantName | None,
) -> None:
    """Build PDF briefings, named <briefing id>-<audience>.pdf."""
    settings = _settings()
    limits = Limits(
        seconds=time_limit or settings.time_limit or DEFAULT_LIMITS.seconds,
        max_pages=max_pages or settings.max_pages or DEFAULT_LIMITS.max_pages,
        memory_mib=memory_limit or settings.memory_limit or DEFAULT_LIMITS.memory_mib,
    )
    built_files = build_briefing(
        data or settings.data or SHIPPED_DATA,
        audiences or settings.audiences,
        out or settings.out or DEFAULT_OUTPUT,
        template_dirs or settings.templates,
        limits=limits,
        pdf_variant=pdf_variant,
    )
    for built in built_files:
        noun = "page" if built.pages == 1 else "pages"
        click.echo(f"wrote {built.path} ({built.pages} {noun}, {built.size:,} bytes)")


@main.command()
@click.argument("path", type=DATA_FILE, required=False)
def validate(path: Path | None) -> None:
    """Check a briefing data file without rendering it (default: the settings' or shipped one)."""
    path = path or _settings().data or SHIPPED_DATA
    briefing = load_briefing(path)
    click.echo(
        f"{path}: valid ({len(briefing.sections)} sections, {len(briefing.sources)} sources)"
    )


@main.command()
@TEMPLATES_OPTION
def audiences(template_dirs: tuple[Path, ...]) -> None:
    """List the audiences a briefing can be built for, and the file each comes from."""
    found = discover_audiences(template_dirs or _settings().templates)
    width = max(len(name) for name in found)
    for name, (audience, origin) in sorted(found.items()):
        where = "built-in" if origin.parent == BUILTIN_AUDIENCES else str(origin)
        click.echo(f"{name:<{width}}  {audience.description}  [{where}]")


@main.command("init-template")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", default="custom", show_default=True, help="Name of the starter audience.")
def init_template_command(folder: Path, name: str) -> None:
    """Write a starter folder: an audience profile, a template and a stylesheet."""
    for path in init_template(folder, name):
        click.echo(f"wrote {path}")
    click.echo(f"build it with: reportgen build --templates {folder} --audience {name}")


@main.command()
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    show_default="the current folder",
    help="Folder to write the extracted files to.",
)
def extract(pdf: Path, out: Path) -> None:
    """Write out the source data and build record a reportgen PDF carries."""
    for path in extract_embedded(pdf, out):
        click.echo(f"wrote {path}")


@main.command()
def schema() -> None:
    """Print the JSON Schema of the briefing data format."""
    click.echo(json.dumps(Briefing.model_json_schema(), indent=2, ensure_ascii=False))
