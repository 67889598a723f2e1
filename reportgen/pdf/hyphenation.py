"""Whether WeasyPrint can hyphenate a language: it hyphenates with Pyphen's dictionaries."""

from __future__ import annotations


def hyphenation_available(language: str) -> bool:
    """Whether Pyphen, which WeasyPrint hyphenates with, has a dictionary for ``language``
    (BCP 47, ``es``, ``pt-BR``); without one, ``hyphens: auto`` leaves words whole."""
    import pyphen  # WeasyPrint's own dependency, imported only when asked

    return pyphen.language_fallback(language.replace("-", "_")) is not None
