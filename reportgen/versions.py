"""The versions of reportgen and WeasyPrint, found without importing WeasyPrint.

Both go into every input digest, so an up-to-date check needs them; `importlib.metadata` alone
would add a tenth of the time that whole check takes.
"""

from __future__ import annotations

import importlib.util
import re
from functools import cache
from pathlib import Path

# The one place reportgen's version is written; pyproject.toml reads it from here.
REPORTGEN = "0.1.0"


@cache
def weasyprint() -> str:
    """WeasyPrint's version, read from its package's ``__init__.py``."""
    spec = importlib.util.find_spec("weasyprint")
    if spec is not None and spec.origin is not None:
        source = Path(spec.origin).read_text(encoding="utf-8")
        match = re.search(r"""^VERSION = __version__ = ['"]([^'"]+)['"]""", source, re.MULTILINE)
        if match:
            return match.group(1)
    from importlib.metadata import version  # a layout we do not know: ask the slow way

    return version("weasyprint")
