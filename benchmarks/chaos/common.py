"""Shared by the chaos scripts: a real `digital-actors serve` subprocess from any checkout, a tiny
scene that ends when the player says goodbye, and small helpers. Not part of the test suite.

``--source DIR`` runs the server from another checkout (e.g. one of main, for the "before" figures);
the scripts themselves only speak HTTP and WebSocket, so they work against either version.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]

# A scene with no clock-driven ending: "name" gets a reply, "goodbye" ends it with success.
CHAOS_SCENE = """\
id = "chaos"
title = "Chaos"
[player]
role = "tester"
[cast.bob]
name = "Bob"
brief = "A tester who answers to his name."
[state.done]
[[phases]]
id = 1
title = "Start"
[[signals]]
id = "bye"
ask = "Did the player say goodbye?"
keywords = ["goodbye"]
effects = { done = "+1" }
[[endings]]
id = "farewell"
kind = "success"
when = "done >= 1"
title = "Farewell"
[script]
opening = ["Hello."]
fallback = ["What?"]
[script.endings]
farewell = ["Bye."]
[[script.replies]]
keywords = ["name"]
lines = ["Bob."]
"""


def common_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", type=lambda p: Path(p).resolve(), default=ROOT,
                        help="checkout whose `digital-actors serve` to run (default: this one)")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def write_scene(folder: Path) -> Path:
    scene = folder / "scenes" / "chaos"
    scene.mkdir(parents=True, exist_ok=True)
    (scene / "scene.toml").write_text(CHAOS_SCENE, encoding="utf-8")
    return scene.parent


@dataclass
class Server:
    """One `digital-actors serve` process; its log (stderr, JSON lines) goes to ``log``."""

    source: Path
    home: Path
    env: dict[str, str]
    port: int = 0
    proc: asyncio.subprocess.Process | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.home / "server.log"

    @property
    def db(self) -> Path:
        return self.home / "player_memory.db"

    async def start(self) -> None:
        self.port = self.port or free_port()
        env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
        env.update({"PORT": str(self.port), "HOST": "127.0.0.1", "DIGITAL_ACTORS_HOME": str(self.home),
                    "DIGITAL_ACTORS_DB": str(self.db), "DIGITAL_ACTORS_ENV_FILE": "",
                    "DIGITAL_ACTORS_SCENES": str(write_scene(self.home)), "LLM_PROVIDER": "understudy",
                    "VOICE": "false", "LOG_FORMAT_JSON": "true", "LOG_LEVEL": "INFO",
                    "PYTHONPATH": str(self.source), "PYTHONDONTWRITEBYTECODE": "1", **self.env})
        with self.log.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "digital_actors", "serve", cwd=self.source, env=env,
                stdout=asyncio.subprocess.DEVNULL, stderr=log)
        await self.wait_healthy()

    async def wait_healthy(self) -> None:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                if self.proc is not None and self.proc.returncode is not None:
                    raise RuntimeError(f"the server exited at start; see {self.log}")
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    async with http.get(f"{self.base}/health") as r:
                        if r.status == 200:
                            return
                await asyncio.sleep(0.1)
        raise RuntimeError("the server never became healthy")

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def kill9(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 30)
            except TimeoutError:
                await self.kill9()

    def log_lines(self) -> list[str]:
        return self.log.read_text(encoding="utf-8", errors="replace").splitlines() if self.log.exists() else []

    def player_rows(self) -> int:
        if not self.db.exists():
            return 0
        with contextlib.closing(sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)) as conn:
            return int(conn.execute("SELECT count(*) FROM players").fetchone()[0])


@contextlib.asynccontextmanager
async def running(source: Path, home: Path, **env: str) -> AsyncIterator[Server]:
    server = Server(source, home, {k.upper(): v for k, v in env.items()})
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def crash_lines(lines: list[str]) -> list[str]:
    """Log lines that mean a request or a command blew up: a 500 answered, a traceback logged."""
    marks = ('"status": 500', "Traceback", "http_handler_failed", "ws_command_failed", "event_delivery_failed",
             "Unhandled exception", "Error handling request")
    return [line for line in lines if any(m in line for m in marks)]


def count_500s(lines: list[str]) -> tuple[int, int]:
    """(requests answered 500, log lines carrying a traceback)."""
    return (sum(1 for line in lines if '"status": 500' in line),
            sum(1 for line in lines if "Traceback" in line))
