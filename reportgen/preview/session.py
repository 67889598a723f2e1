"""A preview session: one variant, rebuilt in a warm worker on each burst of saves, its state
pushed to the page."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from reportgen.build.limits import DEFAULT_LIMITS, Limits
from reportgen.build.variants import VariantKey
from reportgen.errors import AudienceError, PageLimitError, PreviewError, ReportgenError
from reportgen.preview.schedule import Changes
from reportgen.preview.watch import Watchers, watch_set

if TYPE_CHECKING:
    from reportgen.audiences import Audience
    from reportgen.build.runner import Job, WorkerPool
    from reportgen.editions import Edition
    from reportgen.models import Briefing
    from reportgen.preview.pages import Document
    from reportgen.preview.server import PreviewServer

logger = logging.getLogger(__name__)

# How often the build loop wakes with nothing to do: the longest a Ctrl-C can wait for it.
_IDLE_SECONDS = 0.5
# Pages of this many builds stay available: the page may still be loading the one before.
_KEPT_BUILDS = 2

Status = Literal["starting", "building", "ready", "failed"]


@dataclass(frozen=True)
class Selection:
    """What a preview may show: the data (files and folders, as `build` takes), the template
    folders, the audiences offered (empty: every one), the language shown first (None: the
    briefing's own), the limits each layout has, and the settings file these came from
    (watched: a change to it chooses again)."""

    data: tuple[Path, ...]
    template_dirs: tuple[Path, ...] = ()
    audiences: tuple[str, ...] = ()
    limits: Limits = DEFAULT_LIMITS
    settings_file: Path | None = None
    language: str | None = None


@dataclass(frozen=True)
class State:
    """What the page is told: the variant shown and the choices, whether a build is under way,
    the pages of the last good build, the problems of the newest one, and its warnings (a
    translation shown as a draft: each string it shows in the briefing's own language)."""

    serial: int = 0  # grows with every change of state
    session: str = ""  # this preview's own id: a page that outlives it starts afresh
    status: Status = "starting"
    variant: str = ""  # <briefing id>/<audience>/<language> once the data has loaded
    data: str = ""  # the data file shown, as messages name it
    audience: str = ""
    language: str = ""
    data_files: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()  # the briefing's own first, then its translations
    build: int = 0  # the number of the build whose pages are shown; 0 before the first
    pages: int = 0
    built_at: str | None = None  # when that build ended (ISO 8601, UTC)
    seconds: float | None = None  # how long its layout took
    problems: tuple[str, ...] = ()  # the lines the command line would print, one each
    warnings: tuple[str, ...] = ()  # the same, for a build that succeeded (a draft)
    layouts: int = 0  # layouts started since the preview began

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class Preview:
    """Serves a preview of one variant of ``configure()``'s selection on ``host``:``port``.

    The server is bound when this is made (so `url` is known, and a port in use, or data that
    does not exist, is an error at once); `run` does the rest. ``configure`` is called again
    when the settings file changes. ``on_state`` hears each new state, from the thread that
    runs `run`.
    """

    def __init__(
        self,
        configure: Callable[[], Selection],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        on_state: Callable[[State], None] = lambda state: None,
    ) -> None:
        from reportgen.discovery import find_data_files
        from reportgen.preview.server import PreviewServer

        self._configure = configure
        self._selection = configure()
        # Data that is not there is a mistake in the command, not an edit to wait for; data
        # with errors in it is, and shows in the page.
        find_data_files(self._selection.data)
        self._on_state = on_state
        self._changes = Changes()
        self._condition = threading.Condition()
        self._state = State(session=secrets.token_hex(8))
        self._documents: dict[int, Document] = {}
        self._choice: tuple[str | None, str | None, str | None] = (None, None, None)
        self._settings_problem = ""  # why the settings file, once changed, could not be used
        self._stopping = threading.Event()
        self.server: PreviewServer = PreviewServer(host, port, self)

    @property
    def url(self) -> str:
        return self.server.url

    # -- what the server asks ---------------------------------------------------------------

    def state_after(self, serial: int, timeout: float) -> State | None:
        """The state once its serial is past ``serial``; None if that takes ``timeout``."""
        with self._condition:
            self._condition.wait_for(lambda: self._state.serial > serial, timeout)
            return self._state if self._state.serial > serial else None

    def document(self, build: int) -> Document | None:
        with self._condition:
            return self._documents.get(build)

    def select(self, data: str, audience: str, language: str | None = None) -> None:
        """Show another variant (from the page's choices); refused when not among them. A
        language the briefing chosen is not published in (the page changed the data file and
        the language at once) falls back to the briefing's own."""
        language = language or None  # the page's menu is empty while no briefing has loaded
        with self._condition:
            state = self._state
            if data not in state.data_files or audience not in state.audiences:
                raise PreviewError(f"no such choice: {data} for {audience}")
            if language is not None and data == state.data and language not in state.languages:
                raise PreviewError(f"no such choice: {data} in {language}")
            self._choice = (data, audience, language)
        self._changes.changed(at_once=True)

    # -- the session ------------------------------------------------------------------------

    def stop(self) -> None:
        """End `run` (from another thread; the command line ends it with Ctrl-C)."""
        self._stopping.set()
        self._changes.close()

    def run(self) -> None:
        """Build, watch and serve until interrupted (Ctrl-C, or SIGTERM as SystemExit) or
        stopped; then stop the server, the watchers and every worker process before returning
        or raising."""
        from reportgen.build.runner import WorkerPool

        # Created here, in the thread that runs the session: workers die with the thread that
        # made their pool.
        pool: WorkerPool | None = None
        watchers: Watchers | None = None
        serving = threading.Thread(target=self.server.serve, name="reportgen-preview-server")
        try:
            limits = self._selection.limits
            pool = WorkerPool(1, limits, warm_up=warm_preview_worker)
            watchers = self._watch()
            serving.start()
            self._changes.changed(at_once=True)
            built = -1
            while not self._stopping.is_set():
                taken = self._changes.wait(built, _IDLE_SECONDS)
                if taken is None:
                    continue
                generation, paths = taken
                settings = self._selection.settings_file
                if settings is not None and any(_same(path, settings) for path in paths):
                    watchers = self._reconfigure(watchers)
                    if self._selection.limits != limits:
                        pool.close()
                        limits = self._selection.limits
                        pool = WorkerPool(1, limits, warm_up=warm_preview_worker)
                self._publish(status="building")
                outcome, document = self._build(pool)
                built = generation
                # A save during the build made it stale: the next pass builds the newer one.
                if not self._changes.is_current(generation):
                    if document is not None:
                        document.close()
                    continue
                if document is not None:
                    outcome["build"] = self._keep(document)
                self._publish(**outcome)
        finally:
            self._changes.close()
            self.server.stop()
            if serving.is_alive():
                serving.join()
            if watchers is not None:
                watchers.close()
            if pool is not None:
                pool.close()
            with self._condition:
                documents, self._documents = self._documents, {}
            for document in documents.values():
                document.close()

    def _watch(self) -> Watchers:
        selection = self._selection
        watched = watch_set(selection.data, selection.template_dirs, selection.settings_file)
        return Watchers(watched, self._changes.changed)

    def _reconfigure(self, watchers: Watchers) -> Watchers:
        """The settings file changed: choose again, and watch what the new choice needs."""
        try:
            selection = self._configure()
        except ReportgenError as error:
            # Kept as it was; the error shows until the settings are fixed.
            logger.debug("settings not reloaded: %s", error)
            self._settings_problem = str(error)
            return watchers
        self._settings_problem = ""
        self._selection = selection
        watched = watch_set(selection.data, selection.template_dirs, selection.settings_file)
        if watched == watchers.watched:
            return watchers
        watchers.close()
        return Watchers(watched, self._changes.changed)

    def _keep(self, document: Document) -> int:
        """Number a new build's document and keep it, with the one before."""
        with self._condition:
            number = max(self._documents, default=self._state.build) + 1
            self._documents[number] = document
            for old in sorted(self._documents)[:-_KEPT_BUILDS]:
                self._documents.pop(old).close()
        return number

    def _build(self, pool: WorkerPool) -> tuple[dict[str, Any], Document | None]:
        """Lay out the chosen variant: the state to publish if it is still the newest, and
        the document laid out, if it was."""
        from reportgen.build.runner import Failed
        from reportgen.preview.pages import Document

        with self._condition:
            data, audience, language = self._choice
            layouts = self._state.layouts
        try:
            if self._settings_problem:
                raise PreviewError(self._settings_problem)
            prepared = prepare(self._selection, data, audience, language)
        except ReportgenError as error:
            return {"status": "failed", "problems": _lines(error), "warnings": ()}, None
        with self._condition:
            if self._choice == (data, audience, language):  # else the page chose again
                self._choice = (prepared.data, prepared.audience, prepared.language or None)
        choices = {
            "variant": "" if prepared.key is None else str(prepared.key),
            "data": prepared.data,
            "audience": prepared.audience,
            "language": prepared.language,
            "data_files": prepared.data_files,
            "audiences": prepared.audiences,
            "languages": prepared.languages,
            "warnings": prepared.warnings,
        }
        if prepared.job is None or prepared.key is None:
            return {**choices, "status": "failed", "problems": prepared.problems}, None
        self._publish(layouts=layouts + 1, **choices)
        began = time.monotonic()
        outcome = pool.run([prepared.job])[prepared.key]
        if isinstance(outcome, Failed):
            return {**choices, "status": "failed", "problems": _lines(outcome.error)}, None
        document = Document(outcome.value.content)
        problems: tuple[str, ...] = ()
        if prepared.page_limit is not None and len(document.pages) > prepared.page_limit:
            too_long = PageLimitError(
                f"audience {prepared.audience!r} has a limit of {prepared.page_limit} pages, "
                f"but its PDF has {len(document.pages)}"
            )
            problems = (f"{prepared.key}: {too_long}",)
        state = {
            **choices,
            "status": "failed" if problems else "ready",
            "problems": problems,
            "pages": len(document.pages),
            "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "seconds": round(time.monotonic() - began, 3),
        }
        return state, document

    def _publish(self, **changes: Any) -> None:
        with self._condition:
            self._state = replace(self._state, serial=self._state.serial + 1, **changes)
            state = self._state
            self._condition.notify_all()
        self._on_state(state)


@dataclass(frozen=True)
class Prepared:
    """The chosen variant, loaded and checked, and its layout job (None, with ``problems`` and
    no ``key``, when the data, profile or catalog has errors). ``warnings`` name what a draft
    translation shows untranslated, as the command line prints them."""

    key: VariantKey | None
    data: str
    audience: str
    data_files: tuple[str, ...]
    audiences: tuple[str, ...]
    job: Job | None
    page_limit: int | None = None
    problems: tuple[str, ...] = ()
    language: str = ""  # "" until the data has loaded
    languages: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def prepare(
    selection: Selection, data: str | None, audience: str | None, language: str | None = None
) -> Prepared:
    """Load the data file named ``data`` (default: the first) and the profile of ``audience``
    (default: the first the briefing is for), tailor the briefing, translate it into
    ``language`` (default: the selection's, else the briefing's own) from the catalog beside
    the data, as a draft where strings are untranslated, and make its layout job, with the
    limits `build` applies. Raises `ReportgenError` when there is nothing to choose from; a
    problem in the chosen files comes back as ``problems``, with the choices still made."""
    from reportgen.build.pipeline import LayoutJob, lay_out
    from reportgen.build.runner import Job
    from reportgen.discovery import find_data_files, find_profiles, select
    from reportgen.pdf import PdfOptions
    from reportgen.resources import BUILTIN_TEMPLATES

    data_files = {file.name: file for file in find_data_files(selection.data)}
    profiles = find_profiles(selection.template_dirs)
    offered = [path.stem for path in select(selection.audiences, profiles)]
    name = data if data in data_files else next(iter(data_files))
    chosen = data_files[name]
    audience = audience if audience in offered else offered[0]
    failed = Prepared(None, name, audience, tuple(data_files), tuple(offered), None)
    try:
        from reportgen.audiences import load_profiles, tailor
        from reportgen.loading import load_briefing

        briefing = load_briefing(chosen.path)
        # The audiences the briefing is for, among those offered: the page offers those only.
        declared = briefing.audiences
        offered = [n for n in offered if declared is None or n in declared] or offered
        if audience not in offered:
            audience = offered[0]
        failed = replace(failed, audience=audience, audiences=tuple(offered))
        if declared is not None and audience not in declared:
            raise AudienceError(
                f"{name}: audiences: the briefing is for {', '.join(declared)}, "
                f"none of which is offered here"
            )
        profile = profiles[audience]
        loaded = load_profiles({audience: profile})[audience]
        try:
            tailored = tailor(briefing, loaded)
        except AudienceError as error:
            from reportgen.discovery import display_name

            raise AudienceError(f"{display_name(profile)}: {error}") from error
        languages = _languages(briefing.language, briefing.translations, loaded)
        notes: tuple[str, ...] = ()
        if language is None or language not in languages:
            asked = selection.language
            if asked is not None and asked not in languages:
                notes = (
                    f"{name}: not published in {asked} (its languages are "
                    f"{', '.join(languages)}): shown in {languages[0]}",
                )
                logger.warning("%s", notes[0])
            language = asked if asked in languages else languages[0]
        failed = replace(failed, language=language, languages=languages, warnings=notes)
        edition, shown, warnings = _translated(selection, chosen.path, tailored, language)
        loaded = loaded.for_language(language)
    except ReportgenError as error:
        return replace(failed, problems=_lines(error))
    key = VariantKey(briefing.id, audience, language)
    options = PdfOptions(
        # The page shows PDFium's drawing and text of the PDF: tags and PDF/A would only cost.
        draft=True,
        variant=loaded.pdf_variant,
        date=tailored.date,
        fonts=tuple(
            (f"theme.{setting.replace('-', '_')}", family)
            for setting, family in loaded.theme.fonts().items()
        ),
        max_pages=selection.limits.max_pages,
    )
    # As `build` lays it out: the same template folders and the same files it may load.
    roots = (*selection.template_dirs, BUILTIN_TEMPLATES, chosen.path.resolve().parent)
    layout = LayoutJob(None, shown, loaded, edition, tuple(selection.template_dirs), roots, options)
    return replace(
        failed,
        key=key,
        job=Job(key, lay_out, (layout,)),
        page_limit=loaded.page_limit,
        warnings=notes + warnings,
    )


def _languages(own: str, translations: Sequence[str], audience: Audience) -> tuple[str, ...]:
    """The languages a briefing is published in for ``audience``: its own first, then its
    translations, narrowed by the audience's ``languages`` where it names them (but never to
    none: the briefing's own language is always there to show)."""
    every = (own, *translations)
    narrowed = audience.languages
    if narrowed is None:
        return every
    return tuple(language for language in every if language in narrowed) or (own,)


def _translated(
    selection: Selection, data: Path, tailored: Briefing, language: str
) -> tuple[Edition, Briefing, tuple[str, ...]]:
    """The edition and the briefing as it shows in ``language``, and the strings it shows in
    the briefing's own language, one line each as the command line prints them. A complete
    translation is built as `build` builds it; an incomplete one as the draft
    ``--allow-untranslated`` would build (its PDF is marked a draft), rather than refused."""
    from reportgen.errors import DataError
    from reportgen.translations.apply import Translator

    translator = Translator(selection.template_dirs)
    try:
        edition, shown, _ = translator.edition(data, tailored, language)
    except DataError as error:
        # Refused as a finished edition: as a draft, if only untranslated strings stop it.
        translator.allow_untranslated = True
        edition, shown, _ = translator.edition(data, tailored, language)
        own = tailored.language
        untranslated = tuple(
            f"{line} (shown in {own}: an incomplete draft)" for line in _lines(error)
        )
        return edition, shown, untranslated
    return edition, shown, ()


def warm_preview_worker() -> None:
    """A preview worker renders its templates itself: it imports the templating code as well
    as the layout code, and lays out a small page, before the first save."""
    from reportgen.build.pipeline import warm_renderer, warm_worker

    warm_worker(lay_out_page=True)
    warm_renderer()


def _lines(error: ReportgenError) -> tuple[str, ...]:
    """An error as the command line prints it, one line each (``file:line: field: message``)."""
    return tuple(line for line in str(error).splitlines() if line.strip())


def _same(path: Path, other: Path) -> bool:
    return path.absolute() == other.absolute()
