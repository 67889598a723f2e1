"""reportgen: validated briefing data to finished PDF briefings.

The public API: `build` a briefing's PDFs, `check` whether they are current, `load_briefing` to
validate data, and the errors. Names are imported on first use (PEP 562), so ``import reportgen``
and the command line's start stay fast; WeasyPrint loads only when a PDF is laid out.
"""

from __future__ import annotations

import importlib
from typing import Any

from reportgen.errors import ReportgenError

_LAZY = {
    "BuiltFile": "reportgen.build",
    "build": "reportgen.build",
    "check": "reportgen.build",
    "render_variants": "reportgen.build",
    "load_briefing": "reportgen.loading",
}

__all__ = [
    "BuiltFile",
    "ReportgenError",
    "__version__",
    "build",
    "check",
    "load_briefing",
    "render_variants",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from reportgen.versions import REPORTGEN

        return REPORTGEN
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'reportgen' has no attribute {name!r}")
