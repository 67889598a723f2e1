"""The output folder's manifest: written and read back, refused when damaged, merged from shards."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reportgen.build import VariantKey, build
from reportgen.build.manifest import (
    MANIFEST_NAME,
    Entry,
    Manifest,
    ManifestError,
    Source,
    dumps,
    load,
    merge,
)
from reportgen.cli import main
from reportgen.resources import EXAMPLE_BRIEFING

BRIEFING = "mexico-multilateral-human-rights"
INPUTS = {"software/weasyprint": "66.0", "code/charts.py": "ab" * 32}


def entry(briefing: str = "alpha", audience: str = "executive", **changes: Any) -> Entry:
    fields: dict[str, Any] = {
        "briefing": briefing,
        "audience": audience,
        "language": "en",
        "file": f"{briefing}-{audience}.pdf",
        "sha256": "1" * 64,
        "bytes": 42585,
        "pages": 2,
        "inputs_sha256": "2" * 64,
        "data_file": f"data/{briefing}.yaml",
        "data_sha256": "3" * 64,
        "content_sha256": "4" * 64,
        "untranslated": 0,
        "profile_file": f"audiences/{audience}.yaml",
        "profile_sha256": "5" * 64,
        "shared_sha256": "6" * 64,
        "pdf_variant": "",
    }
    return Entry(**(fields | changes))


def source(briefing: str = "alpha", audiences: tuple[str, ...] | None = None) -> Source:
    return Source(f"data/{briefing}.yaml", "3" * 64, briefing, audiences, ("en",), {})


def manifest(*entries: Entry, sources: tuple[Source, ...] = (), inputs: Any = None) -> Manifest:
    return Manifest(
        {each.key: each for each in entries},
        {each.file: each for each in sources},
        INPUTS if inputs is None else inputs,
        {},
    )


def write(path: Path, content: Manifest | bytes | str | object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, Manifest):
        path.write_bytes(dumps(content))
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(json.dumps(content), encoding="utf-8")
    return path


def a_valid_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        dumps(manifest(entry(), sources=(source(audiences=("executive",)),)))
    )
    return document


def test_dumps_and_load_round_trip(tmp_path: Path) -> None:
    original = manifest(
        entry("alpha", "executive"),
        entry("alpha", "public", pages=5),
        entry("beta", "executive", pdf_variant="pdf/a-3b"),
        sources=(source("alpha", ("executive", "public")), source("beta")),
    )

    loaded = load(write(tmp_path / MANIFEST_NAME, original))

    assert loaded == original
    assert dumps(loaded) == dumps(original)


def test_dumps_is_the_same_whatever_order_entries_were_added_in() -> None:
    first, second = entry("alpha"), entry("beta")

    assert dumps(manifest(first, second)) == dumps(manifest(second, first))


def test_a_missing_manifest_loads_as_empty(tmp_path: Path) -> None:
    assert load(tmp_path / MANIFEST_NAME) == Manifest({}, {}, {}, {})


def test_a_format_1_manifest_is_refused_mentioning_format_and_force(tmp_path: Path) -> None:
    path = write(tmp_path / MANIFEST_NAME, {"format": 1, "outputs": []})

    with pytest.raises(ManifestError) as raised:
        load(path)

    assert "format 1" in str(raised.value)
    assert "--force" in str(raised.value)
    assert str(path) in str(raised.value)


def with_entry(**changes: Any) -> dict[str, Any]:
    document = a_valid_document()
    document["variants"][0] |= changes
    return document


def without_field(name: str) -> dict[str, Any]:
    document = a_valid_document()
    del document["variants"][0][name]
    return document


DAMAGED: dict[str, object] = {
    "a list": [],
    "a string": "x",
    "an empty object": {},
    "not JSON": b"{format: 2,",
    "empty": b"",
    "invalid UTF-8": b'{"format": 3, "generator": "\xff\xfe"}',
    "5000-deep nested list": b"[" * 5000 + b"]" * 5000,
    "5000-deep nested object": b'{"format": 3, "inputs": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5001,
    "pages as text": with_entry(pages="x"),
    "pages negative": with_entry(pages=-1),
    "pages true": with_entry(pages=True),
    "bytes as a float": with_entry(bytes=1.5),
    "sha256 as a number": with_entry(sha256=7),
    "briefing null": with_entry(briefing=None),
    "a huge number": b'{"format": 3, "variants": [{"pages": ' + b"9" * 5000 + b"}]}",
    "a missing field": without_field("pages"),
    "an extra field": with_entry(colour="blue"),
    "a variant that is a list": {"format": 3, "variants": [[1, 2]]},
    "variants an object": {"format": 3, "variants": {}},
    "sources a string": {"format": 3, "sources": "data/a.yaml"},
    "source audiences a string": {
        "format": 3,
        "sources": [{"file": "a.yaml", "sha256": "3", "briefing": "a", "audiences": "public"}],
    },
    "inputs a list": {"format": 3, "inputs": []},
    "inputs of numbers": {"format": 3, "inputs": {"software/weasyprint": 66}},
    "format as text": {"format": "2"},
    "format as a list": {"format": [2]},
}


@pytest.mark.parametrize("content", DAMAGED.values(), ids=DAMAGED.keys())
def test_a_damaged_manifest_is_one_manifest_error(tmp_path: Path, content: object) -> None:
    path = write(tmp_path / MANIFEST_NAME, content)

    with pytest.raises(ManifestError) as raised:
        load(path)

    message = str(raised.value)
    assert message.startswith(f"{path}: ")
    assert "--force" in message
    assert "\n" not in message


def test_a_folder_in_place_of_the_manifest_is_a_manifest_error(tmp_path: Path) -> None:
    (tmp_path / MANIFEST_NAME).mkdir()

    with pytest.raises(ManifestError, match=r"not a file.*--force"):
        load(tmp_path / MANIFEST_NAME)


def test_build_with_force_recovers_over_a_damaged_manifest(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write(out / MANIFEST_NAME, b"\x00 not a manifest")

    (built,) = build(EXAMPLE_BRIEFING, ["executive"], out, force=True, language="en")

    assert built.rebuilt
    assert built.path.read_bytes().startswith(b"%PDF-")
    assert list(load(out / MANIFEST_NAME).entries) == [VariantKey(BRIEFING, "executive", "en")]


def test_build_without_force_refuses_a_damaged_manifest_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no settings file is found here
    out = tmp_path / "out"
    damaged = b'{"format": 3, "variants": [{"pages": "x"}]}'
    write(out / MANIFEST_NAME, damaged)

    result = CliRunner().invoke(main, ["build", "--data", str(EXAMPLE_BRIEFING), "--out", str(out)])

    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {out / MANIFEST_NAME}: damaged manifest")
    assert "--force" in lines[0]
    assert "Traceback" not in result.output
    assert (out / MANIFEST_NAME).read_bytes() == damaged
    assert not list(out.glob("*.pdf"))


def test_merge_of_two_shards_holds_every_variant(tmp_path: Path) -> None:
    first = write(
        tmp_path / "shard-1" / MANIFEST_NAME,
        manifest(entry("alpha"), sources=(source("alpha"),)),
    )
    second = write(
        tmp_path / "shard-2" / MANIFEST_NAME,
        manifest(entry("beta"), entry("gamma"), sources=(source("beta"), source("gamma"))),
    )

    merged = merge([first, second])

    assert merged == manifest(
        entry("alpha"),
        entry("beta"),
        entry("gamma"),
        sources=(source("alpha"), source("beta"), source("gamma")),
    )
    assert merge([second, first]) == merged


def test_merge_refuses_two_shards_disagreeing_about_a_variant(tmp_path: Path) -> None:
    first = write(tmp_path / "shard-1" / MANIFEST_NAME, manifest(entry("alpha")))
    second = write(tmp_path / "shard-2" / MANIFEST_NAME, manifest(entry("alpha", sha256="9" * 64)))

    with pytest.raises(ManifestError) as raised:
        merge([first, second])

    message = str(raised.value)
    assert str(first) in message
    assert str(second) in message
    assert "'alpha/executive/en'" in message


def test_merge_accepts_two_shards_agreeing_about_a_variant(tmp_path: Path) -> None:
    first = write(tmp_path / "shard-1" / MANIFEST_NAME, manifest(entry("alpha")))
    second = write(tmp_path / "shard-2" / MANIFEST_NAME, manifest(entry("alpha")))

    assert merge([first, second]) == manifest(entry("alpha"))


def test_merge_refuses_shards_built_from_different_inputs(tmp_path: Path) -> None:
    other = INPUTS | {"code/charts.py": "cd" * 32}
    first = write(tmp_path / "shard-1" / MANIFEST_NAME, manifest(entry("alpha")))
    second = write(tmp_path / "shard-2" / MANIFEST_NAME, manifest(entry("beta"), inputs=other))

    with pytest.raises(ManifestError) as raised:
        merge([first, second])

    message = str(raised.value)
    assert str(first) in message
    assert str(second) in message
    assert "different software, code or templates" in message


def test_merge_refuses_a_missing_manifest(tmp_path: Path) -> None:
    first = write(tmp_path / "shard-1" / MANIFEST_NAME, manifest(entry("alpha")))

    with pytest.raises(ManifestError, match="no such manifest"):
        merge([first, tmp_path / "shard-2" / MANIFEST_NAME])


def test_entry_key_is_its_variant() -> None:
    assert entry("alpha", "public").key == VariantKey("alpha", "public", "en")
    assert dataclasses.replace(entry(), audience="public").key.audience == "public"
