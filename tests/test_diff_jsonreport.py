"""The JSON report follows docs/diff.schema.json, checked by an independent validator."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from reportgen.diff import diff
from reportgen.diff.jsonreport import render_json

PAIRS = Path(__file__).parent / "fixtures" / "diff"
SCHEMA = json.loads(
    (Path(__file__).parent.parent / "docs" / "diff.schema.json").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("name", ["base", "moved", "replaced", "added-removed", "edited"])
def test_every_pair_validates_against_the_schema(name: str) -> None:
    document = json.loads(render_json(diff(PAIRS / "base.yaml", PAIRS / f"{name}.yaml")))
    jsonschema.Draft202012Validator(SCHEMA).validate(document)
    assert document["changed"] is (name != "base")


def test_the_schema_would_catch_a_wrong_document() -> None:
    document = json.loads(render_json(diff(PAIRS / "base.yaml", PAIRS / "edited.yaml")))
    document["editions"][0]["status"] = "different"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(SCHEMA).validate(document)


def test_values_and_words_are_given_in_full() -> None:
    document = json.loads(render_json(diff(PAIRS / "base.yaml", PAIRS / "edited.yaml")))
    public = next(e for e in document["editions"] if e["audience"] == "public")
    assert public["edition"] == "diff-example/public/en"
    summits = next(c for c in public["changes"] if c["label"] == "summits")
    (title,) = summits["fields"]
    assert title["old"] == "UN summits" and title["new"] == "UN summits and conferences"
    assert {"op": "added", "text": " and conferences"} in title["words"]
