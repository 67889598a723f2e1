"""One side of a comparison: a reportgen PDF, an output folder with its manifest, or briefing
data (a file or folder of them), read as the editions it holds, by variant.

An output folder is read from its manifest first: an edition whose PDF still matches the
manifest is known by the digest of its data without opening the PDF, so two builds that share
most editions are compared without parsing or validating what they share. Any other PDF is
read as a stranger's, with `provenance.extract`.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from reportgen.build import manifest
from reportgen.build.inputs import file_sha256
from reportgen.build.variants import VariantKey
from reportgen.discovery import DATA_SUFFIXES, display_name
from reportgen.errors import DiffError, ReportgenError

if TYPE_CHECKING:
    from reportgen.models import Briefing

SideKind = Literal["pdf", "folder", "data"]


@dataclass(frozen=True)
class Edition:
    """One edition's data as a JSON-like dump of the briefing its audience sees.

    ``derived`` is False when the data did not validate with the current models (an older
    format): then the figures the models compute (the budget schedule) are not in it.
    ``catalog`` is, for a translated edition, each translation it shows by its context
    (``sections.overview.title``): the data is always in the briefing's own language, so a
    changed translation shows only there. None where there are none (the briefing's own
    language) or they could not be read (the notes say why).
    """

    key: VariantKey
    data: Mapping[str, Any]
    derived: bool = True
    pages: int | None = None
    notes: tuple[str, ...] = ()
    catalog: Mapping[str, str] | None = None


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
    data, record, catalog = _embedded(path)
    key = _record_key(path, record, language=_own_language(data))
    edition = _edition(path, key, data, record, pages=_page_count(path), strict=strict)
    edition = replace(edition, catalog=_translations(path, catalog))
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
        # A draft (built with --allow-untranslated) shows strings in the briefing's own
        # language: its catalog lacks them, and a reviewer should know it is no final edition.
        draft: tuple[str, ...] = ()
        if entry.untranslated:
            count = entry.untranslated
            draft = (
                f"{display_name(pdf)} is a draft: {count} string{'s' if count != 1 else ''} "
                "not translated",
            )
        if matches:
            load = partial(
                _recorded_edition, pdf, key, entry.content_sha256, entry.pages, strict, notes=draft
            )
            editions[key] = EditionRef(
                key, display_name(pdf), entry.content_sha256, entry.pages, load, draft
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
    from reportgen.discovery import find_data_files
    from reportgen.loading import load_briefings

    briefings = load_briefings([path])
    path_of = {data.name: data.path for data in find_data_files([path])}
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
            tailored = tailor(briefing, audience)
            narrowed = audience.languages
            for language in (briefing.language, *briefing.translations):
                if narrowed is not None and language not in narrowed:
                    continue
                key = VariantKey(briefing.id, audience.name, language)
                edition, digest = _data_edition(key, path_of[name], tailored)
                editions[key] = EditionRef(key, name, digest, None, partial(_same, edition))
    return Side(path, "data", editions)


def _data_edition(key: VariantKey, data: Path, tailored: Briefing) -> tuple[Edition, str | None]:
    """An edition as a build would embed it: the tailored data in the briefing's own language
    and, for a translation, the catalog of the translations it shows (the catalog beside the
    data, cut as a build cuts it), with the digest a build's manifest would record."""
    from reportgen.build.inputs import content_sha256
    from reportgen.editions import catalog_path
    from reportgen.provenance import tailored_data
    from reportgen.translations.apply import TranslationInvalidError, translate
    from reportgen.translations.catalog import read_catalog

    embedded = tailored_data(tailored)
    dump = tailored.model_dump(mode="json")
    if key.language == tailored.language:
        return Edition(key, dump), content_sha256(embedded)
    catalog = catalog_path(data, key.language)
    shown = display_name(catalog)
    if not catalog.is_file():
        note = f"{shown}: no such catalog, so the {key.language} translations were not compared"
        return Edition(key, dump, notes=(note,)), None
    try:
        translation = translate(tailored, read_catalog(catalog), catalog, key.language)
    except ReportgenError as error:
        note = f"{shown}: {_one_line(error)}; the {key.language} translations were not compared"
        return Edition(key, dump, notes=(note,)), None
    except TranslationInvalidError as error:
        note = (
            f"{error.problems[0]} (and {len(error.problems) - 1} more)"
            if len(error.problems) > 1
            else str(error.problems[0])
        )
        note += f"; the {key.language} translations were not compared"
        return Edition(key, dump, notes=(note,)), None
    notes: tuple[str, ...] = ()
    if untranslated := len(translation.untranslated):
        notes = (
            f"{shown}: {untranslated} string{'s have' if untranslated != 1 else ' has'} no "
            "current translation (a build refuses the edition, or makes it a draft)",
        )
    digest = content_sha256(embedded, key.language, translation.catalog)
    return Edition(key, dump, notes=notes, catalog=_translations(catalog, translation.catalog)), (
        digest
    )


def _one_line(error: ReportgenError) -> str:
    lines = [line for line in str(error).splitlines() if line.strip()]
    more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
    return (lines[0] if lines else type(error).__name__) + more


def _translations(origin: Path, catalog: bytes | None) -> dict[str, str] | None:
    """The translations of a catalog (PO) by their context; None when there is no catalog."""
    if catalog is None:
        return None
    from babel.messages.pofile import PoFileError, read_po

    try:
        messages = read_po(io.BytesIO(catalog), abort_invalid=True)
    except (PoFileError, ValueError, UnicodeDecodeError) as error:
        raise DiffError(f"{origin}: its catalog is not a readable PO file: {error}") from None
    return {
        str(message.context or message.id): str(message.string)
        for message in messages
        if message.id and message.string
    }


def _same(edition: Edition) -> Edition:
    return edition


def _recorded_edition(
    pdf: Path,
    key: VariantKey,
    content_sha256: str,
    pages: int,
    strict: bool,
    *,
    notes: tuple[str, ...] = (),
) -> Edition:
    """A PDF that is the file its manifest records: its data is read with PDFium, which takes
    milliseconds where the careful reader takes a tenth of a second, and kept only if it is, to
    the byte, the data the manifest says the build embedded. Its build record says whether the
    model code that validated it is this reportgen's: then it is known valid, with the figures
    the record carries, without validating it again. Else it is validated, or read as any PDF."""
    recorded = _recorded_data(pdf, key, content_sha256)
    if recorded is not None:
        data, catalog, record = recorded
        edition = _known_valid(pdf, key, data, record, pages)
        if edition is None:
            try:
                edition = _validated(pdf, key, data, pages)
            except _NotValidError:
                edition = None  # an older format: the careful reader gives the build record
        if edition is not None:
            return replace(
                edition, notes=notes + edition.notes, catalog=_translations(pdf, catalog)
            )
    edition = _carried_edition(pdf, key, strict, None, pages)
    return replace(edition, notes=notes + edition.notes)


def _recorded_data(
    pdf: Path, key: VariantKey, content_sha256: str
) -> tuple[bytes, bytes | None, bytes | None] | None:
    """The data the PDF embeds, in a translated edition its catalog, and its build record: only
    if the data and catalog are what the manifest's digest says (`build.inputs.content_sha256`)."""
    import pypdfium2 as pdfium

    from reportgen.attachments import BUILD_RECORD_NAME, SOURCE_DATA_NAME, catalog_name
    from reportgen.build.inputs import content_sha256 as digest_of

    wanted = {SOURCE_DATA_NAME, catalog_name(key.language), BUILD_RECORD_NAME}
    found: dict[str, bytes] = {}
    try:
        document = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError:
        return None
    try:
        for index in range(document.count_attachments()):
            attachment = document.get_attachment(index)
            name = attachment.get_name()
            if name in wanted:
                found[name] = bytes(attachment.get_data())
    except pdfium.PdfiumError:
        return None
    finally:
        document.close()
    data, catalog = found.get(SOURCE_DATA_NAME), found.get(catalog_name(key.language))
    if data is None:
        return None
    digest = (
        digest_of(data, key.language, catalog)
        if catalog is not None
        else hashlib.sha256(data).hexdigest()
    )
    return (data, catalog, found.get(BUILD_RECORD_NAME)) if digest == content_sha256 else None


def _known_valid(
    pdf: Path, key: VariantKey, data: bytes, record: bytes | None, pages: int
) -> Edition | None:
    """The edition, from data that the build record says this reportgen's model code
    validated (`attachments.models_sha256`), with the figures that code derived from it: as
    validating it again would give. None when the record does not say so (an older build, other
    model code), or its figures do not fit the data."""
    from reportgen.attachments import models_sha256, with_derived

    try:
        said = json.loads(record) if record is not None else None
        document = json.loads(data)
    except ValueError:
        return None
    if not isinstance(said, dict) or said.get("models_sha256") != models_sha256():
        return None
    dumped = with_derived(document, said.get("derived"))
    if not isinstance(dumped, dict):
        return None
    return Edition(key, dumped, pages=pages, notes=_id_notes(pdf, key, dumped.get("id")))


def _carried_edition(
    pdf: Path, key: VariantKey, strict: bool, note: str | None, pages: int | None = None
) -> Edition:
    """A PDF read with `provenance.extract`, as a stranger's would be; it must say it is the
    edition the manifest lists it as."""
    data, record, catalog = _embedded(pdf)
    carried = _record_key(pdf, record, default=key, language=_own_language(data))
    if carried != key:
        raise DiffError(f"{pdf}: carries the edition {carried}, but the manifest lists it as {key}")
    edition = _edition(pdf, key, data, record, pages=pages or _page_count(pdf), strict=strict)
    notes = (note, *edition.notes) if note else edition.notes
    return replace(edition, notes=notes, catalog=_translations(pdf, catalog))


def _embedded(pdf: Path) -> tuple[bytes, dict[str, Any] | None, bytes | None]:
    """The data, build record and (in a translated edition) catalog the PDF carries
    (`provenance.extract`, into a scratch folder: it checks every attachment before it writes
    one)."""
    from reportgen.attachments import BUILD_RECORD_NAME, CATALOG_NAME, SOURCE_DATA_NAME
    from reportgen.provenance import extract

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
        # `extract` refuses a PDF with catalogs of several languages: there is one at most.
        catalogs = [
            found for found in Path(scratch).iterdir() if CATALOG_NAME.fullmatch(found.name)
        ]
        catalog = catalogs[0].read_bytes() if catalogs else None
    return data, record, catalog


def _own_language(data: bytes) -> str | None:
    """The language the embedded data says the briefing is written in, if it says."""
    try:
        document = json.loads(data)
    except ValueError:
        return None
    language = document.get("language") if isinstance(document, dict) else None
    return language if isinstance(language, str) else None


def _record_key(
    pdf: Path,
    record: dict[str, Any] | None,
    default: VariantKey | None = None,
    *,
    language: str | None = None,
) -> VariantKey:
    """The edition a build record names. A record from before editions per language names
    none: its PDF is in the briefing's own ``language`` (as its data says; "en" before data
    said it either)."""
    if record is not None:
        briefing, audience = record.get("briefing"), record.get("audience")
        language = record.get("language", language or "en")
        if isinstance(briefing, str) and isinstance(audience, str) and isinstance(language, str):
            return VariantKey(briefing, audience, language)
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
    notes = _id_notes(pdf, key, briefing.id)
    return Edition(key, briefing.model_dump(mode="json"), pages=pages, notes=notes)


def _id_notes(pdf: Path, key: VariantKey, data_id: object) -> tuple[str, ...]:
    if data_id == key.briefing:
        return ()
    return (
        f"{display_name(pdf)}: its build record names briefing {key.briefing}, its data {data_id}",
    )


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
