"""Which text is translatable, and the contexts that name it: by id, stable under reordering."""

from __future__ import annotations

from pathlib import Path

import yaml

from reportgen.loading import load_located
from reportgen.models import Briefing, Initiative, Source
from reportgen.translations.fields import Entry, is_translatable, translatable_entries


def _entries(path: Path) -> list[Entry]:
    briefing, lines = load_located(path, Briefing)
    return list(translatable_entries(briefing, lines))


def test_contexts_are_built_from_ids_and_lines_point_at_the_data(shipped_data: Path) -> None:
    entries = {entry.context: entry for entry in _entries(shipped_data)}
    data = yaml.safe_load(shipped_data.read_text("utf-8"))
    summits = next(s for s in data["sections"] if s["id"] == "un-summits")
    agenda = next(i for i in summits["initiatives"] if i["id"] == "agenda-2030")
    entry = entries["sections.un-summits.initiatives.agenda-2030.name"]
    assert entry.text == agenda["name"]
    assert entry.line is not None
    lines = shipped_data.read_text("utf-8").splitlines()
    assert lines[entry.line - 1].strip() == f"name: {agenda['name']}"
    # Items without ids are named by their position in the id-bearing parent.
    first_message = next(s for s in data["sections"] if s["id"] == "key-messages")["messages"][0]
    assert entries["sections.key-messages.messages.0.text"].text == first_message["text"]
    assert entries["keywords.0"].text == data["keywords"][0]


def test_every_entry_has_a_line_holding_its_key_or_its_item(shipped_data: Path) -> None:
    lines = shipped_data.read_text("utf-8").splitlines()
    for entry in _entries(shipped_data):
        assert entry.line is not None, entry.context
        written = lines[entry.line - 1].strip()
        last = entry.context.rsplit(".", 1)[-1]
        if last.isdigit():
            assert written.startswith("- "), entry
        else:
            assert written.startswith(("- " + last + ":", last + ":")), entry


def test_ids_dates_numbers_urls_and_symbols_are_not_translatable(shipped_data: Path) -> None:
    texts = {entry.text for entry in _entries(shipped_data)}
    briefing = load_located(shipped_data, Briefing)[0]
    for source in briefing.sources:
        assert source.id not in texts
        assert source.reference is None or source.reference not in texts
        assert source.url is None or str(source.url) not in texts
    for section in briefing.sections:
        assert section.id not in texts
    assert briefing.language not in texts
    assert not is_translatable(Source.model_fields["url"])
    assert not is_translatable(Source.model_fields["reference"])
    assert not is_translatable(Initiative.model_fields["id"])
    assert is_translatable(Initiative.model_fields["short_name"])  # optional
    assert is_translatable(Briefing.model_fields["keywords"])  # a list of them


def test_contexts_do_not_change_when_items_with_ids_are_reordered(
    shipped_data: Path, tmp_path: Path
) -> None:
    data = yaml.safe_load(shipped_data.read_text("utf-8"))
    data["sections"].reverse()
    data["sources"].reverse()
    for section in data["sections"]:
        if section["kind"] == "initiatives":
            section["initiatives"].reverse()
    reordered = tmp_path / "reordered.yaml"
    reordered.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    before = [(entry.context, entry.text) for entry in _entries(shipped_data)]
    after = [(entry.context, entry.text) for entry in _entries(reordered)]
    assert after != before  # the order did change...
    assert sorted(after) == sorted(before)  # ...and not one context
    assert len({context for context, _ in after}) == len(after)  # no two fields share one
