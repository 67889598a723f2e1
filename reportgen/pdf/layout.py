"""HTML to PDF with WeasyPrint, failing on anything it could not load; and atomic writes."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from reportgen.errors import BuildError, FontNotFoundError, MissingGlyphsError, ResourceError
from reportgen.pdf.fonts import missing_families, project_font_configuration
from reportgen.pdf.standards import DEFAULT_VARIANT, VARIANTS, PdfVariantName, identify_as_pdf_ua

logger = logging.getLogger(__name__)

HARFBUZZ_SUBSET_HINT = (
    "libharfbuzz-subset was not found, so WeasyPrint subsets fonts with the slower fontTools; "
    "install it for faster builds (Debian/Ubuntu: apt-get install libharfbuzz-subset0)"
)


@dataclass(frozen=True)
class RenderedPdf:
    """A laid-out PDF, in memory until written."""

    content: bytes
    pages: int


@dataclass(frozen=True)
class EmbeddedFile:
    """A file carried inside the PDF, with its PDF/A-3 relationship ("Source", "Data", ...)."""

    name: str
    description: str
    content: bytes
    media_type: str
    relationship: str


@dataclass(frozen=True)
class PdfOptions:
    """What kind of PDF to write: standard, embedded files, the date they carry, a page cap."""

    variant: PdfVariantName = DEFAULT_VARIANT
    embedded: tuple[EmbeddedFile, ...] = ()
    date: dt.date | None = None
    max_pages: int | None = None
    # For the screen only (`reportgen preview`): no tags, no PDF standard, no embedded files,
    # which spares the tag tree's building and finishing, a good part of a layout's time.
    draft: bool = False
    # Font families the document must have, each with the setting that asks for it (e.g.
    # ("theme.heading_font", "Noto Sans")): without installed fonts, a family nobody declared
    # would silently become the next one in the list.
    fonts: tuple[tuple[str, str], ...] = ()


def render_pdf(
    html: str, base_dir: Path, allowed_roots: Iterable[Path], options: PdfOptions = PdfOptions()
) -> RenderedPdf:
    """Lay out ``html`` as a tagged PDF of ``options.variant``, carrying ``options.embedded``.

    Relative URLs resolve against ``base_dir``. Only files under ``allowed_roots`` and ``data:``
    URLs are served; anything else, or anything missing, raises `ResourceError` rather than
    giving a PDF with holes in it; so does a document longer than ``options.max_pages``.
    """
    # Imported here: WeasyPrint takes most of a second to import, and `validate` and `--help`
    # must not pay for it.
    from weasyprint import HTML

    # Here too: a build that finds every output current writes only its manifest, and should
    # not load urllib for that.
    from reportgen.pdf.fetcher import confined_fetcher

    _warn_once_without_harfbuzz_subset()
    fetcher = confined_fetcher(tuple(root.resolve() for root in allowed_roots))
    with _collect_weasyprint_errors() as (logged, missing):
        try:
            source = HTML(string=html, base_url=_directory_url(base_dir), url_fetcher=fetcher)
            font_config = project_font_configuration()
            document = source.render(font_config=font_config)
            _refuse_attachments(document)
            _require_fonts(font_config, options.fonts)
            if options.max_pages is not None and len(document.pages) > options.max_pages:
                raise ResourceError(
                    f"the PDF would have {len(document.pages)} pages; "
                    f"the cap is {options.max_pages}"
                )
            pdf = RenderedPdf(content=_write(document, options), pages=len(document.pages))
        except (KeyboardInterrupt, SystemExit, MemoryError, ResourceError):
            raise
        # BaseException: a refused fetch raises WeasyPrint's FatalURLFetchingError, which is one.
        except BaseException as error:
            if fetcher.refusals:
                raise ResourceError(_refusal_message(fetcher.refusals)) from None
            raise BuildError(f"WeasyPrint failed: {type(error).__name__}: {error}") from error
    # Some failures (inside SVG images, for one) are logged by WeasyPrint, not raised.
    if fetcher.refusals:
        raise ResourceError(_refusal_message(fetcher.refusals))
    if logged:
        raise BuildError("WeasyPrint reported errors:\n" + "\n".join(logged))
    if missing:
        raise MissingGlyphsError(list(missing))
    return pdf


def _write(document: Any, options: PdfOptions) -> bytes:
    from weasyprint import Attachment

    if options.draft:
        draft: bytes = document.write_pdf(custom_metadata=True)
        return draft

    # Here, not at the top: pikepdf takes a tenth of a second to import, and `--help`, `--check`
    # and `diff` import this module without writing a PDF.
    from reportgen.pdf.tagging import finish_structure

    variant = VARIANTS[options.variant]
    if options.embedded and not variant.can_embed_files:
        raise BuildError(f"{options.variant} cannot carry embedded files")
    # Attachments are dated from the data, never the clock, so rebuilds give the same bytes.
    when = dt.datetime.combine(options.date or dt.date(2000, 1, 1), dt.time(), dt.UTC)
    attachments = [
        Attachment(
            file_obj=io.BytesIO(item.content),
            name=item.name,
            description=item.description,
            created=when,
            modified=when,
            relationship=item.relationship,
        )
        for item in options.embedded
    ]
    pdf: bytes = document.write_pdf(
        pdf_variant=variant.weasyprint_variant,
        pdf_tags=True,
        attachments=attachments,
        # <meta> names besides WeasyPrint's own become document information entries: a draft
        # edition's "untranslated" list (templates/base.html.j2) among them.
        custom_metadata=True,
        finisher=identify_as_pdf_ua if variant.also_pdf_ua else None,
    )
    return finish_structure(pdf)


def _require_fonts(font_config: Any, fonts: tuple[tuple[str, str], ...]) -> None:
    missing = set(missing_families(font_config, [family for _, family in fonts]))
    if missing:
        raise FontNotFoundError(
            "\n".join(
                f"{setting}: no font {family!r} is bundled or declared with @font-face, and "
                'reportgen uses no installed fonts (see "Fonts" in docs/customising.md)'
                for setting, family in fonts
                if family in missing
            )
        )


def _refuse_attachments(document: Any) -> None:
    """Templates may not embed files: it would ship project files inside the PDF unasked, and
    WeasyPrint dates attachments by the clock, which breaks byte-identical rebuilds."""
    attached = [
        str(getattr(item, "name", None) or "a <link rel=attachment>")
        for item in document.metadata.attachments
    ]
    attached += [
        link[1] for page in document.pages for link in page.links if link[0] == "attachment"
    ]
    if attached:
        raise ResourceError("templates may not attach files to the PDF: " + ", ".join(attached))


def warm_up(base_dir: Path, *, lay_out: bool = True) -> None:
    """Import WeasyPrint and, if ``lay_out``, lay out a tiny page with the built-in stylesheet,
    in this process (a layout worker, before its first job).

    The first layout in a process initialises fontconfig, Pango and HarfBuzz, loads the bundled
    fonts and the hyphenation patterns, and has cffi parse the C types it uses: about 0.2 s.
    That pays only when layouts queue for a worker: a layout that starts at once pays the same
    0.2 s itself, and the page would only delay it.
    """
    from reportgen.pdf.libraries import import_weasyprint

    import_weasyprint()
    from weasyprint import HTML

    from reportgen.pdf.fetcher import confined_fetcher  # for the layouts, as WeasyPrint

    if not lay_out:
        return
    fetcher = confined_fetcher((base_dir.resolve(),))
    page = (
        '<html lang="en"><head><link rel="stylesheet" href="style/briefing.css"></head>'
        "<body><h1>Warm</h1><p>up <b>bold</b> <i>italic</i></p></body></html>"
    )
    HTML(string=page, base_url=_directory_url(base_dir), url_fetcher=fetcher).write_pdf(
        font_config=project_font_configuration()
    )


def _directory_url(directory: Path) -> str:
    return directory.resolve().as_uri() + "/"


def _refusal_message(refusals: list[str]) -> str:
    return "refused or missing resources:\n" + "\n".join(f"  {item}" for item in refusals)


@contextlib.contextmanager
def _collect_weasyprint_errors() -> Iterator[tuple[list[str], dict[str, None]]]:
    """Collect what WeasyPrint logs at ERROR level while the block runs, and the warnings that
    mean a wrong page (an @font-face that did not load); and, apart, the characters it drew as
    an empty box because no font has them (in order, once each)."""
    collected: list[str] = []
    missing: dict[str, None] = {}

    class Collector(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = str(record.msg)
            if message.startswith(".notdef glyph") and isinstance(record.args, tuple):
                missing[str(record.args[0])] = None
            elif (
                record.levelno >= logging.ERROR
                or message.startswith(".notdef glyph")
                # Only a warning to WeasyPrint, but the text would silently use another font.
                or (message.startswith("Font-face") and "cannot be loaded" in message)
            ):
                collected.append(record.getMessage() + _causes(record))

    handler = Collector(logging.WARNING)
    weasyprint_logger = logging.getLogger("weasyprint")
    # The CLI quietens WeasyPrint's logger; while collecting it must still emit what we need,
    # without printing it a second time through the root logger.
    level, propagate = weasyprint_logger.level, weasyprint_logger.propagate
    if level == logging.NOTSET or level > logging.WARNING:
        weasyprint_logger.setLevel(logging.WARNING)
        weasyprint_logger.propagate = False
    weasyprint_logger.addHandler(handler)
    try:
        yield collected, missing
    finally:
        weasyprint_logger.removeHandler(handler)
        weasyprint_logger.setLevel(level)
        weasyprint_logger.propagate = propagate


def _causes(record: logging.LogRecord) -> str:
    """What WeasyPrint's message leaves out: it wraps the real error ("decompression bomb",
    "undefined entity") in one of its own whose text is empty."""
    arguments = record.args if isinstance(record.args, tuple) else ()
    causes = []
    for argument in arguments:
        cause = argument.__cause__ if isinstance(argument, BaseException) else None
        while cause is not None:
            causes.append(f"{type(cause).__name__}: {cause}")
            cause = cause.__cause__
    return f" ({'; '.join(causes)})" if causes else ""


@cache
def _warn_once_without_harfbuzz_subset() -> None:
    import ctypes.util

    if ctypes.util.find_library("harfbuzz-subset") is None:
        logger.warning(HARFBUZZ_SUBSET_HINT)
