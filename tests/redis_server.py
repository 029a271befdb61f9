"""A real Redis server for the tests: ``redis-server`` on a free port of 127.0.0.1, in a temporary
folder, with nothing saved to disk; started once per test run and stopped at its end.

When the binary is absent the tests that need it are skipped with ``ENABLE`` as the reason.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ENABLE = ("redis-server was not found, so the shared-session tests are skipped. Install it (Debian/Ubuntu: "
          "`apt-get install redis-server`; macOS: `brew install redis`) or put redis-server on PATH "
          "(or set DIGITAL_ACTORS_REDIS_SERVER to it); CI installs it (.ci/run).")
READY = b"Ready to accept connections"
START_LINES = 200  # lines of start-up output read at most before giving up


def binary() -> str | None:
    return os.environ.get("DIGITAL_ACTORS_REDIS_SERVER") or shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class RedisServer:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self, *words: str) -> bytes:
        """One command over a plain socket (RESP), for fixtures that must not need the client library."""
        parts = [f"*{len(words)}\r\n".encode()]
        for word in words:
            data = word.encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as conn:
            conn.sendall(b"".join(parts))
            return conn.recv(65536)


@contextlib.contextmanager
def running(folder: Path) -> Iterator[RedisServer]:
    """``redis-server --port <free> --save '' --appendonly no`` in ``folder``, until the block ends.
    Ready when the server says so on its output (no polling)."""
    found = binary()
    if found is None:
        raise FileNotFoundError(ENABLE)
    port = free_port()
    process = subprocess.Popen(
        [found, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder), "--daemonize", "no", "--loglevel", "notice"],
        cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert process.stdout is not None
        seen = []
        for _ in range(START_LINES):
            line = process.stdout.readline()
            seen.append(line)
            if READY in line or not line:
                break
        if not any(READY in line for line in seen):
            raise RuntimeError("redis-server did not start:\n" + b"".join(seen).decode(errors="replace"))
        # Keep reading its log, so that a full pipe never stalls the server.
        drain = threading.Thread(target=process.stdout.read, daemon=True)
        drain.start()
        yield RedisServer(port, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
