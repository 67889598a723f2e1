"""The terminal report: plain words marked in logs, coloured on a terminal."""

from __future__ import annotations

from pathlib import Path

import click

from reportgen.diff import diff
from reportgen.diff.terminal import render_terminal

PAIRS = Path(__file__).parent / "fixtures" / "diff"


def test_plain_report_marks_words_and_names_each_edition() -> None:
    text = render_terminal(diff(PAIRS / "base.yaml", PAIRS / "edited.yaml"))
    assert "\x1b[" not in text
    lines = text.splitlines()
    assert "diff-example/public/en: changed: 12 changes" in lines
    assert "    title: UN summits{+ and conferences+}" in lines
    assert any("percent_of_base [-166 %-] → {+170 %+} (derived)" in line for line in lines)
    assert lines[-1] == "2 editions: 2 changed"


def test_coloured_report_has_the_same_words() -> None:
    report = diff(PAIRS / "base.yaml", PAIRS / "moved.yaml")
    coloured = render_terminal(report, colour=True)
    assert "\x1b[" in coloured
    assert click.unstyle(coloured) == render_terminal(report)
    assert "section budget “The budget resolution”, moved from 3 to 2" in click.unstyle(coloured)
