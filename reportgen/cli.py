"""The ``reportgen`` command: parse options, call one library function, print the result.

Modules that parse, validate or render are imported inside the commands that use them, so
``--help`` and an up-to-date ``build`` start without loading Pydantic, Jinja2 or WeasyPrint.

Exit status: 0 success; 1 a problem in the user's data, templates, profiles or settings, or
stale outputs under ``--check``; 2 a usage error; 70 an internal error (a bug in reportgen,
reported in one line, with the traceback saved to a file); 130 interrupted. ``diff`` follows
diff(1) instead: 0 nothing changed, 1 something changed, 2 an error of any kind.
"""

from __future__ import annotations

import atexit
import gc
import json
import logging
import signal
import sys
import tempfile
import traceback
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any, NoReturn

import click

from reportgen import versions
from reportgen.build import manifest
from reportgen.build.limits import DEFAULT_LIMITS, MIN_MEMORY_MIB, Limits
from reportgen.build.output import DEFAULT_OUTPUT
from reportgen.build.variants import Shard
from reportgen.config import CONFIG_FILE, Settings, find_config, load_settings
from reportgen.console import (
    ConsoleProgress,
    json_summary,
    log_handler,
    print_results,
    print_stale,
)
from reportgen.errors import ReportgenError, UnknownAudienceError
from reportgen.pdf.standards import DEFAULT_VARIANT, VARIANTS, PdfVariantName
from reportgen.resources import BUILTIN_AUDIENCES
from reportgen.scaffold import init_template, new_project

# At exit the interpreter clears every module and runs the cycle collector over everything
# Pydantic, Jinja2 and WeasyPrint allocated, to free memory the system takes back anyway: a
# tenth of a second of a one-audience build. Objects frozen at exit are left out of that.
atexit.register(gc.freeze)

# Exit statuses a script can act on (documented in the README's table, tested per status).
EXIT_PROBLEM = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70  # EX_SOFTWARE in sysexits.h
EXIT_INTERRUPTED = 130
# `reportgen diff` exits as diff(1) does.
DIFF_SAME, DIFF_CHANGED, DIFF_TROUBLE = 0, 1, 2
PROJECT_DATA = Path("data")

# Paths are checked by the commands, so a missing one is one line naming it, not a usage text.
ANY_PATH = click.Path(path_type=Path)


class _ShardType(click.ParamType):  # type: ignore[type-arg]
    name = "K/N"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> Shard:
        if isinstance(value, Shard):
            return value
        try:
            index, count = (int(part) for part in str(value).split("/"))
            return Shard(index, count)
        except (ValueError, ReportgenError):
            self.fail(f"{value!r} is not K/N with 1 <= K <= N, e.g. 2/4", param, ctx)


SHARD = _ShardType()
TEMPLATES_OPTION = click.option(
    "--templates",
    "template_dirs",
    multiple=True,
    type=ANY_PATH,
    metavar="DIR",
    help="Folder of your own templates and audiences/, searched before the built-in ones; "
    "repeat for several, first wins.",
)


class _Group(click.Group):
    """Turns every failure into a few words on stderr and an exit status a script can act on;
    ``--debug`` shows the traceback instead."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except UnknownAudienceError as error:
            if ctx.meta.get("reportgen.debug"):
                raise
            raise click.UsageError(str(error), ctx) from None
        except ReportgenError as error:
            if ctx.meta.get("reportgen.debug"):
                raise
            click.secho(f"error: {error}", err=True, fg="red")
            ctx.exit(EXIT_PROBLEM)
        except KeyboardInterrupt:
            click.secho("interrupted", err=True, fg="red")
            ctx.exit(EXIT_INTERRUPTED)
        except Exception as error:
            if ctx.meta.get("reportgen.debug"):
                raise
            _internal_error(ctx, error)


def _internal_error(ctx: click.Context, error: Exception) -> NoReturn:
    """A bug: one line saying so and where the traceback is, never the traceback itself."""
    with tempfile.NamedTemporaryFile(
        "w", prefix="reportgen-traceback-", suffix=".txt", delete=False, encoding="utf-8"
    ) as saved:
        saved.write(f"reportgen {versions.REPORTGEN}\n{sys.argv}\n\n")
        traceback.print_exception(error, file=saved)
    click.secho(
        f"internal error: {type(error).__name__}: {error}. This is a bug in reportgen; please "
        f"report it to its maintainers, with the traceback saved in {saved.name}",
        err=True,
        fg="red",
    )
    ctx.exit(EXIT_INTERNAL)


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    # As SystemExit, so every `finally` and context manager on the way out runs: the worker
    # pool stops its processes and the output lock is released.
    raise SystemExit(128 + signum)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(versions.REPORTGEN, prog_name="reportgen")
@click.option(
    "--config",
    "config_path",
    type=ANY_PATH,
    help=f"Settings file. Default: {CONFIG_FILE}, or [tool.reportgen] in pyproject.toml, "
    "in the current folder.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks and WeasyPrint's own messages.")
@click.pass_context
def main(ctx: click.Context, config_path: Path | None, debug: bool) -> None:
    """Turn validated briefing data into finished PDF briefings."""
    ctx.meta["reportgen.debug"] = debug
    ctx.meta["reportgen.config"] = config_path
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    logging.basicConfig(handlers=[log_handler()])
    logging.getLogger("reportgen").setLevel(logging.DEBUG if debug else logging.WARNING)
    logging.getLogger("weasyprint").setLevel(logging.DEBUG if debug else logging.CRITICAL)


def _settings() -> Settings:
    """The settings file's defaults; read only by the commands that use them."""
    explicit = click.get_current_context().meta.get("reportgen.config")
    if explicit is not None and not explicit.is_file():
        raise ReportgenError(f"{explicit}: no such settings file")
    return load_settings(explicit or find_config(Path.cwd()))


def _folders(given: tuple[Path, ...]) -> tuple[Path, ...]:
    for folder in given:
        if not folder.is_dir():
            raise ReportgenError(f"{folder}: no such folder")
    return given


def _data_paths(given: tuple[Path, ...], settings: Settings) -> tuple[Path, ...]:
    """The data to use: as given, else the settings', else the project's ``data/`` folder."""
    if given or settings.data:
        return given or settings.data
    if PROJECT_DATA.is_dir():
        return (PROJECT_DATA,)
    raise ReportgenError(
        "no briefing data: give --data FILE_OR_FOLDER, or run reportgen in a briefings project "
        "(a folder with data/; `reportgen new DIR` makes one)"
    )


# Which briefings a command works on: `build`, and the `translations` commands.
DATA_OPTION = click.option(
    "--data",
    "data",
    multiple=True,
    type=ANY_PATH,
    metavar="PATH",
    help="Briefing data file (YAML), or a folder of them; repeat for several. Default: from "
    "the settings file, else the data/ folder here.",
)


@main.command()
@DATA_OPTION
@click.option(
    "--audience",
    "audiences",
    multiple=True,
    metavar="NAME",
    help="Build only this audience (of every briefing that is for it); repeat for several. "
    "Default: every audience.",
)
@click.option(
    "--language",
    metavar="LANG",
    help="Build only the editions in this language (e.g. es). Default: every language each "
    "briefing is published in.",
)
@click.option(
    "--allow-untranslated",
    is_flag=True,
    help="Build a translated edition even if strings are missing or stale in its catalog: "
    "they appear in the briefing's own language, and the PDF says on its cover and in its "
    "metadata that it is an incomplete draft.",
)
@click.option(
    "--out",
    type=ANY_PATH,
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
    type=click.IntRange(min=MIN_MEMORY_MIB),
    metavar="MIB",
    help=f"Memory one variant's layout may use. Default: {DEFAULT_LIMITS.memory_mib}.",
)
@click.option(
    "--pdf-variant",
    type=click.Choice(list(VARIANTS)),
    help=f"PDF standard for every audience, instead of each audience's own "
    f"(default {DEFAULT_VARIANT}; see docs/accessibility.md).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    help="Variants laid out at once. Default: one per CPU.",
)
@click.option("--force", is_flag=True, help="Rebuild every variant, even those up to date.")
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Build nothing; exit 1 if any output is missing or stale, saying which and why.",
)
@click.option(
    "--shard",
    type=SHARD,
    metavar="K/N",
    help="Build only shard K of N (a deterministic share of the variants), for CI matrices.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary instead of lines.")
@click.option(
    "--no-wait",
    is_flag=True,
    help="If another build is writing to the output folder, fail at once instead of waiting.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Make warnings errors: a section a profile names but its visibility leaves out "
    "fails the build, and nothing is written.",
)
def build(
    *,
    data: tuple[Path, ...],
    audiences: tuple[str, ...],
    language: str | None,
    allow_untranslated: bool,
    out: Path | None,
    template_dirs: tuple[Path, ...],
    time_limit: float | None,
    max_pages: int | None,
    memory_limit: int | None,
    pdf_variant: PdfVariantName | None,
    jobs: int | None,
    force: bool,
    check_only: bool,
    shard: Shard | None,
    as_json: bool,
    no_wait: bool,
    strict: bool,
) -> None:
    """Build every briefing for every audience in every language it is published in:
    <briefing id>-<audience>.<language>.pdf, and output/manifest.json.

    Variants whose inputs have not changed since they were built are kept as they are.
    """
    settings = _settings()
    data_paths = _data_paths(data, settings)
    names = audiences or settings.audiences
    out = out or settings.out or DEFAULT_OUTPUT
    template_dirs = _folders(template_dirs) or settings.templates
    if check_only:
        from reportgen.build.pipeline import check as check_outputs

        stale = check_outputs(
            data_paths,
            names,
            out,
            template_dirs,
            pdf_variant=pdf_variant,
            shard=shard,
            language=language,
            allow_untranslated=allow_untranslated,
        )
        print_stale(stale)
        if stale:
            raise click.exceptions.Exit(EXIT_PROBLEM)
        return
    limits = Limits(
        seconds=time_limit or settings.time_limit or DEFAULT_LIMITS.seconds,
        max_pages=max_pages or settings.max_pages or DEFAULT_LIMITS.max_pages,
        memory_mib=memory_limit or settings.memory_limit or DEFAULT_LIMITS.memory_mib,
    )
    from reportgen.build import pipeline as build_pipeline

    progress = ConsoleProgress(quiet=as_json)
    try:
        with _warnings_as_errors(strict):
            results = build_pipeline.build(
                data_paths,
                names,
                out,
                template_dirs,
                limits=limits,
                pdf_variant=pdf_variant,
                jobs=jobs,
                force=force,
                shard=shard,
                progress=progress,
                wait=not no_wait,
                strict=strict,
                language=language,
                allow_untranslated=allow_untranslated,
            )
    except ReportgenError as error:
        if as_json and not isinstance(error, UnknownAudienceError):
            click.echo(json_summary(failure=error))
            raise click.exceptions.Exit(EXIT_PROBLEM) from None
        raise
    if as_json:
        click.echo(json_summary(results))
    else:
        print_results(results)


def _warnings_as_errors(strict: bool) -> AbstractContextManager[None]:
    if not strict:
        return nullcontext()  # without importing Pydantic: an up-to-date build stays fast
    from reportgen.audiences import warnings_as_errors

    return warnings_as_errors()


@main.command()
@click.argument("kind", required=False)
def reference(kind: str | None) -> None:
    """Print what templates can use: each section KIND's fields (all kinds when none is
    given), the helpers and filters, and the blocks of the built-in templates (markdown)."""
    from reportgen.loading import alternatives
    from reportgen.reference import reference as make_reference
    from reportgen.reference import section_kinds

    kinds = list(section_kinds())
    if kind is not None and kind not in kinds:
        raise click.BadParameter(
            f"{kind!r} is not a kind of section" + alternatives(kind, kinds, "the kinds are"),
            param_hint="KIND",
        )
    click.echo(make_reference(kind), nl=False)


@main.group("manifest")
def manifest_group() -> None:
    """Work with output manifests."""


@manifest_group.command("merge")
@click.argument("manifests", nargs=-1, required=True, type=ANY_PATH)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path(DEFAULT_OUTPUT, manifest.MANIFEST_NAME),
    show_default=True,
    help="Where to write the merged manifest.",
)
def manifest_merge(manifests: tuple[Path, ...], out: Path) -> None:
    """Combine the manifests of several shards into one."""
    from reportgen.build.output import write_atomically

    merged = manifest.merge(manifests)
    write_atomically(out, manifest.dumps(merged))
    click.echo(f"wrote {out} ({len(merged.entries)} outputs from {len(manifests)} manifests)")


TRANSLATION_LANGUAGE = click.option(
    "--language", metavar="LANG", help="Only this language (e.g. es); default: every declared one."
)


@main.group("translations")
def translations_group() -> None:
    """Keep the PO catalogs that translate each briefing (data/<name>.<lang>.po)."""


@translations_group.command("update")
@DATA_OPTION
@TRANSLATION_LANGUAGE
@click.option(
    "--templates",
    "template_dirs",
    multiple=True,
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    metavar="DIR",
    help="Refresh the catalogs of the words of your templates in DIR (DIR/locale/<lang>.po) "
    "instead of the briefings'; every language DIR has a catalog for, or --language.",
)
def translations_update(
    data: tuple[Path, ...], language: str | None, template_dirs: tuple[Path, ...]
) -> None:
    """Create or refresh the catalogs from the data (or, with --templates, from your templates).

    New strings are added, removed ones made obsolete, and a string whose English changed
    keeps its old translation, marked fuzzy (stale)."""
    from reportgen.discovery import display_name
    from reportgen.translations.briefings import read_briefings, update_all
    from reportgen.translations.interface import catalog_languages, update_template_catalogs

    if template_dirs:
        results = []
        for folder in template_dirs:
            languages = [language] if language else catalog_languages(folder)
            if not languages:
                raise click.UsageError(
                    f"{folder} has no locale/<lang>.po yet: give --language LANG to make one"
                )
            results += update_template_catalogs(folder, languages)
    else:
        found = read_briefings(_data_paths(data, _settings()), language)
        results = update_all(found, language)
    if not results:
        click.echo("no briefing lists translations: nothing to update")
    for result in results:
        click.echo(
            f"{'wrote' if result.written else 'unchanged'} {display_name(result.path)}: "
            f"{result.strings} string{'s' * (result.strings != 1)}, {result.added} new, "
            f"{result.stale} stale, "
            f"{result.obsolete} obsolete"
        )


@translations_group.command("status")
@DATA_OPTION
@TRANSLATION_LANGUAGE
@click.option(
    "--check", is_flag=True, help="Name each missing or stale string; exit 1 if there is one."
)
def translations_status(data: tuple[Path, ...], language: str | None, check: bool) -> None:
    """Say how complete each catalog is.

    Per briefing and language: strings translated, missing and stale, and coverage."""
    from reportgen.discovery import display_name
    from reportgen.translations.briefings import read_briefings, status_all
    from reportgen.translations.status import coverage_text

    statuses = status_all(read_briefings(_data_paths(data, _settings()), language), language)
    if not statuses:
        click.echo("no briefing lists translations")
    for item in statuses:
        click.echo(
            f"{item.briefing} {item.language}: {item.translated} translated, {item.missing} "
            f"missing, {item.stale} stale of {item.total} ({coverage_text(item.coverage)}) "
            f"in {display_name(item.path)}"
        )
    incomplete = [finding for item in statuses for finding in item.findings]
    if check and incomplete:
        for finding in incomplete:
            click.echo(str(finding))
        click.get_current_context().exit(EXIT_PROBLEM)


@main.command()
@click.argument("paths", nargs=-1, type=ANY_PATH)
def validate(paths: tuple[Path, ...]) -> None:
    """Check briefing data files (or folders of them) without rendering: every problem of
    every file at once. Default: the settings' data, else the data/ folder here."""
    from reportgen.loading import load_briefings

    for path, briefing in load_briefings(_data_paths(paths, _settings())).items():
        click.echo(
            f"{path}: valid ({len(briefing.sections)} sections, {len(briefing.sources)} sources)"
        )


@main.command()
@TEMPLATES_OPTION
def audiences(template_dirs: tuple[Path, ...]) -> None:
    """List the audiences a briefing can be built for, and the file each comes from."""
    from reportgen.audiences import discover_audiences

    found = discover_audiences(_folders(template_dirs) or _settings().templates)
    width = max(len(name) for name in found)
    for name, (audience, origin) in sorted(found.items()):
        where = "built-in" if origin.parent == BUILTIN_AUDIENCES else str(origin)
        click.echo(f"{name:<{width}}  {audience.text('description')}  [{where}]")


@main.command("init-template")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--name",
    default="custom",
    show_default=True,
    help="Name of the starter audience: lower-case letters, digits and hyphens, starting with "
    "a letter, at most 40 characters. Any other name is refused with exit status 1, and "
    "nothing is written.",
)
def init_template_command(folder: Path, name: str) -> None:
    """Write a starter folder: an audience profile, a template and a stylesheet.

    Nothing is overwritten, and nothing is written outside FOLDER.
    """
    import shlex

    from reportgen.scaffold import starter_name_problem

    # Exit status 1 like every refused input, not 2: the name is checked by the same rule
    # the library applies, and the message says what a name may be.
    problem = starter_name_problem(name)
    if problem:
        raise ReportgenError(f"--name {problem}")
    for path in init_template(folder, name):
        click.echo(f"wrote {path}")
    click.echo(
        f"build it with: reportgen build --templates {shlex.quote(str(folder))} --audience {name}"
    )


@main.command()
@click.argument("folder", type=ANY_PATH)
def new(folder: Path) -> None:
    """Start a briefings project in FOLDER: an example briefing in data/, templates/ for your
    own audiences and templates, reportgen.toml, a README and a CI workflow."""
    written = new_project(folder)
    click.echo(f"wrote {len(written)} files into {folder}")
    click.echo(f"build it with: cd {folder} && reportgen build")


@main.command()
@click.argument("pdf", type=ANY_PATH)
@click.option(
    "--out",
    type=ANY_PATH,
    default=Path(),
    show_default="the current folder",
    help="Folder to write the extracted files to.",
)
def extract(pdf: Path, out: Path) -> None:
    """Write out the source data and build record a reportgen PDF carries."""
    from reportgen.provenance import extract as extract_embedded

    for path in extract_embedded(pdf, out):
        click.echo(f"wrote {path}")


@main.command("diff")
@click.argument("old", type=ANY_PATH)
@click.argument("new", type=ANY_PATH)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["terminal", "markdown", "json"]),
    default="terminal",
    show_default=True,
    help="terminal: lines, coloured on a terminal; markdown: for a GitHub job summary or "
    "comment, under 1 MiB; json: for other tools (docs/diff.schema.json).",
)
@click.option(
    "--audience",
    "audiences",
    multiple=True,
    metavar="NAME",
    help="Compare only this audience's editions; repeat for several. Default: every one.",
)
@TEMPLATES_OPTION
@click.option(
    "--strict",
    is_flag=True,
    help="Refuse an edition whose data does not validate with this reportgen's data format, "
    "instead of comparing it as plain data.",
)
@click.option(
    "--color/--no-color",
    "colour",
    default=None,
    help="Colour the terminal report. Default: on a terminal, unless NO_COLOR is set.",
)
def diff_command(
    *,
    old: Path,
    new: Path,
    output_format: str,
    audiences: tuple[str, ...],
    template_dirs: tuple[Path, ...],
    strict: bool,
    colour: bool | None,
) -> None:
    """What changed from OLD to NEW, edition by edition, as each audience sees it in each
    language (a translated edition's translations too).

    OLD and NEW are each a reportgen PDF, an output folder with its manifest.json, or
    briefing data (a YAML file or folder: then cut per audience and language, without
    building; translations from the catalogs beside it). Nothing is laid out.

    Exit status, as diff(1): 0 nothing changed, 1 something changed, 2 an error (unlike
    other commands, which exit 1 on one).
    """
    import os

    from reportgen.diff import diff
    from reportgen.diff.render import render

    try:
        dirs = _folders(template_dirs) or _settings().templates
        report = diff(old, new, audiences=audiences, template_dirs=dirs, strict=strict)
    except ReportgenError as error:
        if click.get_current_context().meta.get("reportgen.debug"):
            raise
        click.secho(f"error: {error}", err=True, fg="red")
        raise click.exceptions.Exit(DIFF_TROUBLE) from None
    if colour is None:
        colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    click.echo(render(report, output_format, colour=colour), nl=False, color=colour)
    raise click.exceptions.Exit(DIFF_CHANGED if report.changed else DIFF_SAME)


@main.command()
def schema() -> None:
    """Print the JSON Schema of the briefing data format."""
    from reportgen.models import Briefing

    click.echo(json.dumps(Briefing.model_json_schema(), indent=2, ensure_ascii=False))


@main.command()
@click.option(
    "--data",
    "data",
    multiple=True,
    type=ANY_PATH,
    metavar="PATH",
    help="Briefing data file (YAML), or a folder of them; repeat for several. The page shows "
    "the first and offers the others. Default: as for build.",
)
@click.option(
    "--audience",
    "audiences",
    multiple=True,
    metavar="NAME",
    help="Offer only this audience; repeat for several, the first is shown. Default: every one.",
)
@click.option(
    "--language",
    metavar="LANG",
    help="Show the edition in this language first (the page offers the others): translated "
    "from the catalog beside the data, as a draft where strings are untranslated. Default: "
    "the briefing's own language.",
)
@TEMPLATES_OPTION
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    metavar="ADDRESS",
    help="Address to listen on. Anything but loopback lets other machines read the preview.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    metavar="PORT",
    help="Port to listen on. Default: a free one.",
)
@click.option("--no-open", is_flag=True, help="Do not open the preview in a browser.")
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Stop a layout that takes longer. Default: as for build.",
)
@click.option(
    "--max-pages", type=click.IntRange(min=1), help="Refuse a longer PDF. Default: as for build."
)
@click.option(
    "--memory-limit",
    type=click.IntRange(min=MIN_MEMORY_MIB),
    metavar="MIB",
    help="Memory one layout may use. Default: as for build.",
)
def preview(
    *,
    data: tuple[Path, ...],
    audiences: tuple[str, ...],
    language: str | None,
    template_dirs: tuple[Path, ...],
    host: str,
    port: int,
    no_open: bool,
    time_limit: float | None,
    max_pages: int | None,
    memory_limit: int | None,
) -> None:
    """Serve a live preview of one variant: it rebuilds as you save the data, its translation
    catalogs, templates, stylesheets or settings, and the page updates in place. Limits as for
    build."""
    from reportgen.preview import Preview, Selection, State
    from reportgen.preview.server import is_loopback

    def configure() -> Selection:
        settings = _settings()
        names = audiences or settings.audiences
        # A misspelt audience is a usage error at start; in a changed settings file, a problem.
        _check_audiences(names, _folders(template_dirs) or settings.templates)
        explicit = click.get_current_context().meta.get("reportgen.config")
        return Selection(
            data=_data_paths(data, settings),
            template_dirs=_folders(template_dirs) or settings.templates,
            audiences=names,
            limits=Limits(
                seconds=time_limit or settings.time_limit or DEFAULT_LIMITS.seconds,
                max_pages=max_pages or settings.max_pages or DEFAULT_LIMITS.max_pages,
                memory_mib=memory_limit or settings.memory_limit or DEFAULT_LIMITS.memory_mib,
            ),
            settings_file=explicit or find_config(Path.cwd()),
            language=language,
        )

    def report(state: State) -> None:
        if state.status == "ready":
            noun = "page" if state.pages == 1 else "pages"
            # The warnings themselves are logged, one line each, as build logs them.
            count = len(state.warnings)
            draft = f", {count} warning{'s' if count != 1 else ''}" if count else ""
            click.echo(
                f"built {state.variant} ({state.pages} {noun}{draft}) in {state.seconds:.1f} s"
            )
        elif state.status == "failed":
            click.secho("error: " + "\n".join(state.problems), err=True, fg="red")

    if not is_loopback(host):
        click.secho(
            f"warning: listening on {host}: other machines that can reach it can read the preview",
            err=True,
            fg="yellow",
        )
    session = Preview(configure, host=host, port=port, on_state=report)
    click.echo(f"preview at {session.url} (Ctrl-C to stop)")
    if not no_open:
        import webbrowser

        webbrowser.open(session.url)
    session.run()


def _check_audiences(names: tuple[str, ...], template_dirs: tuple[Path, ...]) -> None:
    from reportgen.discovery import find_profiles, select

    select(names, find_profiles(template_dirs))
