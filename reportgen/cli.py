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
from reportgen.errors import ReportgenError
from reportgen.loading import load_briefing
from reportgen.models import Briefing
from reportgen.paths import BUILTIN_AUDIENCES, DEFAULT_OUTPUT, SHIPPED_DATA

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
@click.option("--debug", is_flag=True, help="Show tracebacks and WeasyPrint's own messages.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Turn validated briefing data into finished PDF briefings."""
    ctx.meta["reportgen.debug"] = debug
    logging.basicConfig(format="%(levelname)s: %(message)s", stream=sys.stderr)
    logging.getLogger("reportgen").setLevel(logging.DEBUG if debug else logging.WARNING)
    logging.getLogger("weasyprint").setLevel(logging.DEBUG if debug else logging.CRITICAL)


@main.command()
@click.option(
    "--data",
    type=DATA_FILE,
    default=SHIPPED_DATA,
    show_default="the shipped briefing",
    help="Briefing data file (YAML).",
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
    default=DEFAULT_OUTPUT,
    show_default=True,
    help="Folder the PDFs are written to.",
)
@TEMPLATES_OPTION
def build(
    data: Path, audiences: tuple[str, ...], out: Path, template_dirs: tuple[Path, ...]
) -> None:
    """Build PDF briefings, named <briefing id>-<audience>.pdf."""
    for built in build_briefing(data, audiences, out, template_dirs):
        noun = "page" if built.pages == 1 else "pages"
        click.echo(f"wrote {built.path} ({built.pages} {noun}, {built.size:,} bytes)")


@main.command()
@click.argument("path", type=DATA_FILE, default=SHIPPED_DATA, required=False)
def validate(path: Path) -> None:
    """Check a briefing data file without rendering it."""
    briefing = load_briefing(path)
    click.echo(
        f"{path}: valid ({len(briefing.sections)} sections, {len(briefing.sources)} sources)"
    )


@main.command()
@TEMPLATES_OPTION
def audiences(template_dirs: tuple[Path, ...]) -> None:
    """List the audiences a briefing can be built for, and the file each comes from."""
    found = discover_audiences(template_dirs)
    width = max(len(name) for name in found)
    for name, (audience, origin) in sorted(found.items()):
        where = "built-in" if origin.parent == BUILTIN_AUDIENCES else str(origin)
        click.echo(f"{name:<{width}}  {audience.description}  [{where}]")


@main.command()
def schema() -> None:
    """Print the JSON Schema of the briefing data format."""
    click.echo(json.dumps(Briefing.model_json_schema(), indent=2, ensure_ascii=False))
