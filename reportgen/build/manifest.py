"""The output folder's manifest (format 3): what each variant's PDF is and was built from.

Read before a build to decide what is current, written after it. Any damage to the file (not
JSON, the wrong shape, an older format) is one clear error, and ``--force`` rebuilds past it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from reportgen import versions
from reportgen.build.variants import VariantKey
from reportgen.errors import ReportgenError

MANIFEST_NAME = "manifest.json"
FORMAT = 3  # 3: variants gained their language; data files their catalogs; audiences
# A manifest of thousands of variants is a few MiB; a bigger file is not one of ours.
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
RECOVER = "rebuild with --force to replace it"


class ManifestError(ReportgenError):
    """Raised when a manifest cannot be read, or manifests to merge disagree."""


@dataclass(frozen=True)
class Entry:
    """One built PDF and what it was built from.

    ``inputs_sha256`` is the variant's digest of every input (also in the PDF's build record);
    the other digests are its parts, kept so that ``--check`` can say which input changed, and
    decide without parsing anything that a variant is current.
    """

    briefing: str
    audience: str
    language: str
    file: str
    sha256: str
    bytes: int
    pages: int
    inputs_sha256: str
    data_file: str  # as the build named it, relative to the folder it ran in
    data_sha256: str  # the data file's bytes
    content_sha256: str  # the data as this audience sees it (what the PDF embeds)
    untranslated: int  # strings shown in the briefing's own language: a draft when not 0
    profile_file: str
    profile_sha256: str
    shared_sha256: str  # software, code and template folders: `SharedInputs.digest`
    pdf_variant: str

    @property
    def key(self) -> VariantKey:
        return VariantKey(self.briefing, self.audience, self.language)


@dataclass(frozen=True)
class Source:
    """A data file as last built: the briefing it holds, the audiences it declares, the
    languages it is published in (its own first) and its catalogs' digests by language ("" for
    a catalog that did not exist)."""

    file: str
    sha256: str
    briefing: str
    audiences: tuple[str, ...] | None  # None: every audience
    languages: tuple[str, ...]
    catalogs: dict[str, str]


@dataclass(frozen=True)
class Profile:
    """An audience profile as last built: its digest and the languages it narrows a briefing
    to, so that an unchanged profile's variants are known without parsing it."""

    name: str
    sha256: str
    languages: tuple[str, ...] | None  # None: every language of the briefing


@dataclass(frozen=True)
class Manifest:
    entries: dict[VariantKey, Entry]
    sources: dict[str, Source]  # by data file
    inputs: dict[str, str]  # the shared inputs' table of the latest build (`SharedInputs.table`)
    profiles: dict[str, Profile]  # by audience name


EMPTY = Manifest({}, {}, {}, {})


def load(path: Path) -> Manifest:
    """The manifest at ``path``; empty if there is none."""
    if not path.exists():
        return EMPTY
    try:
        if not path.is_file():
            raise ManifestError(f"{path}: not a file")
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            raise ManifestError(f"{path}: larger than {MAX_MANIFEST_BYTES} bytes")
        document = json.loads(path.read_bytes().decode("utf-8"))
    except ManifestError as error:
        raise ManifestError(f"{error}; {RECOVER}") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:
        reason = getattr(error, "strerror", None) or error
        raise ManifestError(f"{path}: cannot read the manifest ({reason}); {RECOVER}") from None
    return _parse(path, document)


def _parse(path: Path, document: Any) -> Manifest:
    if not isinstance(document, dict) or "format" not in document:
        raise ManifestError(f"{path}: not a reportgen manifest; {RECOVER}")
    if document["format"] != FORMAT:
        raise ManifestError(
            f"{path}: a manifest of format {document['format']!r}, made by an older or newer "
            f"reportgen (this one reads format {FORMAT}); {RECOVER}"
        )
    try:
        entries = [_record(Entry, item) for item in _list(document, "variants")]
        sources = [_record(Source, item) for item in _list(document, "sources")]
        profiles = [_record(Profile, item) for item in _list(document, "profiles")]
        inputs = document.get("inputs", {})
        if not isinstance(inputs, dict) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in inputs.items()
        ):
            raise ValueError("inputs: expected a table of strings")
    except (ValueError, TypeError) as error:
        raise ManifestError(f"{path}: damaged manifest ({error}); {RECOVER}") from None
    return Manifest(
        entries={entry.key: entry for entry in entries},
        sources={source.file: source for source in sources},
        inputs=dict(inputs),
        profiles={profile.name: profile for profile in profiles},
    )


def _list(document: dict[str, Any], name: str) -> list[Any]:
    value = document.get(name, [])
    if not isinstance(value, list):
        raise ValueError(f"{name}: expected a list")
    return value


def _record(kind: type[Any], item: Any) -> Any:
    """A dataclass from a JSON object, every field present and of its declared type."""
    if not isinstance(item, dict):
        raise ValueError(f"expected an object, got {type(item).__name__}")
    names = {field.name for field in fields(kind)}
    if set(item) != names:
        raise ValueError(f"fields {sorted(item)} are not {sorted(names)}")
    for name, value in item.items():
        if name in {"audiences", "languages"}:
            if not (value is None and (name == "audiences" or kind is Profile)) and not (
                isinstance(value, list) and all(isinstance(each, str) for each in value)
            ):
                raise ValueError(f"{name}: expected a list of names")
        elif name == "catalogs":
            if not isinstance(value, dict) or not all(
                isinstance(each, str) for each in [*value, *value.values()]
            ):
                raise ValueError("catalogs: expected a table of digests by language")
        elif name in {"bytes", "pages", "untranslated"}:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name}: expected a whole number")
        elif not isinstance(value, str):
            raise ValueError(f"{name}: expected text")
    item = {
        name: tuple(value) if isinstance(value, list) else value for name, value in item.items()
    }
    return kind(**item)


def dumps(manifest: Manifest) -> bytes:
    """The manifest as bytes: sorted and free of dates, so equal builds give equal manifests."""
    document = {
        "format": FORMAT,
        "generator": f"reportgen {versions.REPORTGEN}",
        "inputs": dict(sorted(manifest.inputs.items())),
        "sources": [asdict(manifest.sources[name]) for name in sorted(manifest.sources)],
        "profiles": [asdict(manifest.profiles[name]) for name in sorted(manifest.profiles)],
        "variants": [asdict(manifest.entries[key]) for key in sorted(manifest.entries)],
    }
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()


def merge(paths: Sequence[Path]) -> Manifest:
    """The manifests of several shards as one; refuses two different PDFs for one variant, or
    shards built from different software, code or templates."""
    entries: dict[VariantKey, Entry] = {}
    sources: dict[str, Source] = {}
    profiles: dict[str, Profile] = {}
    inputs: dict[str, str] = {}
    origin: dict[object, Path] = {}
    for path in paths:
        if not path.is_file():
            raise ManifestError(f"{path}: no such manifest")
        manifest = load(path)
        if manifest.inputs:
            if inputs and manifest.inputs != inputs:
                raise ManifestError(
                    f"{path} and {origin['inputs']} were built from different software, code "
                    "or templates"
                )
            inputs, origin["inputs"] = manifest.inputs, path
        _merge_into(entries, manifest.entries, origin, path, "variant")
        _merge_into(sources, manifest.sources, origin, path, "data file")
        _merge_into(profiles, manifest.profiles, origin, path, "audience profile")
    return Manifest(entries, sources, inputs, profiles)


def _merge_into(
    merged: dict[Any, Any],
    new: Mapping[Any, Any],
    origin: dict[object, Path],
    path: Path,
    noun: str,
) -> None:
    for key, value in new.items():
        if key in merged and merged[key] != value:
            raise ManifestError(f"{path} and {origin[key]} disagree about {noun} {str(key)!r}")
        merged[key], origin[key] = value, path


def updated(
    previous: Manifest,
    entries: Iterable[Entry],
    sources: Iterable[Source],
    inputs: Mapping[str, str],
    profiles: Iterable[Profile] = (),
) -> Manifest:
    """``previous`` with the variants, data files and profiles of a new build put in."""
    return Manifest(
        entries={**previous.entries, **{entry.key: entry for entry in entries}},
        sources={**previous.sources, **{source.file: source for source in sources}},
        inputs=dict(inputs),
        profiles={**previous.profiles, **{profile.name: profile for profile in profiles}},
    )
