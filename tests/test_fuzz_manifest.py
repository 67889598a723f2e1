"""The output folder as a stranger may leave it: any bytes as ``manifest.json``, and an
``--out`` that cannot be a folder.

``manifest.load`` gives back every manifest that reportgen could have written, equal to what
was written, and refuses everything else with one `ManifestError` line naming the file; a
build over a refused manifest exits 1 saying so in one line, and leaves every file in the
folder as it was.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fuzzing import fuzz_settings
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from reportgen.build.lock import output_lock
from reportgen.build.manifest import (
    FORMAT,
    MANIFEST_NAME,
    RECOVER,
    Entry,
    Manifest,
    ManifestError,
    Profile,
    Source,
    dumps,
    load,
)
from reportgen.cli import main
from reportgen.errors import BuildError
from reportgen.resources import EXAMPLE_BRIEFING

FUZZ = fuzz_settings(200)
EARLIER_PDF = b"%PDF-1.7\n% an earlier build\n%%EOF\n"


def outcome(path: Path) -> tuple[str, Manifest | str]:
    """("loaded", the manifest) or ("refused", the message); anything else raised fails."""
    try:
        return "loaded", load(path)
    except ManifestError as error:
        return "refused", str(error)


def check_refusal(message: str, path: Path) -> None:
    assert message.startswith(f"{path}: "), message
    assert message.endswith(RECOVER), message
    assert "\n" not in message and "\r" not in message, message


def kind_of(message: str) -> str:
    for kind in ("not a reportgen manifest", "a manifest of format", "damaged manifest",
                 "cannot read the manifest", "not a file", "larger than"):  # fmt: skip
        if kind in message:
            return kind
    return "other: " + message[:60]


# --- what reportgen could have written: must load back equal --------------------------------

names = st.text(min_size=1, max_size=16)
digests = st.text("0123456789abcdef", min_size=64, max_size=64)
counts = st.integers(0, 2**63)
entries = st.builds(
    Entry,
    briefing=names,
    audience=names,
    language=names,
    file=names,
    sha256=digests,
    bytes=counts,
    pages=counts,
    inputs_sha256=digests,
    data_file=names,
    data_sha256=digests,
    content_sha256=digests,
    untranslated=counts,
    profile_file=names,
    profile_sha256=digests,
    shared_sha256=digests,
    pdf_variant=st.sampled_from(["", "pdf/a-3b", "pdf/ua-1"]) | st.text(max_size=8),
)
sources = st.builds(
    Source,
    file=names,
    sha256=digests,
    briefing=names,
    audiences=st.none() | st.lists(names, max_size=4).map(tuple),
    languages=st.lists(names, min_size=1, max_size=3).map(tuple),
    catalogs=st.dictionaries(names, digests | st.just(""), max_size=3),
)
profiles = st.builds(
    Profile,
    name=names,
    sha256=digests,
    languages=st.none() | st.lists(names, max_size=3).map(tuple),
)


def manifests_of(min_size: int = 0) -> st.SearchStrategy[Manifest]:
    return st.builds(
        Manifest,
        entries=st.lists(entries, min_size=min_size, max_size=5).map(
            lambda each: {entry.key: entry for entry in each}
        ),
        sources=st.lists(sources, min_size=min_size, max_size=5).map(
            lambda each: {source.file: source for source in each}
        ),
        inputs=st.dictionaries(st.text(max_size=24), st.text(max_size=70), max_size=6),
        profiles=st.lists(profiles, max_size=3).map(
            lambda each: {profile.name: profile for profile in each}
        ),
    )


manifests = manifests_of()


@FUZZ
@given(written=manifests, indent=st.sampled_from([None, 0, 2, "\t"]), order=st.randoms())
def test_every_manifest_reportgen_could_write_loads_back_equal(
    scratch: Callable[[], Path], written: Manifest, indent: Any, order: random.Random
) -> None:
    path = scratch() / MANIFEST_NAME
    path.write_bytes(dumps(written))
    kind, loaded = outcome(path)
    event(f"as written: {kind}")
    assert (kind, loaded) == ("loaded", written)  # a refusal here is a failure

    # The same document as any other JSON writer would lay it out: keys in any order, any
    # indentation, non-ASCII escaped or not.
    document = json.loads(path.read_bytes())
    keys = list(document)
    order.shuffle(keys)
    relaid = {key: document[key] for key in keys}
    path.write_text(json.dumps(relaid, indent=indent, ensure_ascii=order.random() < 0.5))
    kind, reloaded = outcome(path)
    event(f"laid out otherwise: {kind}")
    assert (kind, reloaded) == ("loaded", written)


def test_no_manifest_is_an_empty_one(tmp_path: Path) -> None:
    assert load(tmp_path / MANIFEST_NAME) == Manifest({}, {}, {}, {})


# --- anything else: must be refused (or, if by chance it is a manifest, load consistently) --

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=30,
)


def _assert_clean(path: Path) -> str:
    kind, result = outcome(path)
    if kind == "refused":
        assert isinstance(result, str)
        check_refusal(result, path)
        label = f"refused: {kind_of(result)}"
        assert not label.startswith("refused: other"), result
    else:  # by chance a manifest: then it is one, and writes back as one
        assert isinstance(result, Manifest)
        path.write_bytes(dumps(result))
        assert load(path) == result
        label = "loaded"
    event(label)
    return label


@FUZZ
@given(value=json_values)
def test_any_json_value_is_refused_in_one_line_or_is_a_manifest(
    scratch: Callable[[], Path], value: Any
) -> None:
    path = scratch() / MANIFEST_NAME
    path.write_text(json.dumps(value))
    _assert_clean(path)


@FUZZ
@given(
    value=st.fixed_dictionaries(
        {"format": st.just(FORMAT)},
        optional={"variants": json_values, "sources": json_values, "inputs": json_values},
    )
)
def test_any_json_under_a_format_2_header_is_refused_in_one_line_or_is_a_manifest(
    scratch: Callable[[], Path], value: dict[str, Any]
) -> None:
    """Past the format check, where most of the parsing is."""
    path = scratch() / MANIFEST_NAME
    path.write_text(json.dumps(value))
    _assert_clean(path)


@FUZZ
@given(data=st.binary(max_size=300) | st.text(max_size=100).map(str.encode))
def test_any_bytes_are_refused_in_one_line_or_are_a_manifest(
    scratch: Callable[[], Path], data: bytes
) -> None:
    path = scratch() / MANIFEST_NAME
    path.write_bytes(data)
    _assert_clean(path)


WRONG_VALUES = st.none() | st.booleans() | st.floats() | st.lists(st.integers(), max_size=2)


BROKEN = ["format", "top", "list", "record", "missing field", "extra field", "type", "inputs"]


def broken(draw: Callable[..., Any], how: str) -> Any:
    """A manifest reportgen wrote with one thing in it made wrong: the side that must be
    refused."""
    document = json.loads(dumps(draw(manifests_of(min_size=1))))
    table = draw(st.sampled_from(["variants", "sources"]))
    record = document[table][0]
    if how == "format":
        document["format"] = draw(json_values.filter(lambda value: value != FORMAT))
    elif how == "top":
        document = draw(st.sampled_from([[document], "manifest", FORMAT, None]))
    elif how == "list":
        document[table] = draw(
            st.text()
            | st.integers()
            | st.booleans()
            | st.none()
            | st.dictionaries(st.text(max_size=4), st.integers(), max_size=2)
        )
    elif how == "record":
        document[table][0] = draw(st.text() | st.integers() | st.none() | st.lists(st.integers()))
    elif how == "missing field":
        del record[draw(st.sampled_from(sorted(record)))]
    elif how == "extra field":
        record[draw(st.text(max_size=8).filter(lambda key: key not in record))] = "extra"
    elif how == "type":
        name = draw(st.sampled_from(sorted(record)))
        if name in {"bytes", "pages", "untranslated"}:
            record[name] = draw(st.booleans() | st.floats() | st.text() | st.integers(max_value=-1))
        elif name in {"audiences", "languages"}:
            record[name] = draw(st.text() | st.integers() | st.lists(st.integers(), min_size=1))
        else:
            record[name] = draw(st.integers() | st.none() | st.lists(st.text(), max_size=2))
    else:
        document["inputs"] = draw(
            st.lists(st.text(), max_size=2)
            | st.text()
            | st.dictionaries(st.text(max_size=4), st.integers() | st.none(), min_size=1)
        )
    return document


@pytest.mark.parametrize("how", BROKEN)
@settings(FUZZ, max_examples=30)
@given(data=st.data())
def test_a_manifest_with_one_thing_wrong_is_refused_in_one_line(
    scratch: Callable[[], Path], how: str, data: st.DataObject
) -> None:
    document = broken(data.draw, how)
    path = scratch() / MANIFEST_NAME
    path.write_text(json.dumps(document))
    kind, result = outcome(path)
    event(f"{kind}" + (f": {kind_of(result)}" if isinstance(result, str) else ""))
    assert kind == "refused", document  # loading it would be the failure
    assert isinstance(result, str)
    check_refusal(result, path)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda path: path.mkdir(), id="a folder"),
        pytest.param(os.mkfifo, id="a FIFO"),
        pytest.param(lambda path: path.symlink_to("/dev/zero"), id="a link to /dev/zero"),
    ],
)
def test_a_manifest_that_is_not_a_file(tmp_path: Path, make: Callable[[Path], None]) -> None:
    path = tmp_path / MANIFEST_NAME
    make(path)
    kind, result = outcome(path)
    assert kind == "refused"
    assert isinstance(result, str)
    check_refusal(result, path)


def test_a_manifest_that_is_a_link_to_itself(tmp_path: Path) -> None:
    """Taken for no manifest (``Path.exists`` is False for a loop): harmless, since the build
    then writes a manifest in the link's place, and reads nothing through it."""
    path = tmp_path / MANIFEST_NAME
    path.symlink_to(path)
    assert outcome(path) == ("loaded", Manifest({}, {}, {}, {}))


def test_a_manifest_over_the_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import reportgen.build.manifest as module

    monkeypatch.setattr(module, "MAX_MANIFEST_BYTES", 10)
    path = tmp_path / MANIFEST_NAME
    path.write_text('{"format": 3}   ')
    assert outcome(path) == ("refused", f"{path}: larger than 10 bytes; {RECOVER}")


def test_a_deeply_nested_manifest(tmp_path: Path) -> None:
    path = tmp_path / MANIFEST_NAME
    path.write_text("[" * 100_000 + "]" * 100_000)
    kind, result = outcome(path)
    assert kind == "refused"
    assert isinstance(result, str)
    check_refusal(result, path)


# --- through the command line: a build over a damaged manifest --------------------------------


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@settings(FUZZ, max_examples=30)
@given(data=st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_a_build_over_a_damaged_manifest_says_so_in_one_line_and_touches_nothing(
    scratch: Callable[[], Path], data: bytes
) -> None:
    out = scratch() / "out"
    out.mkdir()
    (out / MANIFEST_NAME).write_bytes(data)
    assume(outcome(out / MANIFEST_NAME)[0] == "refused")  # else it would build for seconds
    (out / "mexico-multilateral-human-rights-executive.pdf").write_bytes(EARLIER_PDF)
    before = snapshot(out)
    args = ["build", "--data", str(EXAMPLE_BRIEFING), "--out", str(out), "--audience", "executive"]
    result = CliRunner().invoke(main, args)
    event(f"exit status {result.exit_code}")
    assert result.exit_code == 1, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {out / MANIFEST_NAME}: ")
    assert line.endswith(RECOVER)
    assert result.stdout == ""
    assert snapshot(out) == before


# --- the output folder itself (reportgen/build/lock.py) ---------------------------------------


def test_an_out_folder_below_a_file(tmp_path: Path) -> None:
    a_file = tmp_path / "somefile.txt"
    a_file.write_text("mine\n")
    out = a_file / "out"
    with pytest.raises(BuildError) as caught, output_lock(out):
        pass
    assert str(caught.value) == (
        f"cannot use {out} as the output folder: Not a directory ({a_file} is a file)"
    )
    with pytest.raises(BuildError) as caught, output_lock(out / "deeper"):
        pass
    assert str(caught.value).endswith(f"Not a directory ({a_file} is a file)")
    assert a_file.read_text() == "mine\n"


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda path: path.write_text("mine\n"), id="a file"),
        pytest.param(lambda path: path.symlink_to("nowhere"), id="a dangling link"),
        pytest.param(os.mkfifo, id="a FIFO"),
    ],
)
def test_an_out_folder_that_is_something_else(tmp_path: Path, make: Callable[[Path], None]) -> None:
    out = tmp_path / "out"
    make(out)
    with pytest.raises(BuildError) as caught, output_lock(out):
        pass
    assert (
        str(caught.value) == f"cannot use {out} as the output folder: it exists and is not a folder"
    )


def test_an_out_folder_with_a_nul(tmp_path: Path) -> None:
    # Only the settings file can give one: the command line cannot carry a NUL.
    with pytest.raises(BuildError, match="embedded null byte"), output_lock(tmp_path / "a\0b"):
        pass


def _build(*args: str) -> Any:
    return CliRunner().invoke(
        main, ["build", "--data", str(EXAMPLE_BRIEFING), "--audience", "executive", *args]
    )


def test_build_with_out_below_a_file(tmp_path: Path) -> None:
    a_file = tmp_path / "somefile.txt"
    a_file.write_text("mine\n")
    result = _build("--out", str(a_file / "out"))
    assert result.exit_code == 1, result.output
    assert result.stderr == (
        f"error: cannot use {a_file / 'out'} as the output folder: Not a directory "
        f"({a_file} is a file)\n"
    )
    result = _build("--out", str(a_file / "out"), "--check")  # nothing there: all stale
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert a_file.read_text() == "mine\n"


def test_build_with_out_naming_a_file(tmp_path: Path) -> None:
    """A problem with the user's folder (exit 1, one line), not a usage error (exit 2)."""
    a_file = tmp_path / "somefile.txt"
    a_file.write_text("mine\n")
    result = _build("--out", str(a_file))
    assert result.exit_code == 1, result.output
    assert result.stderr == (
        f"error: cannot use {a_file} as the output folder: it exists and is not a folder\n"
    )
    assert a_file.read_text() == "mine\n"
