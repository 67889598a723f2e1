"""What a PDF was made from: the embedded source data and build record, and getting them back."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reportgen import versions
from reportgen.attachments import (
    BUILD_RECORD_NAME,
    CATALOG_NAME,
    SOURCE_DATA_NAME,
    catalog_name,
    derived_figures,
    models_sha256,
)
from reportgen.build.variants import VariantKey
from reportgen.errors import ReportgenError
from reportgen.models import Briefing
from reportgen.pdf import EmbeddedFile

logger = logging.getLogger(__name__)

_EXTRACTED = (SOURCE_DATA_NAME, BUILD_RECORD_NAME)
# reportgen's own attachments are a few KiB (the data of one briefing, a build record);
# 16 MiB decoded is far beyond any and small enough to hold in memory.
MAX_ATTACHMENT_BYTES = 16 * 1024 * 1024
# Refused unread: a reportgen PDF is a few MiB, and pypdf holds the whole file in memory.
MAX_PDF_BYTES = 256 * 1024 * 1024
# pypdf's documented limits (`pypdf.Configuration`, applied with `apply_configuration`): its
# own defaults let one stream inflate to 75 MB per filter, 300 MB over a chain of filters.
_PYPDF_LIMITS: dict[str, Any] = {
    "maximum_declared_stream_length": MAX_ATTACHMENT_BYTES,
    "zlib_maximum_output_length": MAX_ATTACHMENT_BYTES,
    "lzw_maximum_output_length": MAX_ATTACHMENT_BYTES,
    "run_length_maximum_output_length": MAX_ATTACHMENT_BYTES,
    "brotli_maximum_output_length": MAX_ATTACHMENT_BYTES,
    "jbig2_maximum_output_length": MAX_ATTACHMENT_BYTES,
    "array_based_stream_maximum_output_length": MAX_ATTACHMENT_BYTES,
    "image_maximum_buffer_size": MAX_ATTACHMENT_BYTES,
    "stream_decoding_work_maximum_length": 4 * MAX_ATTACHMENT_BYTES,
    # Recovering a damaged deflate stream goes byte by byte in Python: keep it short.
    "zlib_maximum_recovery_input_length": 1024 * 1024,
    "jbig2dec_binary": None,  # never run an external program on a stranger's PDF
    "disable_legacy_handling": True,
}


def tailored_data(briefing: Briefing) -> bytes:
    """The briefing as a PDF carries it: validated JSON, after its audience's cut."""
    return briefing.model_dump_json(round_trip=True, indent=2).encode() + b"\n"


def derived_record(briefing: Briefing, data: bytes) -> list[list[Any]]:
    """The figures the models derive from ``briefing`` that its embedded ``data`` (as
    `tailored_data` wrote it) leaves out, for the build record."""
    return derived_figures(briefing.model_dump(mode="json"), json.loads(data))


def embedded_files(
    key: VariantKey,
    data: bytes,
    inputs_sha256: str,
    catalog: bytes,
    derived: list[list[Any]],
) -> tuple[EmbeddedFile, ...]:
    """The variant's briefing data (`tailored_data`), the translations it used (``catalog``,
    a PO file, in a translated edition) and the record of how the PDF was built.

    The data is the *tailored* briefing: a public PDF carries nothing it does not show, and
    its catalog only the strings it shows. The record's digest is the one the manifest keeps
    for the PDF. It says which model code validated the data and, as ``derived``, the figures
    that code derived from it (`derived_record`), so `diff` need not validate it again.
    """
    record = {
        "briefing": key.briefing,
        "audience": key.audience,
        "language": key.language,
        "inputs_sha256": inputs_sha256,
        "software": versions.software(),
        "models_sha256": models_sha256(),
        "derived": derived,
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
            # Keys in the order written here (the same for every build), not sorted: the
            # derived figures keep the models' field order, as a validated dump has it.
            content=json.dumps(record, indent=2).encode() + b"\n",
            media_type="application/json",
            relationship="Data",
        ),
    ) + (
        (
            EmbeddedFile(
                name=catalog_name(key.language),
                description=f"The translations into {key.language} this briefing was built with",
                content=catalog,
                media_type="text/x-gettext-translation",
                relationship="Source",
            ),
        )
        if catalog
        else ()
    )


def extract(pdf_path: Path, out_dir: Path) -> list[Path]:
    """Write the data and build record embedded in ``pdf_path`` into ``out_dir``, as the plain
    names `SOURCE_DATA_NAME` and `BUILD_RECORD_NAME`, and the catalog of a translated edition
    as ``briefing.<language>.po``; never overwrites a file.

    The PDF may come from anyone, so it is read as hostile: within limits of size and
    decompression, each attachment checked against its declared size and checksum and parsed
    as JSON, and nothing written until both attachments passed. Any problem is one
    `ReportgenError` naming the PDF.
    """
    payloads = _embedded_payloads(pdf_path)
    # Only our two names, joined to out_dir by us: a name from the PDF never becomes a path.
    targets = [(out_dir / name, payloads[name]) for name in _ours(payloads)]
    existing = [str(target) for target, _ in targets if os.path.lexists(target)]
    if existing:
        raise ReportgenError(f"will not overwrite existing files: {', '.join(existing)}")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError) as error:
        raise ReportgenError(f"cannot write into {out_dir}: {_os_reason(error)}") from None
    written: list[Path] = []
    for target, content in targets:
        try:
            _write_new(target, content)
        except FileExistsError:
            _remove(written)
            raise ReportgenError(f"will not overwrite existing files: {target}") from None
        except (OSError, ValueError) as error:
            _remove(written)
            raise ReportgenError(f"{target}: cannot write: {_os_reason(error)}") from None
        written.append(target)
    return written


def _embedded_payloads(pdf_path: Path) -> dict[str, bytes]:
    """Our attachments in the PDF, by name, each checked; raises if it carries neither."""
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import DependencyError, LimitReachedError, PyPdfError

    data = _read_pdf(pdf_path)
    try:
        with _pypdf_logs_to_debug(), apply_configuration(**_PYPDF_LIMITS):
            encrypted = ReportgenError(
                f"{pdf_path}: the PDF is encrypted, which a reportgen PDF never is"
            )
            try:
                # strict: a reportgen PDF is well formed, and a repaired guess is not its data.
                reader = PdfReader(io.BytesIO(data), strict=True)
            except DependencyError:
                # Opening needs no other library, but decrypting AES does (`cryptography`).
                raise encrypted from None
            if reader.is_encrypted:
                raise encrypted
            payloads = {
                name: _payload(pdf_path, name, entry)
                for name, entry in _our_attachments(pdf_path, reader).items()
            }
    except ReportgenError:
        raise
    except MemoryError:
        raise  # a limit above did not hold: that is a bug to see, not a damaged PDF
    except LimitReachedError as error:
        raise ReportgenError(
            f"{pdf_path}: cannot read the PDF: it exceeds a safety limit ({_one_line(error)})"
        ) from None
    except PyPdfError as error:
        raise ReportgenError(f"{pdf_path}: cannot read the PDF: {_one_line(error)}") from None
    except Exception as error:
        # pypdf raises many more types than its own on hostile input (KeyError, TypeError,
        # ValueError, AttributeError, RecursionError, zlib.error, ...); this wraps pypdf only.
        raise ReportgenError(
            f"{pdf_path}: cannot read the PDF: {type(error).__name__}: {_one_line(error)}"
        ) from None
    for name, content in payloads.items():
        if name in _EXTRACTED:
            _check_json(pdf_path, name, content)
        else:
            _check_catalog(pdf_path, name, content)
    if len(payloads) - len([name for name in payloads if name in _EXTRACTED]) > 1:
        raise ReportgenError(f"{pdf_path}: carries catalogs of several languages; ours carry one")
    return payloads


def _ours(payloads: dict[str, bytes]) -> list[str]:
    """Our attachments' names, each checked against our patterns (so never a path)."""
    catalogs = sorted(name for name in payloads if CATALOG_NAME.fullmatch(name))
    return [*(name for name in _EXTRACTED if name in payloads), *catalogs]


def _check_catalog(pdf_path: Path, name: str, content: bytes) -> None:
    from babel.messages.pofile import PoFileError, read_po

    where = f"{pdf_path}: attachment {name}"
    try:
        read_po(io.BytesIO(content), abort_invalid=True)
    except (PoFileError, UnicodeDecodeError, ValueError) as error:
        raise ReportgenError(f"{where}: not a PO catalog: {_one_line(error)}") from None


def _our_attachments(pdf_path: Path, reader: Any) -> dict[str, Any]:
    """Our attachments by name, found by the name tree's key or the file spec's own name."""
    found: dict[str, list[Any]] = {}
    for entry in reader.attachment_list:
        names = {
            name
            for name in (entry.name, entry.alternative_name)
            if isinstance(name, str) and (name in _EXTRACTED or CATALOG_NAME.fullmatch(name))
        }
        if len(names) > 1:
            raise ReportgenError(
                f"{pdf_path}: one attachment is named both {' and '.join(sorted(names))}"
            )
        for name in names:
            found.setdefault(name, []).append(entry)
    if not found:
        raise ReportgenError(f"{pdf_path}: carries no reportgen data (was it built by reportgen?)")
    for name, entries in found.items():
        if len(entries) > 1:
            raise ReportgenError(
                f"{pdf_path}: carries {len(entries)} attachments named {name}; "
                "a reportgen PDF carries one"
            )
    return {name: entries[0] for name, entries in found.items()}


def _read_pdf(pdf_path: Path) -> bytes:
    try:
        if not pdf_path.exists():
            raise ReportgenError(f"{pdf_path}: no such file")
        if not pdf_path.is_file():
            raise ReportgenError(f"{pdf_path}: not a file")
        with pdf_path.open("rb") as file:
            data = file.read(MAX_PDF_BYTES + 1)
    except OSError as error:
        raise ReportgenError(f"{pdf_path}: cannot read the PDF: {_os_reason(error)}") from None
    if len(data) > MAX_PDF_BYTES:
        raise ReportgenError(
            f"{pdf_path}: larger than {MAX_PDF_BYTES} bytes, which no reportgen PDF is"
        )
    if b"%PDF-" not in data[:1024]:
        raise ReportgenError(f"{pdf_path}: not a PDF (it does not begin with %PDF-)")
    return data


def _payload(pdf_path: Path, name: str, entry: Any) -> bytes:
    """The decoded bytes of one attachment, checked against what its file spec declares."""
    from pypdf.errors import LimitReachedError
    from pypdf.generic import ByteStringObject, DictionaryObject, StreamObject, TextStringObject

    where = f"{pdf_path}: attachment {name}"
    embedded = entry.pdf_object.get("/EF")
    embedded = embedded.get_object() if embedded is not None else None
    stream = None
    if isinstance(embedded, DictionaryObject):
        stream = embedded.get("/UF", embedded.get("/F"))
        stream = stream.get_object() if stream is not None else None
    if not isinstance(stream, StreamObject):
        raise ReportgenError(f"{where} has no embedded file stream")
    params = stream.get("/Params")
    params = params.get_object() if params is not None else None
    params = params if isinstance(params, DictionaryObject) else DictionaryObject()
    size = params.get("/Size")
    size = size.get_object() if size is not None else None
    size = size if isinstance(size, int) and not isinstance(size, bool) else None
    if size is not None and size > MAX_ATTACHMENT_BYTES:
        raise ReportgenError(
            f"{where} declares {size} bytes, more than the {MAX_ATTACHMENT_BYTES} a reportgen "
            "attachment may have"
        )
    try:
        content = stream.get_data()
    except LimitReachedError as error:
        if "decompressing" in str(error):  # pypdf's words for an output limit reached
            raise ReportgenError(
                f"{where} decompresses to more than the {MAX_ATTACHMENT_BYTES} bytes a "
                f"reportgen attachment may have ({_one_line(error)})"
            ) from None
        raise ReportgenError(
            f"{where} exceeds a safety limit while decoding ({_one_line(error)})"
        ) from None
    if isinstance(content, str):  # pypdf hands back text for some damaged streams
        content = content.encode("utf-8", "surrogateescape")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise ReportgenError(
            f"{where} decompresses to more than the {MAX_ATTACHMENT_BYTES} bytes a reportgen "
            "attachment may have"
        )
    if size is not None and size != len(content):
        raise ReportgenError(
            f"{where} is damaged: it holds {len(content)} bytes, not the {size} it declares"
        )
    checksum = params.get("/CheckSum")
    checksum = checksum.get_object() if checksum is not None else None
    if isinstance(checksum, TextStringObject):
        checksum = checksum.original_bytes
    if (
        isinstance(checksum, (ByteStringObject, bytes))
        and len(checksum) == 16
        and hashlib.md5(content, usedforsecurity=False).digest() != bytes(checksum)
    ):
        raise ReportgenError(f"{where} is damaged: its checksum does not match its bytes")
    return bytes(content)


def _check_json(pdf_path: Path, name: str, content: bytes) -> None:
    where = f"{pdf_path}: attachment {name}"
    try:
        document = json.loads(content.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ReportgenError(f"{where}: not JSON: not UTF-8 text (byte {error.start})") from None
    except json.JSONDecodeError as error:
        raise ReportgenError(
            f"{where}: line {error.lineno}: not JSON: {error.msg} (column {error.colno})"
        ) from None
    except (ValueError, RecursionError) as error:
        raise ReportgenError(f"{where}: not JSON reportgen reads: {_one_line(error)}") from None
    if not isinstance(document, dict):
        raise ReportgenError(f"{where}: not a JSON object, as reportgen writes it")


def _write_new(target: Path, content: bytes) -> None:
    """Write a file that must not exist yet, not even as a link to somewhere else."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    descriptor = os.open(target, flags, 0o644)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)


def _remove(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()


def _os_reason(error: Exception) -> str:
    if isinstance(error, FileExistsError):
        return "it exists and is not a folder"
    reason = getattr(error, "strerror", None) or str(error)
    return _one_line(reason)


def _one_line(error: object, limit: int = 300) -> str:
    """A message from pypdf or the OS as one printable line: pypdf prints PDF objects into its
    messages whole, control characters and all."""
    text = " ".join(str(error).split())
    text = "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _ToDebug(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            logger.debug("pypdf: %s", _one_line(record.getMessage()))


@contextlib.contextmanager
def _pypdf_logs_to_debug() -> Iterator[None]:
    """pypdf logs a warning for each damage it meets; with no logging set up, Python prints
    those on stderr around our one-line error. While we read, they go to our debug log."""
    pypdf_logger = logging.getLogger("pypdf")
    handler, propagate = _ToDebug(), pypdf_logger.propagate
    pypdf_logger.addHandler(handler)
    pypdf_logger.propagate = False
    try:
        yield
    finally:
        pypdf_logger.removeHandler(handler)
        pypdf_logger.propagate = propagate
