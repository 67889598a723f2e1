"""Builds of many briefings: folders and repeated --data, declared audiences, refusals, what is
kept and what is rebuilt, shards, and the digest a PDF carries."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import english_only

from reportgen.attachments import BUILD_RECORD_NAME
from reportgen.build import BuiltFile, Shard, VariantKey, build, check
from reportgen.build.manifest import MANIFEST_NAME, load
from reportgen.cli import main
from reportgen.errors import DataError
from reportgen.models import Briefing
from reportgen.provenance import extract
from reportgen.resources import EXAMPLE_BRIEFING

SHIPPED_ID = "id: mexico-multilateral-human-rights\n"
ALPHA, BETA = VariantKey("alpha", "executive", "en"), VariantKey("beta", "executive", "en")


def briefing(briefing_id: str, *extra: str) -> str:
    """The shipped briefing under another id, with ``extra`` top-level lines after the id (so
    the first of them is line 9), in English only: these copies have no catalog beside them."""
    text = english_only(EXAMPLE_BRIEFING.read_text(encoding="utf-8"))
    assert text.count(SHIPPED_ID) == 1
    return text.replace(SHIPPED_ID, "".join(f"{line}\n" for line in [f"id: {briefing_id}", *extra]))


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def pdfs(out: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(out.glob("*.pdf"))}


def rebuilt(results: list[BuiltFile]) -> dict[VariantKey, bool]:
    return {result.key: result.rebuilt for result in results}


@dataclass(frozen=True)
class Pair:
    """A project folder (``data/alpha.yaml``, ``data/beta.yaml``, ``out/``) built once for
    the executive audience, from inside it, so that its names are relative and a copy of it
    is as up to date as the original."""

    root: Path
    results: list[BuiltFile]

    def copy(self, to: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
        """A copy of the built project to change, made the current folder."""
        copy = shutil.copytree(self.root, to / "project", symlinks=True)
        monkeypatch.chdir(copy)
        return copy


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    root = tmp_path_factory.mktemp("pair")
    write(root / "data" / "alpha.yaml", briefing("alpha"))
    write(root / "data" / "beta.yaml", briefing("beta"))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        results = build(Path("data"), ["executive"], Path("out"))
    yield Pair(root, results)


def test_a_folder_of_two_briefings_builds_each_briefings_variants(pair: Pair) -> None:
    assert rebuilt(pair.results) == {ALPHA: True, BETA: True}
    assert [result.path.name for result in pair.results] == [
        "alpha-executive.en.pdf",
        "beta-executive.en.pdf",
    ]
    assert all(result.pages == 2 for result in pair.results)
    assert list(pdfs(pair.root / "out")) == ["alpha-executive.en.pdf", "beta-executive.en.pdf"]
    assert sorted(load(pair.root / "out" / MANIFEST_NAME).entries) == [ALPHA, BETA]


def test_the_pdfs_build_record_carries_the_manifests_inputs_digest(
    pair: Pair, tmp_path: Path
) -> None:
    entries = load(pair.root / "out" / MANIFEST_NAME).entries
    for key in (ALPHA, BETA):
        (record_path,) = [
            path
            for path in extract(pair.root / "out" / key.file_name, tmp_path / key.briefing)
            if path.name == BUILD_RECORD_NAME
        ]
        record = json.loads(record_path.read_text(encoding="utf-8"))

        assert (record["briefing"], record["audience"]) == (key.briefing, key.audience)
        assert record["inputs_sha256"] == entries[key].inputs_sha256


def test_an_up_to_date_second_build_keeps_everything(
    pair: Pair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = pair.copy(tmp_path, monkeypatch)
    before = pdfs(project / "out"), (project / "out" / MANIFEST_NAME).read_bytes()

    again = build(Path("data"), ["executive"], Path("out"))

    assert rebuilt(again) == {ALPHA: False, BETA: False}
    assert (pdfs(project / "out"), (project / "out" / MANIFEST_NAME).read_bytes()) == before
    assert check(Path("data"), ["executive"], Path("out")) == {}


def test_an_up_to_date_build_of_every_audience_stays_up_to_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every audience is selected (none named), as in a plain `reportgen build`; the briefing
    # is for one of them only, to keep the build small.
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "data" / "alpha.yaml", briefing("alpha", "audiences: [executive]"))
    assert rebuilt(build(Path("data"), [], Path("out"))) == {ALPHA: True}

    assert rebuilt(build(Path("data"), [], Path("out"))) == {ALPHA: False}
    assert sorted(load(tmp_path / "out" / MANIFEST_NAME).entries) == [ALPHA]
    assert check(Path("data"), [], Path("out")) == {}


def test_after_editing_one_briefing_only_its_variants_are_rebuilt(
    pair: Pair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = pair.copy(tmp_path, monkeypatch)
    beta_pdf = (project / "out" / BETA.file_name).read_bytes()
    alpha = project / "data" / "alpha.yaml"
    alpha.write_text(
        alpha.read_text(encoding="utf-8").replace(
            "title: Mexico's multilateral human rights cooperation",
            "title: Mexico's multilateral human rights work",
        ),
        encoding="utf-8",
    )

    assert check(Path("data"), ["executive"], Path("out")) == {
        ALPHA: "changed since it was built: data/alpha.yaml"
    }
    assert rebuilt(build(Path("data"), ["executive"], Path("out"))) == {ALPHA: True, BETA: False}
    assert (project / "out" / BETA.file_name).read_bytes() == beta_pdf
    assert check(Path("data"), ["executive"], Path("out")) == {}


def test_repeated_data_options_build_every_file_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "a.yaml", briefing("alpha"))
    write(tmp_path / "more" / "b.yaml", briefing("beta"))

    result = CliRunner().invoke(
        main,
        ["build", "--data", "a.yaml", "--data", "more/b.yaml", "--audience", "executive"],
        catch_exceptions=False,
    )

    assert result.exit_code == 0, result.output
    assert list(pdfs(tmp_path / "output")) == ["alpha-executive.en.pdf", "beta-executive.en.pdf"]
    assert "wrote output/alpha-executive.en.pdf (2 pages" in result.output
    assert "wrote output/beta-executive.en.pdf (2 pages" in result.output
    sources = load(tmp_path / "output" / MANIFEST_NAME).sources
    assert sorted(sources) == ["a.yaml", "more/b.yaml"]


def test_problems_in_two_files_are_reported_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "data" / "a.yaml", briefing("alpha", "bogus: 1"))
    write(tmp_path / "data" / "b.yaml", briefing("beta", "title_extra: 2", "colour: blue"))

    result = CliRunner().invoke(main, ["build", "--data", "data", "--audience", "executive"])

    assert result.exit_code == 1, result.output
    # The keys a briefing has, in the models' order; the nearest to a misspelling first.
    keys = list(Briefing.model_fields)
    title_first = ["title", *(key for key in keys if key != "title")]
    assert result.stderr.splitlines() == [
        f"error: data/a.yaml:9: bogus: unknown key 'bogus'; the keys here are: {', '.join(keys)}",
        "data/b.yaml:9: title_extra: unknown key 'title_extra' (did you mean 'title'?); the "
        f"keys here are: {', '.join(title_first)}",
        f"data/b.yaml:10: colour: unknown key 'colour'; the keys here are: {', '.join(keys)}",
    ]
    assert not (tmp_path / "output").exists() or not pdfs(tmp_path / "output")


def test_two_files_with_the_same_id_are_refused_naming_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "data" / "a.yaml", briefing("alpha"))
    write(tmp_path / "data" / "b.yaml", briefing("alpha"))

    with pytest.raises(DataError) as raised:
        build(Path("data"), ["executive"], Path("out"))

    assert str(raised.value) == "data/b.yaml: id: briefing id 'alpha' is also the id of data/a.yaml"
    assert not pdfs(tmp_path / "out")
    assert not (tmp_path / "out" / MANIFEST_NAME).exists()


def test_a_new_file_with_the_id_of_a_built_one_is_refused_naming_both(
    pair: Pair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = pair.copy(tmp_path, monkeypatch)
    write(project / "data" / "copy-of-alpha.yaml", briefing("alpha"))
    before = pdfs(project / "out"), (project / "out" / MANIFEST_NAME).read_bytes()

    with pytest.raises(DataError) as raised:
        build(Path("data"), ["executive"], Path("out"))

    message = str(raised.value)
    assert "briefing id 'alpha'" in message
    assert "data/alpha.yaml" in message
    assert "data/copy-of-alpha.yaml" in message
    assert (pdfs(project / "out"), (project / "out" / MANIFEST_NAME).read_bytes()) == before


def test_a_briefing_declaring_its_audiences_is_built_only_for_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "data" / "alpha.yaml", briefing("alpha", "audiences: [public]"))

    results = build(Path("data"), [], Path("out"))

    assert rebuilt(results) == {VariantKey("alpha", "public", "en"): True}
    assert list(pdfs(tmp_path / "out")) == ["alpha-public.en.pdf"]
    assert load(tmp_path / "out" / MANIFEST_NAME).sources["data/alpha.yaml"].audiences == (
        "public",
    )


def test_a_briefing_declaring_an_audience_that_does_not_exist_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "data" / "alpha.yaml", briefing("alpha", "audiences: [public, press]"))

    with pytest.raises(DataError) as raised:
        build(Path("data"), ["public"], Path("out"))

    assert str(raised.value) == (
        "data/alpha.yaml: audiences: no audience 'press'; "
        "the audiences are delegation, executive, public"
    )
    assert not pdfs(tmp_path / "out")


def test_an_output_folder_inside_the_data_folder_stays_up_to_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "data" / "alpha.yaml", briefing("alpha"))
    out = Path("data") / "output"
    assert rebuilt(build(Path("data"), ["executive"], out)) == {ALPHA: True}
    first = pdfs(tmp_path / out), (tmp_path / out / MANIFEST_NAME).read_bytes()

    again = build(Path("data"), ["executive"], out)

    assert rebuilt(again) == {ALPHA: False}
    assert (pdfs(tmp_path / out), (tmp_path / out / MANIFEST_NAME).read_bytes()) == first
    assert check(Path("data"), ["executive"], out) == {}


def test_a_shard_builds_and_records_only_its_own_variants(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "data" / "alpha.yaml", briefing("alpha"))
    write(tmp_path / "data" / "beta.yaml", briefing("beta"))

    results = build(Path("data"), ["executive"], Path("out"), shard=Shard(2, 2))

    assert rebuilt(results) == {BETA: True}
    assert list(pdfs(tmp_path / "out")) == ["beta-executive.en.pdf"]
    assert sorted(load(tmp_path / "out" / MANIFEST_NAME).entries) == [BETA]
