"""The preview's web server: its page, the pages of each build, and its state as server-sent
events; nothing else, and only to requests that name it as their host."""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import socket
import threading
from dataclasses import asdict
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from typing import TYPE_CHECKING, Any, ClassVar, Protocol
from urllib.parse import parse_qs, urlsplit

from reportgen.errors import PreviewError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from reportgen.preview.pages import PageText
    from reportgen.preview.session import State

logger = logging.getLogger(__name__)

# The page's own files, by the path they are served at; nothing else is read from disk.
STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/static/preview.js": ("preview.js", "text/javascript; charset=utf-8"),
    "/static/preview.css": ("preview.css", "text/css; charset=utf-8"),
}
_PAGE = re.compile(r"/build/(\d{1,9})/page/(\d{1,5})\.png")
_TEXT = re.compile(r"/build/(\d{1,9})/text\.json")
# A quiet connection gets a comment this often, so a closed tab is noticed and its thread ends.
_HEARTBEAT_SECONDS = 15.0
_POLL_SECONDS = 0.5
_MAX_BODY = 4096
# The page loads only its own scripts, styles and images, and cannot be framed by another.
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class Pages(Protocol):
    """A build's pages, as the server serves them (`reportgen.preview.pages.Document`)."""

    @property
    def pages(self) -> Sequence[PageText]: ...

    def png(self, index: int, scale: float) -> bytes: ...


class Session(Protocol):
    """What the server asks of the preview session (`reportgen.preview.session.Preview`)."""

    def state_after(self, serial: int, timeout: float) -> State | None: ...

    def document(self, build: int) -> Pages | None: ...

    def select(self, data: str, audience: str, language: str | None = None) -> None: ...


def is_loopback(host: str) -> bool:
    """Whether ``host`` is an address only this machine can reach."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str, port: int) -> frozenset[str]:
    """The ``Host`` headers the server answers, as ``name:port``: the address it listens on,
    and, for loopback, the names of loopback; for every address (``0.0.0.0``), this machine's
    names too. A page elsewhere whose name resolves to this machine (DNS rebinding) sends its
    own name, and is refused."""
    names = {host.strip("[]").lower()}
    if is_loopback(host) or host in {"0.0.0.0", "::", ""}:
        names |= {"localhost", "127.0.0.1", "::1"}
    if host in {"0.0.0.0", "::", ""}:
        names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
    return frozenset(f"[{name}]:{port}" if ":" in name else f"{name}:{port}" for name in names)


def host_allowed(header: str | None, allowed: frozenset[str]) -> bool:
    """Whether a request's ``Host`` header names this server (a missing one never does)."""
    return header is not None and header.strip().lower() in allowed


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # an open event stream must not hold up the end of the preview
    session: Session
    allowed: frozenset[str]
    closing: threading.Event


class _Server6(_Server):
    address_family = socket.AF_INET6


class PreviewServer:
    """The HTTP server of a preview, bound at once to ``host``:``port`` (0: a free port)."""

    def __init__(self, host: str, port: int, session: Session) -> None:
        kind = _Server6 if ":" in host.strip("[]") else _Server
        try:
            self._httpd = kind((host.strip("[]"), port), _Handler)
        except OSError as error:
            raise PreviewError(
                f"cannot serve the preview on {host}:{port}: {error.strerror}"
            ) from None
        self._httpd.session = session
        self.port: int = self._httpd.server_address[1]
        self.host = host
        self._httpd.allowed = allowed_hosts(host, self.port)
        self._httpd.closing = threading.Event()
        self._serving = threading.Event()

    @property
    def url(self) -> str:
        host = f"[{self.host.strip('[]')}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def serve(self) -> None:
        """Answer requests until `stop`."""
        self._serving.set()
        self._httpd.serve_forever(poll_interval=_POLL_SECONDS)

    def stop(self) -> None:
        """Stop answering, end the event streams, and close the socket; idempotent."""
        if self._httpd.closing.is_set():
            return
        self._httpd.closing.set()
        if self._serving.is_set():
            self._httpd.shutdown()
        self._httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "reportgen-preview"
    sys_version = ""
    error_content_type = "text/plain; charset=utf-8"
    error_message_format = "%(code)d %(message)s\n"
    _static: ClassVar[dict[str, bytes]] = {}

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def end_headers(self) -> None:
        for name, value in _HEADERS.items():
            self.send_header(name, value)
        super().end_headers()

    def _checked(self) -> bool:
        if host_allowed(self.headers.get("Host"), self.server.allowed):
            return True
        self.send_error(HTTPStatus.FORBIDDEN, "this preview answers only to its own address")
        return False

    def do_GET(self) -> None:
        if not self._checked():
            return
        url = urlsplit(self.path)
        if url.path in STATIC:
            name, kind = STATIC[url.path]
            self._send(_asset(name), kind)
        elif url.path == "/events":
            self._events()
        elif match := _PAGE.fullmatch(url.path):
            self._page(int(match[1]), int(match[2]), parse_qs(url.query))
        elif match := _TEXT.fullmatch(url.path):
            document = self.server.session.document(int(match[1]))
            if document is None:
                self.send_error(HTTPStatus.NOT_FOUND)
                return
            pages = [asdict(page) for page in document.pages]
            self._send(json.dumps(pages).encode(), "application/json", cache=True)
        else:
            self.send_error(HTTPStatus.NOT_FOUND)

    def do_POST(self) -> None:
        if not self._checked():
            return
        # JSON only, from this origin: a form on another site can send neither, and a script
        # there would need a CORS preflight this server never answers.
        origin = self.headers.get("Origin")
        if origin is not None and f"{origin.rstrip('/').split('://', 1)[-1].lower()}" not in (
            self.server.allowed
        ):
            self.send_error(HTTPStatus.FORBIDDEN, "requests from other sites are refused")
            return
        if urlsplit(self.path).path != "/select":
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        if self.headers.get_content_type() != "application/json":
            self.send_error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE)
            return
        try:
            length = int(self.headers.get("Content-Length", "0"))
            if not 0 < length <= _MAX_BODY:
                raise ValueError(length)
            body = json.loads(self.rfile.read(length))
            language = body.get("language")
            self.server.session.select(
                str(body["data"]),
                str(body["audience"]),
                None if language is None else str(language),
            )
        except (ValueError, KeyError, TypeError, PreviewError):
            self.send_error(HTTPStatus.BAD_REQUEST)
            return
        self._send(b"{}", "application/json")

    def _send(self, body: bytes, kind: str, *, cache: bool = False) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        # A build's pages never change (a new build has a new number); the rest may.
        self.send_header("Cache-Control", "private, max-age=3600" if cache else "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _page(self, build: int, index: int, query: dict[str, list[str]]) -> None:
        document = self.server.session.document(build)
        try:
            scale = float(query.get("scale", ["2"])[0])
            if document is None or not 0 < scale < 100:
                raise ValueError(scale)
            png = document.png(index, scale)
        except (ValueError, IndexError):
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        self._send(png, "image/png", cache=True)

    def _events(self) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        serial, quiet = -1, 0.0
        try:
            while not self.server.closing.is_set():
                state = self.server.session.state_after(serial, _POLL_SECONDS)
                if state is None:
                    quiet += _POLL_SECONDS
                    if quiet >= _HEARTBEAT_SECONDS:
                        self.wfile.write(b": still here\n\n")
                        self.wfile.flush()
                        quiet = 0.0
                    continue
                serial, quiet = state.serial, 0.0
                data = json.dumps(state.as_json(), separators=(",", ":"))
                self.wfile.write(f"id: {serial}\nevent: state\ndata: {data}\n\n".encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return  # the tab was closed


def _asset(name: str) -> bytes:
    cached = _Handler._static.get(name)
    if cached is None:
        cached = files("reportgen.preview").joinpath("static", name).read_bytes()
        _Handler._static[name] = cached
    return cached
