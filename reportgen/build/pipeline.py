"""The pipeline: load once, render and lay out every requested variant, then write them."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from reportgen.build import manifest
from reportgen.build.limits import DEFAULT_LIMITS, Limits
from reportgen.build.runner import Background, Task, run_all
from reportgen.config import DEFAULT_OUTPUT
from reportgen.discovery import find_profiles, select
from reportgen.errors import (
    NO_FONT_CAN_DRAW,
    AudienceError,
    DataError,
    FontNotFoundError,
    MissingGlyphsError,
    PageLimitError,
    Problem,
    ReportgenError,
    VariantsFailedError,
)
from reportgen.pdf.standards import PdfVariantName
from reportgen.resources import BUILTIN_TEMPLATES, EXAMPLE_BRIEFING, template_search_path

# Only what deciding *whether* to build needs is imported above; parsing, templating and layout
# load when there is something to build, so an up-to-date check or `--help` starts fast.
if TYPE_CHECKING:
    from pydantic import BaseModel

    from reportgen.audiences import Audience
    from reportgen.models import Briefing
    from reportgen.pdf import PdfOptions, RenderedPdf

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Variant:
    """One audience's rendering of a briefing, before it becomes a PDF."""

    audience: Audience
    briefing: Briefing
    html: str

    @property
    def file_name(self) -> str:
        return output_name(self.briefing, self.audience)


def output_name(briefing: Briefing, audience: Audience) -> str:
    return f"{briefing.id}-{audience.name}.pdf"


@dataclass(frozen=True)
class BuiltFile:
    """A PDF a build covers: ``rebuilt`` is False when it was up to date and kept as it was."""

    audience: str
    path: Path
    pages: int
    size: int
    rebuilt: bool = True


def render_variants(
    data: Path, audience_names: Sequence[str] = (), template_dirs: Sequence[Path] = ()
) -> list[Variant]:
    """Load and validate ``data`` and render each audience's HTML; writes nothing."""
    from reportgen.templating import make_environment, render_html

    environment = make_environment(template_dirs)
    return [
        Variant(audience, briefing, render_html(briefing, audience, environment))
        for audience, briefing in tailored_briefings(data, audience_names, template_dirs)
    ]


def tailored_briefings(
    data: Path, audience_names: Sequence[str] = (), template_dirs: Sequence[Path] = ()
) -> list[tuple[Audience, Briefing]]:
    """Load and validate ``data`` and the audiences, and cut the briefing for each."""
    from reportgen.audiences import discover_audiences, tailor
    from reportgen.loading import load_briefing

    briefing = load_briefing(data)
    found = discover_audiences(template_dirs)
    audiences = select(audience_names, {name: profile for name, (profile, _) in found.items()})
    tailored = []
    for audience in audiences:
        try:
            tailored.append((audience, tailor(briefing, audience)))
        except AudienceError as error:
            raise AudienceError(f"{found[audience.name][1]}: {error}") from None
    return tailored


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (1-based): every variant falls in exactly one shard."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.count:
            raise ReportgenError(f"shard {self.index}/{self.count}: need 1 <= K <= N")

    def take(self, names: Sequence[str]) -> list[str]:
        # Round-robin over the sorted names: deterministic, and balanced to within one.
        return [name for i, name in enumerate(sorted(names)) if i % self.count == self.index - 1]


@dataclass(frozen=True)
class Plan:
    """Which variants a build covers, their profile files and input digests, and the manifest."""

    out_dir: Path
    profiles: dict[str, Path]
    digests: dict[str, str]
    recorded: dict[str, manifest.Entry]

    def current(self, audience: str) -> manifest.Entry | None:
        """The manifest entry if the PDF on disk is up to date with its inputs, else None."""
        return self.current_or_reason(audience)[0]

    def current_or_reason(self, audience: str) -> tuple[manifest.Entry | None, str]:
        entry = self.recorded.get(audience)
        if entry is None:
            return None, "not built yet (no manifest entry)"
        path = self.out_dir / entry.file
        if not path.is_file():
            return None, f"{path} is missing"
        if entry.inputs_sha256 != self.digests[audience]:
            return None, "its inputs changed since it was built"
        if manifest.file_sha256(path) != entry.sha256:
            return None, f"{path} was modified after it was built"
        return entry, "up to date"


def plan(
    data: Path,
    audience_names: Sequence[str],
    out_dir: Path,
    template_dirs: Sequence[Path],
    *,
    pdf_variant: PdfVariantName | None = None,
    shard: Shard | None = None,
) -> Plan:
    """What a build would cover, found from files alone: nothing is parsed or rendered."""
    available = find_profiles(template_dirs)
    names = [path.stem for path in select(audience_names, available)]
    if shard is not None:
        names = shard.take(names)
    digest = manifest.InputsDigest(data, template_search_path(template_dirs), pdf_variant)
    return Plan(
        out_dir=out_dir,
        profiles={name: available[name] for name in names},
        digests={name: digest.for_profile(available[name]) for name in names},
        recorded=manifest.load(out_dir / manifest.MANIFEST_NAME),
    )


def check(
    data: Path = EXAMPLE_BRIEFING,
    audience_names: Sequence[str] = (),
    out_dir: Path = DEFAULT_OUTPUT,
    template_dirs: Sequence[Path] = (),
    *,
    pdf_variant: PdfVariantName | None = None,
    shard: Shard | None = None,
) -> dict[str, str]:
    """Why each out-of-date variant needs building (empty when every output is current)."""
    build_plan = plan(
        data, audience_names, out_dir, template_dirs, pdf_variant=pdf_variant, shard=shard
    )
    reasons = {name: build_plan.current_or_reason(name) for name in build_plan.profiles}
    return {name: reason for name, (entry, reason) in reasons.items() if entry is None}


def build(
    data: Path = EXAMPLE_BRIEFING,
    audience_names: Sequence[str] = (),
    out_dir: Path = DEFAULT_OUTPUT,
    template_dirs: Sequence[Path] = (),
    *,
    limits: Limits = DEFAULT_LIMITS,
    pdf_variant: PdfVariantName | None = None,
    jobs: int | None = None,
    force: bool = False,
    shard: Shard | None = None,
    progress: Progress | None = None,
) -> list[BuiltFile]:
    """Build the PDF of each requested audience (all when none is named) into ``out_dir``.

    A variant whose inputs are unchanged and whose PDF still matches the manifest is kept
    (unless ``force``). The others are laid out in parallel, ``jobs`` at a time (default: one
    per CPU), each in its own process within ``limits``. A failing variant does not stop the
    others, so one run reports every failure; but if any fails nothing is written, manifest
    included, and earlier outputs stay exactly as they were.
    """
    from reportgen.build.output import write_atomically

    progress = progress or Progress()
    build_plan = plan(
        data, audience_names, out_dir, template_dirs, pdf_variant=pdf_variant, shard=shard
    )
    kept = {} if force else {name: build_plan.current(name) for name in build_plan.profiles}
    stale = [name for name in build_plan.profiles if kept.get(name) is None]
    laid_out = _lay_out_all(
        data,
        {name: build_plan.profiles[name] for name in stale},
        template_dirs=template_dirs,
        limits=limits,
        pdf_variant=pdf_variant,
        jobs=jobs,
        progress=progress,
    )

    entries = dict(build_plan.recorded)
    results = []
    for name in build_plan.profiles:
        entry = kept.get(name)
        if entry is not None:
            progress.unchanged(name)
            results.append(BuiltFile(name, out_dir / entry.file, entry.pages, entry.bytes, False))
            continue
        file_name, pdf = laid_out[name]
        target = out_dir / file_name
        write_atomically(target, pdf.content)
        entries[name] = manifest.Entry(
            audience=name,
            file=file_name,
            sha256=hashlib.sha256(pdf.content).hexdigest(),
            bytes=len(pdf.content),
            pages=pdf.pages,
            inputs_sha256=build_plan.digests[name],
        )
        results.append(BuiltFile(name, target, pdf.pages, len(pdf.content), True))
    write_atomically(out_dir / manifest.MANIFEST_NAME, manifest.dumps(entries.values()))
    return results


def _lay_out_all(
    data: Path,
    profiles: dict[str, Path],
    *,
    template_dirs: Sequence[Path],
    limits: Limits,
    pdf_variant: PdfVariantName | None,
    jobs: int | None,
    progress: Progress,
) -> dict[str, tuple[str, RenderedPdf]]:
    if not profiles:
        return {}
    from reportgen.pdf import render_pdf, warm_up

    jobs = jobs or os.cpu_count() or 1
    # Before the first layout can start, two things take most of a second: loading the data
    # and rendering the templates (Pydantic, Jinja2, Babel), and importing WeasyPrint. Neither
    # needs the other, so they run side by side: another process prepares the variants while
    # this one imports WeasyPrint, and the layout processes are forked from this one.
    preparing = Background(
        partial(_prepare, limits=limits, pdf_variant=pdf_variant, jobs=jobs),
        data,
        tuple(profiles),
        tuple(template_dirs),
    )
    try:
        warm_up(BUILTIN_TEMPLATES, lay_out=len(profiles) > jobs)
        prepared = preparing.result()
    finally:
        preparing.stop()

    # The user's template folders may hold their own stylesheets, fonts and images.
    allowed_roots = (*template_dirs, BUILTIN_TEMPLATES, data.resolve().parent)
    tasks = []
    for name, variant in prepared.items():
        if isinstance(variant.html, ReportgenError):
            # Its template failed, so there is no layout; it still ends, and is reported.
            progress.started(name)
            progress.finished(name, variant.html)
            continue
        arguments = (variant.html, BUILTIN_TEMPLATES, allowed_roots, variant.options)
        # The time the template took counts against the variant's time limit.
        seconds = max(0.0, limits.seconds - variant.seconds)
        tasks.append(Task(name, render_pdf, arguments, seconds))
    outcomes = run_all(
        tasks, jobs=jobs, limits=limits, on_start=progress.started, on_done=progress.finished
    )
    failures: dict[str, ReportgenError] = {}
    for name, variant in prepared.items():
        outcome = outcomes.get(name, variant.html)
        if isinstance(outcome, MissingGlyphsError):
            failures[name] = _where_characters_are(
                outcome, data, profiles[name], name, template_dirs
            )
        elif isinstance(outcome, FontNotFoundError):
            from reportgen.loading import display_name

            # The settings it names are in the audience's profile.
            profile = display_name(profiles[name])
            lines = [f"{profile}: {line}" for line in str(outcome).splitlines()]
            failures[name] = FontNotFoundError("\n".join(lines))
        elif isinstance(outcome, ReportgenError):
            failures[name] = outcome
        elif variant.page_limit is not None and outcome.pages > variant.page_limit:
            failures[name] = PageLimitError(
                f"audience {name!r} has a limit of {variant.page_limit} pages, "
                f"but its PDF has {outcome.pages}"
            )
    if failures:
        raise VariantsFailedError(failures)
    return {name: (prepared[name].file_name, outcome) for name, outcome in outcomes.items()}


@dataclass(frozen=True)
class _Prepared:
    """A variant ready for layout, in plain values: the process that lays it out has WeasyPrint
    loaded, but not Pydantic and the models."""

    file_name: str
    page_limit: int | None
    options: PdfOptions
    html: str | ReportgenError  # the error if the template failed
    seconds: float  # how long the template took, out of the variant's time limit


def _prepare(
    data: Path,
    names: Sequence[str],
    template_dirs: tuple[Path, ...],
    *,
    limits: Limits,
    pdf_variant: PdfVariantName | None,
    jobs: int,
) -> dict[str, _Prepared]:
    """Load, validate and tailor the briefing for each audience, and render each template in a
    process of its own, within ``limits``. Runs beside the importing of WeasyPrint."""
    import time

    # Imported here, once, rather than in each of the processes that render.
    import reportgen.templating  # noqa: F401
    from reportgen.pdf import PdfOptions
    from reportgen.provenance import embedded_files

    variants = tailored_briefings(data, names, template_dirs)
    started: dict[str, float] = {}
    seconds: dict[str, float] = {}

    def on_start(name: str) -> None:
        started[name] = time.monotonic()

    def on_done(name: str, outcome: object) -> None:
        seconds[name] = time.monotonic() - started[name]

    tasks = [
        Task(audience.name, _render_html, (briefing, audience, template_dirs))
        for audience, briefing in variants
    ]
    rendered = run_all(tasks, jobs=jobs, limits=limits, on_start=on_start, on_done=on_done)
    search_path = template_search_path(template_dirs)
    return {
        audience.name: _Prepared(
            file_name=output_name(briefing, audience),
            page_limit=audience.page_limit,
            options=PdfOptions(
                variant=pdf_variant or audience.pdf_variant,
                embedded=embedded_files(briefing, audience, search_path),
                date=briefing.date,
                fonts=tuple(
                    (f"theme.{setting.replace('-', '_')}", family)
                    for setting, family in audience.theme.fonts().items()
                ),
                max_pages=limits.max_pages,
            ),
            html=rendered[audience.name],
            seconds=seconds[audience.name],
        )
        for audience, briefing in variants
    }


def _render_html(briefing: Briefing, audience: Audience, template_dirs: tuple[Path, ...]) -> str:
    """One variant's template, in a process of its own: a runaway loop or a template that eats
    memory meets the same limits as a layout."""
    from reportgen.templating import make_environment, render_html

    return render_html(briefing, audience, make_environment(template_dirs))


def _where_characters_are(
    error: MissingGlyphsError,
    data: Path,
    profile: Path,
    audience_name: str,
    template_dirs: Sequence[Path],
) -> DataError:
    """The data or profile lines that hold the characters no font can draw: the user's fix is
    there, or in a font added to the templates. Only values the variant shows count. Characters
    found in none came from a template (or a stylesheet's text-transform), and are named as
    such."""
    from reportgen.loading import find_characters

    # The models were made in the preparing process; this failure is rare enough to make them
    # again rather than send every variant's back.
    ((audience, briefing),) = tailored_briefings(data, [audience_name], template_dirs)
    files: list[tuple[Path, BaseModel]] = [(data, briefing), (profile, audience)]
    problems: list[Problem] = []
    found: set[str] = set()
    for path, shown in files:
        located, characters = find_characters(
            path, error.characters, NO_FONT_CAN_DRAW, _strings(shown.model_dump())
        )
        problems += located
        found |= characters
    if unplaced := [character for character in error.characters if character not in found]:
        problems.append(Problem("templates", None, str(MissingGlyphsError(unplaced))))
    return DataError(problems)


def _strings(value: object) -> set[str]:
    """Every string in a dumped model, however deep."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list | tuple):
        return set().union(*(_strings(item) for item in value))
    return set()


class Progress:
    """Receives what a build is doing; the CLI subclasses it to print. Does nothing itself."""

    def started(self, audience: str) -> None:
        """A variant's layout started."""

    def finished(self, audience: str, outcome: object) -> None:
        """A variant's layout ended: ``outcome`` is its RenderedPdf or the error it raised."""

    def unchanged(self, audience: str) -> None:
        """A variant was up to date and kept."""
