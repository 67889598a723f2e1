"""What the command line shows while building: progress lines, or a JSON summary."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence

import click

from reportgen.build import BuiltFile, Progress
from reportgen.errors import ReportgenError, VariantsFailedError


class ConsoleProgress(Progress):
    """A line per variant as it ends. On a terminal also a line as each starts, since a layout
    takes seconds; in CI logs (no terminal) only the outcome lines, so logs stay short."""

    def __init__(self, *, quiet: bool = False) -> None:
        self.quiet = quiet
        self.interactive = sys.stdout.isatty()
        self.started_at: dict[str, float] = {}

    def started(self, audience: str) -> None:
        self.started_at[audience] = time.monotonic()
        if self.interactive and not self.quiet:
            click.echo(f"  laying out {audience} ...")

    def finished(self, audience: str, outcome: object) -> None:
        seconds = time.monotonic() - self.started_at.get(audience, time.monotonic())
        if self.quiet:
            return
        if isinstance(outcome, ReportgenError):
            click.secho(f"failed    {audience} after {seconds:.1f} s", fg="red")
        else:
            click.echo(f"laid out  {audience} in {seconds:.1f} s")

    def unchanged(self, audience: str) -> None:
        if not self.quiet:
            click.echo(f"unchanged {audience}")


def print_results(results: Sequence[BuiltFile]) -> None:
    for built in results:
        noun = "page" if built.pages == 1 else "pages"
        verb = "wrote" if built.rebuilt else "kept "
        click.echo(f"{verb} {built.path} ({built.pages} {noun}, {built.size:,} bytes)")


def json_summary(results: Sequence[BuiltFile] = (), failure: ReportgenError | None = None) -> str:
    """A machine-readable summary of a build, for CI steps that read it."""
    failures: dict[str, str] = {}
    if isinstance(failure, VariantsFailedError):
        failures = {audience: str(error) for audience, error in failure.failures.items()}
    elif failure is not None:
        failures = {"*": str(failure)}
    summary = {
        "ok": failure is None,
        "outputs": [
            {
                "audience": built.audience,
                "file": str(built.path),
                "pages": built.pages,
                "bytes": built.size,
                "rebuilt": built.rebuilt,
            }
            for built in results
        ],
        "failures": failures,
    }
    return json.dumps(summary, indent=2, sort_keys=True)
