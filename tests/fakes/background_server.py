"""One lifecycle for the local protocol servers of the tests: a ``ThreadingHTTPServer`` on a
free port of 127.0.0.1, served from a daemon thread, usable as a context manager."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Mapping


class BackgroundHttpServer:
    thread_name = "fake-http"

    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def make_server(self) -> ThreadingHTTPServer:
        """Bind the server to ``("127.0.0.1", 0)`` with the subclass's handler and state."""
        raise NotImplementedError

    def start(self):
        if self._server is None:
            self._server = self.make_server()
            self._server.daemon_threads = True
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=self.thread_name, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"


class JsonHandler(BaseHTTPRequestHandler):
    """A keep-alive handler that answers JSON; the fakes route requests, this sends them back."""

    #: Headers and body go out in two writes; without this, Nagle's algorithm and the client's
    #: delayed ACK add 40 ms to every response on loopback.
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"
    #: Idle keep-alive connections are dropped after this many seconds.
    timeout = 5

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request stderr log."""

    def _send(self, status: int, payload: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class StateServer(ThreadingHTTPServer):
    """A server on a free port of 127.0.0.1 whose handlers reach the fake's state as ``server.state``."""

    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler], state: Any) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.state = state


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any = None


class RecordingServer(BackgroundHttpServer):
    """A fake whose handler (``handler``) reaches ``state`` as ``server.state``; the state holds
    a ``lock`` and the ``requests`` received, read here."""

    handler: type[BaseHTTPRequestHandler]
    state: Any

    def make_server(self) -> ThreadingHTTPServer:
        return StateServer(self.handler, self.state)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self.state.lock:
            return list(self.state.requests)
