"""A local Sentry ingest endpoint: ``POST /api/<project>/envelope/``, envelopes parsed into items.

It runs in its own thread (the SDK's transport is a thread that ``sentry_sdk.flush()`` waits for,
so an endpoint on the test's event loop would deadlock). Use ``inbox.dsn`` as SENTRY_DSN.

    with SentryInbox() as inbox:
        ... sentry_sdk.flush(); inbox.events()  # the payloads of every "event" item
"""

from __future__ import annotations

import gzip
import json
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

PUBLIC_KEY = "0123456789abcdef0123456789abcdef"


def parse_envelope(body: bytes) -> list[tuple[dict[str, Any], bytes]]:
    """(item header, payload) pairs of a Sentry envelope (``develop.sentry.dev`` envelope format:
    a header line, then for each item a header line and a payload of ``length`` bytes or a line)."""
    _, _, rest = body.partition(b"\n")
    items: list[tuple[dict[str, Any], bytes]] = []
    while rest.strip():
        head_line, _, rest = rest.partition(b"\n")
        head = json.loads(head_line)
        length = head.get("length")
        if length is None:
            payload, _, rest = rest.partition(b"\n")
        else:
            payload, rest = rest[:length], rest[length:].removeprefix(b"\n")
        items.append((head, payload))
    return items


class SentryInbox:
    """Receives envelopes; ``raw`` keeps every decoded body (for greps), ``items`` the parsed items."""

    def __init__(self, public_key: str = PUBLIC_KEY) -> None:
        self.public_key = public_key
        self.raw: list[bytes] = []
        self.items: list[tuple[dict[str, Any], bytes]] = []
        self.paths: list[str] = []
        self.refused: list[str] = []  # content encodings this inbox cannot read
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                elif encoding:  # "br" only when the brotli package is installed (it is not declared)
                    inbox.refused.append(encoding)
                    self.send_response(415)
                    self.end_headers()
                    return
                inbox.paths.append(self.path)
                inbox.raw.append(body)
                inbox.items.extend(parse_envelope(body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: the test reads what arrived

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def dsn(self) -> str:
        return f"http://{self.public_key}@127.0.0.1:{self._server.server_address[1]}/42"

    def events(self) -> list[dict[str, Any]]:
        """The payloads of every ``event`` item (errors), in arrival order."""
        return [json.loads(payload) for head, payload in self.items if head.get("type") == "event"]

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
