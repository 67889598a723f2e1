"""The Markdown guides render as written: every code fence is well formed and closed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parent.parent
GUIDES = sorted((CHECKOUT / "docs").glob("*.md"))
# An opening fence may name its language; a closing one is bare. Text after a fence (as in
# "``` The fonts are ...") turns the rest of the page into code, or the code into text.
OPENING = re.compile(r"```[A-Za-z0-9_+-]*")
FENCE = re.compile(r"^\s*```")


def fence_problems(text: str) -> list[str]:
    problems = []
    opened: int | None = None
    for number, line in enumerate(text.splitlines(), 1):
        if not FENCE.match(line):
            continue
        fence = line.strip()
        if opened is None:
            if not OPENING.fullmatch(fence):
                problems.append(f"{number}: an opening fence with more than a language: {line!r}")
            opened = number
        elif fence != "```":
            problems.append(f"{number}: a closing fence with text after it: {line!r}")
            opened = None
        else:
            opened = None
    if opened is not None:
        problems.append(f"{opened}: a fence never closed")
    return problems


def test_there_are_guides_to_check() -> None:
    assert CHECKOUT / "docs" / "customising.md" in GUIDES


@pytest.mark.parametrize("guide", GUIDES, ids=[guide.name for guide in GUIDES])
def test_every_code_fence_is_bare_or_names_only_its_language(guide: Path) -> None:
    assert fence_problems(guide.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("```text\nerror\n``` The fonts are Noto Serif\n", "3: a closing fence with text after"),
        ("```sh reportgen build\n```\n", "1: an opening fence with more than a language"),
        ("```yaml\nname: x\n", "1: a fence never closed"),
    ],
)
def test_a_broken_fence_is_found(text: str, problem: str) -> None:
    (found,) = fence_problems(text)
    assert found.startswith(problem)


def test_well_formed_fences_pass() -> None:
    assert fence_problems("Text.\n\n```toml\nout = 'dist'\n```\n\n```\nplain\n```\n") == []
