"""The versions of reportgen and of the software its PDFs depend on, found without importing it.

They go into every inputs digest, so an up-to-date check needs them; importing WeasyPrint (most
of a second) or `importlib.metadata` (a tenth of the whole check) to ask would cost more than
the check itself.
"""

from __future__ import annotations

import importlib.util
import re
from functools import cache
from pathlib import Path

# The one place reportgen's version is written; pyproject.toml reads it from here.
REPORTGEN = "0.2.0"

# The Python packages whose code makes the PDF's bytes, and the C libraries WeasyPrint lays out
# text with (their soname, and the function that returns their version).
PYTHON_PACKAGES = ("weasyprint", "pydyf", "fontTools")
C_LIBRARIES = {
    "pango": ("libpango-1.0.so.0", "pango_version_string"),
    "harfbuzz": ("libharfbuzz.so.0", "hb_version_string"),
}
_VERSION_LINE = re.compile(r"""^\w*\s*=?\s*__version__ = ['"]([^'"]+)['"]""", re.MULTILINE)


@cache
def python_package(name: str) -> str:
    """An installed package's version, read from its ``__init__.py``; "unknown" if absent."""
    spec = importlib.util.find_spec(name)
    if spec is not None and spec.origin is not None:
        source = Path(spec.origin).read_text(encoding="utf-8")
        if match := _VERSION_LINE.search(source):
            return match.group(1)
    from importlib.metadata import PackageNotFoundError, version  # a layout we do not know

    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


@cache
def c_library(name: str) -> str:
    """The version a C library reports of itself ("unknown" where it cannot be loaded)."""
    import ctypes

    soname, function = C_LIBRARIES[name]
    try:
        library = ctypes.CDLL(soname)
    except OSError:
        return "unknown"
    version_string = getattr(library, function)
    version_string.restype = ctypes.c_char_p
    return str(version_string().decode())


def software() -> dict[str, str]:
    """Every version an output depends on, by name."""
    versions = {"reportgen": REPORTGEN}
    versions |= {name: python_package(name) for name in PYTHON_PACKAGES}
    versions |= {name: c_library(name) for name in C_LIBRARIES}
    return versions
