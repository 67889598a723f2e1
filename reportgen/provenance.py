"""What a PDF was made from: the embedded source data and build record, and getting them back."""

from __future__ import annotations

import json
from pathlib import Path

from reportgen import versions
from reportgen.build.variants import VariantKey
from reportgen.errors import ReportgenError
from reportgen.models import Briefing
from reportgen.pdf import EmbeddedFile

SOURCE_DATA_NAME = "briefing.json"
BUILD_RECORD_NAME = "build-record.json"


def tailored_data(briefing: Briefing) -> bytes:
    """The briefing as a PDF carries it: validated JSON, after its audience's cut."""
    return briefing.model_dump_json(round_trip=True, indent=2).encode() + b"\n"


def embedded_files(key: VariantKey, data: bytes, inputs_sha256: str) -> tuple[EmbeddedFile, ...]:
    """The variant's briefing data (`tailored_data`) and the record of how the PDF was built.

    The data is the *tailored* briefing: a public PDF carries nothing it does not show. The
    record's digest is the one the manifest keeps for the PDF.
    """
    record = {
        "briefing": key.briefing,
        "audience": key.audience,
        "inputs_sha256": inputs_sha256,
        "software": versions.software(),
    }
    return (
        EmbeddedFile(
            name=SOURCE_DATA_NAME,
            description="The validated data this briefing was built from (reportgen format)",
            content=data,
            media_type="application/json",
            relationship="Source",
        ),
        EmbeddedFile(
            name=BUILD_RECORD_NAME,
            description="How this PDF was built: variant, digest of inputs, software versions",
            content=json.dumps(record, indent=2, sort_keys=True).encode() + b"\n",
            media_type="application/json",
            relationship="Data",
        ),
    )


def extract(pdf_path: Path, out_dir: Path) -> list[Path]:
    """Write the files embedded in ``pdf_path`` into ``out_dir``; never overwrites a file."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not pdf_path.is_file():
        raise ReportgenError(f"{pdf_path}: no such file")
    try:
        attachments = PdfReader(pdf_path).attachments
    except (OSError, PdfReadError) as error:
        raise ReportgenError(f"{pdf_path}: cannot read the PDF: {error}") from None
    wanted = [name for name in (SOURCE_DATA_NAME, BUILD_RECORD_NAME) if name in attachments]
    if not wanted:
        raise ReportgenError(f"{pdf_path}: carries no reportgen data (was it built by reportgen?)")
    targets = [out_dir / name for name in wanted]
    existing = [str(target) for target in targets if target.exists()]
    if existing:
        raise ReportgenError(f"will not overwrite existing files: {', '.join(existing)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, target in zip(wanted, targets, strict=True):
        target.write_bytes(attachments[name][0])
    return targets
