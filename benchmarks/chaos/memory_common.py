"""What the memory chaos scripts (store_lock.py, disk_full.py) share: a real ``digital-actors serve``
subprocess on 127.0.0.1 with a file store, a tiny scene that ends when a control is pressed, and web
players over real WebSockets.

The scripts run against any checkout (``--checkout DIR`` puts it first on the server's
PYTHONPATH), so the same script measures a build before and after a fix. Everything is bounded:
each wait has a deadline, and the server is stopped (SIGINT, then SIGKILL) whatever happens.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
NOT_SAVED = "not being saved"  # the outage notice says "Your progress is not being saved right now"
SAVED_AGAIN = "saved again"
SCENE = """id = "finish_line"
title = "Finish line"
[player]
role = "a runner"
[cast.coach]
name = "Coach"
brief = "Counts the runners in."
[state.done]
[[phases]]
id = 1
title = "Run"
[[controls]]
id = "finish"
label = "FINISH"
key = "1"
effects = { done = "+1" }
[[endings]]
id = "crossed"
kind = "success"
when = "done >= 1"
title = "Crossed the line"
[script]
opening = ["Go."]
fallback = ["Run."]
[script.endings]
crossed = ["Well run."]
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """One ``digital-actors serve`` process with its own home, database and scenes."""

    home: Path
    db: Path
    checkout: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        scenes = self.home / "scenes"
        (scenes / "finish_line").mkdir(parents=True, exist_ok=True)
        (scenes / "finish_line" / "scene.toml").write_text(SCENE, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
        env.update(DIGITAL_ACTORS_HOME=str(self.home), DIGITAL_ACTORS_DB=str(self.db),
                   DIGITAL_ACTORS_SCENES=str(scenes), DIGITAL_ACTORS_ENV_FILE="", LLM_PROVIDER="understudy",
                   VOICE="false", SUGGESTIONS="false", LOG_LEVEL="WARNING", LOG_FORMAT_JSON="true",
                   PYTHONPATH=str(self.checkout),
                   # every player comes from 127.0.0.1: lift the per-address admission limits (ignored by
                   # builds that have none)
                   SESSION_RATE_PER_MINUTE="100000", SESSION_RATE_BURST="100000",
                   WEB_MAX_SESSIONS_PER_CLIENT="100000")
        return env

    def spawn(self) -> subprocess.Popen[bytes]:
        self.home.mkdir(parents=True, exist_ok=True)
        with (self.home / "server.log").open("ab") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "digital_actors", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env(), stdout=log, stderr=subprocess.STDOUT, cwd=self.home)

    async def start(self, deadline: float = 60.0) -> None:
        self.proc = self.spawn()
        give_up = time.monotonic() + deadline
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < give_up:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"the server exited with {self.proc.returncode}: see {self.home}/server.log")
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"{self.base}/health") as r:
                        if r.status in (200, 503):
                            return
                await asyncio.sleep(0.2)
        raise RuntimeError("the server did not answer /health in time")

    def stop(self, deadline: float = 60.0) -> int | None:
        """SIGINT (a graceful shutdown: sessions close, pending writes land or are spooled), then SIGKILL."""
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        proc.send_signal(signal.SIGINT)
        try:
            return proc.wait(timeout=deadline)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait(timeout=10)

    async def health(self, http: aiohttp.ClientSession) -> str:
        """"ok", "degraded", "unavailable" or "no answer" (within 5 s)."""
        try:
            async with asyncio.timeout(5), http.get(f"{self.base}/health") as r:
                body = await r.json()
                return str(body.get("status"))
        except (TimeoutError, aiohttp.ClientError, ValueError):
            return "no answer"


@dataclass
class Player:
    """One browser: a token, a socket, a scene; what it saw."""

    ws: aiohttp.ClientWebSocketResponse
    player_id: str
    endings: int = 0
    notices: list[str] = field(default_factory=list)

    async def until(self, kind: str, deadline: float = 30.0) -> dict[str, Any]:
        async with asyncio.timeout(deadline):
            while True:
                msg = await self.ws.receive()
                if msg.type is aiohttp.WSMsgType.BINARY:
                    continue
                if msg.type is not aiohttp.WSMsgType.TEXT:
                    raise RuntimeError(f"socket closed: {msg.type}")
                frame = json.loads(msg.data)
                if frame.get("type") == "Notice":
                    self.notices.append(str(frame.get("message")))
                if frame.get("type") == kind:
                    return dict(frame)

    async def finish(self) -> None:
        """Press FINISH and wait for the ending."""
        await self.ws.send_json({"type": "press", "control": "finish"})
        await self.until("GameOver")
        self.endings += 1

    async def drain_notices(self, seconds: float) -> None:
        """Read frames (notices) for a while; the socket stays open."""
        with contextlib.suppress(TimeoutError, RuntimeError, aiohttp.ClientError):
            await self.until("__never__", deadline=seconds)

    async def close(self) -> None:
        with contextlib.suppress(aiohttp.ClientError, RuntimeError):
            await self.ws.close()


async def join(http: aiohttp.ClientSession, server: Server) -> Player:
    async with http.post(f"{server.base}/api/session", json={}) as r:
        body = await r.json()
    ws = await http.ws_connect(f"{server.base.replace('http', 'ws')}/ws?token={body['token']}")
    player = Player(ws, body["player_id"])
    await player.until("Welcome")
    await ws.send_json({"type": "start", "scene": "finish_line"})
    await player.until("LineFinished")  # the opening line
    return player


def recorded_endings(db: Path) -> int:
    """Attempts in the database that reached an ending (success or failure), read with a plain reader."""
    if not db.exists():
        return 0
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)) as conn:
        row = conn.execute("SELECT count(*) FROM scene_attempts WHERE outcome IN ('success', 'failure')").fetchone()
    return int(row[0])


def spool_lines(db: Path) -> int:
    spool = db.with_name(f"{db.name}.pending.jsonl")
    return len(spool.read_text(encoding="utf-8").splitlines()) if spool.exists() else 0


def notice_counts(players: list[Player]) -> Counter[str]:
    """How many players saw the not-saved notice, and the saved-again one."""
    seen: Counter[str] = Counter()
    for p in players:
        seen["not_saved"] += any(NOT_SAVED in n for n in p.notices)
        seen["saved_again"] += any(SAVED_AGAIN in n for n in p.notices)
    return seen


@contextlib.contextmanager
def lock_holder(db: Path, seconds: float) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the database's write lock for ``seconds`` (BEGIN IMMEDIATE, then ROLLBACK)."""
    code = ("import sqlite3, sys, time\n"
            f"c = sqlite3.connect({str(db)!r}, isolation_level=None, timeout=60)\n"
            "c.execute('BEGIN IMMEDIATE')\n"
            "print('locked', flush=True)\n"
            f"time.sleep({seconds})\n"
            "c.execute('ROLLBACK')\n"
            "print('released', flush=True)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "locked":
            raise RuntimeError("the lock holder could not take the lock")
        yield proc
    finally:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=seconds + 30)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
