"""Digests of what a variant's PDF is made from, taken from the files as they are on disk.

One digest per variant, used by the manifest and written into the PDF's build record. It covers
the software (reportgen's own code and the versions of WeasyPrint, pydyf, fontTools, Pango and
HarfBuzz), every file on the template search path, the audience profile, the briefing data as
that audience sees it, and the PDF variant. Hashing files rather than parsing them keeps the
up-to-date check cheap: nothing is parsed, validated or rendered to find that nothing changed.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from reportgen import files, versions
from reportgen.discovery import display_name
from reportgen.errors import FileRefusedError
from reportgen.resources import BUILTIN_TEMPLATES, RESOURCES

# What the digest's layout is; a change to how it is computed must change every digest.
DIGEST_SCHEME = b"reportgen inputs 2"
CODE_FOLDER = RESOURCES.parent
_SKIPPED_FOLDERS = {"__pycache__", ".git", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
_CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in chunks so a large file never sits whole in memory."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def combine(parts: Iterable[tuple[str, str]]) -> str:
    """One SHA-256 over named parts, length-prefixed so no two sequences of parts hash alike."""
    digest = hashlib.sha256()
    digest.update(DIGEST_SCHEME)
    for name, value in parts:
        for part in (name.encode(), value.encode()):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
    return digest.hexdigest()


class SharedInputs:
    """What every variant of a build depends on alike: software, code, and the template folders.

    ``table`` maps a stable label to a digest or version: ``software/weasyprint``,
    ``code/build/plan.py``, ``builtin/style/briefing.css`` (the built-in templates),
    ``templates1/style/x.css`` (the second user folder). Labels are relative, so the same
    inputs give the same digest in any checkout and on any machine.
    """

    def __init__(self, template_dirs: Sequence[Path], *, exclude: Sequence[Path] = ()) -> None:
        # The output folder may sit inside a template folder: its PDFs and manifest must not
        # become inputs of the very build that writes them.
        excluded = {path.resolve() for path in exclude}
        self.folders: dict[str, Path] = {"code": CODE_FOLDER}
        self.folders |= {
            f"templates{index}": Path(folder) for index, folder in enumerate(template_dirs)
        }
        self.folders["builtin"] = BUILTIN_TEMPLATES
        table = {f"software/{name}": version for name, version in versions.software().items()}
        for label, folder in self.folders.items():
            root = folder.resolve()
            # Left out only when inside the folder: an output folder holding it is no matter.
            skip = {path for path in excluded if path.is_relative_to(root) and path != root}
            skip |= {RESOURCES} if label == "code" else set()
            for path in _files(root, skip):
                table[f"{label}/{path.relative_to(folder.resolve()).as_posix()}"] = file_sha256(
                    path
                )
        self.table = dict(sorted(table.items()))
        self.digest = combine(self.table.items())

    def changes(self, recorded: Mapping[str, str]) -> list[str]:
        """What differs from a table recorded earlier, each as a user would name it."""
        changed = sorted(set(self.table) ^ set(recorded))
        changed += sorted(
            k for k in set(self.table) & set(recorded) if self.table[k] != recorded[k]
        )
        return [self.describe(label) for label in sorted(changed)]

    def describe(self, label: str) -> str:
        kind, _, rest = label.partition("/")
        if kind == "software":
            return f"the installed {rest}"
        if kind == "code":
            return f"reportgen's code ({rest})"
        if kind == "builtin":
            return f"the built-in template file {rest}"
        return str(self.folders[kind] / rest) if kind in self.folders else label


def variant_digest(shared: str, profile_sha256: str, content_sha256: str, pdf_variant: str) -> str:
    """The inputs digest of one variant, from the digests of its parts."""
    return combine(
        [
            ("shared", shared),
            ("profile", profile_sha256),
            ("content", content_sha256),
            ("pdf-variant", pdf_variant),
        ]
    )


def content_sha256(embedded_data: bytes, language: str = "", catalog: bytes = b"") -> str:
    """Digest of what the variant embeds: the briefing data (tailored, validated JSON) and, in
    a translated edition, its language and the translations it used: a rebuild from what
    `reportgen extract` gives back has the same digest, and so the same bytes, as the PDF it
    came from."""
    if not language:
        return hashlib.sha256(embedded_data).hexdigest()
    return combine(
        [
            ("data", hashlib.sha256(embedded_data).hexdigest()),
            ("language", language),
            ("catalog", hashlib.sha256(catalog).hexdigest()),
        ]
    )


def _files(folder: Path, skip: set[Path]) -> Iterator[Path]:
    """Regular files under ``folder``, sorted, not following links out of it."""
    for root, folders, names in os.walk(folder):
        here = Path(root)
        folders[:] = sorted(
            name
            for name in folders
            if name not in _SKIPPED_FOLDERS and (here / name).resolve() not in skip
        )
        for name in sorted(names):
            path = here / name
            real = path.resolve()
            # A link to a file outside the folder is not read: that would publish a digest of
            # a file the project does not own. FIFOs and devices are not files to read.
            if real.is_relative_to(folder) and real.is_file():
                # No file a template folder needs comes near this cap (the largest a layout
                # may load); hashing a huge one would hold up the build unbounded.
                if (length := real.stat().st_size) > files.RESOURCE.limit:
                    raise FileRefusedError(
                        display_name(path),
                        f"is {files.size(length)}; the limit for a file in a template folder "
                        f"is {files.size(files.RESOURCE.limit)}",
                    )
                yield path
