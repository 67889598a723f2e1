"""reportgen: validated briefing data to finished PDF briefings.

The public API: `build` a briefing's PDFs, `load_briefing` to validate data, and the errors.
WeasyPrint is imported only when a PDF is laid out, so importing this package is cheap.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from reportgen.build import BuiltFile, build, render_variants
from reportgen.errors import ReportgenError
from reportgen.loading import load_briefing

try:
    __version__ = version("reportgen")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"

__all__ = [
    "BuiltFile",
    "ReportgenError",
    "__version__",
    "build",
    "load_briefing",
    "render_variants",
]
