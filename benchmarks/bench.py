"""Times reportgen against its baselines in one run and prints the ratios (see docs/performance.md).

    .venv/bin/python benchmarks/bench.py [--runs N]

Every measurement is a whole command, run N times, interleaved with its baseline so that both
see the same machine state; the median is reported. Nothing here is a test: it measures.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REPORTGEN = str(BIN / "reportgen")
WEASYPRINT = str(BIN / "weasyprint")
TEMPLATES = ROOT / "templates"
AUDIENCES = ("delegation", "executive", "public")


@dataclass(frozen=True)
class Comparison:
    name: str
    target: float
    subject: Callable[[], object]
    baseline: Callable[[], object]
    note: str


def run(command: Sequence[str]) -> None:
    subprocess.run(command, check=True, capture_output=True)


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def rendered_html(folder: Path) -> dict[str, Path]:
    """The HTML reportgen renders for each audience, written where WeasyPrint can read it."""
    sys.path.insert(0, str(ROOT))
    from reportgen.build import render_variants
    from reportgen.resources import EXAMPLE_BRIEFING

    pages = {}
    for variant in render_variants(EXAMPLE_BRIEFING, AUDIENCES):
        path = folder / f"{variant.audience.name}.html"
        path.write_text(variant.html, encoding="utf-8")
        pages[variant.audience.name] = path
    return pages


def weasyprint_command(html: Path, out: Path, *, like_reportgen: bool) -> list[str]:
    command = [WEASYPRINT, "--base-url", str(TEMPLATES) + "/", str(html), str(out)]
    if like_reportgen:
        # The same standard and tags reportgen asks for, so the layout work is comparable.
        command[1:1] = ["--pdf-variant", "pdf/a-3a", "--pdf-tags"]
    return command


def comparisons(work: Path) -> list[Comparison]:
    pages = rendered_html(work)
    out = work / "out"
    full = work / "full"
    run([REPORTGEN, "build", "--out", str(full)])  # a current build for the no-op rebuild

    def reportgen_build(*audiences: str) -> Callable[[], None]:
        selected = [arg for name in audiences for arg in ("--audience", name)]
        return lambda: run([REPORTGEN, "build", "--force", "--out", str(out), *selected])

    def weasyprint_each(*audiences: str, like_reportgen: bool) -> Callable[[], None]:
        def go() -> None:
            for name in audiences:
                run(
                    weasyprint_command(
                        pages[name], work / f"{name}.pdf", like_reportgen=like_reportgen
                    )
                )

        return go

    return [
        Comparison(
            "one audience (executive) vs weasyprint, same PDF/A-3a + tags",
            1.10,
            reportgen_build("executive"),
            weasyprint_each("executive", like_reportgen=True),
            "reportgen also loads and validates the data, renders the HTML, hashes the inputs, "
            "embeds the source data and writes the manifest",
        ),
        Comparison(
            "one audience (executive) vs plain weasyprint (no PDF/A, no tags)",
            1.10,
            reportgen_build("executive"),
            weasyprint_each("executive", like_reportgen=False),
            "the baseline skips tagging and PDF/A, which reportgen always does",
        ),
        Comparison(
            "every variant vs one weasyprint command per variant, same options",
            0.5,
            reportgen_build(*AUDIENCES),
            weasyprint_each(*AUDIENCES, like_reportgen=True),
            f"reportgen lays variants out in parallel: {os.cpu_count()} CPUs here",
        ),
        Comparison(
            "rebuild with nothing changed vs a full build",
            0.05,
            lambda: run([REPORTGEN, "build", "--out", str(full)]),
            lambda: run([REPORTGEN, "build", "--force", "--out", str(full)]),
            "an up-to-date check hashes the input files; nothing is parsed or rendered",
        ),
        Comparison(
            "reportgen validate vs python -c 'import weasyprint'",
            0.5,
            lambda: run([REPORTGEN, "validate"]),
            lambda: run([sys.executable, "-c", "import weasyprint"]),
            "validate parses and validates the shipped data",
        ),
        Comparison(
            "reportgen --help vs python -c 'import weasyprint'",
            0.5,
            lambda: run([REPORTGEN, "--help"]),
            lambda: run([sys.executable, "-c", "import weasyprint"]),
            "",
        ),
    ]


def machine() -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    harfbuzz = (
        "with"
        if shutil.which("ldconfig")
        and b"harfbuzz-subset"
        in subprocess.run(["ldconfig", "-p"], capture_output=True, check=False).stdout
        else "without"
    )
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs ({cpu}), "
        f"Python {platform.python_version()}, WeasyPrint {version('weasyprint')}, "
        f"{harfbuzz} libharfbuzz-subset"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each command (median)")
    runs = parser.parse_args().runs
    print(f"machine: {machine()}")
    print(f"runs: {runs} each, interleaved; median seconds\n")
    print(f"{'comparison':<68} {'reportgen':>9} {'baseline':>9} {'ratio':>6} {'target':>7}  met")
    with tempfile.TemporaryDirectory() as folder:
        for comparison in comparisons(Path(folder)):
            subject, baseline = [], []
            for _ in range(runs):
                subject.append(timed(comparison.subject))
                baseline.append(timed(comparison.baseline))
            ours, theirs = statistics.median(subject), statistics.median(baseline)
            ratio = ours / theirs
            met = "yes" if ratio <= comparison.target else "NO"
            print(
                f"{comparison.name:<68} {ours:9.3f} {theirs:9.3f} {ratio:6.2f} "
                f"{comparison.target:>6.2f}x  {met}"
            )
            if comparison.note:
                print(f"    {comparison.note}")


if __name__ == "__main__":
    main()
