"""Settings files as anyone may write them: any TOML document and any bytes, as
``reportgen.toml`` and as ``[tool.reportgen]`` in ``pyproject.toml``.

Valid settings, generated apart, load with exactly the values given; anything else is
refused with a `ReportgenError` whose every line names the file (and the setting, or the
line); nothing else escapes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fuzzing import fuzz_settings
from hypothesis import event, given, settings
from hypothesis import strategies as st

from reportgen.build.limits import MIN_MEMORY_MIB
from reportgen.cli import main
from reportgen.config import CONFIG_FILE, PYPROJECT, Settings, find_config, load_settings
from reportgen.errors import ReportgenError
from reportgen.resources import EXAMPLE_BRIEFING

FUZZ = fuzz_settings(150)
SETTINGS = ["data", "templates", "out", "audiences", "time_limit", "max_pages", "memory_limit"]


# --- writing TOML (tomllib only reads) ------------------------------------------------------


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _toml_number(value)
    if isinstance(value, str):
        # A JSON string is a TOML basic string, but for DEL, which TOML wants escaped.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{toml_value(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def _toml_number(value: float) -> str:
    if isinstance(value, int) or math.isfinite(value):
        return repr(value)
    return "nan" if math.isnan(value) else "inf" if value > 0 else "-inf"


def toml_table(table: dict[str, Any]) -> str:
    return "".join(f"{toml_value(key)} = {toml_value(value)}\n" for key, value in table.items())


def write_settings(folder: Path, table: dict[str, Any], where: str) -> Path:
    """``table`` as ``reportgen.toml``, or as ``[tool.reportgen]`` in ``pyproject.toml``."""
    if where == CONFIG_FILE:
        path = folder / CONFIG_FILE
        path.write_text(toml_table(table), encoding="utf-8")
    else:
        path = folder / PYPROJECT
        text = '[project]\nname = "briefings"\n\n[tool.reportgen]\n' + toml_table(table)
        path.write_text(text, encoding="utf-8")
    return path


def outcome(path: Path) -> tuple[str, Settings | str]:
    try:
        return "loaded", load_settings(path)
    except ReportgenError as error:
        return "refused", str(error)


def check_refusal(message: str, path: Path) -> None:
    assert message, "an empty message"
    assert "Traceback" not in message
    for line in message.splitlines():
        assert line.startswith(f"{path}:"), message


def field_of(line: str, path: Path) -> str:
    """What a line of a refusal is about: the setting, "line" for a place in the file, or
    "another key"."""
    head = line[len(f"{path}:") :].split(":", maxsplit=1)[0].strip()
    if head.isdigit():
        return "line"
    known = {*SETTINGS, "tool", "tool.reportgen"}
    return head if head.removeprefix("tool.reportgen.") in known else "another key"


# --- valid settings: must load with the values given ----------------------------------------

relative_names = st.text("abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=12)
audience_names = st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,2}", fullmatch=True)


@st.composite
def valid_settings(draw: st.DrawFn) -> dict[str, Any]:
    """Any subset of the settings, each with a value in its range; paths are names of files
    and folders the test then creates."""
    chosen = draw(st.sets(st.sampled_from(SETTINGS)))
    values: dict[str, Any] = {}
    for name in chosen:
        if name == "data":  # files named d..., folders t...: never one name for both
            items = draw(st.lists(relative_names.map("d".__add__), min_size=1, max_size=3,
                                  unique=True))  # fmt: skip
            values[name] = items[0] if len(items) == 1 and draw(st.booleans()) else items
        elif name == "templates":
            values[name] = draw(st.lists(relative_names.map("t".__add__), max_size=3, unique=True))
        elif name == "out":
            values[name] = "/".join(draw(st.lists(relative_names, min_size=1, max_size=3)))
        elif name == "audiences":
            values[name] = draw(st.lists(audience_names, max_size=4))
        elif name == "time_limit":
            values[name] = draw(
                st.floats(0.1, 3600) | st.integers(1, 3600) | st.sampled_from([0.1, 3600])
            )
        elif name == "max_pages":
            values[name] = draw(st.integers(1, 100_000))
        else:
            values[name] = draw(st.integers(MIN_MEMORY_MIB, 65_536))
    return values


def expected_settings(folder: Path, table: dict[str, Any]) -> Settings:
    base = folder.resolve()
    values: dict[str, Any] = dict(table)
    for name in ("data", "templates"):
        if name in table:
            items = [table[name]] if isinstance(table[name], str) else table[name]
            values[name] = tuple(base / item for item in items)
    if "out" in table:
        values["out"] = base / table["out"]
    if "audiences" in table:
        values["audiences"] = tuple(table["audiences"])
    return Settings(**values)


def make_paths(folder: Path, table: dict[str, Any]) -> None:
    data = table.get("data", [])
    for item in [data] if isinstance(data, str) else data:
        (folder / item).write_text("id: x\n")
    for item in table.get("templates", []):
        (folder / item).mkdir(exist_ok=True)


@FUZZ
@given(table=valid_settings(), where=st.sampled_from([CONFIG_FILE, PYPROJECT]))
def test_valid_settings_load_with_the_values_given(
    scratch: Callable[[], Path], table: dict[str, Any], where: str
) -> None:
    folder = scratch()
    make_paths(folder, table)
    path = write_settings(folder, table, where)
    kind, result = outcome(path)
    event(f"{where}: {kind} ({len(table)} settings)")
    assert (kind, result) == ("loaded", expected_settings(folder, table))  # refusal = failure
    assert find_config(folder) == path


# --- anything else: refused, each line naming the file --------------------------------------

toml_values = st.recursive(
    st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats()
    | st.text(max_size=20)
    | st.datetimes().map(str),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)
toml_keys = st.sampled_from(SETTINGS) | st.text(max_size=12)


def _clean(path: Path) -> str:
    kind, result = outcome(path)
    if kind == "refused":
        assert isinstance(result, str)
        check_refusal(result, path)
        about = {
            field_of(line, path).removeprefix("tool.reportgen.") for line in result.splitlines()
        }
        about = {"a setting" if field in SETTINGS else field for field in about}
        label = "refused: " + ", ".join(sorted(about))
    else:
        label = "loaded"
    event(label)
    return kind


@FUZZ
@given(
    table=st.dictionaries(toml_keys, toml_values, max_size=5),
    where=st.sampled_from([CONFIG_FILE, PYPROJECT]),
)
def test_any_toml_document_is_refused_naming_the_setting_or_loads(
    scratch: Callable[[], Path], table: dict[str, Any], where: str
) -> None:
    folder = scratch()
    path = write_settings(folder, table, where)
    kind = _clean(path)
    if kind == "loaded":  # only settings it knows, each valid: nothing else may load
        assert set(table) <= set(SETTINGS)


@FUZZ
@given(
    data=st.binary(max_size=200) | st.text(max_size=80).map(str.encode),
    where=st.sampled_from([CONFIG_FILE, PYPROJECT]),
)
def test_any_bytes_are_refused_naming_the_file_or_load(
    scratch: Callable[[], Path], data: bytes, where: str
) -> None:
    path = scratch() / where
    path.write_bytes(data)
    _clean(path)


@FUZZ
@given(tool=toml_values, nested=st.booleans())
def test_any_value_as_tool_or_tool_reportgen(
    scratch: Callable[[], Path], tool: Any, nested: bool
) -> None:
    """``tool = <anything>`` and ``[tool] reportgen = <anything>`` in a pyproject.toml."""
    folder = scratch()
    path = folder / PYPROJECT
    if nested:
        path.write_text(f"[tool]\nreportgen = {toml_value(tool)}\n", encoding="utf-8")
    else:
        path.write_text(f"tool = {toml_value(tool)}\n", encoding="utf-8")
    kind = _clean(path)
    if kind == "loaded":  # a table of known settings, or no [tool.reportgen] at all
        table = tool if nested else tool.get("reportgen", {}) if isinstance(tool, dict) else None
        assert isinstance(table, dict)
    try:
        find_config(folder)
    except ReportgenError as error:
        check_refusal(str(error), path)


WRONG: dict[str, st.SearchStrategy[Any]] = {
    "data": st.just("no-such-file") | st.integers() | st.just([""]) | st.just({"a": 1}),
    "templates": st.just(["no-such-folder"]) | st.text() | st.just([1]) | st.just([""]),
    "out": st.just("") | st.integers() | st.lists(st.text(), max_size=2) | st.just("a\0b"),
    "audiences": st.just(["Not A Name"]) | st.just(["x\n"]) | st.text() | st.just([3]),
    "time_limit": st.floats(max_value=0.09) | st.floats(min_value=3600.01) | st.text(),
    "max_pages": st.integers(max_value=0) | st.integers(min_value=100_001) | st.just(2.0),
    "memory_limit": st.integers(max_value=MIN_MEMORY_MIB - 1) | st.just(True),
    # Any other key, of a name that reads as one (a key with a line break is another test's).
    "unknown": st.text(st.characters(categories=["L", "N", "P", "S"]), min_size=1, max_size=12),
}


@pytest.mark.parametrize("wrong", WRONG)
@settings(FUZZ, max_examples=20)
@given(table=valid_settings(), data=st.data(), where=st.sampled_from([CONFIG_FILE, PYPROJECT]))
def test_a_wrong_setting_is_refused_naming_it(
    scratch: Callable[[], Path], wrong: str, table: dict[str, Any], data: st.DataObject, where: str
) -> None:
    """The side that must be refused: valid settings with one made wrong."""
    folder = scratch()
    make_paths(folder, {key: value for key, value in table.items() if key != wrong})
    if wrong == "unknown":
        wrong = data.draw(WRONG["unknown"].filter(lambda key: key not in SETTINGS))
        table[wrong] = data.draw(toml_values)
    else:
        table[wrong] = data.draw(WRONG[wrong])
    path = write_settings(folder, table, where)
    kind, result = outcome(path)
    event(f"{kind}")
    assert kind == "refused", table  # loading it would be the failure
    assert isinstance(result, str)
    check_refusal(result, path)
    prefix = "tool.reportgen." if where == PYPROJECT else ""
    assert result.startswith(f"{path}: {prefix}{wrong}: "), result
    assert len(result.splitlines()) == 1, result


# --- the cases named in the issue ------------------------------------------------------------

CASES: dict[str, tuple[str, bytes, str]] = {
    "tool = 5": (PYPROJECT, b"tool = 5\n", "tool"),
    "tool = a string": (PYPROJECT, b'tool = "reportgen"\n', "tool"),
    "tool.reportgen = 5": (PYPROJECT, b"[tool]\nreportgen = 5\n", "tool.reportgen"),
    "tool.reportgen = a list": (PYPROJECT, b"tool.reportgen = [1]\n", "tool.reportgen"),
    "not UTF-8 in reportgen.toml": (CONFIG_FILE, b'out = "caf\xe9"\n', "line"),
    "not UTF-8 in pyproject.toml": (PYPROJECT, b'[tool.reportgen]\nout = "\xff"\n', "line"),
    "UTF-16": (CONFIG_FILE, '\ufeffout = "x"\n'.encode("utf-16"), "line"),
    "a NUL": (CONFIG_FILE, b'out = "a"\x00\n', "line"),
    "nested a hundred thousand deep": (CONFIG_FILE, b"x = " + b"[" * 100_000, ""),
    # The key is echoed into the message as it is: a line break in it breaks the message.
    "an unknown key with a line break": (CONFIG_FILE, b'"a\\rb" = 1\n', ""),
    "a TOML syntax error on line 3": (CONFIG_FILE, b'out = "a"\n\nmax_pages = = 2\n', "line"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_named_case_is_refused_in_lines_naming_the_file(tmp_path: Path, case: str) -> None:
    where, content, field = CASES[case]
    path = tmp_path / where
    path.write_bytes(content)
    kind, result = outcome(path)
    assert kind == "refused"
    assert isinstance(result, str)
    check_refusal(result, path)
    if field:
        assert {field_of(line, path) for line in result.splitlines()} == {field}, result


@pytest.mark.parametrize("case", ["tool = 5", "not UTF-8 in pyproject.toml"])
def test_a_named_case_found_in_the_project_folder(tmp_path: Path, case: str) -> None:
    """Found by `find_config` (no --config), as every command looks for it."""
    where, content, _ = CASES[case]
    (tmp_path / where).write_bytes(content)
    with pytest.raises(ReportgenError) as caught:
        load_settings(find_config(tmp_path))
    check_refusal(str(caught.value), tmp_path / where)


@pytest.mark.parametrize("case", CASES)
def test_a_named_case_through_the_command_line(tmp_path: Path, case: str) -> None:
    where, content, _ = CASES[case]
    path = tmp_path / where
    path.write_bytes(content)
    args = ["--config", str(path), "validate", str(EXAMPLE_BRIEFING)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"error: {path}:"), result.stderr
    assert all(line.startswith(f"{path}:") for line in lines[1:]), result.stderr
    assert result.stdout == ""
