"""Errors survive the trip from a layout process: pickled there, unpickled in the build."""

from __future__ import annotations

import pickle

import pytest

from reportgen.errors import (
    BuildError,
    DataError,
    FontNotFoundError,
    MissingGlyphsError,
    PageLimitError,
    Problem,
    ReportgenError,
    ResourceError,
    TemplateError,
    VariantsFailedError,
)

ERRORS = [
    DataError([Problem("briefing.yaml", 3, "too long", "title", 7), Problem("b.yaml", None, "x")]),
    MissingGlyphsError(["\u4eba", "\U000233b2"]),
    FontNotFoundError("theme.heading_font: no font 'Arial' is bundled or declared"),
    TemplateError("cover.html.j2:4: 'x' is undefined"),
    ResourceError("refused or missing resources:\n  file:///etc/passwd"),
    BuildError("WeasyPrint failed"),
    PageLimitError("audience 'executive' has a limit of 2 pages, but its PDF has 3"),
    VariantsFailedError({"public": BuildError("failed")}),
]


@pytest.mark.parametrize("error", ERRORS, ids=[type(error).__name__ for error in ERRORS])
def test_an_error_unpickles_with_the_same_message_and_details(error: ReportgenError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert repr(vars(copy)) == repr(vars(error))  # exceptions do not compare by value


def test_a_missing_character_is_described_by_code_point_and_name() -> None:
    assert str(MissingGlyphsError(["\u4eba", "\U000233b2"])) == (
        'no font the templates declare can draw "\u4eba" (U+4EBA CJK UNIFIED IDEOGRAPH-4EBA), '
        '"\U000233b2" (U+233B2 CJK UNIFIED IDEOGRAPH-233B2) '
        '(to add one, see "Fonts" in docs/customising.md)'
    )


def test_one_problem_of_several_variants_is_said_once_and_different_ones_each() -> None:
    broken = "templates/sections/timeline.html.j2:3: block 'note' is not a block of ..."
    error = VariantsFailedError(
        {
            "brief/delegation": TemplateError(broken),
            "brief/executive": PageLimitError("2 pages allowed, 3 laid out"),
            "brief/public": TemplateError(broken),
        }
    )
    assert str(error).splitlines() == [
        "nothing was written; these variants failed:",
        f"brief/delegation, brief/public: {broken}",
        "brief/executive: 2 pages allowed, 3 laid out",
    ]
