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
from reportgen.editions import catalog_path
from reportgen.pdf.standards import PdfVariantName


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
    profile_languages: dict[str, tuple[str, ...] | None]  # what each audience narrows to
    shared: SharedInputs
    recorded: manifest.Manifest
    pdf_variant: PdfVariantName | None
    shard: Shard | None
    template_dirs: tuple[Path, ...] = ()
    language: str | None = None  # only this language's editions (``--language``)
    allow_untranslated: bool = False  # build drafts of incomplete translations

    def known(self, data: DataFile) -> manifest.Source | None:
        """What the manifest says of a data file, if the file and its catalogs are as they
        were when built."""
        source = self.recorded.sources.get(data.name)
        if source is None or source.sha256 != data.sha256:
            return None
        if catalog_digests(data, source.languages[1:]) != source.catalogs:
            return None
        return source

    def keys_of(
        self, briefing_id: str, declared: Iterable[str] | None, languages: Sequence[str]
    ) -> list[VariantKey]:
        """A briefing's variants: each selected audience it declares (all, if it declares
        none), in each of its languages that audience is published in."""
        names = [name for name in self.profiles if declared is None or name in set(declared)]
        return [
            VariantKey(briefing_id, name, language)
            for name in names
            for language in languages
            if (self.language is None or language == self.language)
            and language in (self.profile_languages[name] or languages)
        ]

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
        return self._output_status(entry)

    def _output_status(self, entry: manifest.Entry) -> Status:
        """Whether the PDF of a variant whose inputs are unchanged can be kept."""
        if entry.untranslated and not self.allow_untranslated:
            count = entry.untranslated
            return Status(
                None, f"an incomplete draft ({count} untranslated string{'s' * (count != 1)})"
            )
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


def catalog_digests(data: DataFile, languages: Iterable[str]) -> dict[str, str]:
    """The digest of each language's catalog beside ``data`` ("" where there is none)."""
    digests = {}
    for language in languages:
        path = catalog_path(data.path, language)
        digests[language] = file_sha256(path) if path.is_file() else ""
    return digests


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
    language: str | None = None,
    allow_untranslated: bool = False,
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
    profile_sha256 = {name: file_sha256(path) for name, path in profiles.items()}
    return Plan(
        out_dir=out_dir,
        data_files=tuple(find_data_files(data, exclude=[out_dir])),
        available=available,
        profiles=profiles,
        profile_sha256=profile_sha256,
        profile_languages={
            name: _languages_of(path, profile_sha256[name], recorded)
            for name, path in profiles.items()
        },
        shared=SharedInputs(template_dirs, exclude=[out_dir]),
        recorded=recorded,
        pdf_variant=pdf_variant,
        shard=shard,
        template_dirs=tuple(template_dirs),
        language=language,
        allow_untranslated=allow_untranslated,
    )


def _languages_of(
    profile: Path, sha256: str, recorded: manifest.Manifest
) -> tuple[str, ...] | None:
    """The languages an audience narrows its briefings to: as the manifest recorded them while
    the profile is unchanged, else from the profile itself (a changed profile's variants are
    rebuilt anyway, so parsing it costs nothing a build would not pay)."""
    known = recorded.profiles.get(profile.stem)
    if known is not None and known.sha256 == sha256:
        return known.languages
    from reportgen.audiences import load_profile

    return load_profile(profile).languages
