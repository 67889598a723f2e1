"""Fonts for layout: the bundled ones and those the stylesheets declare, never the system's.

WeasyPrint's own font configuration starts from every font installed on the machine, so a
character the bundled fonts lack would be drawn with whatever font that machine happens to have:
a PDF that differs from machine to machine, built from files outside the project's folders.
Starting from a Fontconfig configuration that holds only the bundled fonts instead, a character
no font has is drawn as an empty box, which WeasyPrint reports and `reportgen.pdf` turns into an
error.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from functools import cache
from typing import Any

from reportgen.paths import BUILTIN_TEMPLATES

BUNDLED_FONTS = BUILTIN_TEMPLATES / "fonts"


def project_font_configuration() -> Any:
    """A WeasyPrint ``FontConfiguration`` holding the bundled fonts, under their own family
    names, and then the ``@font-face`` fonts of the document; nothing else."""
    # Imported here, as everywhere: WeasyPrint is slow to import and only layout needs it.
    from weasyprint.text.ffi import ffi, fontconfig, gobject, pangoft2
    from weasyprint.text.fonts import FontConfiguration

    class ProjectFontConfiguration(FontConfiguration):  # type: ignore[misc]
        def __init__(self) -> None:
            # WeasyPrint's __init__, but from FcConfigCreate (an empty configuration) where it
            # calls FcInitLoadConfigAndFonts (the system's fonts.conf and every installed font).
            # Fonts added by add_font_face go into this configuration, as they would into that.
            self._config = ffi.cast("FcConfig *", _empty_fontconfig_configuration())
            # Without a single font, Pango crashes on the first text of a page that declares
            # none; and a template may use the bundled fonts without declaring them.
            for path in sorted(BUNDLED_FONTS.glob("*.ttf")):
                fontconfig.FcConfigAppFontAddFile(self._config, os.fsencode(path))
            self.font_map = ffi.gc(pangoft2.pango_ft2_font_map_new(), gobject.g_object_unref)
            pangoft2.pango_fc_font_map_set_config(
                ffi.cast("PangoFcFontMap *", self.font_map), self._config
            )
            # pango_fc_font_map_set_config keeps its own reference to the configuration.
            fontconfig.FcConfigDestroy(self._config)
            self._folder = None
            self.strut_layouts: dict[Any, Any] = {}
            self.font_features: dict[Any, Any] = {}

    return ProjectFontConfiguration()


# The names WeasyPrint tries for the same library, on Linux, macOS and Windows.
FONTCONFIG_NAMES = ("libfontconfig.so.1", "libfontconfig.1.dylib", "libfontconfig-1.dll")


@cache
def _fontconfig() -> ctypes.CDLL:
    # WeasyPrint's bindings do not declare FcConfigCreate; this opens the library it loaded.
    for name in (*FONTCONFIG_NAMES, ctypes.util.find_library("fontconfig")):
        if name is None:
            continue
        try:
            library = ctypes.CDLL(name)
        except OSError:
            continue
        library.FcConfigCreate.restype = ctypes.c_void_p
        library.FcConfigCreate.argtypes = []
        return library
    raise OSError("cannot load Fontconfig, which WeasyPrint itself loaded")


def _empty_fontconfig_configuration() -> int:
    """The address of a new, empty ``FcConfig``: no configuration files read, no fonts."""
    address: int | None = _fontconfig().FcConfigCreate()
    if not address:
        raise MemoryError("Fontconfig could not create a configuration")
    return address
