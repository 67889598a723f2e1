"""Valid models built in code, for tests that vary one field at a time."""

from __future__ import annotations

from typing import Any

from reportgen.models import BudgetResolutionSection


def budget_rule(**overrides: Any) -> BudgetResolutionSection:
    """A valid budget rule (base 2020, +25 % a year for 4 years), with ``overrides`` applied."""
    fields: dict[str, Any] = {
        "id": "rule",
        "kind": "budget_resolution",
        "title": "A rule",
        "body": "An assembly",
        "place": "A place",
        "date": {"year": 2020},
        "promoted_by": "A State",
        "adoption": "by consensus",
        "purpose": "To test.",
        "beneficiary": "fixture body",
        "fund": "Fixture Fund",
        "base_year": 2020,
        "first_year": 2021,
        "increment_percent_of_base": 25,
        "years": 4,
        "target_percent_of_base": 200,
    }
    fields.update(overrides)
    return BudgetResolutionSection.model_validate(fields)
