"""The PDF standards reportgen offers, and what each asks of WeasyPrint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

PdfVariantName = Literal["pdf/a-3a+ua-1", "pdf/a-3a", "pdf/a-3u", "pdf/a-3b", "pdf/ua-1"]

# Archival (PDF/A-3, level A: tagged, Unicode text) and accessible (PDF/UA-1) at once, with
# room for the embedded source data PDF/A-3 allows. WeasyPrint writes one identification; the
# other is added by `_identify_as_pdf_ua` below.
DEFAULT_VARIANT: PdfVariantName = "pdf/a-3a+ua-1"

UA_NAMESPACE = b'xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/" pdfuaid:part="1"'

# PDF/A (ISO 19005-3, 6.6.2.3) admits XMP properties only from the predefined schemas or from an
# extension schema the packet itself declares; `pdfuaid` is neither predefined by PDF/A nor
# declared by WeasyPrint, so veraPDF fails PDF/A-3a and -3b without this declaration.
UA_EXTENSION_SCHEMA = (
    b'<rdf:Description rdf:about=""'
    b' xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"'
    b' xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"'
    b' xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">'
    b'<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">'
    b"<pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>"
    b"<pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>"
    b"<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>"
    b'<pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">'
    b"<pdfaProperty:name>part</pdfaProperty:name>"
    b"<pdfaProperty:valueType>Integer</pdfaProperty:valueType>"
    b"<pdfaProperty:category>internal</pdfaProperty:category>"
    b"<pdfaProperty:description>Part of ISO 14289 followed</pdfaProperty:description>"
    b"</rdf:li></rdf:Seq></pdfaSchema:property>"
    b"</rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>"
)


@dataclass(frozen=True)
class Variant:
    """How to ask WeasyPrint for one of our variant names, and what it conforms to."""

    weasyprint_variant: str
    # The veraPDF profiles (its `--flavour` names) this variant passes; `make verapdf` checks
    # each over every shipped audience. WCAG 2.2's machine profile applies to every variant,
    # all of them tagged; a PDF/A level implies the levels below it (A > U > B).
    conforms_to: tuple[str, ...]
    also_pdf_ua: bool = False

    @property
    def can_embed_files(self) -> bool:
        # PDF/A-1 and -2 forbid embedded non-PDF files; A-3 and plain PDF 1.7 (UA-1) allow them.
        return self.weasyprint_variant in {"pdf/a-3a", "pdf/a-3u", "pdf/a-3b", "pdf/ua-1"}


VARIANTS: dict[PdfVariantName, Variant] = {
    "pdf/a-3a+ua-1": Variant("pdf/a-3a", ("3a", "3u", "3b", "ua1", "wcag"), also_pdf_ua=True),
    "pdf/a-3a": Variant("pdf/a-3a", ("3a", "3u", "3b", "wcag")),
    "pdf/a-3u": Variant("pdf/a-3u", ("3u", "3b", "wcag")),
    "pdf/a-3b": Variant("pdf/a-3b", ("3b", "wcag")),
    "pdf/ua-1": Variant("pdf/ua-1", ("ua1", "wcag")),
}


def identify_as_pdf_ua(_document: Any, pdf: Any) -> None:
    """WeasyPrint finisher: add the PDF/UA-1 identification to the PDF/A XMP packet.

    XMP allows one ``rdf:RDF`` per packet, so the identification goes into the Description that
    already carries ``pdfaid:part``, rather than in a second block WeasyPrint would append.
    """
    reference = pdf.catalog["Metadata"]  # "N 0 R", as bytes or str
    if isinstance(reference, bytes):
        reference = reference.decode()
    stream = pdf.objects[int(reference.split()[0])]
    packet = b"".join(stream.stream)
    marker = b'<rdf:Description rdf:about="" pdfaid:part='
    if marker not in packet:
        raise RuntimeError("unexpected XMP from WeasyPrint: no pdfaid:part to add PDF/UA beside")
    packet = packet.replace(
        marker, b'<rdf:Description rdf:about="" ' + UA_NAMESPACE + b" pdfaid:part=", 1
    )
    stream.stream = [packet.replace(b"</rdf:RDF>", UA_EXTENSION_SCHEMA + b"</rdf:RDF>", 1)]
