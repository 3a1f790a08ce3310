"""Shared pytest fixtures.

``http_server``: a local HTTP server on 127.0.0.1 (ephemeral port) for download and image-URL
tests. Register what it serves, then request ``http_server.url(path)``::

    def test_something(http_server):
        http_server.add("/a.png", png_bytes, headers={"Content-Type": "image/png"})
        http_server.add("/missing", status=404)
        http_server.add("/slow", b"late", delay=1.0)           # sleep before the headers
        http_server.add("/big", b"x" * 1000, content_length=False)  # body ends at close
        http_server.add("/custom", handler=lambda req: ...)     # full control
        ...
        assert http_server.count("/a.png") == 1

Unregistered paths answer 404. The server speaks HTTP/1.0 and closes each connection after
the response.
"""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest


@dataclass
class Route:
    """What the local server answers for one path.

    Attributes:
        body: Response body.
        status: HTTP status code.
        headers: Extra response headers.
        content_length: Send a ``Content-Length`` header (the real body length, or the number
            given here when it is an int, to imitate a server that lies about it).
        delay: Seconds to sleep before sending anything (for read-timeout tests).
        stall: Seconds to sleep after the headers and the first half of the body.
        handler: Called with the ``BaseHTTPRequestHandler`` instead of all of the above.
    """

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_length: bool | int = True
    delay: float = 0.0
    stall: float = 0.0
    handler: Callable[[http.server.BaseHTTPRequestHandler], None] | None = None


class LocalHTTPServer:
    """A threaded HTTP server on 127.0.0.1 serving registered routes and counting requests."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, path: str) -> str:
        """Full URL of ``path`` on this server, e.g. ``http://127.0.0.1:PORT/a.png``."""
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def add(self, path: str, body: bytes = b"", **options) -> str:
        """Serve ``body`` (and ``Route`` options) at ``path``; returns the URL."""
        self.routes["/" + path.lstrip("/")] = Route(body=body, **options)
        return self.url(path)

    def count(self, path: str) -> int:
        """Number of requests received for ``path`` (query string ignored)."""
        with self._lock:
            return self.requests.count("/" + path.lstrip("/"))

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handler_class(self) -> type[http.server.BaseHTTPRequestHandler]:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server naming)
                path = urlsplit(self.path).path
                with server._lock:
                    server.requests.append(path)
                route = server.routes.get(path)
                try:
                    if route is None:
                        self._answer(Route(body=b"not found", status=404))
                    elif route.handler is not None:
                        route.handler(self)
                    else:
                        self._answer(route)
                except (ConnectionError, TimeoutError):
                    pass  # the client gave up (timeout and size-cap tests): expected

            def _answer(self, route: Route) -> None:
                if route.delay:
                    time.sleep(route.delay)
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                if route.content_length is True:
                    self.send_header("Content-Length", str(len(route.body)))
                elif route.content_length is not False:
                    self.send_header("Content-Length", str(route.content_length))
                self.end_headers()
                if route.stall:
                    half = len(route.body) // 2
                    self.wfile.write(route.body[:half])
                    self.wfile.flush()
                    time.sleep(route.stall)
                    self.wfile.write(route.body[half:])
                else:
                    self.wfile.write(route.body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass  # keep test output clean

        return Handler


@pytest.fixture
def http_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalHTTPServer]:
    """A started :class:`LocalHTTPServer` on 127.0.0.1, stopped after the test."""
    # Never route local test traffic through a proxy configured in the environment.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    server = LocalHTTPServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def tiny_generator_file(tmp_path_factory: pytest.TempPathFactory):
    """A `.keras` file of `build_generator(num_blocks=2, filters=16)` (random weights), written
    once per test session with `save_generator`."""
    from super_resolution_gans import build_generator, save_generator

    path = tmp_path_factory.mktemp("models") / "tiny_generator.keras"
    return save_generator(build_generator(num_blocks=2, filters=16), path, {"stage": "test"})


@pytest.fixture(scope="module")
def tiny_generator():
    """`build_generator(num_blocks=2, filters=16)` with random weights (every weight moved off
    its initial value, BatchNorm statistics included), one per test module."""
    from helpers import randomize_weights

    from super_resolution_gans import build_generator

    return randomize_weights(build_generator(num_blocks=2, filters=16), seed=1)


@pytest.fixture(scope="session", autouse=True)
def library_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The library's cache directory (downloads, conversions) in a temporary folder for the
    whole session, commands run in subprocesses included: tests never read or fill the user's
    `~/.cache`. Tests that need their own set `SUPER_RESOLUTION_GANS_HOME` themselves."""
    with pytest.MonkeyPatch.context() as session_patch:
        session_patch.setenv("SUPER_RESOLUTION_GANS_HOME",
                             str(tmp_path_factory.mktemp("library_cache")))
        yield
