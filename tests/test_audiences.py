"""Audience profiles, selecting them, and tailoring a briefing to one (redaction included)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pydantic import BaseModel

from reportgen.audiences import (
    Audience,
    load_audiences,
    load_profiles,
    tailor,
    warnings_as_errors,
)
from reportgen.cli import main
from reportgen.discovery import select
from reportgen.errors import AudienceError, DataError
from reportgen.loading import load_briefing
from reportgen.models import Briefing, Sourced, Visibility
from reportgen.resources import EXAMPLE_BRIEFING

FIXTURES = Path(__file__).parent / "fixtures"
MARKER = "SECRET"


@pytest.fixture
def redaction_briefing() -> Briefing:
    return load_briefing(FIXTURES / "redaction.yaml")


def audience(**fields: object) -> Audience:
    values: dict[str, object] = {"name": "test", "description": "Test.", "marking": "TEST"}
    values.update(fields)
    return Audience.model_validate(values)


def walk(value: object) -> Iterator[object]:
    """Every model and value reachable from ``value``."""
    yield value
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from walk(getattr(value, name))
    elif isinstance(value, tuple):
        for item in value:
            yield from walk(item)


def texts(value: object) -> list[str]:
    return [item for item in walk(value) if isinstance(item, str)]


def internal_items(value: object) -> list[object]:
    return [
        item
        for item in walk(value)
        if isinstance(item, Sourced) and item.visibility is Visibility.INTERNAL
    ]


# ---- Profiles ------------------------------------------------------------------------------


def test_three_shipped_audiences_with_descriptions() -> None:
    audiences = load_audiences()
    assert set(audiences) == {"delegation", "executive", "public"}
    for name, profile in audiences.items():
        assert profile.name == name
        assert len(profile.description) > 10
        assert profile.marking


def test_shipped_profiles_say_who_sees_what() -> None:
    audiences = load_audiences()
    assert audiences["public"].visibility == frozenset({Visibility.PUBLIC})
    assert Visibility.INTERNAL in audiences["delegation"].visibility
    assert audiences["executive"].page_limit == 2
    assert audiences["executive"].template == "executive.html.j2"
    assert "RESTRICTED" not in audiences["public"].marking


def test_shipped_profiles_name_sections_the_data_has(shipped_briefing: Briefing) -> None:
    ids = {section.id for section in shipped_briefing.sections}
    for profile in load_audiences().values():
        assert set(profile.sections or ()) <= ids


def test_profile_name_must_match_file_name(tmp_path: Path) -> None:
    (tmp_path / "board.yaml").write_text("description: Board.\nname: trustees\nmarking: X\n")
    # Reported like every other profile problem: file, line, field, message, and the fix.
    with pytest.raises(DataError) as caught:
        load_audiences(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path / 'board.yaml'}:2: name: 'trustees' must match the file name ('board'): "
        "rename the file to trustees.yaml, or write name: board"
    )


def test_bad_profile_is_a_data_error_with_a_line(tmp_path: Path) -> None:
    (tmp_path / "board.yaml").write_text(
        "name: board\ndescription: Board.\nmarking: X\npage_limit: 0\n"
    )
    with pytest.raises(DataError) as caught:
        load_audiences(tmp_path)
    (problem,) = caught.value.problems
    assert (problem.line, problem.field) == (4, "page_limit")


def test_profile_template_cannot_leave_the_search_path() -> None:
    with pytest.raises(ValueError, match="template"):
        audience(template="../../etc/passwd.html.j2")


# ---- Selecting -----------------------------------------------------------------------------


def test_select_unknown_name_names_it_and_the_choices() -> None:
    available = load_audiences()
    with pytest.raises(AudienceError) as caught:
        select(["public", "nosuch"], available)
    message = str(caught.value)
    assert "'nosuch'" in message
    assert all(name in message for name in available)


def test_select_keeps_the_order_given_without_repeats() -> None:
    available = load_audiences()
    chosen = select(["public", "executive", "public"], available)
    assert [profile.name for profile in chosen] == ["public", "executive"]


def test_select_nothing_means_everything() -> None:
    available = load_audiences()
    assert [profile.name for profile in select([], available)] == list(available)


# ---- Tailoring -----------------------------------------------------------------------------


def test_fixture_has_internal_items_nested_in_public_sections(
    redaction_briefing: Briefing,
) -> None:
    # Guards the fixture: the redaction tests below only mean something if this holds.
    nested = [
        item
        for section in redaction_briefing.sections
        if section.visibility is Visibility.PUBLIC
        for item in internal_items(section)
    ]
    assert len(nested) >= 7
    assert any(MARKER in text for text in texts(redaction_briefing))


def test_public_tailoring_removes_every_internal_item(redaction_briefing: Briefing) -> None:
    public = tailor(redaction_briefing, load_audiences()["public"])

    assert internal_items(public) == []
    leaked = [text for text in texts(public) if MARKER in text]
    assert leaked == []


def test_public_tailoring_keeps_the_public_items_around_them(
    redaction_briefing: Briefing,
) -> None:
    public = tailor(redaction_briefing, load_audiences()["public"])

    assert [s.id for s in public.sections] == [
        "messages",
        "commitments",
        "summits",
        "budget",
        "events",
    ]
    kept = texts(public)
    for text in [
        "Public message one.",
        "Public message two.",
        "Public commitment point.",
        "public figure label",
        "Public summit",
        "Public Increase Body",
        "Public provision.",
        "Public event.",
    ]:
        assert text in kept


def test_public_tailoring_keeps_derived_figures(redaction_briefing: Briefing) -> None:
    public = tailor(redaction_briefing, load_audiences()["public"])
    (budget,) = public.sections_of_kind("budget_resolution")
    assert budget.model_dump()["final_percent_of_base"] == 200


def test_delegation_keeps_internal_items(redaction_briefing: Briefing) -> None:
    delegation = tailor(redaction_briefing, load_audiences()["delegation"])
    assert delegation == redaction_briefing
    assert len(internal_items(delegation)) == len(internal_items(redaction_briefing))


def test_public_drops_sources_cited_only_by_internal_items(
    redaction_briefing: Briefing,
) -> None:
    # The internal memo is cited only by an internal point; listing it in a public edition
    # tells the reader what the redacted text relied on.
    public = tailor(redaction_briefing, load_audiences()["public"])
    assert "internal-memo" not in {source.id for source in public.sources}


def test_tailoring_does_not_change_the_original(redaction_briefing: Briefing) -> None:
    before = redaction_briefing.model_dump()
    tailor(redaction_briefing, load_audiences()["public"])
    assert redaction_briefing.model_dump() == before


def test_section_order_follows_the_profile(redaction_briefing: Briefing) -> None:
    profile = audience(sections=["events", "messages", "budget"], visibility=["public"])
    tailored = tailor(redaction_briefing, profile)
    assert [section.id for section in tailored.sections] == ["events", "messages", "budget"]


def test_shipped_executive_sections_follow_its_profile(shipped_briefing: Briefing) -> None:
    executive = load_audiences()["executive"]
    tailored = tailor(shipped_briefing, executive)
    assert executive.sections is not None
    assert [section.id for section in tailored.sections] == list(executive.sections)


def test_internal_section_named_by_a_public_profile_is_still_dropped(
    redaction_briefing: Briefing,
) -> None:
    profile = audience(sections=["lines", "messages"], visibility=["public"])
    tailored = tailor(redaction_briefing, profile)
    assert [section.id for section in tailored.sections] == ["messages"]


def test_profile_asking_for_a_missing_section(redaction_briefing: Briefing) -> None:
    profile = audience(sections=["messages", "no-such-section"])
    with pytest.raises(DataError) as caught:
        tailor(redaction_briefing, profile)
    # A profile made in code has no file: it is named by its name.
    assert str(caught.value) == (
        "audience 'test': sections.1: the briefing 'redaction-fixture' has no section "
        "'no-such-section'; its sections are: messages, commitments, summits, budget, events, "
        "lines"
    )


def write_profile(folder: Path, text: str) -> Path:
    path = folder / "board.yaml"
    path.write_text("name: board\ndescription: Board.\nmarking: X\n" + text)
    return path


def profile_problems(folder: Path) -> list[str]:
    with pytest.raises(DataError) as caught:
        load_audiences(folder)
    return [str(problem) for problem in caught.value.problems]


def assert_in_plain_words(message: str) -> None:
    """No Python class name, no pattern, no pydantic prefix: what a designer can act on."""
    for jargon in ("reportgen.", " object", "Value error", "pattern", "^", "$'", "Extra inputs"):
        assert jargon not in message, message


def test_a_misspelt_profile_key_suggests_the_nearest(tmp_path: Path) -> None:
    path = write_profile(tmp_path, 'theme:\n  primary_colour: "#0b5d3b"\nvisiblity: [public]\n')
    problems = profile_problems(tmp_path)
    assert problems == [
        f"{path}:5: theme.primary_colour: unknown key 'primary_colour' (did you mean "
        "'primary'?); the keys here are: primary, accent, ink, muted, panel, cover_accent, "
        "body_font, heading_font, logo, logo_alt, cover_image, stylesheets",
        f"{path}:6: visiblity: unknown key 'visiblity' (did you mean 'visibility'?); the keys "
        "here are: visibility, name, description, edition, template, sections, page_limit, "
        "marking, languages, theme, pdf_variant",
    ]
    for problem in problems:
        assert_in_plain_words(problem)


def test_a_misspelt_required_key_is_said_once_at_the_misspelt_line(tmp_path: Path) -> None:
    path = tmp_path / "board.yaml"
    path.write_text("name: board\ndescription: Board.\n\nmarkings: PUBLIC\n")
    assert profile_problems(tmp_path) == [
        f"{path}:4: markings: unknown key 'markings' (did you mean 'marking'?); the keys here "
        "are: marking, name, description, edition, template, sections, visibility, page_limit, "
        "languages, theme, pdf_variant",
    ]


def test_a_missing_required_key_says_what_it_is_and_how_to_write_it(tmp_path: Path) -> None:
    path = tmp_path / "board.yaml"
    path.write_text("name: board\ndescription: Board.\ntheme:\n  accent: teal\n")
    assert profile_problems(tmp_path) == [
        f"{path}:1: marking: missing setting 'marking' (classification marking printed on every "
        "page; one text, or one per language, e.g. marking: PUBLIC)",
    ]


@pytest.mark.parametrize(
    ("theme", "fix"),
    [
        ('  primary "#0b5d3b"\n  accent: "#b8860b"\n', 'primary: "#0b5d3b"'),
        ('  primary "#0b5d3b"    # cover\n  accent: teal  # marking\n', 'primary: "#0b5d3b"'),
        ("  primary teal\n  accent: teal\n", "primary: teal"),
    ],
)
def test_a_theme_key_without_its_colon_is_named_with_its_fix(
    tmp_path: Path, theme: str, fix: str
) -> None:
    # PyYAML stumbles on the next line, where it reads as bad indentation.
    path = write_profile(tmp_path, "theme:\n" + theme)
    (problem,) = profile_problems(tmp_path)
    assert problem == (
        f"{path}:5:3: a key without its colon: write {fix}, with a colon and a space"
    )


@pytest.mark.parametrize("colour", ["purpleish", "purple-ish", "#0b5d3b;", "url(x)"])
def test_every_bad_colour_gets_the_same_plain_message(tmp_path: Path, colour: str) -> None:
    # Before, a value with a character colours never have got the pattern it failed, while a
    # misspelt name got these words, after "Value error, ".
    path = write_profile(tmp_path, f"theme:\n  accent: {colour!r}\n")
    (problem,) = profile_problems(tmp_path)
    assert problem == (
        f"{path}:5: theme.accent: {colour!r} is not a CSS colour (use #rrggbb, e.g. '#0b5d3b', "
        "a name like 'teal', or rgb(11, 93, 59))"
    )


@pytest.mark.parametrize(
    ("setting", "says"),
    [
        ("template: press.html", "use a template file name ending in .html.j2"),
        ("theme:\n  body_font: 'Noto; Sans'", "use a font family name of letters, digits"),
        ("theme:\n  logo: 'img/<logo>.svg'", "use a path inside your template folder"),
        ("sections: [Key_Messages]", "use lower-case letters and digits, words joined by"),
    ],
)
def test_a_value_of_the_wrong_form_says_the_form_in_words(
    tmp_path: Path, setting: str, says: str
) -> None:
    write_profile(tmp_path, setting + "\n")
    (problem,) = profile_problems(tmp_path)
    assert says in problem
    assert_in_plain_words(problem)


def test_a_listed_section_its_visibility_leaves_out_is_a_warning_with_its_line(
    tmp_path: Path, redaction_briefing: Briefing, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_profile(tmp_path, "sections:\n  - messages\n  - lines\n")
    profile = load_audiences(tmp_path)["board"]
    internal = redaction_briefing.section("lines")
    assert internal.visibility is Visibility.INTERNAL

    tailored = tailor(redaction_briefing, profile)

    assert [section.id for section in tailored.sections] == ["messages"]
    assert [record.getMessage() for record in caplog.records] == [
        f"{path}:6: sections.1: section 'lines' is marked visibility: internal, which this "
        "audience does not show (visibility: [public]), so it is left out; add internal to "
        "visibility, or take the section out of sections"
    ]
    assert caplog.records[0].levelname == "WARNING"


def test_under_warnings_as_errors_the_left_out_section_stops_the_tailoring(
    tmp_path: Path, redaction_briefing: Briefing, caplog: pytest.LogCaptureFixture
) -> None:
    write_profile(tmp_path, "sections: [messages, lines]\n")
    profile = load_audiences(tmp_path)["board"]
    with warnings_as_errors(), pytest.raises(DataError) as caught:
        tailor(redaction_briefing, profile)
    assert "section 'lines' is marked visibility: internal" in str(caught.value)
    assert not caplog.records
    # Outside it, a warning again.
    tailor(redaction_briefing, profile)
    assert len(caplog.records) == 1


def test_sections_all_shown_or_all_named_public_warn_of_nothing(
    tmp_path: Path, redaction_briefing: Briefing, caplog: pytest.LogCaptureFixture
) -> None:
    # Without a sections list nothing was asked for by name: redaction is what public means.
    tailor(redaction_briefing, audience())
    tailor(redaction_briefing, audience(sections=["lines"], visibility=["public", "internal"]))
    assert not caplog.records


# ---- Reading profiles: the rule of reportgen.files -------------------------------------------

PROMPTLY = 30.0  # seconds: far more than a refusal takes, far less than a hang


def invoke_promptly(*args: str) -> Result:
    """The command's result, failing the test (not hanging it) if the command blocks.

    An alarm rather than a thread: the command sets signal handlers, which only the main
    thread may, and the alarm interrupts a blocking open() in it.
    """

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"reportgen {' '.join(args)} still running after {PROMPTLY:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, PROMPTLY)
    try:
        return CliRunner().invoke(main, list(args))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def assert_one_error_line(result: Result, expected: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stderr.splitlines() == [f"error: {expected}"]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A briefings project with a template folder of its own, and earlier outputs."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "briefing.yaml").write_bytes(EXAMPLE_BRIEFING.read_bytes())
    (tmp_path / "templates" / "audiences").mkdir(parents=True)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "earlier.pdf").write_bytes(b"%PDF-1.7\n% an earlier build\n%%EOF\n")
    return tmp_path


def outputs(project: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted((project / "out").iterdir())}


def test_a_named_pipe_in_audiences_is_refused_at_once_by_audiences_and_build(
    project: Path,
) -> None:
    os.mkfifo(project / "templates" / "audiences" / "public.yaml")
    before = outputs(project)
    refusal = "templates/audiences/public.yaml: is not a regular file (it is a named pipe)"

    assert_one_error_line(invoke_promptly("audiences", "--templates", "templates"), refusal)
    build = invoke_promptly(
        "build", "--templates", "templates", "--time-limit", "5", "--out", "out"
    )
    assert_one_error_line(build, refusal)
    assert outputs(project) == before


def test_a_profile_linking_out_of_its_folder_is_refused_by_audiences_and_build(
    project: Path,
) -> None:
    (project / "secret.yaml").write_text("name: public\ndescription: Stolen.\nmarking: X\n")
    (project / "templates" / "audiences" / "public.yaml").symlink_to(project / "secret.yaml")
    before = outputs(project)
    refusal = (
        "templates/audiences/public.yaml: links to a file outside its audiences folder; refused"
    )

    assert_one_error_line(invoke_promptly("audiences", "--templates", "templates"), refusal)
    build = invoke_promptly("build", "--templates", "templates", "--out", "out")
    assert_one_error_line(build, refusal)
    assert outputs(project) == before
    assert "Stolen" not in build.output


def test_a_profile_link_to_dev_zero_is_refused_without_reading_it(project: Path) -> None:
    (project / "templates" / "audiences" / "zero.yaml").symlink_to("/dev/zero")
    assert_one_error_line(
        invoke_promptly("audiences", "--templates", "templates"),
        "templates/audiences/zero.yaml: links to a file outside its audiences folder; refused",
    )


def test_loading_a_profile_checks_it_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Between finding and loading, the profile became a link out of its folder.
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "audiences"
    folder.mkdir()
    (tmp_path / "secret.yaml").write_text("name: press\ndescription: Stolen.\nmarking: X\n")
    (folder / "press.yaml").symlink_to(tmp_path / "secret.yaml")
    with pytest.raises(DataError) as caught:
        load_profiles({"press": folder / "press.yaml"})
    assert str(caught.value) == (
        "audiences/press.yaml: links to a file outside its audiences folder; refused"
    )


def test_a_profile_over_its_cap_is_refused_unread(tmp_path: Path) -> None:
    folder = tmp_path / "audiences"
    folder.mkdir()
    with (folder / "big.yaml").open("wb") as stream:
        stream.truncate(3 * 1024**3)
    with pytest.raises(DataError, match="is 3 GiB; the limit for an audience profile is 2 MiB"):
        load_audiences(folder)
