"""What the command line shows: progress lines or a JSON summary, and the library's warnings."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping, Sequence

import click

from reportgen.build.progress import BuiltFile, Progress
from reportgen.build.variants import VariantKey
from reportgen.errors import ReportgenError, VariantsFailedError


class ConsoleProgress(Progress):
    """A line per variant as it ends. On a terminal also a line as each starts, since a layout
    takes seconds; in CI logs (no terminal) only the outcome lines, so logs stay short."""

    def __init__(self, *, quiet: bool = False) -> None:
        self.quiet = quiet
        self.interactive = sys.stdout.isatty()

    def waiting(self, message: str) -> None:
        click.echo(message, err=True)

    def started(self, key: VariantKey) -> None:
        if self.interactive and not self.quiet:
            click.echo(f"  laying out {key} ...")

    def finished(self, key: VariantKey, error: ReportgenError | None, seconds: float) -> None:
        if self.quiet:
            return
        if error is not None:
            click.secho(f"failed    {key} after {seconds:.1f} s", fg="red")
        else:
            click.echo(f"laid out  {key} in {seconds:.1f} s")

    def unchanged(self, key: VariantKey) -> None:
        if not self.quiet:
            click.echo(f"unchanged {key}")


def print_results(results: Sequence[BuiltFile]) -> None:
    if not results:
        click.echo("nothing to build: no briefing is for the audiences selected")
    for built in results:
        noun = "page" if built.pages == 1 else "pages"
        verb = "wrote" if built.rebuilt else "kept "
        click.echo(f"{verb} {built.path} ({built.pages} {noun}, {built.size:,} bytes)")


def print_stale(stale: Mapping[VariantKey, str]) -> None:
    for key, reason in stale.items():
        click.echo(f"stale {key}: {reason}")
    if not stale:
        click.echo("every output is up to date")


def json_summary(results: Sequence[BuiltFile] = (), failure: ReportgenError | None = None) -> str:
    """A machine-readable summary of a build, for CI steps that read it."""
    failures: dict[str, str] = {}
    if isinstance(failure, VariantsFailedError):
        failures = {str(key): str(error) for key, error in failure.failures.items()}
    elif failure is not None:
        failures = {"*": str(failure)}
    summary = {
        "ok": failure is None,
        "outputs": [
            {
                "briefing": built.briefing,
                "audience": built.audience,
                "language": built.key.language,
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


class _LowerCaseLevel(logging.Formatter):
    """``warning: file:line: field: message``, as the command's ``error: ...`` lines read."""

    def format(self, record: logging.LogRecord) -> str:
        shown = logging.makeLogRecord(record.__dict__)
        shown.levelname = record.levelname.lower()
        return super().format(shown)


def log_handler() -> logging.Handler:
    """Where the library's log lines go: stderr, one line each (warnings about a profile, say,
    which the library logs rather than prints)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LowerCaseLevel("%(levelname)s: %(message)s"))
    return handler
