"""WeasyPrint's C libraries are found from the linker cache exactly as ctypes would find them."""

from __future__ import annotations

import ctypes.util
import subprocess
import sys

import pytest

from reportgen.pdf import libraries

# The names WeasyPrint 70 asks for (weasyprint/text/ffi.py), found and not, and two of libc's.
NAMES = [
    *("libgobject-2.0-0", "gobject-2.0-0", "gobject-2.0"),
    *("libpango-1.0-0", "pango-1.0-0", "pango-1.0", "pangoft2-1.0"),
    *("libharfbuzz-0", "harfbuzz", "harfbuzz-0.0", "harfbuzz-subset", "harfbuzz-vector"),
    *("libfontconfig-1", "fontconfig-1", "fontconfig"),
    *("c", "m", "no-such-library-anywhere"),
]


@pytest.mark.skipif(libraries._linker_cache() is None, reason="this system has no ldconfig")
def test_each_name_is_found_as_ctypes_finds_it() -> None:
    cache = libraries._linker_cache()
    assert cache is not None
    find = libraries._finder(cache)
    assert [find(name) for name in NAMES] == [ctypes.util.find_library(name) for name in NAMES]
    assert find("pango-1.0") is not None  # the test means something only if some are found


def test_importing_weasyprint_leaves_ctypes_as_it_was() -> None:
    code = (
        "import ctypes.util\n"
        "before = ctypes.util.find_library\n"
        "from reportgen.pdf.libraries import import_weasyprint\n"
        "import_weasyprint()\n"
        "import sys\n"
        "assert 'weasyprint' in sys.modules\n"
        "assert ctypes.util.find_library is before\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
