"""What a preview watches, and the watchers: `watchfiles` threads that report saves."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from reportgen.discovery import DATA_SUFFIXES
from reportgen.resources import BUILTIN_TEMPLATES

logger = logging.getLogger(__name__)

# watchfiles groups the events of one save this long (ms) before reporting them; the settling
# of `schedule.Changes` does the rest. How often (ms) a watcher checks that it should stop.
_STEP_MS = 20
_STOP_CHECK_MS = 200
# How long a new watcher may take to arm before the preview goes on without it.
_ARM_SECONDS = 5.0


@dataclass(frozen=True)
class WatchSet:
    """The folders and files a variant is made from.

    ``trees`` are watched with every file in them, however deep (template folders, with their
    stylesheets, fonts, images and profiles; data folders). ``files`` are single files (a data
    file named on its own, the settings file), watched through their folder, so an editor that
    saves by renaming a new file over the old one is seen, without watching the rest of a
    folder that may be a whole project.
    """

    trees: tuple[Path, ...]
    files: tuple[Path, ...]

    def covers(self, path: Path) -> bool:
        """Whether a change to ``path`` changes what the preview shows: a catalog beside a
        data file (``<stem>.<language>.po``, `editions.catalog_path`) counts as the data, even
        one made after the preview started."""
        absolute = _absolute(path)
        return (
            absolute in self.files
            or any(absolute.is_relative_to(tree) for tree in self.trees)
            or any(_is_catalog_of(absolute, file) for file in self.files)
        )


def _is_catalog_of(path: Path, data: Path) -> bool:
    if data.suffix not in DATA_SUFFIXES or path.suffix != ".po" or path.parent != data.parent:
        return False
    stem, _, language = path.stem.rpartition(".")
    return stem == data.stem and bool(language)


def watch_set(
    data: Sequence[Path], template_dirs: Sequence[Path], settings_file: Path | None
) -> WatchSet:
    """What to watch for a preview of ``data`` (files and folders) with ``template_dirs``: the
    data (with the translation catalogs beside each data file), every template folder and the
    built-in templates (profiles, templates, stylesheets, fonts, images, and translation
    catalogs, wherever they sit in them), and the settings."""
    trees = [BUILTIN_TEMPLATES, *(_absolute(folder) for folder in template_dirs)]
    files = [_absolute(settings_file)] if settings_file is not None else []
    for path in data:
        (trees if path.is_dir() else files).append(_absolute(path))
    return WatchSet(_outermost(trees), tuple(dict.fromkeys(files)))


def _absolute(path: Path) -> Path:
    # Not resolved: a link in the path is watched where the user sees it, and events name it so.
    return Path(os.path.normpath(path.absolute()))


def _outermost(trees: Iterable[Path]) -> tuple[Path, ...]:
    """Each folder once, and none inside another already watched."""
    unique = sorted(set(trees), key=lambda path: len(path.parts))
    kept: list[Path] = []
    for tree in unique:
        if not any(tree.is_relative_to(outer) for outer in kept):
            kept.append(tree)
    return tuple(kept)


class Watchers:
    """Threads that call ``on_change`` with the changed paths of each save in ``watched``.

    One thread watches the trees recursively, another the single files' folders (not
    recursively). Made once both watch (a save from then on is seen, however loaded the
    machine); `close` stops both and waits for them.
    """

    def __init__(self, watched: WatchSet, on_change: Callable[[set[Path]], None]) -> None:
        self.watched = watched
        self._on_change = on_change
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._armed: list[threading.Event] = []
        folders = tuple(dict.fromkeys(path.parent for path in watched.files))
        for roots, recursive in ((watched.trees, True), (folders, False)):
            if roots:
                armed = threading.Event()
                thread = threading.Thread(
                    target=self._watch,
                    args=(roots, recursive, armed),
                    name=f"reportgen-watch-{'trees' if recursive else 'files'}",
                    daemon=True,
                )
                self._threads.append(thread)
                self._armed.append(armed)
        # Started only once every thread is made, so a failure leaves nothing running.
        for thread in self._threads:
            thread.start()
        for armed in self._armed:
            if not armed.wait(_ARM_SECONDS):
                logger.warning("a watcher took over %s s to start", _ARM_SECONDS)

    def _watch(self, roots: tuple[Path, ...], recursive: bool, armed: threading.Event) -> None:
        import watchfiles

        default = watchfiles.DefaultFilter()

        def wanted(change: watchfiles.Change, path: str) -> bool:
            return default(change, path) and self.watched.covers(Path(path))

        try:
            for changes in watchfiles.watch(
                *roots,
                watch_filter=wanted,
                step=_STEP_MS,
                rust_timeout=_STOP_CHECK_MS,
                stop_event=self._stop,
                recursive=recursive,
                raise_interrupt=False,
                # Its first yield, empty or not, comes once the watch is armed: the thread
                # starts before inotify watches anything, and a save in between would be lost.
                yield_on_timeout=True,
            ):
                armed.set()
                if changes:
                    self._on_change({Path(path) for _, path in changes})
        except Exception:  # a watcher that fails must not take the preview down with it
            logger.warning("watching %s stopped", ", ".join(map(str, roots)), exc_info=True)
        finally:
            armed.set()  # one that failed to start holds nothing up

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2 * _STOP_CHECK_MS / 1000 + 1)
