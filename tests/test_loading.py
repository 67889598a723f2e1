"""Loading YAML: every problem is reported at once, one line each, as file:line: field: message."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reportgen.errors import DataError, Problem
from reportgen.loading import MAX_FILE_BYTES, find_characters, load_briefing
from reportgen.models import Briefing

WriteYaml = Callable[..., Path]


def replace_once(text: str, old: str, new: str) -> str:
    """Edit the shipped text at one place; fail loudly if the place is gone or ambiguous."""
    assert text.count(old) == 1, f"expected exactly one {old!r} in the shipped data"
    return text.replace(old, new)


def line_of(text: str, fragment: str, start: int = 1) -> int:
    """The 1-based number of the first line at or after ``start`` that contains ``fragment``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if number >= start and fragment in line:
            return number
    raise AssertionError(f"{fragment!r} not found")


def load_error(path: Path) -> DataError:
    with pytest.raises(DataError) as caught:
        load_briefing(path)
    return caught.value


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Files under the working directory are reported relative to it, as a user would type them.
    monkeypatch.chdir(tmp_path)


def test_shipped_data_loads(shipped_data: Path) -> None:
    briefing = load_briefing(shipped_data)
    assert isinstance(briefing, Briefing)
    assert briefing.title == "Mexico's multilateral human rights cooperation"


def test_validation_error_names_file_line_and_field(
    tmp_path: Path, shipped_text: str, shipped_briefing: Briefing, write_yaml: WriteYaml
) -> None:
    text = replace_once(shipped_text, "established: 2001", "established: in 2001")
    path = write_yaml(tmp_path, text, "bad.yaml")
    index = next(i for i, s in enumerate(shipped_briefing.sections) if s.kind == "office")
    line = line_of(text, "established: in 2001")

    error = load_error(path)

    assert len(error.problems) == 1
    problem = error.problems[0]
    assert (problem.file, problem.line, problem.field) == (
        "bad.yaml",
        line,
        f"sections.{index}.established",
    )
    assert str(error).startswith(f"bad.yaml:{line}: sections.{index}.established: ")
    assert "\n" not in str(error)


def test_error_in_a_nested_list_item_points_at_its_line(
    tmp_path: Path, shipped_text: str, write_yaml: WriteYaml
) -> None:
    text = replace_once(shipped_text, "percent: 49", "percent: -49")
    path = write_yaml(tmp_path, text)
    line = line_of(text, "percent: -49")

    (problem,) = load_error(path).problems

    assert problem.line == line
    assert problem.field is not None
    assert problem.field.endswith("other_increases.1.percent")


def test_several_errors_are_reported_at_once_one_line_each(
    tmp_path: Path, shipped_text: str, write_yaml: WriteYaml
) -> None:
    text = replace_once(shipped_text, "established: 2001", "established: 20001")
    text = replace_once(text, "increment_percent_of_base: 33", "increment_percent_of_base: 0")
    text = replace_once(text, "    year: 2018\n", "    year: recent\n")
    path = write_yaml(tmp_path, text, "bad.yaml")
    expected_lines = [
        line_of(text, "established: 20001"),
        line_of(text, "increment_percent_of_base: 0"),
        line_of(text, "year: recent"),
    ]

    error = load_error(path)

    assert [problem.line for problem in error.problems] == expected_lines
    reported = str(error).splitlines()
    assert len(reported) == 3
    for line, number in zip(reported, expected_lines, strict=True):
        assert line.startswith(f"bad.yaml:{number}: ")
    assert reported[2].startswith(f"bad.yaml:{expected_lines[2]}: sources.4.year: ")


def test_missing_required_field_points_at_its_parent(
    tmp_path: Path, shipped_text: str, write_yaml: WriteYaml
) -> None:
    text = replace_once(shipped_text, "    fund: OAS Regular Fund\n", "")
    path = write_yaml(tmp_path, text)

    (problem,) = load_error(path).problems

    assert problem.field is not None
    assert problem.field.endswith(".fund")
    assert problem.line == line_of(text, "- id: oas-budget-resolution")
    assert problem.message == "missing field 'fund'"


def test_yaml_syntax_error_gives_line_and_column(
    tmp_path: Path, shipped_text: str, write_yaml: WriteYaml
) -> None:
    text = replace_once(shipped_text, "kind: office\n", "kind: office: yes\n")
    path = write_yaml(tmp_path, text, "bad.yaml")
    line = line_of(text, "kind: office: yes")
    column = text.splitlines()[line - 1].index(": yes") + 1

    error = load_error(path)

    (problem,) = error.problems
    assert (problem.line, problem.column) == (line, column)
    assert str(error).startswith(f"bad.yaml:{line}:{column}: ")
    assert "a colon followed by a space inside a value: put the value in quotes" in str(error)


# The common YAML mistakes, each as a designer makes it in the shipped file: where PyYAML said
# "while parsing a block mapping expected <block end>, but found '<block mapping start>'" and
# the like, the fix in plain words, at the line to fix.
YAML_MISTAKES = {
    "indented less": (
        ("    name: Office in Mexico", "   name: Office in Mexico"),
        "   name: Office in Mexico",
        "the indentation is off: this line does not line up with the lines above it",
    ),
    "indented more": (
        ("    short_name: OHCHR-Mexico", "      short_name: OHCHR-Mexico"),
        "      short_name: OHCHR-Mexico",
        "this line is indented more than the line above it, or the line above is not a "
        "`key: value` line",
    ),
    "tab": (
        ("    short_name: OHCHR-Mexico", "\tshort_name: OHCHR-Mexico"),
        "\tshort_name: OHCHR-Mexico",
        "a tab: YAML indents with spaces, never tabs: replace it with spaces",
    ),
    "missing colon": (
        ("    kind: office\n", "    kind office\n"),
        "    kind office",
        "a key without its colon: write kind: office, with a colon and a space",
    ),
    "unquoted colon": (
        ("    kind: office\n", "    kind: office: the UN one\n"),
        "    kind: office: the UN one",
        'a colon followed by a space inside a value: put the value in quotes, e.g. title: "Note:',
    ),
    "unclosed list": (
        ("    kind: office\n", "    kind: office\n    sources: [a, b\n"),
        "    sources: [a, b",
        "a list in [brackets] is not closed: separate its items with commas and end it with ]",
    ),
    "unclosed quote at the end": (
        ("    reference: A/RES/73/195", '    reference: "A/RES/73/195'),
        '    reference: "A/RES/73/195',
        "a quotation mark is opened and never closed: close the quoted text with the same quote",
    ),
    # An open quote runs on to the next quotation mark: PyYAML stops there, and so must we.
    "unclosed quote": (
        ("    kind: office\n", '    kind: "office\n'),
        '    title: "Transforming our world',
        "or a quotation mark above is not closed, and runs on to this line",
    ),
}


@pytest.mark.parametrize("mistake", YAML_MISTAKES, ids=list(YAML_MISTAKES))
def test_a_common_yaml_mistake_is_said_in_plain_words_at_its_line(
    tmp_path: Path, shipped_text: str, write_yaml: WriteYaml, mistake: str
) -> None:
    (old, new), shown_line, says = YAML_MISTAKES[mistake]
    text = replace_once(shipped_text, old, new)
    path = write_yaml(tmp_path, text, "bad.yaml")
    line = next(
        n for n, text_line in enumerate(text.splitlines(), 1) if text_line.startswith(shown_line)
    )

    (problem,) = load_error(path).problems

    assert problem.line == line, str(problem)
    assert says in problem.message
    # Not the parser's own words ("found character '\t' that cannot start any token").
    assert "<block" not in problem.message and "token" not in problem.message


def test_a_misspelt_key_suggests_the_nearest(
    tmp_path: Path, shipped_text: str, write_yaml: WriteYaml
) -> None:
    text = replace_once(shipped_text, "    established: 2001", "    establshed: 2001")
    path = write_yaml(tmp_path, text, "bad.yaml")
    problem = next(p for p in load_error(path).problems if "establshed" in (p.field or ""))
    assert problem.message.startswith(
        "unknown key 'establshed' (did you mean 'established'?); the keys here are: established,"
    )
    assert "Extra inputs" not in problem.message


def test_an_unknown_kind_suggests_the_nearest(
    tmp_path: Path, shipped_text: str, write_yaml: WriteYaml
) -> None:
    text = replace_once(shipped_text, "    kind: office\n", "    kind: ofice\n")
    path = write_yaml(tmp_path, text, "bad.yaml")
    (problem,) = load_error(path).problems
    assert problem.message == (
        "'ofice' is not a kind of section (did you mean 'office'?); the kinds are: office, "
        "key_messages, initiatives, commitments, budget_resolution, timeline, talking_points"
    )


def test_an_id_of_the_wrong_form_is_described_not_given_as_a_pattern(
    tmp_path: Path, shipped_text: str, write_yaml: WriteYaml
) -> None:
    text = replace_once(shipped_text, "  - id: ohchr-mexico", "  - id: OHCHR Mexico")
    path = write_yaml(tmp_path, text, "bad.yaml")
    (problem,) = load_error(path).problems
    assert problem.message == (
        "'OHCHR Mexico': use lower-case letters and digits, words joined by single hyphens, "
        "e.g. 'key-messages'"
    )


def test_duplicate_key_names_the_key_and_both_lines(
    tmp_path: Path, shipped_text: str, write_yaml: WriteYaml
) -> None:
    text = replace_once(
        shipped_text,
        "author: Multilateral human rights briefing team\n",
        "author: Multilateral human rights briefing team\ntitle: A second title\n",
    )
    path = write_yaml(tmp_path, text, "bad.yaml")
    first = line_of(text, "title: Mexico's")
    second = line_of(text, "title: A second title")

    error = load_error(path)

    (problem,) = error.problems
    assert problem.line == second
    assert "duplicate key 'title'" in problem.message
    assert f"line {first}" in problem.message
    assert str(error).startswith(f"bad.yaml:{second}:")


def test_duplicate_key_in_a_nested_mapping(tmp_path: Path, write_yaml: WriteYaml) -> None:
    path = write_yaml(tmp_path, "sections:\n  - id: a\n    kind: timeline\n    id: b\n")
    (problem,) = load_error(path).problems
    assert problem.line == 4
    assert "duplicate key 'id' (first given on line 2)" in problem.message


def test_unhashable_key_is_a_data_error(tmp_path: Path, write_yaml: WriteYaml) -> None:
    # A complex key is legal YAML but can never be a field name: it must be reported, not crash.
    path = write_yaml(tmp_path, "? [a, b]\n: 1\n", "bad.yaml")
    error = load_error(path)
    assert str(error).startswith("bad.yaml:1")


def test_impossible_date_is_a_data_error_with_its_line(
    tmp_path: Path, shipped_text: str, write_yaml: WriteYaml
) -> None:
    # PyYAML builds dates itself and raises a bare ValueError for 30 February.
    text = replace_once(shipped_text, "date: 2026-11-27", "date: 2026-02-30")
    path = write_yaml(tmp_path, text, "bad.yaml")
    error = load_error(path)
    assert str(error).startswith(f"bad.yaml:{line_of(text, 'date: 2026-02-30')}:")


def test_missing_file(tmp_path: Path) -> None:
    error = load_error(tmp_path / "nowhere.yaml")
    (problem,) = error.problems
    assert problem.file == "nowhere.yaml"
    assert problem.message == "no such file"
    assert str(error) == f"nowhere.yaml: {problem.message}"


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(tmp_path: Path, write_yaml: WriteYaml, text: str) -> None:
    error = load_error(write_yaml(tmp_path, text, "empty.yaml"))
    assert str(error) == "empty.yaml:1: file is empty"


def test_multi_document_stream_is_rejected(
    tmp_path: Path, shipped_text: str, write_yaml: WriteYaml
) -> None:
    text = shipped_text + "---\nid: second-document\n"
    path = write_yaml(tmp_path, text, "bad.yaml")
    (problem,) = load_error(path).problems
    assert "single document" in problem.message
    assert problem.line == line_of(text, "---")


def test_python_tags_are_refused_and_never_run(tmp_path: Path, write_yaml: WriteYaml) -> None:
    marker = tmp_path / "pwned"
    text = f'id: !!python/object/apply:os.system ["touch {marker}"]\n'
    path = write_yaml(tmp_path, text, "bad.yaml")

    error = load_error(path)

    assert not marker.exists()
    (problem,) = error.problems
    assert problem.line == 1
    assert "python/object" in problem.message


def test_python_object_tag_is_refused(tmp_path: Path, write_yaml: WriteYaml) -> None:
    path = write_yaml(tmp_path, "id: !!python/object:pathlib.Path {}\n", "bad.yaml")
    assert "python/object" in str(load_error(path))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("!!set {Mexico, OAS}", "YAML tag !!set is not allowed; write a list instead"),
        ("!!omap [a: 1, b: 2]", "YAML tag !!omap is not allowed; write a mapping instead"),
        ("!!pairs [a: 1]", "YAML tag !!pairs is not allowed; write a mapping or a list instead"),
        ("!!binary aGVsbG8=", "YAML tag !!binary is not allowed; write the value as text instead"),
        ("!custom x", "YAML tag !custom is not allowed; only plain values, lists and mappings are"),
        ("!!python/name:os.system", "YAML tag !!python/name:os.system is not allowed; only"),
        ("!<tag:example.com,2000:x> y", "YAML tag tag:example.com,2000:x is not allowed"),
        ("=", 'YAML tag !!value is not allowed; put a lone "=" in quotes'),
    ],
)
def test_tags_other_than_plain_values_lists_and_mappings_are_refused_where_they_are(
    tmp_path: Path, shipped_text: str, write_yaml: WriteYaml, value: str, message: str
) -> None:
    text = replace_once(shipped_text, "keywords:\n", f"keywords: {value}\nold_keywords:\n")
    error = load_error(write_yaml(tmp_path, text, "bad.yaml"))
    line = line_of(text, "keywords: ")
    assert str(error).startswith(f"bad.yaml:{line}:11: {message}"), str(error)


def test_a_tag_inside_a_list_or_a_key_is_found_there_too(
    tmp_path: Path, write_yaml: WriteYaml
) -> None:
    error = load_error(write_yaml(tmp_path, "id: x\nlist:\n  - a\n  - !!set {b}\n", "bad.yaml"))
    assert str(error).startswith("bad.yaml:4:5: YAML tag !!set is not allowed")
    error = load_error(write_yaml(tmp_path, "id: x\n? !!binary eA==\n: 1\n", "bad.yaml"))
    assert str(error).startswith("bad.yaml:2:3: YAML tag !!binary is not allowed")


def test_standard_tags_written_out_are_accepted(
    tmp_path: Path, shipped_data: Path, write_yaml: WriteYaml, shipped_briefing: Briefing
) -> None:
    # The shipped text as it is (translations and all), to compare with the shipped briefing.
    text = shipped_data.read_text(encoding="utf-8")
    text = replace_once(text, "keywords:\n", "keywords: !!seq\n")
    text = replace_once(text, "  - Mexico\n", "  - !!str Mexico\n")
    text = "--- !!map\n" + text
    assert load_briefing(write_yaml(tmp_path, text, "tagged.yaml")) == shipped_briefing


def test_merge_keys_are_still_accepted(tmp_path: Path, write_yaml: WriteYaml) -> None:
    text = "base: &base {name: press, marking: X}\nprofile:\n  <<: *base\n  description: Y\n"
    (problem, *_) = load_error(write_yaml(tmp_path, text, "merge.yaml")).problems
    assert "YAML" not in problem.message  # refused by the model, not by the loader


def test_invalid_utf8_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: Canc\u00fan\n".encode("latin-1"))
    error = load_error(path)
    assert str(error).startswith("latin1.yaml:1: is not valid UTF-8")


def test_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    error = load_error(path)
    assert str(error) == "huge.yaml: is 2,097,160 bytes; the limit for a data file is 2 MiB"
    assert MAX_FILE_BYTES == 2 * 1024 * 1024


def test_top_level_must_be_a_mapping(tmp_path: Path, write_yaml: WriteYaml) -> None:
    (problem,) = load_error(write_yaml(tmp_path, "- a\n- b\n")).problems
    assert (problem.line, problem.field) == (1, "(top level)")


def test_path_outside_the_working_directory_is_shown_as_given(
    tmp_path: Path, write_yaml: WriteYaml, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_yaml(tmp_path, "id: [\n", "bad.yaml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    (problem,) = load_error(path).problems
    assert problem.file == str(path)


def test_problem_formats() -> None:
    assert str(Problem("f.yaml", 3, "bad", field="a.b")) == "f.yaml:3: a.b: bad"
    assert str(Problem("f.yaml", 3, "bad", column=7)) == "f.yaml:3:7: bad"
    assert str(Problem("f.yaml", None, "bad", column=7)) == "f.yaml: bad"


# ---- Finding characters (where a character no font has is typed) ---------------------------

FIND_MESSAGE = "cannot draw {}"


def test_characters_are_found_at_their_own_line_and_column(write_yaml: WriteYaml) -> None:
    path = write_yaml(
        Path.cwd(),
        "title: Plain\nsections:\n  - kind: text\n    body: |\n"
        "      first line\n      a \u4eba here\n",
    )
    problems, found = find_characters(path, ["\u4eba", "\u6743"], FIND_MESSAGE)
    assert found == {"\u4eba"}
    assert [str(problem) for problem in problems] == [
        "briefing.yaml:6:9: sections.0.body: "
        'cannot draw "\u4eba" (U+4EBA CJK UNIFIED IDEOGRAPH-4EBA)'
    ]


def test_one_problem_per_value_naming_each_character_once(write_yaml: WriteYaml) -> None:
    path = write_yaml(Path.cwd(), 'a: "\u6743 \u4eba \u6743"\nb: [x, "y\u6743"]\n')
    problems, found = find_characters(path, ["\u4eba", "\u6743"], FIND_MESSAGE)
    assert found == {"\u4eba", "\u6743"}
    # In the order they appear in the value; the first gives the column.
    assert [(p.line, p.column, p.field) for p in problems] == [(1, 5, "a"), (2, 10, "b.1")]
    assert problems[0].message == (
        'cannot draw "\u6743" (U+6743 CJK UNIFIED IDEOGRAPH-6743), '
        '"\u4eba" (U+4EBA CJK UNIFIED IDEOGRAPH-4EBA)'
    )


def test_a_character_written_as_an_escape_is_found_at_its_value(write_yaml: WriteYaml) -> None:
    path = write_yaml(Path.cwd(), 'title: Plain\nnote:\n  "see \\u4eba"\n')
    problems, found = find_characters(path, ["\u4eba"], FIND_MESSAGE)
    assert found == {"\u4eba"}
    assert [(p.line, p.column, p.field) for p in problems] == [(3, 3, "note")]


def test_characters_only_in_keys_are_not_found(write_yaml: WriteYaml) -> None:
    path = write_yaml(Path.cwd(), "\u4eba: plain\n")
    assert find_characters(path, ["\u4eba"], FIND_MESSAGE) == ([], set())


def test_an_aliased_value_is_reported_once_where_it_is_typed(write_yaml: WriteYaml) -> None:
    path = write_yaml(Path.cwd(), "a: &name \u4eba\nb: *name\nc: [*name, *name]\n")
    problems, _ = find_characters(path, ["\u4eba"], FIND_MESSAGE)
    assert [(p.line, p.column, p.field) for p in problems] == [(1, 10, "a")]


def test_merged_keys_are_reported_at_the_path_of_the_mapping(write_yaml: WriteYaml) -> None:
    path = write_yaml(
        Path.cwd(), "base: &base {x: plain}\nitems:\n  - <<: [*base, {text: \u4eba}]\n"
    )
    problems, _ = find_characters(path, ["\u4eba"], FIND_MESSAGE)
    assert [p.field for p in problems] == ["items.0.text"]


def test_only_values_a_variant_shows_are_blamed(write_yaml: WriteYaml) -> None:
    path = write_yaml(Path.cwd(), "shown: |\n  a \u4eba\nhidden: also \u4eba\n")
    problems, found = find_characters(path, ["\u4eba"], FIND_MESSAGE, shown={"a \u4eba"})
    assert [p.field for p in problems] == ["shown"]
    assert found == {"\u4eba"}
    assert find_characters(path, ["\u4eba"], FIND_MESSAGE, shown=set()) == ([], set())
