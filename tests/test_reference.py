"""The reference of what templates can use: generated, complete, current, on the command line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import main
from reportgen.reference import BLOCKS, builtin_templates, reference, section_kinds
from reportgen.resources import BUILTIN_TEMPLATES
from reportgen.templating import HELPERS, make_environment

CHECKOUT = Path(__file__).resolve().parent.parent
DOCS_REFERENCE = CHECKOUT / "docs" / "reference.md"


def test_docs_reference_is_current() -> None:
    # To bring it up to date: reportgen reference > docs/reference.md
    assert DOCS_REFERENCE.read_text(encoding="utf-8") == reference(), (
        "docs/reference.md is out of date: run `reportgen reference > docs/reference.md`"
    )


def kind_part(text: str, kind: str) -> str:
    start = text.index(f"### `{kind}`")
    end = text.find("\n### ", start + 1)
    return text[start:end]


@pytest.mark.parametrize("kind", sorted(section_kinds()))
def test_every_field_a_built_in_section_template_reads_is_in_the_reference(kind: str) -> None:
    # Read from the template, not the model: what a designer sees used is documented.
    source = (BUILTIN_TEMPLATES / "sections" / f"{kind}.html.j2").read_text()
    used = set(re.findall(r"\bsection\.([a-z_]+)", source))
    part = kind_part(reference(), kind)
    assert used, kind
    for field in used:
        assert f"| `section.{field}` |" in part, (kind, field)


def test_every_block_of_every_built_in_template_is_listed_and_described() -> None:
    text = reference()
    for info in builtin_templates():
        source = (BUILTIN_TEMPLATES / info.name).read_text()
        named = re.findall(r"{%-?\s*block\s+(\w+)", source)
        assert [block.name for block in info.blocks] == named, info.name
        for name in named:
            assert BLOCKS.get(name), f"block {name!r} of {info.name} has no description"
            assert f"| `{name}` |" in text


def test_every_section_template_has_the_common_blocks() -> None:
    common = ["heading", "intro", "body", "notes", "after"]
    for info in builtin_templates():
        if info.name.startswith("sections/"):
            names = [block.name for block in info.blocks]
            assert all(name in names for name in common), (info.name, names)


def test_every_helper_and_filter_is_in_the_reference() -> None:
    text = reference()
    for usage, _ in HELPERS.values():
        assert f"`{usage}`" in text
    for name in make_environment().filters:
        assert f"`{name}`" in text


def test_examples_come_from_the_shipped_briefing() -> None:
    part = kind_part(reference(), "office")
    assert "| `section.established` | year | 2001 |" in part
    assert "| `section.short_name` | short text | OHCHR-Mexico |" in part


def test_no_python_leaks_into_the_reference() -> None:
    text = reference()
    for jargon in ("NoneType", "typing.", "Annotated", "<class", "reportgen.models", "tuple["):
        assert jargon not in text


def test_the_command_prints_the_reference_or_one_kind() -> None:
    runner = CliRunner()
    everything = runner.invoke(main, ["reference"])
    assert everything.exit_code == 0
    assert everything.output == reference()
    one = runner.invoke(main, ["reference", "timeline"])
    assert one.exit_code == 0
    assert one.output.startswith("### `timeline`")
    assert "| `section.events` |" in one.output
    assert "`office`" not in one.output


def test_an_unknown_kind_is_a_usage_error_naming_the_nearest() -> None:
    result = CliRunner().invoke(main, ["reference", "timelines"])
    assert result.exit_code == 2
    assert "'timelines' is not a kind of section (did you mean 'timeline'?)" in result.output
