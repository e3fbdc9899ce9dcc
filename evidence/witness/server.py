"""The witness over HTTP (stdlib `http.server`, threads): POST /add-checkpoint and
GET /<origin hash>/checkpoint, the submission and monitoring prefix being the server's root."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .service import Reply, Witness

MAX_REQUEST = 128 * 1024


class WitnessServer:
    """A witness served on host:port (port 0: any free one), in a background thread or not."""

    def __init__(self, witness: Witness, host: str = "127.0.0.1", port: int = 0) -> None:
        handler = type("Handler", (_Handler,), {"witness": witness})
        self.server = ThreadingHTTPServer((host, port), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The base URL (submission and monitoring prefix)."""
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> WitnessServer:
        """Serve in a background thread; returns self."""
        self.thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted."""
        try:
            self.server.serve_forever()
        finally:
            self.server.server_close()

    def stop(self) -> None:
        """Stop serving and free the port."""
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    witness: Witness
    protocol_version = "HTTP/1.1"

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if self.path != "/add-checkpoint":
            self._send(Reply(404, "text/plain", b"not found\n"))
            return
        if not 0 < length <= MAX_REQUEST:
            self.close_connection = True
            self._send(Reply(400, "text/plain", b"request body missing or too large\n"))
            return
        self._send(self.witness.add_checkpoint(self.rfile.read(length)))

    def do_GET(self) -> None:
        parts = self.path.strip("/").split("/")
        if len(parts) != 2 or parts[1] != "checkpoint":
            self._send(Reply(404, "text/plain", b"not found\n"))
            return
        self._send(self.witness.checkpoint(parts[0]))

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the operator sees refusals through the answers' bodies and its own logs."""
