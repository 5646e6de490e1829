"""What the local HTTP stand-ins (dataverse_server, graph_server) share: a server on
127.0.0.1 and a free port, served from a thread while a test is inside `with`, JSON
answers, and scripted faults taken in order, each a set number of times.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, Self
from urllib.parse import parse_qs, urlsplit

# (status, extra headers, payload: a str sent as is, anything else as JSON)
Answer = tuple[int, dict[str, str], Any]


class ScriptedFault(Protocol):
    status: int
    headers: dict[str, str]
    body: str | Callable[[dict[str, str]], str]
    times: int | None


def take_fault(
    faults: Iterable[ScriptedFault],
    applies: Callable[[Any], bool],
    headers: dict[str, str],
) -> Answer | None:
    """The first fault that `applies` and has times left (None: unlimited), used once."""
    for fault in faults:
        if not applies(fault):
            continue
        if fault.times is not None:
            if fault.times <= 0:
                continue
            fault.times -= 1
        text = fault.body(headers) if callable(fault.body) else fault.body
        return fault.status, fault.headers, text
    return None


class LoopbackServer:
    """Real HTTP on 127.0.0.1: subclasses answer in `_handle`, under `self._lock`.

    `path_prefix` is appended to `base_url` (Graph's `/v1.0`); `content_type` is sent
    with every answer.
    """

    path_prefix = ""
    content_type = "application/json"

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None

    def _handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Answer:
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{self.path_prefix}"

    def __enter__(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                fake._respond(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                fake._respond(self, "POST")

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _respond(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        headers = {name.lower(): value for name, value in handler.headers.items()}
        body = b""
        if method == "POST":
            body = handler.rfile.read(int(headers.get("content-length") or 0))
        with self._lock:
            status, extra, payload = self._handle(method, parts.path, query, headers, body)
        data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", self.content_type)
        handler.send_header("Content-Length", str(len(data)))
        for name, value in extra.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)
