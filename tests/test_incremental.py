"""Scheduled builds: the manifest, skipping what is current, --check, shards, JSON, failures."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import english_only

from reportgen.build import Progress, Shard, build, check
from reportgen.build.manifest import MANIFEST_NAME, ManifestError, load, merge
from reportgen.build.variants import VariantKey
from reportgen.cli import main
from reportgen.errors import ReportgenError, VariantsFailedError
from reportgen.resources import EXAMPLE_BRIEFING

BRIEFING = "mexico-multilateral-human-rights"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["--config", str(SETTINGS), *args])


def key(audience: str) -> VariantKey:
    return VariantKey(BRIEFING, audience, "en")


@pytest.fixture(autouse=True)
def _settings(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The command-line tests build the shipped briefing, named by a settings file."""
    global SETTINGS  # noqa: PLW0603
    SETTINGS = tmp_path_factory.mktemp("settings") / "reportgen.toml"
    SETTINGS.write_text(f'data = "{EXAMPLE_BRIEFING}"\n')


SETTINGS = Path()


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A copy of the shipped data, a user template folder with a stylesheet, an output folder."""
    data = tmp_path / "briefing.yaml"
    # English only: these tests are about what makes a variant stale, and the copy has no
    # catalog beside it.
    data.write_text(english_only(EXAMPLE_BRIEFING.read_text(encoding="utf-8")), encoding="utf-8")
    looks = tmp_path / "looks"
    (looks / "audiences").mkdir(parents=True)
    (looks / "audiences" / "brief.yaml").write_text(
        "name: brief\ndescription: Brief.\ntemplate: executive.html.j2\n"
        "sections: [key-messages, oas-budget-resolution]\nmarking: PUBLIC\n"
        "theme:\n  stylesheets: [extra.css]\n"
    )
    (looks / "extra.css").write_text("h2 { letter-spacing: 0; }\n")
    return data, looks, tmp_path / "out"


def build_brief(project: tuple[Path, Path, Path], **options: object) -> bool:
    """Build the small user audience; True if it was laid out, False if it was kept."""
    data, looks, out = project
    (built,) = build(data, ["brief"], out, [looks], **options)  # type: ignore[arg-type]
    return built.rebuilt


def test_manifest_lists_every_output_with_its_digests(tmp_path: Path) -> None:
    built = build(EXAMPLE_BRIEFING, ["executive", "public"], tmp_path, language="en")
    entries = load(tmp_path / MANIFEST_NAME).entries
    assert sorted(entries) == [key("executive"), key("public")]
    for item in built:
        entry = entries[item.key]
        content = item.path.read_bytes()
        assert entry.file == item.path.name
        assert entry.sha256 == hashlib.sha256(content).hexdigest()
        assert entry.bytes == len(content)
        assert entry.pages == item.pages
        assert len(entry.inputs_sha256) == 64
    assert entries[key("executive")].inputs_sha256 != entries[key("public")].inputs_sha256


def test_unchanged_inputs_are_not_rebuilt_and_force_rebuilds(
    project: tuple[Path, Path, Path],
) -> None:
    assert build_brief(project) is True
    output = project[2] / "mexico-multilateral-human-rights-brief.en.pdf"
    before = output.stat().st_mtime_ns
    assert build_brief(project) is False
    assert output.stat().st_mtime_ns == before
    assert build_brief(project, force=True) is True


@pytest.mark.parametrize("change", ["data", "template", "asset", "profile"])
def test_a_changed_input_makes_its_variant_stale(
    project: tuple[Path, Path, Path], change: str
) -> None:
    data, looks, out = project
    assert build_brief(project) is True
    edits = {
        "data": (data, "title: Mexico's multilateral", "title: Mexico's  multilateral"),
        "template": (looks / "extra.css", "letter-spacing: 0", "letter-spacing: 0.01em"),
        "asset": (looks / "extra.css", "h2", "h2, h3"),
        "profile": (looks / "audiences" / "brief.yaml", "Brief.", "Brief!"),
    }
    if change == "template":
        path = looks / "executive.html.j2"
        path.write_text('{% extends "builtin/executive.html.j2" %}')
    else:
        path, old, new = edits[change]
        path.write_text(path.read_text().replace(old, new, 1))
    (reason,) = check(data, ["brief"], out, [looks]).values()
    # The reason names the file that changed.
    assert reason.startswith("changed since it was built: ")
    assert path.name in reason
    assert build_brief(project) is True
    assert check(data, ["brief"], out, [looks]) == {}


def test_check_exit_codes_and_reasons(tmp_path: Path) -> None:
    out = tmp_path / "out"
    executive = ("--out", str(out), "--audience", "executive", "--language", "en")
    result = run("build", "--check", *executive)
    assert result.exit_code == 1
    assert f"stale {BRIEFING}/executive/en: not built yet" in result.output

    assert run("build", *executive).exit_code == 0
    result = run("build", "--check", *executive)
    assert result.exit_code == 0, result.output

    pdf = out / "mexico-multilateral-human-rights-executive.en.pdf"
    pdf.write_bytes(pdf.read_bytes() + b"\n")
    result = run("build", "--check", *executive)
    assert result.exit_code == 1
    assert "was changed after it was built" in result.output

    pdf.unlink()
    result = run("build", "--check", *executive)
    assert result.exit_code == 1
    assert "is missing" in result.output


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7])
def test_shards_cover_every_variant_exactly_once(count: int) -> None:
    names = [VariantKey(f"briefing-{n % 3}", f"audience-{n}", "en") for n in range(11)]
    shares = [Shard(index, count).take(names) for index in range(1, count + 1)]
    assert sorted(name for share in shares for name in share) == sorted(names)
    assert max(map(len, shares)) - min(map(len, shares)) <= 1


def test_bad_shards_are_refused() -> None:
    with pytest.raises(ReportgenError):
        Shard(0, 2)
    assert run("build", "--shard", "3/2").exit_code == 2
    assert run("build", "--shard", "x").exit_code == 2


def test_sharded_builds_merge_into_one_manifest(tmp_path: Path) -> None:
    for index in (1, 2):
        out = str(tmp_path / f"s{index}")
        result = run("build", "--shard", f"{index}/2", "--language", "en", "--out", out)
        assert result.exit_code == 0, result.output
    merged = tmp_path / "merged.json"
    result = run(
        "manifest",
        "merge",
        str(tmp_path / "s1" / MANIFEST_NAME),
        str(tmp_path / "s2" / MANIFEST_NAME),
        "--out",
        str(merged),
    )
    assert result.exit_code == 0, result.output
    assert sorted(load(merged).entries) == [key("delegation"), key("executive"), key("public")]


def test_merge_refuses_manifests_that_disagree(tmp_path: Path) -> None:
    build(EXAMPLE_BRIEFING, ["executive"], tmp_path / "a", language="en")
    build(EXAMPLE_BRIEFING, ["executive"], tmp_path / "b", language="en")
    manifest_b = tmp_path / "b" / MANIFEST_NAME
    manifest_b.write_text(manifest_b.read_text().replace('"pages": 2', '"pages": 3'))
    with pytest.raises(ManifestError, match="disagree"):
        merge([tmp_path / "a" / MANIFEST_NAME, manifest_b])


def test_rebuild_into_a_fresh_folder_is_byte_identical_with_the_same_manifest(
    tmp_path: Path,
) -> None:
    build(EXAMPLE_BRIEFING, ["executive"], tmp_path / "one", language="en")
    build(EXAMPLE_BRIEFING, ["executive"], tmp_path / "two", language="en")
    for name in ("mexico-multilateral-human-rights-executive.en.pdf", MANIFEST_NAME):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


class Recorder(Progress):
    def __init__(self) -> None:
        self.finished_ok: list[VariantKey] = []

    def finished(self, key: VariantKey, error: ReportgenError | None, seconds: float) -> None:
        if error is None:
            self.finished_ok.append(key)


def test_a_failing_variant_is_reported_while_the_others_finish(
    project: tuple[Path, Path, Path],
) -> None:
    data, looks, out = project
    (looks / "audiences" / "broken.yaml").write_text(
        "name: broken\ndescription: Broken.\nmarking: X\ntemplate: broken.html.j2\n"
    )
    (looks / "broken.html.j2").write_text(
        '{% extends "builtin/briefing.html.j2" %}'
        '{% block stylesheets %}{{ super() }}<link rel="stylesheet" href="file:///etc/passwd">'
        "{% endblock %}"
    )
    recorder = Recorder()
    with pytest.raises(VariantsFailedError) as caught:
        build(data, ["broken", "brief"], out, [looks], progress=recorder, jobs=1, language="en")
    assert list(caught.value.failures) == [key("broken")]
    assert recorder.finished_ok == [key("brief")]
    # Nothing written: not the good PDF, not a manifest; only the lock file may be there.
    assert [path.name for path in out.glob("*")] in ([], [".reportgen.lock"])


def test_json_summary(tmp_path: Path) -> None:
    result = run(
        "build", "--json", "--out", str(tmp_path), "--audience", "executive", "--language", "en"
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["ok"] is True
    assert summary["failures"] == {}
    (output,) = summary["outputs"]
    assert output["audience"] == "executive"
    assert output["rebuilt"] is True

    output = tmp_path / "out"
    result = run("build", "--json", "--out", str(output), "--max-pages", "1", "--language", "en")
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["ok"] is False
    assert f"{BRIEFING}/delegation/en" in summary["failures"]
