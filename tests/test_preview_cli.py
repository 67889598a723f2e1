"""`reportgen preview` end to end: the command in a process of its own, its page in headless
Chromium (Debian's ``chromium``, driven by Playwright), and its files edited on disk."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from reportgen.editions import catalog_path
from reportgen.resources import EXAMPLE_BRIEFING
from reportgen.scaffold import init_template

REPORTGEN = Path(sys.executable).parent / "reportgen"
TITLE = "title: Mexico's multilateral human rights cooperation"
DATA = "data/mexico-multilateral-human-rights.yaml"
START_SECONDS = 60  # the first build, on a loaded machine
UPDATE_MS = 30_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        # Not skipped: the test command installs it (scripts/install-system-deps --tests).
        pytest.fail("the preview tests need Chromium: run scripts/install-system-deps --tests")
    # Chromium refuses to run as root with its sandbox (CI runs as root).
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=args)
        yield launched
        launched.close()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    shutil.copy(EXAMPLE_BRIEFING, tmp_path / DATA)
    return tmp_path


class Preview:
    """`reportgen preview --no-open` running in ``folder``, read line by line."""

    def __init__(self, folder: Path, *args: str) -> None:
        env = {**os.environ, "NO_COLOR": "1"}
        self.process = subprocess.Popen(
            [str(REPORTGEN), "preview", "--no-open", *args],
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.errors: list[str] = []
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()
        threading.Thread(
            target=lambda: self.errors.extend(self.process.stderr or ()), daemon=True
        ).start()
        first = self.line()
        match = re.fullmatch(r"preview at (http://127\.0\.0\.1:\d+/) \(Ctrl-C to stop\)", first)
        assert match, first
        self.url = match[1]

    def _read(self, stream: Any) -> None:
        for line in stream:
            self.lines.put(line.rstrip("\n"))

    def line(self, seconds: float = START_SECONDS) -> str:
        try:
            return self.lines.get(timeout=seconds)
        except queue.Empty:
            raise AssertionError(f"no output; stderr: {''.join(self.errors)}") from None

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=30)

    def close(self) -> None:
        if self.process.poll() is None:
            self.interrupt()


@pytest.fixture
def preview(project: Path) -> Iterator[Preview]:
    running = Preview(project, "--audience", "executive")
    try:
        yield running
    finally:
        running.close()


def _open(browser: Browser, preview: Preview, build: int = 1) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(preview.url)
    page.wait_for_selector(f"body[data-build='{build}']", timeout=START_SECONDS * 1000)
    return page


def _edit(project: Path, old: str, new: str) -> str:
    path = project / DATA
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text


def _place(page: Page) -> dict[str, float]:
    """The page at the top of the view and how far down it, as the reader sees it."""
    place: dict[str, float] = page.evaluate(
        """() => {
          const pages = [...document.querySelectorAll('.page')];
          const i = pages.findIndex((p) => p.offsetTop + p.offsetHeight > window.scrollY);
          return {index: i, offset: window.scrollY - pages[i].offsetTop, y: window.scrollY};
        }"""
    )
    return place


def test_an_edit_to_the_data_appears_in_the_page(
    browser: Browser, preview: Preview, project: Path
) -> None:
    page = _open(browser, preview)
    pages = page.locator("#pages")
    expect(pages).to_contain_text("Mexico's multilateral human rights cooperation")
    expect(page.locator("#status")).to_contain_text("last good build")
    assert page.locator(".page").count() == 2  # the executive brief's two pages
    _edit(project, TITLE, "title: Edited on disk just now")
    expect(pages).to_contain_text("Edited on disk just now", timeout=UPDATE_MS)
    # Everywhere the title is shown: the cover and the running head of each page.
    text = pages.text_content() or ""
    assert text.count("Edited on disk just now") == 3
    assert "Mexico's multilateral human rights\ncooperation" not in text
    assert page.evaluate("document.body.dataset.build") == "2"
    page.close()


def test_a_broken_file_shows_where_over_the_pages_and_fixing_it_keeps_the_place(
    browser: Browser, preview: Preview, project: Path, tmp_path: Path
) -> None:
    page = _open(browser, preview)
    # Down into the second page, as a reader checking it would be.
    page.evaluate("window.scrollTo(0, document.querySelectorAll('.page')[1].offsetTop + 250)")
    before = _place(page)
    assert before["index"] == 1 and before["offset"] == pytest.approx(250, abs=1)
    original = _edit(project, TITLE, "title: [not closed")
    line = original.splitlines().index(TITLE) + 1
    overlay = page.locator("#problems")
    expect(overlay).to_be_visible(timeout=UPDATE_MS)
    # The line the command line prints: file, line and what is wrong.
    expect(overlay).to_contain_text(f"{DATA}:{line}:")
    expect(overlay).to_contain_text("is not closed")
    # Over the last good pages, which are still there.
    expect(page.locator("#pages")).to_contain_text("Mexico's multilateral human rights")
    assert page.evaluate("document.body.dataset.build") == "1"
    shot = tmp_path / "preview-error-overlay.png"
    page.screenshot(path=shot)
    assert shot.stat().st_size > 10_000
    (project / DATA).write_text(original.replace(TITLE, "title: Fixed again"), encoding="utf-8")
    expect(page.locator("#pages")).to_contain_text("Fixed again", timeout=UPDATE_MS)
    expect(overlay).to_be_hidden()
    assert page.evaluate("document.body.dataset.build") == "2"
    after = _place(page)
    assert after["index"] == 1
    assert after["offset"] == pytest.approx(before["offset"], abs=2)
    page.close()


def test_zoom_keeps_the_place_and_the_menus_switch_variant(browser: Browser, project: Path) -> None:
    running = Preview(project, "--audience", "executive", "--audience", "public")
    try:
        page = _open(browser, running)
        first = page.locator(".page").first
        width = first.bounding_box()["width"]  # type: ignore[index]
        page.evaluate("window.scrollTo(0, document.querySelectorAll('.page')[1].offsetTop + 100)")
        page.click("#zoom-in")
        expect(page.locator("#zoom-level")).to_have_text("110%")
        page.wait_for_function(
            f"document.querySelector('.page').getBoundingClientRect().width > {width * 1.09}"
        )
        zoomed = _place(page)
        assert zoomed["index"] == 1
        assert zoomed["offset"] == pytest.approx(110, abs=3)  # the same place, 10 % larger
        # The other audience offered, from the menu.
        assert page.locator("#audience option").all_text_contents() == ["executive", "public"]
        page.select_option("#audience", "public")
        page.wait_for_selector("body[data-build='2']", timeout=UPDATE_MS)
        expect(page).to_have_title("mexico-multilateral-human-rights/public/en - preview")
        expect(page.locator("#pages")).to_contain_text("PUBLIC")
        expect(page.locator("#status")).to_contain_text("last good build")
        page.close()
    finally:
        running.close()


def test_a_language_is_shown_switched_and_its_draft_warned(browser: Browser, project: Path) -> None:
    spanish = "La cooperación multilateral de México en derechos humanos"
    catalog = (project / DATA).with_suffix(".es.po")
    text = catalog_path(EXAMPLE_BRIEFING, "es").read_text(encoding="utf-8")
    # One string left untranslated: the edition is shown all the same, as a draft.
    assert f'msgstr "{spanish}"' in text
    catalog.write_text(text.replace(f'msgstr "{spanish}"', 'msgstr ""'), encoding="utf-8")
    running = Preview(project, "--audience", "public", "--language", "es")
    try:
        built = running.line()
        assert re.fullmatch(
            r"built mexico-multilateral-human-rights/public/es \(\d+ pages, 1 warning\) in .* s",
            built,
        ), built
        page = _open(browser, running)
        expect(page).to_have_title("mexico-multilateral-human-rights/public/es - preview")
        assert page.locator("#language option").all_text_contents() == ["en", "es"]
        expect(page.locator("#warnings")).to_be_visible()
        expect(page.locator("#warning-lines")).to_contain_text(
            "mexico-multilateral-human-rights.es.po:"
        )
        expect(page.locator("#warning-lines")).to_contain_text("incomplete draft")
        expect(page.locator("#pages")).to_contain_text("Mensajes clave")
        # The translator saves the missing string: the draft is a finished edition.
        catalog.write_text(text, encoding="utf-8")
        page.wait_for_selector("body[data-build='2']", timeout=UPDATE_MS)
        expect(page.locator("#warnings")).to_be_hidden()
        expect(page.locator("#pages")).to_contain_text("de México en derechos humanos")
        # The briefing's own language, from the menu.
        page.select_option("#language", "en")
        page.wait_for_selector("body[data-build='3']", timeout=UPDATE_MS)
        expect(page).to_have_title("mexico-multilateral-human-rights/public/en - preview")
        expect(page.locator("#pages")).to_contain_text("Key messages")
        page.close()
    finally:
        running.close()
    assert any("incomplete draft" in line for line in running.errors)


def _states(url: str, into: list[dict[str, Any]]) -> None:
    with urllib.request.urlopen(url + "events", timeout=120) as stream:
        for line in stream:
            if line.startswith(b"data: "):
                into.append(json.loads(line[len(b"data: ") :]))


def test_rapid_saves_give_one_rebuild(browser: Browser, preview: Preview, project: Path) -> None:
    page = _open(browser, preview)
    states: list[dict[str, Any]] = []
    threading.Thread(target=_states, args=(preview.url, states), daemon=True).start()
    expect(page.locator("#status")).to_contain_text("last good build")
    path = project / DATA
    text = path.read_text(encoding="utf-8")
    for number in range(6):  # as an editor's autosave, or a user pressing save repeatedly
        path.write_text(text.replace(TITLE, f"title: Saved {number} times"), encoding="utf-8")
    expect(page.locator("#pages")).to_contain_text("Saved 5 times", timeout=UPDATE_MS)
    assert page.evaluate("document.body.dataset.build") == "2"
    last = states[-1]
    assert (last["build"], last["layouts"]) == (2, 2)  # the first build, and one for the burst
    page.close()


def test_an_edit_to_a_stylesheet_appears_in_the_page(browser: Browser, project: Path) -> None:
    init_template(project / "looks", "custom")
    running = Preview(project, "--templates", "looks", "--audience", "custom")
    try:
        page = _open(browser, running)
        stylesheet = project / "looks" / "style" / "custom.css"
        with stylesheet.open("a", encoding="utf-8") as css:
            css.write('\n.cover .subtitle::after { content: " (styled on disk)"; }\n')
        expect(page.locator("#pages")).to_contain_text("(styled on disk)", timeout=UPDATE_MS)
        page.close()
    finally:
        running.close()


def _children(pid: int) -> set[int]:
    """Every process below ``pid``."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found |= {int(child)} | _children(int(child))
    return found


def test_ctrl_c_stops_it_and_leaves_no_worker_process(project: Path) -> None:
    running = Preview(project, "--audience", "executive")
    built = running.line()
    assert built.startswith("built mexico-multilateral-human-rights/executive/en (2 pages) in ")
    workers = _children(running.process.pid)
    assert workers, "the layout worker runs beside the preview"
    assert running.interrupt() == 130  # as every command that Ctrl-C stops
    for pid in workers:
        status = Path(f"/proc/{pid}/status")
        assert not status.exists() or "zombie" in status.read_text(), pid
    assert "Traceback" not in "".join(running.errors)


def test_another_address_warns_and_a_port_in_use_is_one_line(project: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [str(REPORTGEN), "preview", "--no-open", "--port", str(port)],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"error: cannot serve the preview on 127.0.0.1:{port}: Address already in use"
    ]
    done = subprocess.run(
        [str(REPORTGEN), "preview", "--no-open", "--host", "192.0.2.1"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # Warned first; then this machine does not have that (documentation) address.
    warning, error = done.stderr.strip().splitlines()
    assert warning.startswith("warning: listening on 192.0.2.1: other machines")
    assert error.startswith("error: cannot serve the preview on 192.0.2.1:0")
    assert done.returncode == 1


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (("--audience", "nobody"), 2, "Error: unknown audience 'nobody'; available: "),
        (("--templates", "nothere"), 1, "error: nothere: no such folder"),
        (("--data", "missing.yaml"), 1, "error: missing.yaml: no such file or folder"),
    ],
)
def test_a_bad_option_is_one_line_and_serves_nothing(
    project: Path, args: tuple[str, ...], status: int, message: str
) -> None:
    done = subprocess.run(
        [str(REPORTGEN), "preview", "--no-open", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == status
    assert message in done.stderr.strip().splitlines()[-1]
    assert "preview at" not in done.stdout
    assert "Traceback" not in done.stderr
