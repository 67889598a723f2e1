"""What a layout may load: files in the project's folders and ``data:`` URLs, of known kinds."""

from __future__ import annotations

import mimetypes
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from reportgen import files
from reportgen.errors import FileRefusedError

if TYPE_CHECKING:
    from weasyprint.urls import URLFetcherResponse

# No stylesheet, font or image a briefing needs comes near this.
MAX_RESOURCE_BYTES = files.RESOURCE.limit

# Binary formats accepted by their first bytes. Everything else must be UTF-8 text (CSS, SVG).
# Sniffing the bytes, not trusting the extension, keeps Pillow from ever seeing an EPS (which it
# hands to Ghostscript) or another format it decodes with an outside program.
BINARY_SIGNATURES = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",
    b"GIF89a",
    b"\x00\x01\x00\x00",  # TrueType
    b"true",
    b"OTTO",  # OpenType with CFF outlines
    b"wOFF",
    b"wOF2",
)
TEXT_REFUSED_PREFIXES = ("%!PS",)  # PostScript and EPS are text, and Pillow would run them


def confined_fetcher(roots: tuple[Path, ...]) -> Any:
    """A WeasyPrint URL fetcher that serves only ``data:`` URLs and files under ``roots``.

    Every refusal is recorded in ``.refusals`` as well as raised, because WeasyPrint swallows
    some failures (those inside SVG images) and only logs them.
    """
    from weasyprint.urls import FatalURLFetchingError, URLFetcher
    from weasyprint.urls import URLFetcherResponse as Response

    class ConfinedFetcher(URLFetcher):  # type: ignore[misc]
        def __init__(self) -> None:
            # fail_on_errors: a missing resource stops the build instead of being skipped.
            super().__init__(fail_on_errors=True, allow_redirects=False)
            self.refusals: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            scheme = urllib.parse.urlsplit(url).scheme
            if scheme == "file":
                return self._fetch_file(url)
            if scheme != "data":
                self._refuse(url, "only files in the template and data folders may load")
            response = super().fetch(url, headers)
            try:
                body = response.read(MAX_RESOURCE_BYTES + 1)
            finally:
                response.close()
            return self._checked(url, response.url, body, response.headers)

        def _fetch_file(self, url: str) -> URLFetcherResponse:
            # Read here through the one rule for files, not by urllib, which would follow a
            # link out of the roots, block on a named pipe and read a device without end.
            path = Path(urllib.request.url2pathname(urllib.parse.urlsplit(url).path))
            try:
                contents = files.read(path, files.RESOURCE, roots, shown=_shorten(url))
            except FileRefusedError as error:
                self._refuse(url, error.reason)
            kind = mimetypes.guess_type(contents.real.name)[0] or "text/plain"  # as urllib says
            headers = {"Content-Type": kind, "Content-Length": str(len(contents.data))}
            return self._checked(url, contents.real.as_uri(), contents.data, headers)

        def _checked(self, url: str, final_url: str, body: bytes, headers: Any) -> Any:
            problem = _unacceptable(body)
            if problem:
                self._refuse(url, problem)
            return Response(final_url, body=body, headers=headers)

        def _refuse(self, url: str, reason: str) -> NoReturn:
            self.refusals.append(f"{_shorten(url)}: {reason}")
            raise FatalURLFetchingError(f"{_shorten(url)}: {reason}")

    return ConfinedFetcher()


def _unacceptable(body: bytes) -> str | None:
    """Why ``body`` may not be loaded, or None if it is a kind of file layouts may use."""
    if len(body) > MAX_RESOURCE_BYTES:
        return f"larger than {MAX_RESOURCE_BYTES // (1024 * 1024)} MiB"
    if body.startswith(BINARY_SIGNATURES) or (body[:4] == b"RIFF" and body[8:12] == b"WEBP"):
        return None
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "not a stylesheet, font or image of a kind reportgen loads"
    if text.lstrip().startswith(TEXT_REFUSED_PREFIXES):
        return "PostScript is not loaded"
    return None


def _shorten(url: str, limit: int = 160) -> str:
    return url if len(url) <= limit else url[: limit - 1] + "…"
