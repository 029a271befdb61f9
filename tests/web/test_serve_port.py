"""``serve`` listens before anything else starts: a busy port is one clear line, a hint and exit code
2 — no ``server_started``, no traceback — checked with a real socket holding the port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from digital_actors.errors import ConfigError
from web.server import listen

ROOT = Path(__file__).parents[2]


def test_a_busy_port_is_one_line_a_hint_and_exit_code_2(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as holder:
        port = holder.getsockname()[1]
        env = {**os.environ, "DIGITAL_ACTORS_HOME": str(tmp_path), "LOG_FORMAT_JSON": "true"}
        done = subprocess.run([sys.executable, "-m", "digital_actors", "serve", "--port", str(port)],
                              capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"error: port {port} is in use (another program is already listening on 127.0.0.1:{port})",
        f"  hint: stop it (`ss -ltnp 'sport = :{port}'` shows which) or choose another port "
        f"(PORT={port + 1} or --port {port + 1})",
    ]
    assert not (tmp_path / "data").exists()  # nothing started: no memory store was opened


def test_listen_binds_before_the_app_exists_and_names_the_address() -> None:
    [sock] = listen("127.0.0.1", 0)
    with sock:
        port = sock.getsockname()[1]
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)  # already listening
        with pytest.raises(ConfigError) as busy:
            listen("127.0.0.1", port)
    assert busy.value.message.startswith(f"port {port} is in use")
    with pytest.raises(ConfigError) as unknown:
        listen("no-such-host.invalid", 8080)
    assert "does not resolve" in unknown.value.message and unknown.value.hint
