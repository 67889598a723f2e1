"""Reading a side: PDFs from real builds, output folders by their manifest, briefing data cut
per audience; and the one-line refusals of what cannot be compared."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest

from reportgen.build import build
from reportgen.build.variants import VariantKey
from reportgen.diff import diff, read_side
from reportgen.diff.sources import Edition
from reportgen.errors import DiffError
from reportgen.loading import load_briefing
from reportgen.provenance import tailored_data

PAIRS = Path(__file__).parent / "fixtures" / "diff"
PUBLIC = VariantKey("diff-example", "public", "en")


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """base.yaml and edited.yaml, each built into an output folder of its own."""
    root = tmp_path_factory.mktemp("diff-builds")
    folders = {}
    for name in ("base", "edited"):
        build(PAIRS / f"{name}.yaml", (), root / name)
        folders[name] = root / name
    return folders


def copy(folder: Path, tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(folder, target)
    return target


def fake_pdf(path: Path, data: object, record: object | None = None) -> Path:
    """A one-page PDF, not laid out by reportgen, carrying attachments under reportgen's names."""
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        payload = data if isinstance(data, bytes) else json.dumps(data).encode()
        pdf.attachments["briefing.json"] = pikepdf.AttachedFileSpec(pdf, payload)
        if record is not None:
            pdf.attachments["build-record.json"] = pikepdf.AttachedFileSpec(
                pdf, json.dumps(record).encode()
            )
        pdf.save(path)
    return path


def test_an_output_folder_is_read_from_its_manifest(builds: dict[str, Path]) -> None:
    side = read_side(builds["base"])
    assert side.kind == "folder"
    assert sorted(side.editions) == [VariantKey("diff-example", "delegation", "en"), PUBLIC]
    ref = side.editions[PUBLIC]
    assert ref.digest is not None and ref.pages is not None and ref.pages >= 1
    edition = ref.load()
    assert edition.data["id"] == "diff-example" and edition.derived
    assert "talking-points" not in [section["id"] for section in edition.data["sections"]]


def test_two_real_builds_of_edited_data(builds: dict[str, Path]) -> None:
    report = diff(builds["base"], builds["edited"])
    assert report.changed
    public = next(each for each in report.editions if each.audience == "public")
    assert public.status == "changed"
    assert public.old_pages is not None and public.new_pages is not None
    labels = {change.label for change in public.changes}
    assert labels == {"key-messages", "summits", "budget"}


def test_a_pdf_against_data_compares_that_edition_only(builds: dict[str, Path]) -> None:
    pdf = builds["base"] / "diff-example-public.en.pdf"
    report = diff(pdf, PAIRS / "edited.yaml")
    assert [str(each.key) for each in report.editions] == ["diff-example/public/en"]
    assert report.editions[0].status == "changed"
    assert report.editions[0].new_pages is None  # data is not built, so has no pages


def test_a_pdf_against_the_data_it_was_built_from_is_unchanged(builds: dict[str, Path]) -> None:
    pdf = builds["base"] / "diff-example-delegation.en.pdf"
    (edition,) = diff(pdf, PAIRS / "base.yaml").editions
    assert edition.status == "unchanged"


def test_a_pdf_the_manifest_does_not_describe_is_read_for_itself(
    builds: dict[str, Path], tmp_path: Path
) -> None:
    # The edited build's public PDF put in place of the base build's: its data is read, and
    # the report says the file is not the one recorded.
    mixed = copy(builds["base"], tmp_path, "mixed")
    shutil.copy(
        builds["edited"] / "diff-example-public.en.pdf", mixed / "diff-example-public.en.pdf"
    )
    report = diff(builds["base"], mixed)
    public = next(each for each in report.editions if each.audience == "public")
    assert public.status == "changed"
    assert any("is not the file manifest.json records" in note for note in public.notes)


def test_a_pdf_not_written_by_reportgen_is_one_line(tmp_path: Path) -> None:
    plain = tmp_path / "plain.pdf"
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(plain)
    with pytest.raises(DiffError, match="carries no reportgen data") as caught:
        diff(plain, PAIRS / "base.yaml")
    assert "\n" not in str(caught.value)


def test_older_format_data_is_compared_as_plain_data_and_says_what_it_could_not(
    builds: dict[str, Path], tmp_path: Path
) -> None:
    edition = read_side(builds["base"]).editions[PUBLIC].load()
    older = json.loads(json.dumps(edition.data))
    for section in older["sections"]:
        section.pop("schedule", None)
        section.pop("final_percent_of_base", None)
        section.pop("shortfall_points", None)
    older["sections"][0]["heading_style"] = "bold"  # a field the current format does not have
    older["title"] = "An older title"
    record = {"briefing": "diff-example", "audience": "public", "software": {"reportgen": "0.1.0"}}
    pdf = fake_pdf(tmp_path / "older.pdf", older, record)
    (result,) = diff(pdf, builds["base"]).editions
    (note,) = result.notes
    assert "does not validate" in note and "reportgen 0.1.0" in note
    assert "derived figures" in note and "not compared" in note
    assert {(f.path, f.old, f.new) for f in result.fields} == {
        ("title", "An older title", "A briefing to compare")
    }
    # The field the current format lacks is reported as gone, and no derived figure appears.
    paths = {f.path for change in result.changes for f in change.fields}
    assert paths == {"heading_style"}


def test_strict_refuses_older_format_data(builds: dict[str, Path], tmp_path: Path) -> None:
    current = json.loads(tailored_data(load_briefing(PAIRS / "base.yaml")))
    older = {**current, "retired_field": 1}
    pdf = fake_pdf(
        tmp_path / "older.pdf", older, {"briefing": "diff-example", "audience": "public"}
    )
    with pytest.raises(DiffError, match=r"does not validate .*: retired_field: Extra inputs"):
        diff(pdf, builds["base"], strict=True)


def test_data_that_is_no_briefing_is_one_line(tmp_path: Path) -> None:
    pdf = fake_pdf(tmp_path / "odd.pdf", {"hello": "world"}, {"briefing": "x", "audience": "y"})
    with pytest.raises(DiffError, match="does not validate") as caught:
        diff(pdf, PAIRS / "base.yaml")
    assert "\n" not in str(caught.value)


def test_two_different_briefings_are_refused(builds: dict[str, Path], tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text(
        (PAIRS / "base.yaml").read_text().replace("id: diff-example", "id: another-briefing")
    )
    with pytest.raises(DiffError, match="different briefings"):
        diff(builds["base"], other)
    # Two PDFs of different briefings, too.
    carried = tailored_data(load_briefing(other))
    record = {"briefing": "another-briefing", "audience": "public"}
    pdf = fake_pdf(tmp_path / "other.pdf", carried, record)
    with pytest.raises(DiffError, match="different briefings"):
        diff(builds["base"] / "diff-example-public.en.pdf", pdf)


def test_a_folder_listing_a_missing_pdf_is_refused(builds: dict[str, Path], tmp_path: Path) -> None:
    broken = copy(builds["base"], tmp_path, "broken")
    (broken / "diff-example-public.en.pdf").unlink()
    with pytest.raises(DiffError, match=r"diff-example-public\.en\.pdf: missing"):
        diff(broken, builds["edited"])


def test_a_folder_that_is_neither_output_nor_data_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(DiffError, match="neither an output folder"):
        read_side(tmp_path / "empty")


def test_an_older_manifest_falls_back_to_the_pdfs_and_says_so(
    builds: dict[str, Path], tmp_path: Path
) -> None:
    older = copy(builds["base"], tmp_path, "older")
    document = json.loads((older / "manifest.json").read_text())
    (older / "manifest.json").write_text(json.dumps({**document, "format": 1}))
    report = diff(older, builds["edited"])
    assert [e.status for e in report.editions] == ["changed", "changed"]
    (note,) = report.notes
    assert "a manifest of format 1" in note and "read from the PDFs themselves" in note
    assert "--force" not in note  # the build's advice; a diff rebuilds nothing


def test_a_variant_no_longer_built_is_removed(builds: dict[str, Path], tmp_path: Path) -> None:
    fewer = copy(builds["edited"], tmp_path, "fewer")
    document = json.loads((fewer / "manifest.json").read_text())
    document["variants"] = [v for v in document["variants"] if v["audience"] != "public"]
    (fewer / "manifest.json").write_text(json.dumps(document))
    (fewer / "diff-example-public.en.pdf").unlink()
    statuses = {e.audience: e.status for e in diff(builds["base"], fewer).editions}
    assert statuses == {"delegation": "changed", "public": "removed"}


def test_reading_built_folders_lays_nothing_out(builds: dict[str, Path], tmp_path: Path) -> None:
    # PDFs are read for their data, never drawn: WeasyPrint is not even imported.
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from reportgen.diff import diff\n"
        f"report = diff(Path({str(builds['base'])!r}), Path({str(builds['edited'])!r}))\n"
        "assert report.changed\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'weasyprint'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert done.stdout.splitlines()[-1] == "[]"


def test_a_folder_built_by_this_model_code_is_read_without_validating_again(
    builds: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The build record names the model code that validated the data and carries the figures
    # it derived: reading it gives what validating again would, and Pydantic is not asked.
    import reportgen.attachments
    from reportgen.diff import sources

    validated: list[VariantKey] = []
    validate = sources._validated

    def counting(pdf: Path, key: VariantKey, data: bytes, pages: int | None) -> Edition:
        validated.append(key)
        return validate(pdf, key, data, pages)

    monkeypatch.setattr(sources, "_validated", counting)
    side = read_side(builds["edited"])
    known = {key: ref.load() for key, ref in side.editions.items()}
    assert validated == []
    budget = next(s for s in known[PUBLIC].data["sections"] if "schedule" in s)
    assert budget["schedule"] and "final_percent_of_base" in budget

    # Other model code: each edition is validated, and is the same edition.
    monkeypatch.setattr(reportgen.attachments, "models_sha256", lambda: "0" * 64)
    again = {key: ref.load() for key, ref in read_side(builds["edited"]).editions.items()}
    assert sorted(validated) == sorted(known)
    for key, edition in known.items():
        assert json.dumps(again[key].data) == json.dumps(edition.data)  # order too
        assert again[key] == edition


def test_derived_figures_that_do_not_fit_the_data_are_not_used(
    builds: dict[str, Path], tmp_path: Path
) -> None:
    from reportgen.attachments import with_derived

    data = {"sections": [{"id": "a"}], "id": "b"}
    assert with_derived(json.loads(json.dumps(data)), [[["sections", 0, "total"], 3]]) == {
        "sections": [{"id": "a", "total": 3}],
        "id": "b",
    }
    for misfit in (
        None,
        "schedule",
        [[["sections", 1, "total"], 3]],  # no such item
        [[["sections", True, "total"], 3]],  # a bool is no index
        [[["sections", 0, "id"], "c"]],  # a field the data has: not derived
        [[[], 3]],
        [["sections", 3]],
    ):
        assert with_derived(json.loads(json.dumps(data)), misfit) is None, misfit
