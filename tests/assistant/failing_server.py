"""A real HTTP server that fails on purpose: slow, garbage, server errors. For client tests.

Paths: /slow/... sleeps longer than any client timeout; /garbage/... answers 200 with HTML;
/error/... answers 503; /truncated/... answers 200 with broken JSON.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FailingHandler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        if self.path.startswith("/slow"):
            time.sleep(6)
            body, status, kind = b"{}", 200, "application/json"
        elif self.path.startswith("/garbage"):
            body, status, kind = b"<html><body>Wartungsarbeiten</body></html>", 200, "text/html"
        elif self.path.startswith("/truncated"):
            body, status, kind = b'{"items": [{"id": 1, "na', 200, "application/json"
        else:
            body, status, kind = b'{"error": "down"}', 503, "application/json"
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = _answer
    do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        return


@contextmanager
def failing_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FailingHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
