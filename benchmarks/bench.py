"""Times reportgen against its baselines in one run and prints the ratios (see docs/performance.md).

    .venv/bin/python benchmarks/bench.py [--runs N] [--only NAME]

Every measurement is a whole command, run N times, interleaved with its baseline so that both
see the same machine state; the median is reported. Memory is the peak of the summed resident
sets of a build's process tree, sampled from /proc. Nothing here is a test: it measures.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REPORTGEN = str(BIN / "reportgen")
WEASYPRINT = str(BIN / "weasyprint")
TEMPLATES = ROOT / "templates"  # the built-in templates: the base URL reportgen lays out with
EXAMPLE = ROOT / "data" / "mexico-multilateral-human-rights.yaml"
AUDIENCES = ("delegation", "executive", "public")
PORTFOLIO_BRIEFINGS = 20
VARIANTS = PORTFOLIO_BRIEFINGS * len(AUDIENCES)
SAMPLE_SECONDS = 0.02
MAIN_ALLOWANCE_MIB = 150  # what the build's own process may hold beside its workers


def run(command: Sequence[str]) -> None:
    """Run ``command`` to its end; stop the benchmark if it fails."""
    done = subprocess.run(command, check=False, capture_output=True)
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}\n{done.stderr.decode()[-2000:]}")


class Samples(dict[str, float]):
    """One round's measurements, by name."""

    def time(self, name: str, action: Callable[[], object]) -> None:
        """The wall time of ``action`` as ``name``, and as ``name cpu`` the CPU time (user and
        system) of the processes it ran, workers included: the machine's other users lengthen
        the first, hardly the second."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        action()
        self[name] = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self[f"{name} cpu"] = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


# -- the data and the HTML the baselines lay out ------------------------------------------------


def portfolio(folder: Path, count: int = PORTFOLIO_BRIEFINGS) -> Path:
    """``count`` copies of the shipped briefing, each with its own id and title."""
    folder.mkdir(parents=True)
    text = EXAMPLE.read_text(encoding="utf-8")
    for n in range(1, count + 1):
        copy, ids = re.subn(r"^id: (.+)$", rf"id: \1-{n:02d}", text, flags=re.MULTILINE)
        copy, titles = re.subn(
            r"^title: (.+)$", rf"title: \1, part {n} of {count}", copy, flags=re.MULTILINE
        )
        assert ids == titles == 1, "the example briefing has one top-level id and title"
        (folder / f"{EXAMPLE.stem}-{n:02d}.yaml").write_text(copy, encoding="utf-8")
    shutil.copy(EXAMPLE.parent / "briefing.schema.json", folder)  # as a real data folder has
    return folder


def rendered_html(data: Path, folder: Path) -> dict[str, Path]:
    """The HTML reportgen renders for each variant in ``data`` ("<briefing>-<audience>"),
    written to ``folder`` for WeasyPrint to read with the built-in templates as base URL."""
    sys.path.insert(0, str(ROOT))
    from reportgen.build.pipeline import render_variants

    folder.mkdir(parents=True, exist_ok=True)
    pages = {}
    for variant in render_variants(data, AUDIENCES):
        name = f"{variant.briefing.id}-{variant.audience.name}"
        path = folder / f"{name}.html"
        path.write_text(variant.html, encoding="utf-8")
        pages[name] = path
    return pages


def weasyprint_command(html: Path, out: Path, *, like_reportgen: bool = True) -> list[str]:
    command = [WEASYPRINT, "--base-url", str(TEMPLATES) + "/", str(html), str(out)]
    if like_reportgen:
        # The same standard and tags reportgen asks for, so the layout work is comparable.
        command[1:1] = ["--pdf-variant", "pdf/a-3a", "--pdf-tags"]
    return command


def weasyprint_each(pages: Sequence[Path], out: Path, *, like_reportgen: bool = True) -> None:
    """One `weasyprint` command per page, one after the other."""
    for html in pages:
        run(weasyprint_command(html, out / f"{html.stem}.pdf", like_reportgen=like_reportgen))


def build(*args: str | Path, out: Path, force: bool = True) -> list[str]:
    return [REPORTGEN, "build", *map(str, args), "--out", str(out), *(["--force"] * force)]


_fresh = iter(range(1_000_000))


def fresh(work: Path) -> Path:
    """A folder no build has written to yet."""
    return work / "fresh" / str(next(_fresh))


# -- memory ----------------------------------------------------------------------------------


@dataclass
class TreeMemory:
    """Resident memory of a process and its descendants, sampled while it runs (KiB)."""

    peak_total: int = 0  # the largest sum over the tree in one sample
    peak_main: int = 0  # the process started, alone
    peak_others: int = 0  # the largest sum, in one sample, of everything but that process
    most_processes: int = 0
    high_water: dict[int, int] = field(default_factory=dict)  # VmHWM, last seen, per pid


def _descendants(pid: int) -> Iterator[int]:
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return
    for task in tasks:
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            yield child
            yield from _descendants(child)


def _status(pid: int) -> tuple[int, int] | None:
    """VmRSS and VmHWM in KiB, or None for a process gone (or a zombie, which has neither)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    values = {
        line.split(":", 1)[0]: int(line.split()[1])
        for line in text.splitlines()
        if line.startswith(("VmRSS:", "VmHWM:"))
    }
    return (values["VmRSS"], values["VmHWM"]) if len(values) == 2 else None


def sampled(command: Sequence[str]) -> TreeMemory:
    """Run ``command``, reading every SAMPLE_SECONDS the resident set of it and its descendants."""
    memory = TreeMemory()
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, stdout=output, stderr=output)
        while process.poll() is None:
            main = _status(process.pid)
            others = {
                pid: status
                for pid in _descendants(process.pid)
                if (status := _status(pid)) is not None
            }
            if main:
                memory.peak_main = max(memory.peak_main, main[0])
                rest = sum(rss for rss, _ in others.values())
                memory.peak_others = max(memory.peak_others, rest)
                memory.peak_total = max(memory.peak_total, main[0] + rest)
                memory.most_processes = max(memory.most_processes, 1 + len(others))
                memory.high_water |= {pid: hwm for pid, (_, hwm) in others.items()}
            time.sleep(SAMPLE_SECONDS)
        if process.returncode != 0:
            output.seek(0)
            sys.exit(f"failed: {' '.join(command)}\n{output.read().decode()[-2000:]}")
    return memory


# -- the comparisons -------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One line of the table: ``subject`` and ``baseline`` are the medians of their samples."""

    what: str
    subject: float
    baseline: float | None
    target: float
    unit: str = "s"
    absolute: bool = False  # the target is on the subject itself, not on the ratio

    @property
    def ratio(self) -> float | None:
        return None if self.baseline is None else self.subject / self.baseline

    @property
    def met(self) -> bool:
        value = self.subject if self.absolute else self.ratio
        return value is not None and value <= self.target


@dataclass(frozen=True)
class Benchmark:
    """A named group of rows, measured together: ``measure`` does one round of every command
    and returns a sample for each of its names; ``rows`` makes the table rows of the medians."""

    name: str
    measure: Callable[[], dict[str, float]]
    rows: Callable[[dict[str, float]], list[Row]]
    note: str | Callable[[dict[str, float]], str] = ""


def cpu_note(m: dict[str, float], subject: str, baseline: str, cpus: int) -> str:
    """The CPU time both sides used, and the wall-time ratio it would allow on ``cpus``
    otherwise idle CPUs."""
    ours, theirs = m[f"{subject} cpu"], m[f"{baseline} cpu"]
    return (
        f"CPU time (user + system, every process): reportgen {ours:.2f} s, baseline "
        f"{theirs:.2f} s, ratio {ours / theirs:.3f}"
        + (
            f", which over {cpus} CPUs allows at best {ours / theirs / cpus:.3f}"
            if cpus > 1
            else ""
        )
    )


def benchmarks(work: Path) -> list[Benchmark]:
    """Each group's inputs are made once, before its first round, and only if it runs."""
    pdfs = work / "weasyprint"
    pdfs.mkdir()

    @cache
    def single() -> dict[str, Path]:
        return rendered_html(EXAMPLE, work / "html" / "one")

    # 1 and 2: the portfolio, 20 briefings x 3 audiences.
    @cache
    def data() -> Path:
        return portfolio(work / "portfolio")

    @cache
    def many() -> list[Path]:
        pages = rendered_html(data(), work / "html" / "portfolio")
        assert len(pages) == VARIANTS
        return sorted(pages.values())

    portfolio_out = work / "portfolio-out"

    def measure_portfolio() -> Samples:
        pages, folder = many(), data()
        samples = Samples()
        samples.time("weasyprint", lambda: weasyprint_each(pages, pdfs))
        samples.time("build", lambda: run(build("--data", folder, out=portfolio_out)))
        # the build just written is current: exit status 0
        samples.time(
            "check", lambda: run(build("--check", "--data", folder, out=portfolio_out, force=False))
        )
        return samples

    def portfolio_rows(m: dict[str, float]) -> list[Row]:
        return [
            Row(
                f"build, {VARIANTS} variants, vs one weasyprint per variant",
                m["build"],
                m["weasyprint"],
                0.35,
            ),
            Row(
                f"build --check, {VARIANTS} variants up to date",
                m["check"],
                None,
                0.5,
                absolute=True,
            ),
            Row(
                f"build --check, {VARIANTS} variants, vs their full build",
                m["check"],
                m["build"],
                0.05,
            ),
        ]

    # 4: memory of that build, against jobs x the largest variant laid out alone + an allowance.
    jobs = os.cpu_count() or 1
    memory_out = work / "memory-out"

    def measure_memory() -> dict[str, float]:
        folder = data()
        alone = sampled(
            build("--data", EXAMPLE, "--audience", "delegation", "--jobs", "1", out=fresh(work))
        )
        everything = sampled(build("--data", folder, out=memory_out))
        return {
            "layout": alone.peak_others / 1024,
            "layout hwm": max(alone.high_water.values()) / 1024,
            "layout main": alone.peak_main / 1024,
            "total": everything.peak_total / 1024,
            "main": everything.peak_main / 1024,
            "processes": everything.most_processes,
        }

    def memory_rows(m: dict[str, float]) -> list[Row]:
        budget = jobs * m["layout"] + MAIN_ALLOWANCE_MIB
        return [
            Row(
                f"peak RSS, {VARIANTS} variants, vs {jobs} x one layout + {MAIN_ALLOWANCE_MIB} MiB",
                m["total"],
                budget,
                1.0,
                unit="MiB",
            )
        ]

    def memory_note(m: dict[str, float]) -> str:
        return (
            f"one delegation layout alone: its worker peaked at {m['layout']:.0f} MiB sampled "
            f"({m['layout hwm']:.0f} MiB VmHWM), beside a main process of "
            f"{m['layout main']:.0f} MiB; the {VARIANTS}-variant build's main process peaked at "
            f"{m['main']:.0f} MiB, with at most {m['processes']:.0f} processes in its tree"
        )

    # 3 and the earlier comparisons: the shipped briefing.
    one_out = work / "one-out"

    @cache
    def built_once() -> None:
        run(build("--data", EXAMPLE, out=one_out))  # a current build for the no-op rebuild

    def measure_one() -> Samples:
        built_once()
        pages = single()
        executive = [pages["mexico-multilateral-human-rights-executive"]]
        samples = Samples()
        samples.time(
            "executive",
            lambda: run(build("--data", EXAMPLE, "--audience", "executive", out=fresh(work))),
        )
        samples.time("weasyprint executive", lambda: weasyprint_each(executive, pdfs))
        samples.time(
            "weasyprint executive plain",
            lambda: weasyprint_each(executive, pdfs, like_reportgen=False),
        )
        samples.time("every", lambda: run(build("--data", EXAMPLE, out=fresh(work))))
        samples.time("weasyprint every", lambda: weasyprint_each(sorted(pages.values()), pdfs))
        samples.time("check", lambda: run(build("--data", EXAMPLE, out=one_out, force=False)))
        samples.time("full", lambda: run(build("--data", EXAMPLE, out=one_out)))
        return samples

    def one_rows(m: dict[str, float]) -> list[Row]:
        return [
            Row(
                "one audience (executive) vs weasyprint, PDF/A-3a + tags",
                m["executive"],
                m["weasyprint executive"],
                1.0,
            ),
            Row(
                "one audience (executive) vs plain weasyprint",
                m["executive"],
                m["weasyprint executive plain"],
                1.1,
            ),
            Row(
                "one briefing, 3 variants, vs one weasyprint per variant",
                m["every"],
                m["weasyprint every"],
                0.5,
            ),
            Row(
                "one briefing: rebuild, nothing changed, vs full build", m["check"], m["full"], 0.05
            ),
        ]

    def measure_quick() -> Samples:
        samples = Samples()
        samples.time("validate", lambda: run([REPORTGEN, "validate", str(EXAMPLE)]))
        samples.time("help", lambda: run([REPORTGEN, "--help"]))
        samples.time("import", lambda: run([sys.executable, "-c", "import weasyprint"]))
        return samples

    def quick_rows(m: dict[str, float]) -> list[Row]:
        return [
            Row(
                "reportgen validate vs python -c 'import weasyprint'",
                m["validate"],
                m["import"],
                0.5,
            ),
            Row("reportgen --help vs python -c 'import weasyprint'", m["help"], m["import"], 0.5),
        ]

    return [
        Benchmark(
            "portfolio",
            measure_portfolio,
            portfolio_rows,
            lambda m: (
                f"{PORTFOLIO_BRIEFINGS} copies of the example, {jobs} jobs. "
                + cpu_note(m, "build", "weasyprint", jobs)
            ),
        ),
        Benchmark("memory", measure_memory, memory_rows, memory_note),
        Benchmark(
            "one",
            measure_one,
            one_rows,
            lambda m: (
                "one audience: "
                + cpu_note(m, "executive", "weasyprint executive", 1)
                + "; 3 variants: "
                + cpu_note(m, "every", "weasyprint every", jobs)
            ),
        ),
        Benchmark("quick", measure_quick, quick_rows),
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


def code() -> str:
    """The commit measured, and whether the package or templates had uncommitted changes."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, check=False)
        return done.stdout.decode().strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    diff = git("diff", "HEAD", "--", "reportgen", "templates")
    if not diff:
        return f"commit {head}"
    digest = hashlib.sha256(diff.encode()).hexdigest()[:10]
    return f"commit {head} with uncommitted changes to reportgen/ or templates/ (diff {digest})"


def load() -> str:
    return "load average " + " ".join(Path("/proc/loadavg").read_text().split()[:3])


def cell(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return f"{value:.0f} {unit}" if unit == "MiB" else f"{value:.3f} {unit}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="rounds of each command (median)")
    parser.add_argument(
        "--only",
        choices=["portfolio", "memory", "one", "quick"],
        action="append",
        help="run only this group (repeatable): portfolio = targets 1 and 2, memory = 4, "
        "one = 3 and the one-briefing comparisons, quick = validate and --help",
    )
    options = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"code: {code()}")
    print(f"runs: {options.runs} rounds, each command once a round, interleaved; medians")
    print(f"start: {time.strftime('%Y-%m-%d %H:%M:%S')}, {load()}\n", flush=True)
    table: list[Row] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        for benchmark in benchmarks(work):
            if options.only and benchmark.name not in options.only:
                continue
            samples: dict[str, list[float]] = {}
            for _ in range(options.runs):
                for name, value in benchmark.measure().items():
                    samples.setdefault(name, []).append(value)
            medians = {name: statistics.median(values) for name, values in samples.items()}
            note = benchmark.note(medians) if callable(benchmark.note) else benchmark.note
            table += benchmark.rows(medians)
            notes += [f"{benchmark.name}: {note}"] if note else []
            print(f"{benchmark.name} done, {load()}", file=sys.stderr, flush=True)
    print(f"end: {time.strftime('%Y-%m-%d %H:%M:%S')}, {load()}\n")
    print(
        f"| {'what':<66} | {'reportgen':>10} | {'baseline':>10} | {'ratio':>6} | "
        f"{'target':>8} | met |"
    )
    print(f"|{'-' * 68}|{'-' * 11}:|{'-' * 11}:|{'-' * 7}:|{'-' * 9}:|-----|")
    for row in table:
        ratio = "-" if row.ratio is None else f"{row.ratio:.3f}"
        target = f"<= {row.target:g} {row.unit}" if row.absolute else f"<= {row.target:g}x"
        print(
            f"| {row.what:<66} | {cell(row.subject, row.unit):>10} | "
            f"{cell(row.baseline, row.unit):>10} | {ratio:>6} | {target:>8} | "
            f"{'yes' if row.met else 'NO':<3} |"
        )
    for note in notes:
        print(f"\n{note}")


if __name__ == "__main__":
    main()
