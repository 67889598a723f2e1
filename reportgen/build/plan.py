"""What a build covers, and which of its variants are current: decided from files and the
manifest alone, so that an up-to-date build parses nothing and imports no layout code."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from reportgen.build import manifest
from reportgen.build.inputs import SharedInputs, combine, file_sha256, variant_digest
from reportgen.build.variants import Shard, VariantKey
from reportgen.discovery import DataFile, find_data_files, find_profiles, select
from reportgen.pdf.standards import PdfVariantName

DEFAULT_OUTPUT = Path("output")


@dataclass(frozen=True)
class Status:
    """Whether a variant's PDF is current: ``entry`` when it is, else why not."""

    entry: manifest.Entry | None
    reason: str


@dataclass(frozen=True)
class Plan:
    """The data files, audiences, shared inputs and recorded manifest of one build."""

    out_dir: Path
    data_files: tuple[DataFile, ...]
    available: dict[str, Path]  # every audience's profile file, by name
    profiles: dict[str, Path]  # the selected audiences' profile files, by name
    profile_sha256: dict[str, str]
    shared: SharedInputs
    recorded: manifest.Manifest
    pdf_variant: PdfVariantName | None
    shard: Shard | None

    def known(self, data: DataFile) -> manifest.Source | None:
        """What the manifest says of a data file, if the file is as it was when built."""
        source = self.recorded.sources.get(data.name)
        return source if source is not None and source.sha256 == data.sha256 else None

    def keys_of(self, briefing_id: str, declared: Iterable[str] | None) -> list[VariantKey]:
        """A briefing's variants among the selected audiences (those it declares, if any)."""
        names = [name for name in self.profiles if declared is None or name in set(declared)]
        return [VariantKey(briefing_id, name) for name in names]

    def in_shard(self, keys: Iterable[VariantKey]) -> list[VariantKey]:
        keys = sorted(keys)
        return keys if self.shard is None else self.shard.take(keys)

    def status(self, key: VariantKey, data: DataFile, content_sha256: str | None = None) -> Status:
        """Is the PDF of ``key`` current? ``content_sha256`` is the digest of the data as the
        audience sees it, when the data was loaded; otherwise the manifest's is trusted, which
        it may be only while the data file is unchanged (the caller's business)."""
        entry = self.recorded.entries.get(key)
        if entry is None:
            return Status(None, "not built yet")
        if entry.data_file != data.name:
            return Status(None, f"last built from {entry.data_file}, now from {data.name}")
        content = content_sha256 or entry.content_sha256
        digest = variant_digest(
            self.shared.digest, self.profile_sha256[key.audience], content, self.pdf_variant or ""
        )
        if digest != entry.inputs_sha256:
            return Status(None, self._what_changed(entry, data, content))
        path = self.out_dir / entry.file
        if not path.is_file():
            return Status(None, f"{path} is missing")
        if file_sha256(path) != entry.sha256:
            return Status(None, f"{path} was changed after it was built")
        return Status(entry, "up to date")

    def _what_changed(self, entry: manifest.Entry, data: DataFile, content: str) -> str:
        changed = []
        if content != entry.content_sha256:
            changed.append(data.name)
        if self.profile_sha256[entry.audience] != entry.profile_sha256:
            changed.append(str(self.profiles[entry.audience]))
        if self.shared.digest != entry.shared_sha256:
            if entry.shared_sha256 == manifest_shared_digest(self.recorded):
                changed += self.shared.changes(self.recorded.inputs)
            else:
                changed.append("reportgen, its software or the template folders")
        if (self.pdf_variant or "") != entry.pdf_variant:
            changed.append("the --pdf-variant option")
        if not changed:  # only the data's bytes changed, not what this audience sees of it
            changed.append(data.name)
        more = f" (and {len(changed) - 3} more)" if len(changed) > 3 else ""
        return f"changed since it was built: {', '.join(changed[:3])}{more}"


def manifest_shared_digest(recorded: manifest.Manifest) -> str:
    """The digest of the shared inputs the manifest recorded (as `SharedInputs.digest`)."""
    return combine(sorted(recorded.inputs.items()))


def make_plan(
    data: Sequence[Path],
    audience_names: Sequence[str],
    out_dir: Path,
    template_dirs: Sequence[Path],
    *,
    pdf_variant: PdfVariantName | None = None,
    shard: Shard | None = None,
    force: bool = False,
) -> Plan:
    """Find the data files and audiences, hash the shared inputs, read the manifest (with
    ``force``, a damaged or older manifest counts as none: everything is rebuilt anyway)."""
    try:
        recorded = manifest.load(out_dir / manifest.MANIFEST_NAME)
    except manifest.ManifestError:
        if not force:
            raise
        recorded = manifest.EMPTY
    available = find_profiles(template_dirs)
    selected = select(audience_names, available)
    profiles = {path.stem: path for path in selected}
    return Plan(
        out_dir=out_dir,
        data_files=tuple(find_data_files(data, exclude=[out_dir])),
        available=available,
        profiles=profiles,
        profile_sha256={name: file_sha256(path) for name, path in profiles.items()},
        shared=SharedInputs(template_dirs, exclude=[out_dir]),
        recorded=recorded,
        pdf_variant=pdf_variant,
        shard=shard,
    )
