"""Real ``digital-actors serve`` processes for the tests: started with the suite's isolation (no keys,
no voice, a home of their own), followed through their JSON log lines (events are waited for, never
slept on), killed or stopped by their pid."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
GUARD = 60.0  # a safety net against a hung process, never a way to wait for something


def server_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update({"DIGITAL_ACTORS_HOME": str(home), "DIGITAL_ACTORS_ENV_FILE": "", "LOG_FORMAT_JSON": "true",
                "LOG_LEVEL": "INFO", "VOICE": "false", "LLM_PROVIDER": "understudy", "PYTHONPATH": str(ROOT),
                **extra})
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


class Logs:
    """The JSON log lines of a server process's stderr, read as they come."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self.stream = stream
        self.seen: list[dict[str, Any]] = []

    async def until(self, event: str, count: int = 1) -> list[dict[str, Any]]:
        """Read until ``count`` lines with this event have been seen (in all); returns them."""
        async with asyncio.timeout(GUARD):
            while sum(1 for line in self.seen if line.get("event") == event) < count:
                if not await self._read():
                    raise AssertionError(f"the server exited before {count} x {event}: {self.seen[-5:]}")
        return [line for line in self.seen if line.get("event") == event]

    async def drain(self) -> None:
        """Read to the end (every process that holds the stream has exited)."""
        while await self._read():
            pass

    async def _read(self) -> bool:
        raw = await self.stream.readline()
        if not raw:
            return False
        try:
            self.seen.append(json.loads(raw))
        except ValueError:
            self.seen.append({"event": "text", "text": raw.decode(errors="replace")})
        return True


class Served:
    """One ``digital-actors serve`` process."""

    def __init__(self, proc: asyncio.subprocess.Process, port: int) -> None:
        assert proc.stderr is not None
        self.proc, self.port, self.logs = proc, port, Logs(proc.stderr)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    async def start(cls, home: Path, port: int, *args: str, env: Mapping[str, str] = {},
                    ready: int = 1) -> Served:
        """``serve --port PORT *args``, once ``ready`` servers in it have said server_started."""
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "digital_actors", "serve", "--port", str(port), *args,
            env=server_env(home, **env), stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL)
        served = cls(proc, port)
        try:
            await served.logs.until("server_started", ready)
        except BaseException:
            await served.kill()
            raise
        return served

    async def kill(self) -> None:
        """kill -9 (its workers follow it), and read its log to the end."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()
        await self.logs.drain()

    async def stop(self) -> int:
        """SIGTERM, then the exit code once it (and every worker) has gone."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.proc.wait(), GUARD)
        await asyncio.wait_for(self.logs.drain(), GUARD)
        return code
