"""``reportgen init-template``: a starter folder of templates that builds as it is."""

from __future__ import annotations

from pathlib import Path

from reportgen.errors import ReportgenError
from reportgen.resources import STARTER


def init_template(folder: Path, name: str) -> list[Path]:
    """Write the starter files into ``folder`` for an audience called ``name``.

    Refuses to overwrite anything, so running it twice cannot destroy a user's work.
    """
    files = {
        folder / _fill(str(source.relative_to(STARTER)), name, folder): source
        for source in sorted(STARTER.rglob("*"))
        if source.is_file()
    }
    existing = [str(target) for target in files if target.exists()]
    if existing:
        raise ReportgenError(f"will not overwrite existing files: {', '.join(existing)}")
    for target, source in files.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_fill(source.read_text(encoding="utf-8"), name, folder), encoding="utf-8")
    return list(files)


def _fill(text: str, name: str, folder: Path) -> str:
    return text.replace("__NAME__", name).replace("__FOLDER__", str(folder))
