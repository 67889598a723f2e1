"""A preview session: which variant it shows, what it tells the page, and that a build a newer
save overtook is never shown. The layouts here are stand-ins (real ones: test_preview_cli)."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from test_preview_pages import tiny_pdf

import reportgen.build.runner
from reportgen.build.limits import Limits
from reportgen.build.pipeline import LayoutJob
from reportgen.build.runner import Job, Outcome, Succeeded
from reportgen.editions import catalog_path
from reportgen.errors import PreviewError
from reportgen.pdf import RenderedPdf
from reportgen.preview.session import Preview, Selection, State, prepare
from reportgen.resources import BUILTIN_AUDIENCES, EXAMPLE_BRIEFING

TITLE = "title: Mexico's multilateral human rights cooperation"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(EXAMPLE_BRIEFING, data / "b-mexico.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _second_briefing(project: Path, audiences: str) -> Path:
    text = (project / "data" / "b-mexico.yaml").read_text(encoding="utf-8")
    text = text.replace("id: mexico-multilateral-human-rights", "id: second", 1)
    path = project / "data" / "a-second.yaml"
    path.write_text(text.replace("language: en", f"language: en\naudiences: {audiences}"), "utf-8")
    return path


# -- choosing the variant --------------------------------------------------------------------


def test_the_first_briefing_and_audience_by_default_with_the_others_offered(
    project: Path,
) -> None:
    _second_briefing(project, "[public, executive]")
    prepared = prepare(Selection((Path("data"),)), None, None)
    assert prepared.data_files == ("data/a-second.yaml", "data/b-mexico.yaml")
    assert prepared.data == "data/a-second.yaml"
    # Only the audiences that briefing is for, in the order audiences are listed.
    assert prepared.audiences == ("executive", "public")
    assert str(prepared.key) == "second/executive/en"
    assert prepared.problems == () and prepared.job is not None
    layout = prepared.job.args[0]
    assert isinstance(layout, LayoutJob) and layout.briefing is not None
    assert layout.briefing.id == "second"
    # The limits `build` applies: the page cap travels with the job.
    assert layout.options.max_pages == Selection((Path("data"),)).limits.max_pages


def test_a_choice_is_kept_and_the_offered_audiences_are_the_selections(project: Path) -> None:
    selection = Selection(
        (Path("data"),), audiences=("public", "delegation"), limits=Limits(max_pages=9)
    )
    prepared = prepare(selection, "data/b-mexico.yaml", "delegation")
    assert (prepared.data, prepared.audience) == ("data/b-mexico.yaml", "delegation")
    assert prepared.audiences == ("public", "delegation")
    assert prepared.job is not None and prepared.job.args[0].options.max_pages == 9
    # A choice no longer offered falls back to the first.
    assert prepare(selection, "data/gone.yaml", "executive").audience == "public"


def test_a_data_error_comes_back_as_the_lines_the_command_line_prints(project: Path) -> None:
    path = project / "data" / "b-mexico.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(TITLE, "title: [unclosed"), encoding="utf-8")
    line = text.splitlines().index(TITLE) + 1
    prepared = prepare(Selection((Path("data"),)), None, "executive")
    assert prepared.job is None
    assert len(prepared.problems) == 1
    assert prepared.problems[0].startswith(f"data/b-mexico.yaml:{line}:")
    # The choices are still made, so the page can switch away from the broken file.
    assert prepared.data_files == ("data/b-mexico.yaml",)
    assert prepared.audience == "executive"


def test_a_profile_that_does_not_fit_the_briefing_names_the_profile(project: Path) -> None:
    looks = project / "looks" / "audiences"
    looks.mkdir(parents=True)
    text = (BUILTIN_AUDIENCES / "executive.yaml").read_text(encoding="utf-8")
    (looks / "executive.yaml").write_text(
        text.replace("sections: [key-messages,", "sections: [no-such-section, key-messages,"),
        encoding="utf-8",
    )
    selection = Selection((Path("data"),), template_dirs=(project / "looks",))
    prepared = prepare(selection, None, "executive")
    assert prepared.job is None
    # Named as `build` names it, by the profile's file (and line, where the loader knows it).
    (problem,) = prepared.problems
    assert problem.startswith("looks/audiences/executive.yaml:")
    assert "no-such-section" in problem


# -- the session, with layouts stood in for ------------------------------------------------


class StandInPool:
    """Lays out a one-page PDF showing the briefing's title; ``hold`` makes a layout wait."""

    made: list[StandInPool] = []  # noqa: RUF012  (the pools the test's sessions made)

    def __init__(self, workers: int, limits: Limits, *, warm_up: Callable[[], None]) -> None:
        self.hold: threading.Event | None = None
        self.pages = 1
        self.started = threading.Event()
        self.closed = False
        StandInPool.made.append(self)

    def run(self, jobs: Sequence[Job], **_: Any) -> dict[Hashable, Outcome]:
        (job,) = jobs
        self.started.set()
        if self.hold is not None:
            assert self.hold.wait(30)
        layout = job.args[0]
        pdf = tiny_pdf([(300, 400, layout.briefing.title)] * self.pages)
        return {job.key: Succeeded(job.key, RenderedPdf(pdf, self.pages), 0.01)}

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def session(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Preview, list[State]]]:
    monkeypatch.setattr(reportgen.build.runner, "WorkerPool", StandInPool)
    StandInPool.made = []
    states: list[State] = []
    preview = Preview(lambda: Selection((Path("data"),)), on_state=states.append)
    running = threading.Thread(target=preview.run)
    running.start()
    try:
        yield preview, states
    finally:
        preview.stop()
        running.join(timeout=20)
        assert not running.is_alive()
        assert all(pool.closed for pool in StandInPool.made)


def _until(preview: Preview, check: Callable[[State], bool], seconds: float = 20) -> State:
    deadline = time.monotonic() + seconds
    serial = -1
    while time.monotonic() < deadline:
        state = preview.state_after(serial, 0.2)
        if state is not None:
            if check(state):
                return state
            serial = state.serial
    raise AssertionError("the state never came")


def _shown_text(preview: Preview, state: State) -> str:
    document = preview.document(state.build)
    assert document is not None
    return " ".join(run.text for page in document.pages for run in page.runs)


def test_a_save_shows_its_build_and_an_error_keeps_the_last_good_pages(
    session: tuple[Preview, list[State]], project: Path
) -> None:
    preview, _ = session
    first = _until(preview, lambda s: s.status == "ready")
    assert (first.build, first.variant) == (1, "mexico-multilateral-human-rights/delegation/en")
    assert first.built_at is not None and first.pages == 1
    path = project / "data" / "b-mexico.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(TITLE, "title: Edited once"), encoding="utf-8")
    second = _until(preview, lambda s: s.build == 2)
    assert _shown_text(preview, second) == "Edited once"
    path.write_text(text.replace(TITLE, "title: [unclosed"), encoding="utf-8")
    failed = _until(preview, lambda s: s.status == "failed")
    assert failed.problems[0].startswith("data/b-mexico.yaml:")
    assert (failed.build, failed.built_at) == (2, second.built_at)  # the last good pages
    path.write_text(text, encoding="utf-8")
    fixed = _until(preview, lambda s: s.status == "ready" and s.build == 3)
    assert fixed.problems == ()


def test_a_build_that_a_newer_save_overtook_is_never_shown(
    session: tuple[Preview, list[State]], project: Path
) -> None:
    preview, states = session
    _until(preview, lambda s: s.status == "ready")
    (pool,) = StandInPool.made
    pool.hold, pool.started = threading.Event(), threading.Event()
    path = project / "data" / "b-mexico.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(TITLE, "title: Overtaken"), encoding="utf-8")
    assert pool.started.wait(20)  # that save's layout is under way
    path.write_text(text.replace(TITLE, "title: Newest"), encoding="utf-8")
    time.sleep(0.5)  # the newer save is seen while the older layout still runs
    pool.hold.set()
    newest = _until(preview, lambda s: s.status == "ready" and s.build > 1)
    assert newest.build == 2
    assert _shown_text(preview, newest) == "Newest"
    assert newest.layouts == 3  # the first build, the overtaken one, the newest
    assert [s.build for s in states] == sorted(s.build for s in states)


def test_the_page_switches_variant_among_those_offered(
    session: tuple[Preview, list[State]],
) -> None:
    preview, _ = session
    _until(preview, lambda s: s.status == "ready")
    preview.select("data/b-mexico.yaml", "public")
    switched = _until(preview, lambda s: s.status == "ready" and s.build == 2)
    assert switched.variant == "mexico-multilateral-human-rights/public/en"
    with pytest.raises(PreviewError):
        preview.select("data/b-mexico.yaml", "nobody")
    # The page's language menu is empty while no briefing has loaded: no language, then.
    preview.select("data/b-mexico.yaml", "executive", "")
    _until(preview, lambda s: s.status == "ready" and s.variant.endswith("/executive/en"))


def test_a_variant_over_its_page_limit_is_shown_with_the_limit_named(
    session: tuple[Preview, list[State]], project: Path
) -> None:
    preview, _ = session
    _until(preview, lambda s: s.status == "ready")
    preview.select("data/b-mexico.yaml", "executive")  # its profile allows 2 pages
    _until(preview, lambda s: s.status == "ready" and s.variant.endswith("/executive/en"))
    (pool,) = StandInPool.made
    pool.pages = 3
    path = project / "data" / "b-mexico.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(TITLE, "title: Longer"), "utf-8")
    over = _until(preview, lambda s: s.status == "failed")
    assert over.problems == (
        "mexico-multilateral-human-rights/executive/en: audience 'executive' has a limit of 2 "
        "pages, but its PDF has 3",
    )
    # The pages are shown all the same: the author needs to see what overflows.
    assert (over.build, over.pages) == (3, 3)
    assert _shown_text(preview, over) == "Longer Longer Longer"


# -- languages -------------------------------------------------------------------------------

SPANISH_TITLE = "La cooperación multilateral de México en derechos humanos"


def _catalog(project: Path, *, without_title: bool = False) -> Path:
    """The shipped Spanish catalog beside the data; ``without_title``: its title untranslated."""
    text = catalog_path(EXAMPLE_BRIEFING, "es").read_text(encoding="utf-8")
    if without_title:
        assert f'msgstr "{SPANISH_TITLE}"' in text
        text = text.replace(f'msgstr "{SPANISH_TITLE}"', 'msgstr ""')
    path = catalog_path(project / "data" / "b-mexico.yaml", "es")
    path.write_text(text, encoding="utf-8")
    return path


def test_the_briefing_own_language_by_default_and_its_translations_offered(
    project: Path,
) -> None:
    prepared = prepare(Selection((Path("data"),)), None, "public")
    assert (prepared.language, prepared.languages) == ("en", ("en", "es"))
    assert str(prepared.key) == "mexico-multilateral-human-rights/public/en"
    assert prepared.warnings == ()


def test_a_language_is_translated_from_the_catalog_beside_the_data(project: Path) -> None:
    _catalog(project)
    for prepared in (
        prepare(Selection((Path("data"),), language="es"), None, "public"),
        prepare(Selection((Path("data"),)), None, "public", "es"),
    ):
        assert str(prepared.key) == "mexico-multilateral-human-rights/public/es"
        assert prepared.problems == () and prepared.warnings == ()
        assert prepared.job is not None
        layout = prepared.job.args[0]
        assert isinstance(layout, LayoutJob) and layout.briefing is not None
        assert layout.briefing.title == SPANISH_TITLE and layout.briefing.language == "es"
        assert layout.edition is not None and layout.edition.language == "es"
        assert not layout.edition.draft


def test_an_incomplete_translation_is_shown_as_a_draft_naming_what_is_missing(
    project: Path,
) -> None:
    catalog = _catalog(project, without_title=True)
    prepared = prepare(Selection((Path("data"),), language="es"), None, "public")
    assert prepared.problems == () and prepared.job is not None
    layout = prepared.job.args[0]
    assert layout.briefing.title == "Mexico's multilateral human rights cooperation"
    assert layout.edition is not None and layout.edition.draft
    assert layout.edition.fallbacks == ("title",)
    (warning,) = prepared.warnings
    # As the command line prints it: the catalog's file and line (its msgid's), the field.
    lines = catalog.read_text(encoding="utf-8").splitlines()
    line = lines.index('msgctxt "title"') + 2
    assert lines[line - 1].startswith("msgid ")
    assert warning.startswith(f"data/b-mexico.es.po:{line}: ")
    assert warning.endswith("(shown in en: an incomplete draft)")
    assert "title" in warning


def test_a_missing_catalog_is_a_problem_and_an_unknown_language_falls_back(
    project: Path,
) -> None:
    prepared = prepare(Selection((Path("data"),), language="es"), None, "public")
    assert prepared.job is None and prepared.language == "es"
    (problem,) = prepared.problems
    assert "b-mexico.es.po" in problem and "translations update --language es" in problem
    prepared = prepare(Selection((Path("data"),), language="fr"), None, "public")
    assert prepared.job is not None and prepared.language == "en"
    assert prepared.warnings == (
        "data/b-mexico.yaml: not published in fr (its languages are en, es): shown in en",
    )


def test_the_page_switches_language_and_a_saved_catalog_rebuilds(
    session: tuple[Preview, list[State]], project: Path
) -> None:
    preview, _ = session
    catalog = _catalog(project, without_title=True)
    first = _until(preview, lambda s: s.status == "ready")
    assert (first.language, first.languages) == ("en", ("en", "es"))
    with pytest.raises(PreviewError):
        preview.select(first.data, first.audience, "fr")
    preview.select(first.data, first.audience, "es")
    draft = _until(preview, lambda s: s.status == "ready" and s.variant.endswith("/es"))
    assert len(draft.warnings) == 1 and "incomplete draft" in draft.warnings[0]
    assert _shown_text(preview, draft).endswith("s multilateral human rights cooperation")
    _catalog(project)  # the translator saves the title's translation
    assert catalog.is_file()
    done = _until(preview, lambda s: s.status == "ready" and s.build > draft.build)
    assert done.variant.endswith("/es") and done.warnings == ()
    # (The stand-in layout draws Latin-1 only: the accents are its own.)
    assert _shown_text(preview, done).endswith("xico en derechos humanos")
