"""Data files as anyone may write them: YAML-ish text and damaged bytes of the shipped data,
through ``load_briefing`` and through ``reportgen validate``.

The shipped data rewritten in any way YAML allows (key order, flow or block style, quoting,
comments, a byte-order mark) loads to the same briefing; anything else is refused with a
`DataError` whose every line names the file and a line or a field. ``validate`` exits 0 or 1,
and on 1 says so on stderr, every line naming the file; nothing escapes as a traceback.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from fuzzing import fuzz_settings
from hypothesis import event, given, settings
from hypothesis import strategies as st

from reportgen.cli import main
from reportgen.errors import DataError
from reportgen.loading import load_briefing
from reportgen.models import Briefing
from reportgen.resources import EXAMPLE_BRIEFING

FUZZ = fuzz_settings(150)
SHIPPED_BYTES = EXAMPLE_BRIEFING.read_bytes()
SHIPPED: dict[str, Any] = yaml.safe_load(SHIPPED_BYTES)
# "file:12: ..." or "file:12:3: ..." (a line), or "file: field.path: ..." (a field).
LOCATED = re.compile(r"^:(\d+)(:\d+)?: |^: ([^:]+): ")


@pytest.fixture(scope="module")
def shipped_briefing() -> Briefing:
    return load_briefing(EXAMPLE_BRIEFING)


def outcome(path: Path) -> tuple[str, Briefing | DataError]:
    """("loaded", the briefing) or ("refused", the error); anything else raised fails."""
    try:
        return "loaded", load_briefing(path)
    except DataError as error:
        return "refused", error


def check_refusal(error: DataError, path: Path) -> str:
    """Every line names the file and a line or a field; returns what the lines locate."""
    names = (str(path), str(path.resolve()))
    located = set()
    assert error.problems
    for line in str(error).splitlines():
        name = next((name for name in names if line.startswith(name)), None)
        assert name is not None, str(error)
        match = LOCATED.match(line[len(name) :])
        located.add("a field" if match and match[3] else "a line" if match else "the file only")
    assert len(str(error).splitlines()) == len(error.problems), str(error)
    return " and ".join(sorted(located))


# --- the side that must load: the shipped data as any YAML writer might write it ------------


def _shuffled(value: Any, order: random.Random) -> Any:
    if isinstance(value, dict):
        keys = list(value)
        order.shuffle(keys)
        return {key: _shuffled(value[key], order) for key in keys}
    if isinstance(value, list):
        return [_shuffled(item, order) for item in value]
    return value


@st.composite
def rewritten_shipped_data(draw: st.DrawFn) -> bytes:
    """The shipped data's values, written out again: keys in any order, block or flow style,
    any width, with comments and blank lines put between lines, maybe a byte-order mark."""
    order = draw(st.randoms(use_true_random=False))
    document = _shuffled(copy.deepcopy(SHIPPED), order)
    text = yaml.dump(
        document,
        Dumper=yaml.CSafeDumper,
        allow_unicode=draw(st.booleans()),
        default_flow_style=draw(st.sampled_from([False, None, True])),
        width=draw(st.sampled_from([40, 80, 4096])),
        indent=draw(st.sampled_from([2, 4])),
        sort_keys=False,
        explicit_start=draw(st.booleans()),
    )
    out = []
    for line in text.splitlines():
        out.append(line)
        if draw(st.integers(0, 9)) == 0:
            out.append(draw(st.sampled_from(["", "#", "# a comment", "   # indented", "#é😀"])))
    commented = "\n".join(out) + "\n"
    try:
        # Kept where YAML reads it as a comment or a blank line; not inside a scalar.
        if yaml.load(commented, Loader=yaml.CSafeLoader) == document:
            text = commented
    except yaml.YAMLError:
        pass
    data = text.encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if draw(st.booleans()) else data


@settings(FUZZ, max_examples=80)  # each example loads the whole shipped briefing
@given(data=rewritten_shipped_data())
def test_the_shipped_data_however_written_loads_the_same(
    scratch: Callable[[], Path], shipped_briefing: Briefing, data: bytes
) -> None:
    path = scratch() / "briefing.yaml"
    path.write_bytes(data)
    kind, result = outcome(path)
    event(f"{kind}" + (f": {check_refusal(result, path)}" if isinstance(result, DataError) else ""))
    assert (kind, result) == ("loaded", shipped_briefing)  # a refusal here is a failure


# --- anything else: refused naming file and line or field (or, by chance, valid) ------------

TOKENS = [
    "id", "title", "sections", "sources", "kind", "date", "language", "a", "1", "2026-02-30",
    ": ", ":", "- ", "-", "[", "]", "{", "}", ", ", "&a ", "*a", "<<: ", "---\n", "...\n",
    "'", '"', "|", ">", "#", "%YAML 1.1\n", "%TAG ! tag:x,1:\n", "!!python/object:os.system ",
    "!!binary ", "!!set ", "!!omap ", "!!str ", "!!int ", "!!float ", "!!timestamp ", "!x ",
    "!!bool ", "!!null ", "!!seq ", "!!map ", "!!merge ", "!!value ",
    "? ", "\n", "  ", "\t", "\x00", "\x85", "\u2028", "\ufeff", "\\", "@", "`", "~", "null",
    "yes", "0x1F", "1e400", ".inf", ".nan", "😀", "é",
]  # fmt: skip
yamlish = st.lists(st.sampled_from(TOKENS) | st.text(max_size=3), max_size=60).map("".join)


def _clean(path: Path) -> None:
    kind, result = outcome(path)
    if isinstance(result, DataError):
        event(f"refused, locating {check_refusal(result, path)}")
    else:
        assert isinstance(result, Briefing)
        event(f"{kind}")


@FUZZ
@given(text=yamlish)
def test_any_yamlish_text_is_refused_naming_file_and_line(
    scratch: Callable[[], Path], text: str
) -> None:
    path = scratch() / "briefing.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _clean(path)


@st.composite
def damaged(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` damaged as files are: bytes or lines overwritten, cut out, put in, moved."""
    mutated = bytearray(data)
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(["bytes", "insert", "delete", "truncate", "line", "indent"]))
        at = draw(st.integers(0, max(len(mutated) - 1, 0)))
        if how == "bytes":
            chunk = draw(st.binary(min_size=1, max_size=6))
            mutated[at : at + len(chunk)] = chunk
        elif how == "insert":
            mutated[at:at] = draw(st.sampled_from(TOKENS)).encode()
        elif how == "delete":
            del mutated[at : at + draw(st.integers(1, 40))]
        elif how == "truncate":
            del mutated[at:]
        else:
            lines = bytes(mutated).split(b"\n")
            index = draw(st.integers(0, len(lines) - 1))
            if how == "line":
                moved = lines.pop(index)
                if draw(st.booleans()):
                    lines.insert(draw(st.integers(0, len(lines))), moved)
            else:
                lines[index] = b" " * draw(st.integers(0, 5)) + lines[index].lstrip(b" ")
            mutated = bytearray(b"\n".join(lines))
    return bytes(mutated)


@FUZZ
@given(data=damaged(SHIPPED_BYTES))
def test_damaged_bytes_of_the_shipped_data_are_refused_naming_file_and_line(
    scratch: Callable[[], Path], data: bytes
) -> None:
    path = scratch() / "briefing.yaml"
    path.write_bytes(data)
    _clean(path)


NAMED: dict[str, bytes] = {
    "empty": b"",
    "only a comment": b"# nothing\n",
    "a list": b"- 1\n- 2\n",
    "not UTF-8": SHIPPED_BYTES.replace(b"Mexico's", b"M\xe9xico's", 1),
    "UTF-16": SHIPPED_BYTES.decode().encode("utf-16"),
    "a NUL": SHIPPED_BYTES.replace(b"title:", b"ti\x00tle:", 1),
    "a python tag": b"id: !!python/object/apply:os.system ['true']\n",
    "a set": b"id: !!set {a, b}\n",
    "binary": b"id: !!binary aGVsbG8=\n",
    "a custom tag": b"id: !secret x\n",
    "two documents": SHIPPED_BYTES + b"\n---\nid: x\n",
    "a duplicate key": SHIPPED_BYTES.replace(b"\ntitle:", b"\ntitle: x\ntitle:", 1),
    "an alias bomb": b"a: &a [x, x, x, x, x, x, x, x, x]\n"
    + b"".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n".encode()
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    ),
    "a recursive alias": b"a: &a [*a]\n",
    "nested a hundred thousand deep": b"[" * 100_000,
    "an impossible date": SHIPPED_BYTES.replace(b"date: 2026-11-27", b"date: 2026-02-30", 1),
    # PyYAML's own constructors fail on an explicit tag over a value it does not fit, with
    # errors other than the ValueError loading.py turns into a message:
    "an empty !!int": b"id: !!int\n",  # IndexError
    "an empty !!float": b'id: !!float ""\n',  # IndexError
    "a !!timestamp of a word": b"date: !!timestamp x\n",  # AttributeError
    "an empty !!bool": b'id: !!bool ""\n',  # KeyError
    "a huge integer": SHIPPED_BYTES.replace(b"established: 2001", b"established: " + b"9" * 5000),
}


@pytest.mark.parametrize("case", NAMED)
def test_a_named_case_is_refused_naming_file_and_line(tmp_path: Path, case: str) -> None:
    path = tmp_path / "briefing.yaml"
    path.write_bytes(NAMED[case])
    kind, result = outcome(path)
    assert kind == "refused"
    assert isinstance(result, DataError)
    check_refusal(result, path)


# --- through the command line ------------------------------------------------------------------


@settings(FUZZ, max_examples=40)
@given(data=damaged(SHIPPED_BYTES) | yamlish.map(lambda text: text.encode("utf-8", "replace")))
def test_validate_exits_0_or_1_saying_why_in_lines_naming_the_file(
    scratch: Callable[[], Path], data: bytes
) -> None:
    path = scratch() / "briefing.yaml"
    path.write_bytes(data)
    result = CliRunner().invoke(main, ["validate", str(path)])
    event(f"exit status {result.exit_code}")
    assert result.exit_code in {0, 1}, result.output
    assert "Traceback" not in result.output
    if result.exit_code == 1:
        lines = result.stderr.splitlines()
        assert lines[0].startswith(f"error: {path}"), result.stderr
        assert all(line.startswith(str(path)) for line in lines[1:]), result.stderr
        assert result.stdout == ""
    else:
        assert result.stderr == ""
        assert result.stdout.startswith(f"{path}: valid")


@pytest.mark.parametrize("case", NAMED)
def test_validate_of_a_named_case(tmp_path: Path, case: str) -> None:
    path = tmp_path / "briefing.yaml"
    path.write_bytes(NAMED[case])
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"error: {path}"), result.stderr
    assert all(line.startswith(str(path)) for line in lines[1:]), result.stderr


def test_validate_with_data_from_the_project_folder(tmp_path: Path, monkeypatch: Any) -> None:
    """No path given: the data/ folder of the current one, as `--data` is not needed."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "briefing.yaml").write_bytes(NAMED["a python tag"])
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 1, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: data/briefing.yaml:1:"), line
