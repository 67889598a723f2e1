"""The pipeline: load once, render and lay out every requested variant, then write them."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reportgen.audiences import Audience, discover_audiences, select, tailor
from reportgen.errors import AudienceError, PageLimitError, ReportgenError, VariantsFailedError
from reportgen.limits import DEFAULT_LIMITS, Limits, run_limited
from reportgen.loading import load_briefing
from reportgen.models import Briefing
from reportgen.paths import BUILTIN_TEMPLATES, DEFAULT_OUTPUT, SHIPPED_DATA
from reportgen.pdf import PdfOptions
from reportgen.provenance import embedded_files
from reportgen.standards import PdfVariantName
from reportgen.templating import make_environment, render_html, template_search_path

if TYPE_CHECKING:
    from reportgen.pdf import RenderedPdf

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Variant:
    """One audience's rendering of a briefing, before it becomes a PDF."""

    audience: Audience
    briefing: Briefing
    html: str

    @property
    def file_name(self) -> str:
        return f"{self.briefing.id}-{self.audience.name}.pdf"


@dataclass(frozen=True)
class BuiltFile:
    """A PDF that a build wrote."""

    audience: str
    path: Path
    pages: int
    size: int


def render_variants(
    data: Path, audience_names: Sequence[str] = (), template_dirs: Sequence[Path] = ()
) -> list[Variant]:
    """Load and validate ``data`` and render each audience's HTML; writes nothing."""
    briefing = load_briefing(data)
    found = discover_audiences(template_dirs)
    audiences = select(audience_names, {name: profile for name, (profile, _) in found.items()})
    environment = make_environment(template_dirs)
    variants = []
    for audience in audiences:
        try:
            tailored = tailor(briefing, audience)
        except AudienceError as error:
            raise AudienceError(f"{found[audience.name][1]}: {error}") from None
        variants.append(Variant(audience, tailored, render_html(tailored, audience, environment)))
    return variants


def build(
    data: Path = SHIPPED_DATA,
    audience_names: Sequence[str] = (),
    out_dir: Path = DEFAULT_OUTPUT,
    template_dirs: Sequence[Path] = (),
    *,
    limits: Limits = DEFAULT_LIMITS,
    pdf_variant: PdfVariantName | None = None,
) -> list[BuiltFile]:
    """Build the PDF of each requested audience (all when none is named) into ``out_dir``.

    Every variant is laid out, each in its own process within ``limits``, before the first file
    is written. A variant that fails does not stop the others being tried, so one run reports
    every failure; but if any fails nothing is written and earlier outputs stay as they were.
    Each PDF is tagged, of ``pdf_variant`` (else its audience's), and carries its source data.
    """
    from reportgen.pdf import write_atomically

    variants = render_variants(data, audience_names, template_dirs)
    # The user's template folders may hold their own stylesheets, fonts and images.
    allowed_roots = (*template_dirs, BUILTIN_TEMPLATES, data.resolve().parent)
    documents = []
    failures: dict[str, ReportgenError] = {}
    for variant in variants:
        logger.info("laying out %s", variant.file_name)
        options = PdfOptions(
            variant=pdf_variant or variant.audience.pdf_variant,
            embedded=embedded_files(
                variant.briefing, variant.audience, template_search_path(template_dirs)
            ),
            date=variant.briefing.date,
            max_pages=limits.max_pages,
        )
        try:
            documents.append((variant, _lay_out(variant, allowed_roots, options, limits)))
        except ReportgenError as error:
            failures[variant.audience.name] = error
    if failures:
        raise VariantsFailedError(failures)

    built = []
    for variant, pdf in documents:
        target = out_dir / variant.file_name
        write_atomically(target, pdf.content)
        built.append(BuiltFile(variant.audience.name, target, pdf.pages, len(pdf.content)))
    return built


def _lay_out(
    variant: Variant, allowed_roots: tuple[Path, ...], options: PdfOptions, limits: Limits
) -> RenderedPdf:
    # Imported before the child is forked, so each child starts with WeasyPrint loaded.
    import weasyprint  # noqa: F401

    from reportgen.pdf import render_pdf

    pdf = run_limited(
        render_pdf,
        variant.html,
        BUILTIN_TEMPLATES,
        allowed_roots,
        options,
        limits=limits,
    )
    limit = variant.audience.page_limit
    if limit is not None and pdf.pages > limit:
        raise PageLimitError(
            f"audience {variant.audience.name!r} has a limit of {limit} pages, "
            f"but its PDF has {pdf.pages}"
        )
    return pdf
