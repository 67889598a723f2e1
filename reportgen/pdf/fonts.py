"""Fonts for layout: the bundled ones and those the stylesheets declare, never the system's.

WeasyPrint's own font configuration starts from every font installed on the machine, so a
character the bundled fonts lack would be drawn with whatever font that machine happens to have:
a PDF that differs from machine to machine, built from files outside the project's folders.
Starting from a Fontconfig configuration that holds only the bundled fonts instead, a character
no font has is drawn as an empty box, which WeasyPrint reports and `reportgen.pdf` turns into an
error; and a family nobody declared is not there to be found (`missing_families`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import cache
from typing import Any

from reportgen.errors import BuildError
from reportgen.resources import BUNDLED_FONTS


def project_font_configuration() -> Any:
    """A WeasyPrint ``FontConfiguration`` holding the bundled fonts, under their own family
    names, and then the ``@font-face`` fonts of the document; nothing else."""
    # Imported here, as everywhere: WeasyPrint is slow to import and only layout needs it.
    from weasyprint.text.ffi import ffi, fontconfig, gobject, pangoft2
    from weasyprint.text.fonts import FontConfiguration

    class ProjectFontConfiguration(FontConfiguration):  # type: ignore[misc]
        def __init__(self) -> None:
            # WeasyPrint's __init__ (tests/test_fonts.py checks the attributes still match),
            # but from an empty configuration where it calls FcInitLoadConfigAndFonts (the
            # system's fonts.conf and every installed font). @font-face fonts join this one.
            self._config = _fontconfig().FcConfigCreate()
            # Pango crashes on the first text of a page if there is no font at all; and a
            # template may use the bundled fonts without declaring them.
            bundled = sorted(BUNDLED_FONTS.glob("*.[ot]tf"))
            added = [
                p
                for p in bundled
                if fontconfig.FcConfigAppFontAddFile(self._config, os.fsencode(p))
            ]
            if not added:
                fontconfig.FcConfigDestroy(self._config)
                raise BuildError(f"no bundled font could be loaded from {BUNDLED_FONTS}")
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


def missing_families(font_config: Any, families: Iterable[str]) -> list[str]:
    """Those of ``families`` that ``font_config`` has no font of (after a layout, so that the
    document's ``@font-face`` fonts are in it). Compared as Fontconfig compares family names:
    ignoring case and spaces."""
    from weasyprint.text.ffi import ffi, fontconfig

    def key(name: str) -> str:
        return "".join(name.split()).casefold()

    available = set()
    fonts = fontconfig.FcConfigGetFonts(font_config._config, fontconfig.FcSetApplication)
    string = ffi.new("FcChar8 **")
    for index in range(fonts.nfont if fonts != ffi.NULL else 0):
        # A font has one or more family names (a localised name, a typographic family).
        number = 0
        while fontconfig.FcPatternGetString(fonts.fonts[index], b"family", number, string) == 0:
            available.add(key(ffi.string(string[0]).decode()))
            number += 1
    return [family for family in families if key(family) not in available]


@cache
def _fontconfig() -> Any:
    """WeasyPrint's own Fontconfig handle, which knows FcConfigCreate once it is declared: the
    same library, never a second copy that Pango was not linked against."""
    from weasyprint.text.ffi import ffi, fontconfig

    ffi.cdef("FcConfig * FcConfigCreate (void);", override=True)
    return fontconfig
