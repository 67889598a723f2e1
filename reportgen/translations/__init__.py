"""Content translations: each briefing's translatable text in one gettext PO catalog per language.

`fields` finds the text a translator translates, `catalog` reads and refreshes the PO files, and
`status` says how complete each one is. Builds do not use the catalogs yet.
"""

from reportgen.editions import catalog_path
from reportgen.translations.catalog import UpdateResult, read_catalog, update
from reportgen.translations.fields import Entry, translatable_entries
from reportgen.translations.status import Finding, Status, status

__all__ = [
    "Entry",
    "Finding",
    "Status",
    "UpdateResult",
    "catalog_path",
    "read_catalog",
    "status",
    "translatable_entries",
    "update",
]
