"""The pipeline: plan the variants, load what changed, lay out what is stale in warm workers,
then write every output or none."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from reportgen.build import manifest
from reportgen.build.inputs import content_sha256, variant_digest
from reportgen.build.limits import DEFAULT_LIMITS, Limits
from reportgen.build.lock import output_lock
from reportgen.build.output import DEFAULT_OUTPUT, remove_leftovers, write_all
from reportgen.build.plan import Plan, Status, make_plan
from reportgen.build.progress import BuiltFile, Progress
from reportgen.build.variants import Shard, VariantKey
from reportgen.discovery import DataFile, find_profiles, select
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
from reportgen.resources import BUILTIN_TEMPLATES

# Only what deciding *whether* to build needs is imported above; parsing, templating and layout
# load when there is something to build, so an up-to-date check or `--help` starts fast.
if TYPE_CHECKING:
    from pydantic import BaseModel

    from reportgen.audiences import Audience
    from reportgen.build.runner import Job, Outcome, Succeeded, WorkerPool
    from reportgen.editions import Edition
    from reportgen.models import Briefing
    from reportgen.pdf import PdfOptions, RenderedPdf

logger = logging.getLogger(__name__)

DataPaths = Path | Sequence[Path]


@dataclass(frozen=True)
class Variant:
    """One audience's rendering of a briefing in one language, before it becomes a PDF."""

    audience: Audience
    briefing: Briefing  # tailored and, in another language's edition, translated
    edition: Edition
    html: str

    @property
    def key(self) -> VariantKey:
        return VariantKey(self.briefing.id, self.audience.name, self.edition.language)

    @property
    def file_name(self) -> str:
        return self.key.file_name


def _paths(data: DataPaths) -> list[Path]:
    return [data] if isinstance(data, Path) else list(data)


def render_variants(
    data: DataPaths,
    audience_names: Sequence[str] = (),
    template_dirs: Sequence[Path] = (),
    *,
    language: str | None = None,
    allow_untranslated: bool = False,
) -> list[Variant]:
    """Load and validate the briefings in ``data`` and render each variant's HTML (in each of
    its languages, or only ``language``); writes nothing and lays nothing out."""
    from reportgen.templating import make_environment, render_html

    environment = make_environment(template_dirs)
    prepared = _prepare_all(data, audience_names, template_dirs, language, allow_untranslated)
    return [
        Variant(
            v.audience,
            v.briefing,
            v.edition,
            render_html(v.briefing, v.audience, environment, v.edition),
        )
        for v in prepared
    ]


def tailored_briefings(
    data: DataPaths, audience_names: Sequence[str] = (), template_dirs: Sequence[Path] = ()
) -> list[tuple[Audience, Briefing]]:
    """Load and validate the briefings in ``data`` and the audiences, and cut each briefing for
    each of its audiences, in the briefing's own language."""
    return [
        (variant.audience, variant.briefing)
        for variant in _prepare_all(data, audience_names, template_dirs, None, False)
        if not variant.edition.translated
    ]


def _prepare_all(
    data: DataPaths,
    audience_names: Sequence[str],
    template_dirs: Sequence[Path],
    language: str | None,
    allow_untranslated: bool,
) -> list[_Prepared]:
    plan = make_plan(
        _paths(data),
        audience_names,
        DEFAULT_OUTPUT,
        template_dirs,
        language=language,
        allow_untranslated=allow_untranslated,
    )
    loaded = _load(plan, list(plan.data_files))
    keys = [key for b in loaded.values() for key in plan.keys_of(b.id, b.audiences, _langs(b))]
    _no_such_language(plan, keys)
    prepared, failures = _tailor(plan, loaded, keys)
    if failures:
        raise next(iter(failures.values()))
    return list(prepared.values())


def _langs(briefing: Briefing) -> tuple[str, ...]:
    """The languages a briefing is published in: its own first."""
    return (briefing.language, *briefing.translations)


def _no_such_language(plan: Plan, keys: Iterable[VariantKey]) -> None:
    """``--language xx`` that no variant has is a misspelling, most likely: an error, not an
    empty build."""
    if plan.language is not None and not any(key.language == plan.language for key in keys):
        raise ReportgenError(
            f"no briefing is published in {plan.language!r} for the audiences selected: list "
            "it under translations in the briefing's data (and in an audience's languages, "
            "if it lists them)"
        )


def check(
    data: DataPaths,
    audience_names: Sequence[str] = (),
    out_dir: Path = DEFAULT_OUTPUT,
    template_dirs: Sequence[Path] = (),
    *,
    pdf_variant: PdfVariantName | None = None,
    shard: Shard | None = None,
    language: str | None = None,
    allow_untranslated: bool = False,
) -> dict[VariantKey, str]:
    """Why each out-of-date variant needs building (empty when every output is current).

    Data files unchanged since the last build are not even parsed; a changed one is loaded, to
    know its variants and whether what each audience sees of it changed.
    """
    plan = make_plan(
        _paths(data),
        audience_names,
        out_dir,
        template_dirs,
        pdf_variant=pdf_variant,
        shard=shard,
        language=language,
        allow_untranslated=allow_untranslated,
    )
    survey = _survey(plan)
    # Loading imports Pydantic and the models: a tenth of a second that an up-to-date check,
    # with no data file changed, does not pay.
    survey.loaded = _load(plan, survey.changed) if survey.changed else {}
    selected = survey.selected(plan)
    statuses = {key: plan.status(key, survey.known[key]) for key in selected if key in survey.known}
    prepared, failures = _tailor(plan, survey.loaded, [k for k in selected if k not in statuses])
    if failures:
        raise VariantsFailedError(failures)
    statuses |= {key: variant.status for key, variant in prepared.items()}
    return {key: status.reason for key, status in sorted(statuses.items()) if not status.entry}


def build(
    data: DataPaths,
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
    wait: bool = True,
    strict: bool = False,
    language: str | None = None,
    allow_untranslated: bool = False,
) -> list[BuiltFile]:
    """Build every variant of the briefings in ``data`` (files and folders of them): each
    briefing for each requested audience it is for (all when none is named), into ``out_dir``.

    A variant whose inputs are unchanged and whose PDF still matches the manifest is kept
    (unless ``force``). The others are laid out by warm worker processes, ``jobs`` at a time
    (default: one per CPU), each within ``limits``. A failing variant does not stop the others,
    so one run reports every failure; but if any fails nothing is written, manifest included,
    and earlier outputs stay exactly as they were. One build at a time writes to ``out_dir``:
    another waits for it (or, without ``wait``, fails at once). With ``strict``, what tailoring
    would warn about fails the build, for every variant selected, kept ones included.

    Each variant is in one language: the briefing's own, or one it is translated into (only
    ``language``'s, when given). A translated variant with a string its catalog lacks, or
    translates from older text, fails; with ``allow_untranslated`` it is built as a draft that
    says so, the string in the briefing's own language.
    """
    progress = progress or Progress()
    select(audience_names, find_profiles(template_dirs))  # a misspelt name writes nothing
    with output_lock(out_dir, wait=wait, on_wait=progress.waiting):
        remove_leftovers(out_dir)
        plan = make_plan(
            _paths(data),
            audience_names,
            out_dir,
            template_dirs,
            pdf_variant=pdf_variant,
            shard=shard,
            force=force,
            language=language,
            allow_untranslated=allow_untranslated,
        )
        return _build(
            plan,
            template_dirs=template_dirs,
            limits=limits,
            jobs=jobs,
            force=force,
            progress=progress,
            strict=strict,
        )


def _build(
    plan: Plan,
    *,
    template_dirs: Sequence[Path],
    limits: Limits,
    jobs: int | None,
    force: bool,
    progress: Progress,
    strict: bool = False,
) -> list[BuiltFile]:
    survey = _survey(plan)
    quick = {key: plan.status(key, data) for key, data in survey.known.items()}
    current = {key: status.entry for key, status in quick.items() if status.entry and not force}
    outcomes: dict[VariantKey, Outcome] = {}
    prepared: dict[VariantKey, _Prepared] = {}
    kept: dict[VariantKey, manifest.Entry] = {}
    # Without changed data files, this build's variants are known without parsing anything.
    selected = [] if survey.changed else survey.selected(plan)
    if not survey.changed and all(key in current for key in selected):
        kept = {key: current[key] for key in selected}
        if strict:
            wanted = {survey.known[key] for key in kept}
            _check_warnings(plan, _load(plan, [d for d in plan.data_files if d in wanted]), kept)
    else:
        # The workers import WeasyPrint while this process loads and validates the data.
        stale = [key for key in selected or quick if key not in current]
        at_most = len(stale) + len(survey.changed) * len(plan.profiles)
        workers = max(1, min(jobs or os.cpu_count() or 1, at_most))
        # The first layouts start as soon as a layout worker has imported WeasyPrint: their
        # templates are rendered meanwhile, by a worker of their own (the others render theirs
        # in the layout workers).
        with (
            _pool(workers, limits, lay_out_page=at_most > workers) as pool,
            _renderer(limits) as renderer,
        ):
            survey.loaded = _load(plan, survey.changed)
            selected = survey.selected(plan)
            _no_such_language(plan, selected)
            kept = {key: current[key] for key in selected if key in current}
            # An unchanged data file is loaded only if one of this build's variants of it is
            # stale (a template changed, say).
            needed = {
                survey.known[key]
                for key in selected
                if key in survey.known and (strict or key not in kept)
            }
            survey.loaded |= _load(plan, [data for data in plan.data_files if data in needed])
            if strict:
                _check_warnings(plan, survey.loaded, kept)
            prepared, failures = _tailor(
                plan, survey.loaded, [key for key in selected if key not in kept]
            )
            for variant in prepared.values():
                if not force and variant.status.entry is not None:
                    kept[variant.key] = variant.status.entry
            # Longest first, so that the last layout to end is a short one: the size of what
            # a variant shows (its data, and its translations) stands for its layout time.
            waiting = sorted(
                (variant for key, variant in prepared.items() if key not in kept),
                key=lambda v: len(v.embedded_data) + len(v.embedded_catalog),
                reverse=True,
            )
            rendered, refused = _render_first(renderer, waiting[:workers], template_dirs, progress)
            failures |= refused
            layouts = [
                variant.job(template_dirs, limits, rendered.get(variant.key))
                for variant in waiting
                if variant.key not in failures
            ]
            outcomes = pool.run(  # type: ignore[assignment]  # keys are the jobs' keys
                layouts,
                on_start=partial(_started, progress, set(rendered)),
                on_done=lambda outcome: _report(progress, outcome),
            )
        failures |= _failures(prepared, outcomes)
        if failures:
            raise VariantsFailedError(dict(sorted(failures.items())))
    if not selected and not survey.changed:
        _no_such_language(plan, survey.selected(plan))
    sources = _sources(plan, survey.loaded)
    return _write(
        plan, kept=kept, outcomes=outcomes, prepared=prepared, sources=sources, progress=progress
    )


def _check_warnings(
    plan: Plan, briefings: dict[DataFile, Briefing], kept: Iterable[VariantKey]
) -> None:
    """``--strict`` holds for a variant kept up to date too (a CI job must fail while a profile
    lists a hidden section): tailoring it again raises what it would warn about, and is cheap,
    as nothing is laid out."""
    from reportgen.audiences import warnings_as_errors

    with warnings_as_errors():
        _, failures = _tailor(plan, briefings, sorted(kept))
    if failures:
        raise VariantsFailedError(failures)


def _write(
    plan: Plan,
    *,
    kept: dict[VariantKey, manifest.Entry],
    outcomes: dict[VariantKey, Outcome],
    prepared: dict[VariantKey, _Prepared],
    sources: list[manifest.Source],
    progress: Progress,
) -> list[BuiltFile]:
    """Write the new PDFs and the manifest, all or none, and say what the build covered."""
    results: list[BuiltFile] = []
    files: dict[str, bytes] = {}
    entries: list[manifest.Entry] = []
    for key in sorted([*kept, *outcomes]):
        if key in kept and key not in outcomes:
            entry = kept[key]
            assert entry is not None
            progress.unchanged(key)
            path = plan.out_dir / entry.file
            results.append(BuiltFile(key, path, entry.pages, entry.bytes, rebuilt=False))
            if key in prepared:  # loaded again: its data file's record is renewed
                entries.append(prepared[key].entry(plan, entry.sha256, entry.bytes, entry.pages))
            else:  # current, so every part of its digest is as recorded
                entries.append(entry)
            continue
        pdf = outcomes[key].value  # type: ignore[union-attr]
        variant = prepared[key]
        files[key.file_name] = pdf.content
        sha256 = hashlib.sha256(pdf.content).hexdigest()
        entries.append(variant.entry(plan, sha256, len(pdf.content), pdf.pages))
        results.append(BuiltFile(key, plan.out_dir / key.file_name, pdf.pages, len(pdf.content)))
    new_manifest = manifest.updated(
        _kept_from(plan),
        entries,
        sources,
        plan.shared.table,
        [
            manifest.Profile(name, plan.profile_sha256[name], plan.profile_languages[name])
            for name in plan.profiles
        ],
    )
    content = manifest.dumps(new_manifest)
    manifest_path = plan.out_dir / manifest.MANIFEST_NAME
    if files or not manifest_path.is_file() or manifest_path.read_bytes() != content:
        write_all(plan.out_dir, {**files, manifest.MANIFEST_NAME: content})
    return results


def _profile_name(profile: Path) -> str:
    """A profile as the manifest names it: the same on every machine for a built-in one."""
    from reportgen.discovery import display_name

    real = profile.resolve()
    if real.is_relative_to(BUILTIN_TEMPLATES):
        return f"builtin/{real.relative_to(BUILTIN_TEMPLATES).as_posix()}"
    return display_name(profile)


def _kept_from(plan: Plan) -> manifest.Manifest:
    """What of the recorded manifest a build keeps besides its own variants: a build of every
    variant keeps none (so variants that no longer exist leave it), a shard none (its manifest
    is merged with the others'; an entry that moved to another shard would conflict), a build
    of some audiences the rest."""
    if plan.shard is not None or (plan.profiles == plan.available and plan.language is None):
        return manifest.EMPTY
    return plan.recorded


@dataclass
class _Survey:
    """A build's variants, as far as they are known: those of unchanged data files from the
    manifest, those of changed ones once loaded."""

    known: dict[VariantKey, DataFile]  # variants of unchanged data files
    changed: list[DataFile]  # data files to load to know their variants
    loaded: dict[DataFile, Briefing]

    def selected(self, plan: Plan) -> list[VariantKey]:
        """This build's variants: a shard takes its share of *all* variants, so every variant
        is in exactly one shard whatever its briefing."""
        everything = set(self.known)
        for briefing in self.loaded.values():
            everything.update(plan.keys_of(briefing.id, briefing.audiences, _langs(briefing)))
        return plan.in_shard(everything)


def _survey(plan: Plan) -> _Survey:
    known: dict[VariantKey, DataFile] = {}
    changed: list[DataFile] = []
    for data in plan.data_files:
        source = plan.known(data)
        if source is None:
            changed.append(data)
            continue
        for key in plan.keys_of(source.briefing, source.audiences, source.languages):
            known[key] = data
    return _Survey(known, changed, {})


def _duplicate_ids(plan: Plan, loaded: dict[DataFile, Briefing]) -> list[Problem]:
    """`loading.duplicate_ids` over every data file: those not loaded are known by the id the
    manifest recorded for them."""
    from reportgen.loading import duplicate_ids

    ids = []
    for data in plan.data_files:
        source = plan.known(data)
        found = loaded[data].id if data in loaded else source.briefing if source else None
        if found is not None:
            ids.append((data.name, found))
    return duplicate_ids(ids)


@dataclass(frozen=True)
class _Prepared:
    """A variant loaded, tailored and digested, ready to be laid out."""

    key: VariantKey
    data: DataFile
    briefing: Briefing  # tailored, and translated in another language's edition
    audience: Audience  # its texts in the edition's language
    edition: Edition
    profile: Path
    embedded_data: bytes  # the tailored briefing in its own language
    embedded_catalog: bytes  # the translations used ("" in the briefing's own language)
    tailored: Briefing  # the briefing after its audience's cut, before translation
    content_sha256: str
    inputs_sha256: str
    status: Status
    pdf_variant: PdfVariantName

    def job(
        self, template_dirs: Sequence[Path], limits: Limits, rendered: Succeeded | None = None
    ) -> Job:
        """The layout job; with ``rendered``, the HTML a render worker made (its time counts
        against the variant's time limit), else the worker renders the templates itself."""
        from reportgen.build.runner import Job
        from reportgen.pdf import PdfOptions
        from reportgen.provenance import derived_record, embedded_files

        options = PdfOptions(
            variant=self.pdf_variant,
            embedded=embedded_files(
                self.key,
                self.embedded_data,
                self.inputs_sha256,
                self.embedded_catalog,
                # Here, for the variants laid out only: the figures the build record carries.
                derived_record(self.tailored, self.embedded_data),
            ),
            date=self.briefing.date,
            fonts=tuple(
                (f"theme.{setting.replace('-', '_')}", family)
                for setting, family in self.audience.theme.fonts().items()
            ),
            max_pages=limits.max_pages,
        )
        # The user's template folders may hold their own stylesheets, fonts and images.
        roots = (*template_dirs, BUILTIN_TEMPLATES, self.data.path.resolve().parent)
        if rendered is None:
            dirs = tuple(template_dirs)
            layout = LayoutJob(
                None, self.briefing, self.audience, self.edition, dirs, roots, options
            )
            return Job(self.key, lay_out, (layout,))
        # Only the HTML travels: the worker then need not import Pydantic to read the job.
        layout = LayoutJob(rendered.value, None, None, None, (), roots, options)
        seconds = max(0.0, limits.seconds - rendered.seconds)
        return Job(self.key, lay_out, (layout,), seconds=seconds)

    def entry(self, plan: Plan, sha256: str, size: int, pages: int) -> manifest.Entry:
        return manifest.Entry(
            briefing=self.key.briefing,
            audience=self.key.audience,
            language=self.key.language,
            file=self.key.file_name,
            sha256=sha256,
            bytes=size,
            pages=pages,
            inputs_sha256=self.inputs_sha256,
            data_file=self.data.name,
            data_sha256=self.data.sha256,
            content_sha256=self.content_sha256,
            untranslated=len(self.edition.fallbacks),
            profile_file=_profile_name(self.profile),
            profile_sha256=plan.profile_sha256[self.key.audience],
            shared_sha256=plan.shared.digest,
            pdf_variant=plan.pdf_variant or "",
        )


def _load(plan: Plan, loading: Sequence[DataFile]) -> dict[DataFile, Briefing]:
    """Load and validate ``loading``; every problem of every file is reported at once."""
    from reportgen.loading import load_briefing

    problems: list[Problem] = []
    briefings: dict[DataFile, Briefing] = {}
    for data in loading:
        try:
            briefings[data] = load_briefing(data.path)
        except DataError as error:
            problems += error.problems
    problems += _duplicate_ids(plan, briefings)
    for data, briefing in briefings.items():
        # Only audiences that exist nowhere are an error: a briefing for `press` builds in a
        # build that selected `public` only, as nothing.
        if unknown := [name for name in briefing.audiences or () if name not in plan.available]:
            problems.append(
                Problem(
                    data.name,
                    None,
                    f"no audience {', '.join(map(repr, unknown))}; "
                    f"the audiences are {', '.join(plan.available)}",
                    "audiences",
                )
            )
    if problems:
        raise DataError(problems)
    return briefings


def _tailor(
    plan: Plan, briefings: dict[DataFile, Briefing], keys: Sequence[VariantKey]
) -> tuple[dict[VariantKey, _Prepared], dict[VariantKey, ReportgenError]]:
    """Tailor, embed and digest each of ``keys``, the variants of loaded briefings."""
    if not keys:
        return {}, {}
    from reportgen.audiences import load_profiles, tailor
    from reportgen.provenance import tailored_data
    from reportgen.translations.apply import Translator

    audiences = load_profiles(plan.profiles)
    by_id = {briefing.id: (data, briefing) for data, briefing in briefings.items()}
    prepared: dict[VariantKey, _Prepared] = {}
    failures: dict[VariantKey, ReportgenError] = {}
    translator = Translator(plan.template_dirs, allow_untranslated=plan.allow_untranslated)
    tailored_by: dict[tuple[str, str], Briefing | AudienceError] = {}
    for key in keys:
        data, briefing = by_id[key.briefing]
        audience = audiences[key.audience]
        # Once per audience, not per language: the cut is the same, and so are its warnings.
        cut = (key.briefing, key.audience)
        if cut not in tailored_by:
            try:
                tailored_by[cut] = tailor(briefing, audience)
            except AudienceError as error:
                tailored_by[cut] = AudienceError(f"{plan.profiles[key.audience]}: {error}")
        tailored = tailored_by[cut]
        if isinstance(tailored, AudienceError):
            failures[key] = tailored
            continue
        try:
            edition, shown, catalog = translator.edition(data.path, tailored, key.language)
            audience = audience.for_language(key.language)
        except DataError as error:
            failures[key] = error
            continue
        embedded = tailored_data(tailored)
        content = content_sha256(embedded, key.language if edition.translated else "", catalog)
        digest = variant_digest(
            plan.shared.digest, plan.profile_sha256[key.audience], content, plan.pdf_variant or ""
        )
        prepared[key] = _Prepared(
            key=key,
            data=data,
            briefing=shown,
            audience=audience,
            edition=edition,
            profile=plan.profiles[key.audience],
            embedded_data=embedded,
            embedded_catalog=catalog,
            tailored=tailored,
            content_sha256=content,
            inputs_sha256=digest,
            status=plan.status(key, data, content),
            pdf_variant=plan.pdf_variant or audience.pdf_variant,
        )
    return prepared, failures


def _sources(plan: Plan, loaded: dict[DataFile, Briefing]) -> list[manifest.Source]:
    """The manifest's record of every data file: renewed for those loaded."""
    from reportgen.build.plan import catalog_digests

    sources = []
    for data in plan.data_files:
        if data in loaded:
            b = loaded[data]
            digests = catalog_digests(data, b.translations)
            sources.append(
                manifest.Source(data.name, data.sha256, b.id, b.audiences, _langs(b), digests)
            )
        elif (source := plan.known(data)) is not None:
            sources.append(source)
    return sources


@dataclass(frozen=True)
class LayoutJob:
    """What a worker needs to lay out one variant, sent to it pickled: its HTML, or what to
    render it from."""

    html: str | None
    briefing: Briefing | None
    audience: Audience | None
    edition: Edition | None
    template_dirs: tuple[Path, ...]
    allowed_roots: tuple[Path, ...]
    options: PdfOptions


def lay_out(job: LayoutJob) -> RenderedPdf:
    """Render one variant's templates and lay the HTML out as a PDF, in a worker: a runaway
    template loop meets the same limits as a runaway layout."""
    from reportgen.pdf import render_pdf

    html = job.html
    if html is None:
        assert job.briefing is not None and job.audience is not None
        html = render(job.briefing, job.audience, job.template_dirs, job.edition)
    return render_pdf(html, BUILTIN_TEMPLATES, job.allowed_roots, job.options)


def render(
    briefing: Briefing,
    audience: Audience,
    template_dirs: tuple[Path, ...],
    edition: Edition | None = None,
) -> str:
    """One variant's HTML, in a worker: a runaway template meets the same limits as a layout."""
    from reportgen.templating import make_environment, render_html

    return render_html(briefing, audience, make_environment(template_dirs), edition)


def warm_worker(*, lay_out_page: bool) -> None:
    """What a layout worker does before its first job: import the layout code, and (when
    layouts will queue for a worker) lay out a small page, so that Fontconfig, Pango and the
    fonts are loaded before the first real layout needs them. The templating code is imported
    when a job first needs it: the first layouts come rendered (see `_build`)."""
    from reportgen.pdf import warm_up

    warm_up(BUILTIN_TEMPLATES, lay_out=lay_out_page)


def warm_renderer() -> None:
    """What the render worker does before its first job: import the templating code."""
    import reportgen.audiences
    import reportgen.templating  # noqa: F401


def _renderer(limits: Limits) -> WorkerPool:
    from reportgen.build.runner import WorkerPool

    return WorkerPool(1, limits, warm_up=warm_renderer)


def _pool(workers: int, limits: Limits, *, lay_out_page: bool) -> WorkerPool:

    from reportgen.build.runner import WorkerPool

    return WorkerPool(workers, limits, warm_up=partial(warm_worker, lay_out_page=lay_out_page))


def _render_first(
    renderer: WorkerPool,
    variants: Sequence[_Prepared],
    template_dirs: Sequence[Path],
    progress: Progress,
) -> tuple[dict[VariantKey, Succeeded], dict[VariantKey, ReportgenError]]:
    """The HTML of ``variants``, rendered by the render worker, and the errors of those whose
    templates failed (reported as the variant's end)."""
    from reportgen.build.runner import Failed, Job

    jobs = [
        Job(v.key, render, (v.briefing, v.audience, tuple(template_dirs), v.edition))
        for v in variants
    ]
    rendered: dict[VariantKey, Succeeded] = {}
    refused: dict[VariantKey, ReportgenError] = {}
    # A variant starts when its templates start rendering.
    for key, outcome in renderer.run(jobs, on_start=progress.started).items():  # type: ignore[arg-type]
        assert isinstance(key, VariantKey)
        if isinstance(outcome, Failed):
            _report(progress, outcome)
            refused[key] = outcome.error
        else:
            rendered[key] = outcome
    return rendered, refused


def _started(progress: Progress, already: set[VariantKey], key: Hashable) -> None:
    """A layout started: news unless its variant started already, rendering."""
    if key not in already:
        progress.started(key)  # type: ignore[arg-type]


def _report(progress: Progress, outcome: Outcome) -> None:
    from reportgen.build.runner import Failed

    error = outcome.error if isinstance(outcome, Failed) else None
    progress.finished(outcome.key, error, outcome.seconds)  # type: ignore[arg-type]


def _failures(
    prepared: dict[VariantKey, _Prepared], outcomes: dict[VariantKey, Outcome]
) -> dict[VariantKey, ReportgenError]:
    from reportgen.build.runner import Failed
    from reportgen.discovery import display_name

    failures: dict[VariantKey, ReportgenError] = {}
    for key, outcome in outcomes.items():
        variant = prepared[key]
        if isinstance(outcome, Failed):
            error = outcome.error
            if isinstance(error, MissingGlyphsError):
                failures[key] = _where_characters_are(error, variant)
            elif isinstance(error, FontNotFoundError):
                # The settings it names are in the audience's profile.
                profile = display_name(variant.profile)
                lines = [f"{profile}: {line}" for line in str(error).splitlines()]
                failures[key] = FontNotFoundError("\n".join(lines))
            else:
                failures[key] = error
            continue
        limit = variant.audience.page_limit
        if limit is not None and outcome.value.pages > limit:
            failures[key] = PageLimitError(
                f"audience {key.audience!r} has a limit of {limit} pages, "
                f"but its PDF has {outcome.value.pages}"
            )
    return failures


def _where_characters_are(error: MissingGlyphsError, variant: _Prepared) -> DataError:
    """The data or profile lines that hold the characters no font can draw: the user's fix is
    there, or in a font added to the templates. Only values the variant shows count. Characters
    found in none came from a template (or a stylesheet's text-transform), and are named as
    such."""
    from reportgen.loading import find_characters

    files: list[tuple[Path, BaseModel]] = [
        (variant.data.path, variant.briefing),
        (variant.profile, variant.audience),
    ]
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
