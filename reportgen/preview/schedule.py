"""When to rebuild: a burst of saves is one rebuild, and a newer save supersedes an older one."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

# Editors save in several writes (a temporary file, a rename, a touch of the folder), and a
# user who saves twice in quick succession wants the second. A rebuild waits until the inputs
# have been quiet this long; short enough not to be felt.
SETTLE_SECONDS = 0.05


class Changes:
    """Changes to a preview's inputs, numbered: each change (or burst of them) makes a newer
    generation, and a build of an older generation is superseded.

    The watchers call `changed` from their threads; the build loop calls `wait` for the next
    generation to build, then `is_current` to know whether what it built is still the newest.
    ``clock`` is injectable so the timing rules are tested without sleeping.
    """

    def __init__(
        self, settle: float = SETTLE_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._settle = settle
        self._clock = clock
        self._condition = threading.Condition()
        self._generation = 0
        self._quiet_from = -math.inf  # when the last change came; due ``settle`` after it
        self._paths: set[Path] = set()
        self._closed = False

    @property
    def generation(self) -> int:
        with self._condition:
            return self._generation

    def changed(self, paths: Iterable[Path] = (), *, at_once: bool = False) -> None:
        """Inputs changed (``paths``, when known); with ``at_once`` (the user switched variant),
        the rebuild is due now rather than after the inputs settle."""
        with self._condition:
            self._generation += 1
            self._paths.update(paths)
            self._quiet_from = -math.inf if at_once else self._clock()
            self._condition.notify_all()

    def due_in(self, built: int) -> float | None:
        """Seconds until the newest generation is due to be built (0 when it is due now), or
        None when ``built`` is the newest."""
        with self._condition:
            if self._generation == built:
                return None
            return max(0.0, self._quiet_from + self._settle - self._clock())

    def take(self, built: int) -> tuple[int, frozenset[Path]] | None:
        """The generation to build now, and the paths changed since the last one taken, if a
        generation newer than ``built`` is due; else None."""
        with self._condition:
            wait = self.due_in(built)
            if wait is None or wait > 0:
                return None
            paths, self._paths = frozenset(self._paths), set()
            return self._generation, paths

    def wait(self, built: int, timeout: float) -> tuple[int, frozenset[Path]] | None:
        """Block until a generation newer than ``built`` is due (see `take`), at most
        ``timeout`` seconds; None when none came or the changes were closed."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while not self._closed:
                taken = self.take(built)
                if taken is not None:
                    return taken
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                wait = self.due_in(built)
                self._condition.wait(left if wait is None else min(left, max(wait, 0.001)))
        return None

    def is_current(self, generation: int) -> bool:
        """Whether nothing changed since ``generation``: its build may be shown."""
        with self._condition:
            return generation == self._generation

    def close(self) -> None:
        """Wake and end every `wait`."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()
