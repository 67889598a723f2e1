"""Times reportgen against its baselines in one run and prints the ratios (see docs/performance.md).

    .venv/bin/python benchmarks/bench.py [--runs N] [--only NAME] [--commit REV]

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
from functools import cache, cached_property, partial
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REPORTGEN = str(BIN / "reportgen")
WEASYPRINT = str(BIN / "weasyprint")
AUDIENCES = ("delegation", "executive", "public")
PORTFOLIO_BRIEFINGS = 20
VARIANTS = PORTFOLIO_BRIEFINGS * len(AUDIENCES)
SAMPLE_SECONDS = 0.02
MAIN_ALLOWANCE_MIB = 150  # what the build's own process may hold beside its workers


@dataclass(frozen=True)
class Source:
    """The reportgen measured: the working tree, or a snapshot of one commit."""

    root: Path
    label: str

    @property
    def templates(self) -> Path:
        # The built-in templates: the base URL reportgen lays out with.
        return self.root / "templates"

    @property
    def example(self) -> Path:
        return self.root / "data" / "mexico-multilateral-human-rights.yaml"

    @property
    def env(self) -> dict[str, str] | None:
        # A snapshot comes first on the path, before the editable install of the working tree.
        return None if self.root == ROOT else {**os.environ, "PYTHONPATH": str(self.root)}


def working_tree() -> Source:
    """The checkout this script is in, labelled with its commit and any uncommitted changes."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, check=False)
        return done.stdout.decode().strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    diff = git("diff", "HEAD", "--", "reportgen", "templates")
    if not diff:
        return Source(ROOT, f"working tree, as commit {head}")
    digest = hashlib.sha256(diff.encode()).hexdigest()[:10]
    return Source(
        ROOT, f"working tree: commit {head} with uncommitted changes (diff sha256 {digest}...)"
    )


def snapshot(commit: str, folder: Path) -> Source:
    """The package, templates and data of ``commit``, unpacked into ``folder`` (git archive:
    the working tree is not touched)."""
    full = (
        subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", f"{commit}^{{commit}}"],
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )
    folder.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", full, "reportgen", "templates", "data"],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return Source(folder, f"snapshot of commit {full} (git archive)")


def run(command: Sequence[str], source: Source) -> None:
    """Run ``command`` to its end; stop the benchmark if it fails."""
    done = subprocess.run(command, check=False, capture_output=True, env=source.env)
    if done.returncode != 0:
        output = (done.stdout + done.stderr).decode()[-2000:]
        sys.exit(f"failed ({done.returncode}): {' '.join(command)}\n{output}")


class Samples(dict[str, float]):
    """One round's measurements, by name."""

    def time(self, name: str, action: Callable[[], object]) -> None:
        """The wall time of ``action`` as ``name``, and as ``name cpu`` the CPU time (user and
        system) of the processes it ran, workers included: the machine's other users lengthen
        the first much more than the second."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        action()
        self[name] = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self[f"{name} cpu"] = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


# -- the data and the HTML the baselines lay out ------------------------------------------------


def portfolio(example: Path, folder: Path, count: int = PORTFOLIO_BRIEFINGS) -> Path:
    """``count`` copies of the shipped briefing, each with its own id and title, in English
    only (a new title is a stale translation): 3 variants each."""
    folder.mkdir(parents=True)
    text = re.sub(r"^translations: .*$", "", example.read_text(encoding="utf-8"), flags=re.M)
    for n in range(1, count + 1):
        copy, ids = re.subn(r"^id: (.+)$", rf"id: \1-{n:02d}", text, flags=re.MULTILINE)
        copy, titles = re.subn(
            r"^title: (.+)$", rf"title: \1, part {n} of {count}", copy, flags=re.MULTILINE
        )
        assert ids == titles == 1, "the example briefing has one top-level id and title"
        (folder / f"{example.stem}-{n:02d}.yaml").write_text(copy, encoding="utf-8")
    shutil.copy(example.parent / "briefing.schema.json", folder)  # as a real data folder has
    return folder


def rendered_html(source: Source, data: Path, folder: Path) -> dict[str, Path]:
    """The HTML reportgen renders for each variant in ``data`` ("<briefing>-<audience>.<lang>",
    as its PDF is named), written to ``folder`` for WeasyPrint to read with the built-in
    templates as base URL."""
    sys.path.insert(0, str(source.root))
    from reportgen.build.pipeline import render_variants

    assert Path(sys.modules["reportgen"].__file__ or "").is_relative_to(source.root)

    folder.mkdir(parents=True, exist_ok=True)
    pages = {}
    for variant in render_variants(data, AUDIENCES):
        name = variant.key.file_name.removesuffix(".pdf")
        path = folder / f"{name}.html"
        path.write_text(variant.html, encoding="utf-8")
        pages[name] = path
    return pages


def weasyprint_command(
    source: Source, html: Path, out: Path, *, like_reportgen: bool = True
) -> list[str]:
    command = [WEASYPRINT, "--base-url", str(source.templates) + "/", str(html), str(out)]
    if like_reportgen:
        # The same standard and tags reportgen asks for, so the layout work is comparable.
        command[1:1] = ["--pdf-variant", "pdf/a-3a", "--pdf-tags"]
    return command


def weasyprint_each(
    source: Source, pages: Sequence[Path], out: Path, *, like_reportgen: bool = True
) -> None:
    """One `weasyprint` command per page, one after the other."""
    for html in pages:
        pdf = out / f"{html.stem}.pdf"
        run(weasyprint_command(source, html, pdf, like_reportgen=like_reportgen), source)


def build(*args: str | Path, out: Path, force: bool = True) -> list[str]:
    return [REPORTGEN, "build", *map(str, args), "--out", str(out), *(["--force"] * force)]


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


def sampled(command: Sequence[str], source: Source) -> TreeMemory:
    """Run ``command``, reading every SAMPLE_SECONDS the resident set of it and its descendants."""
    memory = TreeMemory()
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, stdout=output, stderr=output, env=source.env)
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


class Work:
    """The temporary folder and the inputs the groups share, each made on first use."""

    def __init__(self, folder: Path, source: Source) -> None:
        self.folder, self.source = folder, source
        self.example = source.example
        self.pdfs = folder / "weasyprint"
        self.pdfs.mkdir()
        self.jobs = os.cpu_count() or 1  # what `reportgen build` uses without --jobs
        self._fresh = 0

    def go(self, command: Sequence[str]) -> None:
        run(command, self.source)

    def each(self, pages: Sequence[Path], *, like_reportgen: bool = True) -> None:
        weasyprint_each(self.source, pages, self.pdfs, like_reportgen=like_reportgen)

    def fresh(self) -> Path:
        """A folder no build has written to yet."""
        self._fresh += 1
        return self.folder / "fresh" / str(self._fresh)

    @cached_property
    def single(self) -> dict[str, Path]:
        """The shipped briefing's HTML, by variant."""
        return rendered_html(self.source, self.example, self.folder / "html" / "one")

    @cached_property
    def portfolio(self) -> Path:
        return portfolio(self.example, self.folder / "portfolio")

    @cached_property
    def many(self) -> list[Path]:
        """The portfolio's HTML, one file per variant."""
        pages = rendered_html(self.source, self.portfolio, self.folder / "html" / "portfolio")
        assert len(pages) == VARIANTS
        return sorted(pages.values())


def portfolio_group(work: Work) -> Benchmark:
    """Targets 1 and 2: the portfolio built, and found up to date."""
    out = work.folder / "portfolio-out"

    def measure() -> Samples:
        pages, data = work.many, work.portfolio
        samples = Samples()
        samples.time("weasyprint", lambda: work.each(pages))
        samples.time("build", lambda: work.go(build("--data", data, out=out)))
        # The build just written is current: the check exits 0, or the benchmark stops.
        samples.time(
            "check", lambda: work.go(build("--check", "--data", data, out=out, force=False))
        )
        return samples

    def rows(m: dict[str, float]) -> list[Row]:
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

    def note(m: dict[str, float]) -> str:
        return f"{PORTFOLIO_BRIEFINGS} copies of the example, {work.jobs} jobs. " + cpu_note(
            m, "build", "weasyprint", work.jobs
        )

    return Benchmark("portfolio", measure, rows, note)


def memory_group(work: Work) -> Benchmark:
    """Target 4: the portfolio build's peak memory, against jobs x the largest variant laid out
    alone, plus an allowance for the main process."""
    out = work.folder / "memory-out"

    def measure() -> dict[str, float]:
        data = work.portfolio
        alone = sampled(
            build(
                "--data", work.example, "--audience", "delegation", "--language", "en",
                "--jobs", "1", out=work.fresh(),
            ),
            work.source,
        )
        everything = sampled(build("--data", data, out=out), work.source)
        return {
            "layout": alone.peak_others / 1024,
            "layout hwm": max(alone.high_water.values()) / 1024,
            "layout main": alone.peak_main / 1024,
            "total": everything.peak_total / 1024,
            "main": everything.peak_main / 1024,
            "processes": everything.most_processes,
        }

    def rows(m: dict[str, float]) -> list[Row]:
        return [
            Row(
                f"peak RSS, {VARIANTS} variants, vs {work.jobs} x one layout"
                f" + {MAIN_ALLOWANCE_MIB} MiB",
                m["total"],
                work.jobs * m["layout"] + MAIN_ALLOWANCE_MIB,
                1.0,
                unit="MiB",
            )
        ]

    def note(m: dict[str, float]) -> str:
        return (
            f"the delegation variant built alone: its worker peaked at {m['layout']:.0f} MiB "
            f"sampled ({m['layout hwm']:.0f} MiB VmHWM), its main process at "
            f"{m['layout main']:.0f} MiB; the {VARIANTS}-variant build's main process peaked at "
            f"{m['main']:.0f} MiB, with at most {m['processes']:.0f} processes in its tree at once"
        )

    return Benchmark("memory", measure, rows, note)


def one_group(work: Work) -> Benchmark:
    """Target 3, and the earlier comparisons on the shipped briefing."""
    out = work.folder / "one-out"
    example = work.example

    @cache
    def built_once() -> None:
        work.go(build("--data", example, out=out))  # current, for the no-op rebuild

    def measure() -> Samples:
        built_once()
        pages = work.single
        executive = [pages["mexico-multilateral-human-rights-executive.en"]]
        one = ("--audience", "executive", "--language", "en")
        samples = Samples()
        samples.time(
            "executive",
            lambda: work.go(build("--data", example, *one, out=work.fresh())),
        )
        samples.time("weasyprint executive", lambda: work.each(executive))
        samples.time("weasyprint plain", lambda: work.each(executive, like_reportgen=False))
        samples.time("every", lambda: work.go(build("--data", example, out=work.fresh())))
        samples.time("weasyprint every", lambda: work.each(sorted(pages.values())))
        samples.time("no-op", lambda: work.go(build("--data", example, out=out, force=False)))
        samples.time("full", lambda: work.go(build("--data", example, out=out)))
        return samples

    def rows(m: dict[str, float]) -> list[Row]:
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
                m["weasyprint plain"],
                1.1,
            ),
            Row(
                "one briefing, 6 editions (3 audiences x en, es), vs one weasyprint per edition",
                m["every"],
                m["weasyprint every"],
                0.45,
            ),
            Row(
                "one briefing: rebuild, nothing changed, vs full build", m["no-op"], m["full"], 0.05
            ),
        ]

    def note(m: dict[str, float]) -> str:
        return (
            "one audience: "
            + cpu_note(m, "executive", "weasyprint executive", 1)
            + "; 6 editions: "
            + cpu_note(m, "every", "weasyprint every", work.jobs)
        )

    return Benchmark("one", measure, rows, note)


def quick_group(work: Work) -> Benchmark:
    """The commands that must start fast."""

    def measure() -> Samples:
        samples = Samples()
        samples.time("validate", lambda: work.go([REPORTGEN, "validate", str(work.example)]))
        samples.time("help", lambda: work.go([REPORTGEN, "--help"]))
        samples.time(
            "status",
            lambda: work.go([REPORTGEN, "translations", "status", "--data", str(work.example)]),
        )
        samples.time("import", lambda: work.go([sys.executable, "-c", "import weasyprint"]))
        return samples

    def rows(m: dict[str, float]) -> list[Row]:
        return [
            Row(
                "reportgen validate vs python -c 'import weasyprint'",
                m["validate"],
                m["import"],
                0.5,
            ),
            Row("reportgen --help vs python -c 'import weasyprint'", m["help"], m["import"], 0.5),
            Row(
                "reportgen translations status (shipped catalog) vs python -c 'import weasyprint'",
                m["status"],
                m["import"],
                0.5,
            ),
        ]

    return Benchmark("quick", measure, rows)


# The realistic edit a diff reports: a summit added, a budget figure changed (and so the
# derived schedule), an internal talking point reworded. Each must be found exactly once.
DIFF_EDITS = (
    (
        "      - id: gcm\n",
        "      - id: pact-for-the-future\n        name: Summit of the Future\n"
        "        date: {year: 2024, month: 9}\n      - id: gcm\n",
    ),
    ("increment_percent_of_base: 33", "increment_percent_of_base: 34"),
    (
        "Mexico has hosted the UN High Commissioner's office since 2001",
        "Mexico has hosted the office of the UN High Commissioner since 2001",
    ),
)


def edited_copy(data: Path, folder: Path, count: int) -> Path:
    """The portfolio in ``data`` with `DIFF_EDITS` made to its first ``count`` briefings."""
    shutil.copytree(data, folder)
    for path in sorted(folder.glob("*.yaml"))[:count]:
        text = path.read_text(encoding="utf-8")
        for old, new in DIFF_EDITS:
            assert text.count(old) == 1, f"the example changed: {old!r} is not found once"
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
    return folder


def diff_group(work: Work) -> Benchmark:
    """Target 5: `reportgen diff` of two 60-variant output folders, against `build --check` of
    one: nothing changed, one briefing edited (3 editions), every briefing edited (60)."""
    old = work.folder / "diff" / "old"
    sides = {"same": work.folder / "diff" / "same"}
    sides |= {"one": work.folder / "diff" / "one", "every": work.folder / "diff" / "every"}

    @cache
    def built_once() -> None:
        data = work.portfolio
        work.go(build("--data", data, out=old, force=False))
        shutil.copytree(old, sides["same"])
        # Each edited side starts from the old build, so only what the edit changed is laid out.
        for name, count in (("one", 1), ("every", PORTFOLIO_BRIEFINGS)):
            edited = edited_copy(data, work.folder / "diff" / f"data-{name}", count)
            shutil.copytree(old, sides[name])
            work.go(build("--data", edited, out=sides[name], force=False))

    def diff(name: str, expected: int) -> None:
        command = [REPORTGEN, "diff", str(old), str(sides[name]), "--format", "markdown"]
        done = subprocess.run(command, capture_output=True, check=False, env=work.source.env)
        if done.returncode != expected:
            sys.exit(
                f"failed ({done.returncode}, not {expected}): {' '.join(command)}\n"
                f"{(done.stdout + done.stderr).decode()[-2000:]}"
            )

    def measure() -> Samples:
        built_once()
        samples = Samples()
        check = build("--check", "--data", work.portfolio, out=old, force=False)
        samples.time("check", lambda: work.go(check))
        samples.time("same", lambda: diff("same", 0))
        samples.time("one", lambda: diff("one", 1))
        samples.time("every", lambda: diff("every", 1))
        return samples

    def rows(m: dict[str, float]) -> list[Row]:
        what = {
            "same": "nothing changed",
            "one": "1 briefing edited",
            "every": f"all {PORTFOLIO_BRIEFINGS} edited",
        }
        return [
            Row(f"diff, {VARIANTS} variants, {label}, vs build --check", m[name], m["check"], 2.0)
            for name, label in what.items()
        ]

    def note(m: dict[str, float]) -> str:
        cpu = ", ".join(
            f"{name} {m[f'{name} cpu']:.2f} s" for name in ("check", "same", "one", "every")
        )
        return (
            f"{len(DIFF_EDITS)} edits per edited briefing (a summit added, a budget figure, an "
            f"internal point); markdown format. CPU time (user + system): {cpu}"
        )

    return Benchmark("diff", measure, rows, note)


# -- the live preview ------------------------------------------------------------------------


class Previewing:
    """`reportgen preview --no-open` of one audience of ``data``, and the states it pushes."""

    def __init__(self, data: Path, audience: str, source: Source) -> None:
        import json
        import queue
        import threading
        import urllib.request

        command = [REPORTGEN, "preview", "--no-open", "--data", str(data), "--audience", audience]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=source.env, text=True
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        found = re.search(r"http://\S+/", first)
        if found is None:
            self.process.kill()
            sys.exit(f"failed: {' '.join(command)} printed {first!r}")
        self.states: queue.Queue[dict[str, object]] = queue.Queue()

        def listen() -> None:
            with urllib.request.urlopen(found[0] + "events", timeout=600) as stream:
                for line in stream:
                    if line.startswith(b"data: "):
                        self.states.put(json.loads(line[len(b"data: ") :]))

        threading.Thread(target=listen, daemon=True).start()

    def next_build(self, after: int) -> int:
        """Wait for the update event of a build newer than ``after``: its number."""
        while True:
            state = self.states.get(timeout=600)
            build = state["build"]
            assert isinstance(build, int)
            if state["status"] == "failed":
                sys.exit(f"the preview failed: {state['problems']}")
            if state["status"] == "ready" and build > after:
                return build

    def stop(self) -> None:
        self.process.send_signal(2)  # SIGINT, as Ctrl-C
        self.process.wait(timeout=60)


def preview_group(work: Work) -> Benchmark:
    """Issue 15: from saving a changed data file to the preview page's update event, against
    `reportgen build --force` of the same variant."""
    measured = ("executive", "delegation")
    rounds = iter(range(1_000_000))

    def measure() -> Samples:
        samples = Samples()
        for audience in measured:
            folder = work.fresh()
            folder.mkdir(parents=True)
            data = folder / work.example.name
            text = work.example.read_text(encoding="utf-8")
            data.write_text(text, encoding="utf-8")
            # The preview shows the briefing's own language: the same edition is built.
            forced = build(
                "--data", data, "--audience", audience, "--language", "en", out=folder / "out"
            )
            samples.time(f"build {audience}", partial(work.go, forced))
            previewing = Previewing(data, audience, work.source)
            try:
                shown = previewing.next_build(0)
                time.sleep(1.0)  # settled: the first build's pages served, the machine quiet
                edited = text.replace("\ntitle: ", f"\ntitle: Revision {next(rounds)} of ", 1)
                start = time.perf_counter()
                data.write_text(edited, encoding="utf-8")
                previewing.next_build(shown)
                samples[f"preview {audience}"] = time.perf_counter() - start
            finally:
                previewing.stop()
        return samples

    def rows(m: dict[str, float]) -> list[Row]:
        result = []
        for audience in measured:
            result.append(
                Row(
                    f"preview {audience}: save to update event, vs build --force",
                    m[f"preview {audience}"],
                    m[f"build {audience}"],
                    0.5,
                )
            )
        result.append(
            Row(
                "preview executive: save to update event",
                m["preview executive"],
                None,
                1.0,
                absolute=True,
            )
        )
        return result

    note = (
        "the time from writing the data file to the server-sent event announcing its build, "
        "read by this script from the page's event stream; the page then fetches the pages' "
        "images and text"
    )
    return Benchmark("preview", measure, rows, note)


GROUPS: dict[str, Callable[[Work], Benchmark]] = {
    "portfolio": portfolio_group,
    "memory": memory_group,
    "one": one_group,
    "quick": quick_group,
    "diff": diff_group,
    "preview": preview_group,
}


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
        choices=list(GROUPS),
        action="append",
        help="run only this group (repeatable): portfolio = targets 1 and 2, memory = 4, "
        "one = 3 and the one-briefing comparisons, quick = validate and --help, "
        "diff = 5 (reportgen diff of two output folders), "
        "preview = save-to-update of reportgen preview",
    )
    parser.add_argument(
        "--commit",
        metavar="REV",
        help="measure this commit (unpacked with git archive into the temporary folder) "
        "instead of the working tree, which others may be editing",
    )
    options = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"runs: {options.runs} rounds, each command once a round, interleaved; medians")
    table: list[Row] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        source = snapshot(options.commit, work / "source") if options.commit else working_tree()
        print(f"code: {source.label}")
        print(f"start: {time.strftime('%Y-%m-%d %H:%M:%S')}, {load()}\n", flush=True)
        shared = Work(work, source)
        for name, group in GROUPS.items():
            if options.only and name not in options.only:
                continue
            benchmark = group(shared)
            samples: dict[str, list[float]] = {}
            for _ in range(options.runs):
                for what, value in benchmark.measure().items():
                    samples.setdefault(what, []).append(value)
            medians = {what: statistics.median(values) for what, values in samples.items()}
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
