"""``output/manifest.json``: what each PDF is, what it was built from, and whether it is current."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from reportgen import versions
from reportgen.errors import ReportgenError

MANIFEST_NAME = "manifest.json"
FORMAT = 1


class ManifestError(ReportgenError):
    """Raised when a manifest cannot be read, or manifests to merge disagree."""


@dataclass(frozen=True)
class Entry:
    """One built PDF. ``inputs_sha256`` covers every input; ``sha256`` the PDF itself."""

    audience: str
    file: str
    sha256: str
    bytes: int
    pages: int
    inputs_sha256: str


def load(path: Path) -> dict[str, Entry]:
    """The entries of the manifest at ``path``, by audience; none if it does not exist."""
    if not path.exists():
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("format") != FORMAT:
            raise ManifestError(f"{path}: not a reportgen manifest of format {FORMAT}")
        return {item["audience"]: Entry(**item) for item in document["outputs"]}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ManifestError(f"{path}: cannot read the manifest: {error}") from None


def dumps(entries: Iterable[Entry]) -> bytes:
    """The manifest as bytes: sorted and free of dates, so equal builds give equal manifests."""
    document = {
        "format": FORMAT,
        "generator": f"reportgen {versions.REPORTGEN}",
        "outputs": [asdict(entry) for entry in sorted(entries, key=lambda e: e.audience)],
    }
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()


def merge(paths: Sequence[Path]) -> list[Entry]:
    """The entries of several manifests (one per shard); refuses two different PDFs for one
    audience."""
    merged: dict[str, Entry] = {}
    origin: dict[str, Path] = {}
    for path in paths:
        if not path.exists():
            raise ManifestError(f"{path}: no such manifest")
        for audience, entry in load(path).items():
            if audience in merged and merged[audience] != entry:
                raise ManifestError(
                    f"{path} and {origin[audience]} disagree about audience {audience!r}"
                )
            merged[audience], origin[audience] = entry, path
    return list(merged.values())


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class InputsDigest:
    """SHA-256 of everything a variant's bytes depend on, from the files as they are on disk.

    Hashing files rather than parsed data keeps the up-to-date check cheap: nothing is parsed,
    validated or rendered to find that nothing changed. Paths enter relative to their folder,
    so the digest is the same in any checkout.
    """

    def __init__(self, data: Path, search_path: Sequence[Path], pdf_variant: str | None) -> None:
        shared = hashlib.sha256()
        _add(shared, b"reportgen " + versions.REPORTGEN.encode())
        _add(shared, b"weasyprint " + versions.weasyprint().encode())
        _add(shared, b"variant " + (pdf_variant or "").encode())
        _add(shared, data.read_bytes())
        for index, folder in enumerate(search_path):
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                _add(shared, f"{index}/{path.relative_to(folder).as_posix()}".encode())
                _add(shared, path.read_bytes())
        self._shared = shared

    def for_profile(self, profile: Path) -> str:
        digest = self._shared.copy()
        _add(digest, profile.read_bytes())
        return digest.hexdigest()


def _add(digest: hashlib._Hash, part: bytes) -> None:
    # Length-prefixed, so no two different sequences of parts hash alike.
    digest.update(len(part).to_bytes(8, "big"))
    digest.update(part)
