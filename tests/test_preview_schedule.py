"""When a preview rebuilds: bursts of saves settle into one rebuild; newer saves supersede."""

from __future__ import annotations

import threading
from pathlib import Path

from reportgen.preview.schedule import Changes


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_nothing_to_build_until_something_changes() -> None:
    changes = Changes(settle=0.1, clock=Clock())
    assert changes.due_in(0) is None
    assert changes.take(0) is None


def test_a_burst_of_saves_is_one_rebuild_once_it_settles() -> None:
    clock = Clock()
    changes = Changes(settle=0.1, clock=clock)
    for name in ("a.yaml", "b.css", "a.yaml"):
        changes.changed({Path(name)})
        clock.now += 0.05  # each save before the last has settled
        assert changes.take(0) is None
    clock.now += 0.049
    assert changes.take(0) is None
    clock.now += 0.002
    taken = changes.take(0)
    assert taken == (3, frozenset({Path("a.yaml"), Path("b.css")}))
    # Taken once: nothing more is due until the next save.
    assert changes.take(3) is None


def test_a_switch_from_the_page_is_due_at_once() -> None:
    changes = Changes(settle=10.0, clock=Clock())
    changes.changed(at_once=True)
    assert changes.due_in(0) == 0.0
    assert changes.take(0) == (1, frozenset())


def test_a_save_during_a_build_supersedes_it() -> None:
    clock = Clock()
    changes = Changes(settle=0.1, clock=clock)
    changes.changed({Path("a.yaml")})
    clock.now += 0.2
    taken = changes.take(0)
    assert taken is not None
    generation, _ = taken
    assert changes.is_current(generation)
    changes.changed({Path("a.yaml")})  # saved while it was being built
    assert not changes.is_current(generation)  # so its result is not shown
    clock.now += 0.2
    assert changes.take(generation) == (generation + 1, frozenset({Path("a.yaml")}))


def test_wait_returns_when_the_changes_settle_and_close_ends_it() -> None:
    changes = Changes(settle=0.01)
    changes.changed({Path("a.yaml")})
    assert changes.wait(0, timeout=5) == (1, frozenset({Path("a.yaml")}))
    assert changes.wait(1, timeout=0.01) is None
    ended: list[object] = []
    waiter = threading.Thread(target=lambda: ended.append(changes.wait(1, timeout=30)))
    waiter.start()
    changes.close()
    waiter.join(timeout=5)
    assert ended == [None]
