"""Small helpers the test modules share (no fixtures: those live in the conftest files)."""
from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def raising(exc: BaseException | type[BaseException]) -> Callable[..., None]:
    """A stand-in that takes any arguments and raises `exc` (a class is instantiated anew on every call):

        monkeypatch.setattr(adapters.devices, "create", raising(ports.UnknownStore()))
    """
    def stand_in(*_args, **_kwargs):
        raise exc() if isinstance(exc, type) else exc

    return stand_in


def serve_posts(answer: Callable[[str, dict, bytes], int | tuple[int, dict]], port: int = 0) -> ThreadingHTTPServer:
    """A webhook receiver on 127.0.0.1 (`port`, else a free one), serving from a daemon thread. Each POST's path, headers and
    body go to `answer`, which returns the status to send (or the status and extra headers); the answer has no
    body. A caller that gave up meanwhile (a timeout under test) is not an error. Stop it with .shutdown()."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = answer(self.path, dict(self.headers.items()), body)
            status, headers = status if isinstance(status, tuple) else (status, {})
            try:
                self.send_response(status)
                for name, value in {**headers, "Content-Length": "0"}.items():
                    self.send_header(name, value)
                self.end_headers()
            except OSError:
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
