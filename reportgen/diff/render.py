"""The change report in the format asked for."""

from __future__ import annotations

from reportgen.diff.compare import Report


def render(report: Report, output_format: str, *, colour: bool = False) -> str:
    """``terminal``, ``markdown`` or ``json``; only the terminal format has colours."""
    if output_format == "markdown":
        from reportgen.diff.markdown import render_markdown

        return render_markdown(report)
    if output_format == "json":
        from reportgen.diff.jsonreport import render_json

        return render_json(report)
    if output_format == "terminal":
        from reportgen.diff.terminal import render_terminal

        return render_terminal(report, colour=colour)
    raise ValueError(f"unknown format {output_format!r}")
