"""What a PDF was made from: the embedded source data and build record, and getting them back."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from reportgen import versions
from reportgen.audiences import Audience
from reportgen.errors import ReportgenError
from reportgen.models import Briefing
from reportgen.pdf import EmbeddedFile

SOURCE_DATA_NAME = "briefing.json"
BUILD_RECORD_NAME = "build-record.json"


def embedded_files(
    briefing: Briefing, audience: Audience, search_path: Sequence[Path]
) -> tuple[EmbeddedFile, ...]:
    """The audience's briefing as validated JSON, and the record of how the PDF was built.

    The data is the *tailored* briefing: a public PDF carries nothing it does not show.
    """
    data = briefing.model_dump_json(round_trip=True, indent=2).encode() + b"\n"
    record = {
        "audience": audience.name,
        "inputs_sha256": inputs_digest(data, audience, search_path),
        "reportgen": versions.REPORTGEN,
        "weasyprint": versions.weasyprint(),
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
            description="How this PDF was built: audience, digest of inputs, software versions",
            content=json.dumps(record, indent=2, sort_keys=True).encode() + b"\n",
            media_type="application/json",
            relationship="Data",
        ),
    )


def inputs_digest(data: bytes, audience: Audience, search_path: Sequence[Path]) -> str:
    """SHA-256 over the data, the audience profile and every file on the template search path.

    Paths enter the digest relative to their folder, so the same inputs give the same digest
    on any machine and in any checkout.
    """
    digest = hashlib.sha256()
    for part in (data, audience.model_dump_json().encode()):
        digest.update(len(part).to_bytes(8, "big") + part)
    for index, folder in enumerate(search_path):
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            name = f"{index}/{path.relative_to(folder).as_posix()}".encode()
            content = path.read_bytes()
            digest.update(len(name).to_bytes(8, "big") + name)
            digest.update(len(content).to_bytes(8, "big") + content)
    return digest.hexdigest()


def extract(pdf_path: Path, out_dir: Path) -> list[Path]:
    """Write the files embedded in ``pdf_path`` into ``out_dir``; never overwrites a file."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

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
