"""The preview's server answers only its own routes, only to its own Host, and pushes states."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import pytest

from reportgen.errors import PreviewError
from reportgen.preview.pages import PageText, TextRun
from reportgen.preview.server import PreviewServer, allowed_hosts, host_allowed, is_loopback
from reportgen.preview.session import State

# -- the Host check, without a server ---------------------------------------------------------


def test_loopback_answers_to_its_loopback_names_at_its_port_only() -> None:
    allowed = allowed_hosts("127.0.0.1", 8123)
    for header in ("127.0.0.1:8123", "localhost:8123", "LOCALHOST:8123", "[::1]:8123"):
        assert host_allowed(header, allowed), header
    refused: tuple[str | None, ...] = (
        None,
        "",
        "127.0.0.1",  # no port: not what a browser sends to this server
        "127.0.0.1:8124",
        "evil.example:8123",  # a rebound name: the attacker's page sends its own name
        "localhost.evil.example:8123",
        "127.0.0.1:8123.evil.example",
    )
    for refusal in refused:
        assert not host_allowed(refusal, allowed), refusal


def test_another_address_answers_to_that_address() -> None:
    allowed = allowed_hosts("192.0.2.7", 80)
    assert host_allowed("192.0.2.7:80", allowed)
    assert not host_allowed("localhost:80", allowed)
    assert not host_allowed("evil.example:80", allowed)


def test_which_hosts_are_loopback() -> None:
    assert all(map(is_loopback, ["127.0.0.1", "127.5.0.1", "::1", "[::1]", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "192.0.2.7", "::", "example.org"]))


# -- a server over a session that the test drives ------------------------------------------


class FakeDocument:
    pages = (PageText(100, 200, (TextRun("Hello", 10, 20, 30, 12),)),)

    def png(self, index: int, scale: float) -> bytes:
        if index != 0:
            raise IndexError(index)
        return b"\x89PNG fake at %g" % scale


@dataclass
class FakeSession:
    state: State = field(default_factory=lambda: State(serial=1, data_files=("a.yaml",)))
    selected: list[tuple[str, str, str | None]] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def state_after(self, serial: int, timeout: float) -> State | None:
        with self.changed:
            self.changed.wait_for(lambda: self.state.serial > serial, timeout)
            return self.state if self.state.serial > serial else None

    def document(self, build: int) -> FakeDocument | None:
        return FakeDocument() if build == 3 else None

    def select(self, data: str, audience: str, language: str | None = None) -> None:
        if data != "a.yaml" or language not in (None, "en", "es"):
            raise PreviewError("no such choice")
        self.selected.append((data, audience, language))

    def publish(self, **changes: object) -> None:
        with self.changed:
            self.state = replace(self.state, serial=self.state.serial + 1, **changes)  # type: ignore[arg-type]
            self.changed.notify_all()


@pytest.fixture
def served() -> Iterator[tuple[PreviewServer, FakeSession]]:
    session = FakeSession()
    server = PreviewServer("127.0.0.1", 0, session)
    thread = threading.Thread(target=server.serve)
    thread.start()
    try:
        yield server, session
    finally:
        server.stop()
        thread.join(timeout=10)
        assert not thread.is_alive()


def _get(
    server: PreviewServer, path: str, host: str | None = "own", method: str = "GET", **kw: object
) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    headers = dict(kw.pop("headers", {}))  # type: ignore[call-overload]
    connection.putrequest(method, path, skip_host=True)
    if host is not None:
        connection.putheader("Host", f"127.0.0.1:{server.port}" if host == "own" else host)
    for name, value in headers.items():
        connection.putheader(name, value)
    body = kw.get("body")
    if isinstance(body, bytes):
        connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body if isinstance(body, bytes) else None)
    return connection.getresponse()


def test_the_page_and_its_assets_are_served_with_a_strict_policy(
    served: tuple[PreviewServer, FakeSession],
) -> None:
    server, _ = served
    assert server.url == f"http://127.0.0.1:{server.port}/"
    page = _get(server, "/")
    assert page.status == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    html = page.read().decode()
    # Everything it loads comes from this server: no CDN, nothing from the internet.
    assert '<script src="/static/preview.js"' in html and "http" not in html
    script = _get(server, "/static/preview.js")
    assert script.status == 200 and b"EventSource" in script.read()
    assert _get(server, "/static/preview.css").status == 200


@pytest.mark.parametrize(
    "path",
    [
        "/static/",
        "/static",
        "/static/../../pyproject.toml",
        "/../../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/index.html",
        "/static/index.html",
        "/build/3/page/1.png",  # no such page
        "/build/4/page/0.png",  # no such build
        "/build/3/page/0.png?scale=nan",
        "/build/3/text.jsonx",
        "/favicon.ico",
    ],
)
def test_nothing_else_is_served(served: tuple[PreviewServer, FakeSession], path: str) -> None:
    server, _ = served
    response = _get(server, path)
    assert response.status == 404, path
    assert b"root:" not in response.read()


@pytest.mark.parametrize("host", [None, "evil.example", "evil.example:80", "localhost:1"])
def test_a_request_for_another_host_is_refused(
    served: tuple[PreviewServer, FakeSession], host: str | None
) -> None:
    server, session = served
    for path in ("/", "/events", "/build/3/page/0.png", "/build/3/text.json"):
        response = _get(server, path, host=host)
        assert response.status == 403, (host, path)
        assert b"Hello" not in response.read()
    response = _get(
        server,
        "/select",
        host=host,
        method="POST",
        headers={"Content-Type": "application/json"},
        body=b'{"data": "a.yaml", "audience": "x"}',
    )
    assert response.status == 403
    assert session.selected == []


def test_pages_and_their_text_are_served_by_build(
    served: tuple[PreviewServer, FakeSession],
) -> None:
    server, _ = served
    image = _get(server, "/build/3/page/0.png?scale=1.5")
    assert image.status == 200 and image.headers["Content-Type"] == "image/png"
    assert image.read() == b"\x89PNG fake at 1.5"
    text = _get(server, "/build/3/text.json")
    assert json.loads(text.read()) == [
        {
            "width": 100,
            "height": 200,
            "runs": [{"text": "Hello", "left": 10, "top": 20, "width": 30, "height": 12}],
        }
    ]


def test_the_state_is_pushed_as_it_changes(served: tuple[PreviewServer, FakeSession]) -> None:
    server, session = served
    stream = _get(server, "/events")
    assert stream.headers["Content-Type"] == "text/event-stream"

    def next_state() -> dict[str, object]:
        while not (line := stream.readline()).startswith(b"data: "):
            assert line, "the stream ended"
        state = json.loads(line[len(b"data: ") :])
        assert isinstance(state, dict)
        return state

    assert next_state()["serial"] == 1  # the current state, at once
    session.publish(status="failed", problems=("data/a.yaml:3: title: Field required",))
    state = next_state()
    assert state["status"] == "failed"
    assert state["problems"] == ["data/a.yaml:3: title: Field required"]
    stream.close()


def test_a_variant_is_chosen_by_json_from_this_origin_only(
    served: tuple[PreviewServer, FakeSession],
) -> None:
    server, session = served
    body = b'{"data": "a.yaml", "audience": "public"}'
    json_type = {"Content-Type": "application/json"}
    own = {**json_type, "Origin": f"http://127.0.0.1:{server.port}"}
    assert _get(server, "/select", method="POST", headers=own, body=body).status == 200
    # A form from another site can post neither JSON nor with this origin.
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert _get(server, "/select", method="POST", headers=form, body=body).status == 415
    other = {**json_type, "Origin": "http://evil.example"}
    assert _get(server, "/select", method="POST", headers=other, body=body).status == 403
    not_offered = b'{"data": "../../etc/passwd", "audience": "public"}'
    assert _get(server, "/select", method="POST", headers=own, body=not_offered).status == 400
    assert _get(server, "/select", method="POST", headers=own, body=b"{").status == 400
    assert _get(server, "/elsewhere", method="POST", headers=own, body=body).status == 404
    # A language, where the page names one; one not offered is refused as the rest.
    spanish = b'{"data": "a.yaml", "audience": "public", "language": "es"}'
    assert _get(server, "/select", method="POST", headers=own, body=spanish).status == 200
    french = b'{"data": "a.yaml", "audience": "public", "language": "fr"}'
    assert _get(server, "/select", method="POST", headers=own, body=french).status == 400
    assert session.selected == [("a.yaml", "public", None), ("a.yaml", "public", "es")]


def test_a_port_in_use_is_one_clear_error(served: tuple[PreviewServer, FakeSession]) -> None:
    server, session = served
    with pytest.raises(PreviewError, match=f"cannot serve the preview on 127.0.0.1:{server.port}"):
        PreviewServer("127.0.0.1", server.port, session)
