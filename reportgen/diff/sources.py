"""One side of a comparison: a reportgen PDF, an output folder with its manifest, or briefing
data (a file or folder of them), read as the editions it holds, by variant.

An output folder is read from its manifest first: an edition whose PDF still matches the
manifest is known by the digest of its data without opening the PDF, so two builds that share
most editions are compared without parsing or validating what they share. Any other PDF is
read as a stranger's, with `provenance.extract`.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal

from reportgen.build import manifest
from reportgen.build.inputs import file_sha256
from reportgen.build.variants import VariantKey
from reportgen.discovery import DATA_SUFFIXES, display_name
from reportgen.errors import DiffError, ReportgenError

SideKind = Literal["pdf", "folder", "data"]


@dataclass(frozen=True)
class Edition:
    """One edition's data as a JSON-like dump of the briefing its audience sees.

    ``derived`` is False when the data did not validate with the current models (an older
    format): then the figures the models compute (the budget schedule) are not in it.
    """

    key: VariantKey
    data: Mapping[str, Any]
    derived: bool = True
    pages: int | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class EditionRef:
    """An edition before its data is read: what the side knows of it without reading it."""

    key: VariantKey
    origin: str  # the file it comes from, as messages name it
    digest: str | None  # SHA-256 of the data as embedded (`content_sha256`), when known
    pages: int | None
    load: Callable[[], Edition]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Side:
    """The editions one side holds, by variant."""

    path: Path
    kind: SideKind
    editions: dict[VariantKey, EditionRef] = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # what holds for every edition of the side


def read_side(
    path: Path,
    *,
    template_dirs: Sequence[Path] = (),
    audiences: Sequence[str] = (),
    strict: bool = False,
) -> Side:
    """The editions at ``path``: a PDF, an output folder (it has a manifest.json), or data (a
    YAML file, or a folder of them), cut for each audience as a build would (only for
    ``audiences``, when named)."""
    if path.is_dir():
        if (path / manifest.MANIFEST_NAME).exists():
            return read_folder(path, strict=strict)
        if any(found.suffix in DATA_SUFFIXES for found in path.rglob("*")):
            return read_data(path, template_dirs, audiences)
        if any(path.glob("*.pdf")):
            return read_pdfs(path, f"{display_name(path)} has no {manifest.MANIFEST_NAME}", strict)
        raise DiffError(
            f"{path}: neither an output folder (no {manifest.MANIFEST_NAME}, no PDFs) nor a "
            "folder of briefing data (*.yaml)"
        )
    if path.suffix in DATA_SUFFIXES:
        return read_data(path, template_dirs, audiences)
    if not path.exists():
        raise DiffError(f"{path}: no such file or folder")
    ref = pdf_edition(path, strict=strict)
    return Side(path, "pdf", {ref.key: ref})


def pdf_edition(path: Path, *, strict: bool = False) -> EditionRef:
    """A reportgen PDF's edition: its variant, from the build record it carries."""
    data, record = _embedded(path)
    key = _record_key(path, record)
    edition = _edition(path, key, data, record, pages=_page_count(path), strict=strict)
    return EditionRef(key, display_name(path), None, edition.pages, lambda: edition)


def read_folder(folder: Path, *, strict: bool = False) -> Side:
    """An output folder's editions, as its manifest lists them; if the manifest cannot be read
    (an older format, or damaged), as its PDFs themselves say."""
    path = folder / manifest.MANIFEST_NAME
    try:
        recorded = manifest.load(path)
    except manifest.ManifestError as error:
        reason = str(error).removesuffix(f"; {manifest.RECOVER}")
        return read_pdfs(folder, reason, strict)
    editions: dict[VariantKey, EditionRef] = {}
    for key, entry in recorded.entries.items():
        if Path(entry.file).name != entry.file or entry.file in {"", ".", ".."}:
            raise DiffError(f"{path}: variant {key}: file {entry.file!r} is not a file name")
        pdf = folder / entry.file
        if not pdf.is_file():
            raise DiffError(f"{pdf}: missing, though {path} lists it for {key}")
        try:
            matches = file_sha256(pdf) == entry.sha256
        except OSError as error:
            raise DiffError(f"{pdf}: cannot read: {error.strerror or error}") from None
        if matches:
            load = partial(_recorded_edition, pdf, key, entry.content_sha256, entry.pages, strict)
            editions[key] = EditionRef(
                key, display_name(pdf), entry.content_sha256, entry.pages, load
            )
            continue
        note = (
            f"{display_name(pdf)} is not the file {manifest.MANIFEST_NAME} records; "
            "compared from what the PDF itself carries"
        )
        load = partial(_carried_edition, pdf, key, strict, note)
        editions[key] = EditionRef(key, display_name(pdf), None, None, load, (note,))
    return Side(folder, "folder", editions)


def read_pdfs(folder: Path, reason: str, strict: bool) -> Side:
    """A folder's PDFs, each read for the edition it says it is, when no manifest says."""
    editions: dict[VariantKey, EditionRef] = {}
    for pdf in sorted(folder.glob("*.pdf")):
        ref = pdf_edition(pdf, strict=strict)
        if ref.key in editions:
            raise DiffError(
                f"{editions[ref.key].origin} and {ref.origin} are both the edition {ref.key}"
            )
        editions[ref.key] = ref
    note = f"{reason}: its editions were read from the PDFs themselves"
    return Side(folder, "folder", editions, (note,))


def read_data(
    path: Path, template_dirs: Sequence[Path] = (), audiences: Sequence[str] = ()
) -> Side:
    """Briefing data cut for each audience it is for, as each audience would see it, without
    building anything: the editions have no page count."""
    from reportgen.audiences import discover_audiences, tailor
    from reportgen.build.inputs import content_sha256
    from reportgen.loading import load_briefings
    from reportgen.provenance import tailored_data

    briefings = load_briefings([path])
    profiles = discover_audiences(template_dirs)
    if unknown := [name for name in audiences if name not in profiles]:
        raise DiffError(
            f"no audience {', '.join(map(repr, unknown))}; the audiences are {', '.join(profiles)}"
        )
    editions: dict[VariantKey, EditionRef] = {}
    for name, briefing in briefings.items():
        for audience, _ in profiles.values():
            if briefing.audiences is not None and audience.name not in briefing.audiences:
                continue
            if audiences and audience.name not in audiences:
                continue
            key = VariantKey(briefing.id, audience.name)
            tailored = tailor(briefing, audience)
            edition = Edition(key, tailored.model_dump(mode="json"))
            digest = content_sha256(tailored_data(tailored))
            editions[key] = EditionRef(key, name, digest, None, partial(_same, edition))
    return Side(path, "data", editions)


def _same(edition: Edition) -> Edition:
    return edition


def _recorded_edition(
    pdf: Path, key: VariantKey, content_sha256: str, pages: int, strict: bool
) -> Edition:
    """A PDF that is the file its manifest records: its data is read with PDFium, which takes
    milliseconds where the careful reader takes a tenth of a second, and kept only if it is, to
    the byte, the data the manifest says the build embedded. Else it is read as any PDF."""
    data = _recorded_data(pdf, content_sha256)
    if data is not None:
        try:
            return _validated(pdf, key, data, pages)
        except _NotValidError:
            pass  # an older format: the careful reader gives the build record to say so
    return _carried_edition(pdf, key, strict, None, pages)


def _recorded_data(pdf: Path, content_sha256: str) -> bytes | None:
    import pypdfium2 as pdfium

    from reportgen.provenance import SOURCE_DATA_NAME

    try:
        document = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError:
        return None
    try:
        for index in range(document.count_attachments()):
            attachment = document.get_attachment(index)
            if attachment.get_name() == SOURCE_DATA_NAME:
                data = bytes(attachment.get_data())
                return data if hashlib.sha256(data).hexdigest() == content_sha256 else None
    except pdfium.PdfiumError:
        return None
    finally:
        document.close()
    return None


def _carried_edition(
    pdf: Path, key: VariantKey, strict: bool, note: str | None, pages: int | None = None
) -> Edition:
    """A PDF read with `provenance.extract`, as a stranger's would be; it must say it is the
    edition the manifest lists it as."""
    data, record = _embedded(pdf)
    carried = _record_key(pdf, record, default=key)
    if carried != key:
        raise DiffError(f"{pdf}: carries the edition {carried}, but the manifest lists it as {key}")
    edition = _edition(pdf, key, data, record, pages=pages or _page_count(pdf), strict=strict)
    notes = (note, *edition.notes) if note else edition.notes
    return Edition(key, edition.data, edition.derived, edition.pages, notes)


def _embedded(pdf: Path) -> tuple[bytes, dict[str, Any] | None]:
    """The data and build record the PDF carries (`provenance.extract`, into a scratch folder:
    it checks every attachment before it writes one)."""
    from reportgen.provenance import BUILD_RECORD_NAME, SOURCE_DATA_NAME, extract

    with tempfile.TemporaryDirectory(prefix="reportgen-diff-") as scratch:
        try:
            extract(pdf, Path(scratch))
        except DiffError:
            raise
        except ReportgenError as error:
            raise DiffError(str(error)) from None
        data_path, record_path = Path(scratch, SOURCE_DATA_NAME), Path(scratch, BUILD_RECORD_NAME)
        if not data_path.exists():
            raise DiffError(f"{pdf}: carries a build record but not the data it was built from")
        data = data_path.read_bytes()
        record = json.loads(record_path.read_bytes()) if record_path.exists() else None
    return data, record


def _record_key(
    pdf: Path, record: dict[str, Any] | None, default: VariantKey | None = None
) -> VariantKey:
    if record is not None:
        briefing, audience = record.get("briefing"), record.get("audience")
        if isinstance(briefing, str) and isinstance(audience, str):
            return VariantKey(briefing, audience)
    if default is not None:
        return default
    raise DiffError(
        f"{pdf}: its build record does not say which edition it is (briefing and audience)"
    )


class _NotValidError(Exception):
    """The data does not validate with the current models: ``problem`` says the first way."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def _validated(pdf: Path, key: VariantKey, data: bytes, pages: int | None) -> Edition:
    from pydantic import ValidationError

    from reportgen.models import Briefing

    try:
        briefing = Briefing.model_validate_json(data)
    except ValidationError as error:
        problems = error.errors()
        first = problems[0]
        location = ".".join(str(part) for part in first["loc"])
        problem = f"{location}: {first['msg']}" if location else first["msg"]
        if len(problems) > 1:
            problem += f" (and {len(problems) - 1} more)"
        raise _NotValidError(problem) from None
    notes: tuple[str, ...] = ()
    if briefing.id != key.briefing:
        notes = (
            f"{display_name(pdf)}: its build record names briefing {key.briefing}, "
            f"its data {briefing.id}",
        )
    return Edition(key, briefing.model_dump(mode="json"), pages=pages, notes=notes)


def _edition(
    pdf: Path,
    key: VariantKey,
    data: bytes,
    record: dict[str, Any] | None,
    *,
    pages: int | None,
    strict: bool,
) -> Edition:
    """The edition from its embedded data: validated with the current models when it can be;
    else, for data shaped like a briefing from an older format, as plain data, saying so."""
    try:
        return _validated(pdf, key, data, pages)
    except _NotValidError as error:
        problem = error.problem
    where, made_by = display_name(pdf), _made_by(record)
    document = json.loads(data)
    if strict or not _briefing_shaped(document):
        raise DiffError(
            f"{where}: its data does not validate with this reportgen's data format"
            f"{made_by}: {problem}"
        )
    note = (
        f"{where}: its data does not validate with this reportgen's data format{made_by} "
        f"({problem}); compared as plain data, so derived figures (the budget schedule) "
        "were not compared"
    )
    return Edition(key, document, derived=False, pages=pages, notes=(note,))


def _made_by(record: dict[str, Any] | None) -> str:
    software = record.get("software") if record else None
    made = software.get("reportgen") if isinstance(software, dict) else None
    return f" (it was built by reportgen {made})" if isinstance(made, str) else ""


def _briefing_shaped(document: Any) -> bool:
    """A JSON object with an id and a list of sections with ids: enough to compare editions."""
    if not isinstance(document, dict) or not isinstance(document.get("id"), str):
        return False
    sections = document.get("sections")
    return isinstance(sections, list) and all(
        isinstance(section, dict) and isinstance(section.get("id"), str) for section in sections
    )


def _page_count(pdf: Path) -> int | None:
    """The PDF's page count (PDFium reads only the page tree); None if it cannot be read,
    since its data could be."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError:
        return None
    try:
        return len(document)
    finally:
        document.close()
