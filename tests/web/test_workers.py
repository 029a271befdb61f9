"""``serve --workers N``: refused without Redis (exit 2), N real processes on one port sharing a real
Redis, a dead worker replaced, metrics summed over the workers, SIGTERM stops them all (exit 0)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.redis_server import free_port
from tests.web.serving import GUARD, Served, server_env
from web.workers import cpu_share, needs_redis


def test_each_worker_gets_its_share_of_the_cores() -> None:
    assert [cpu_share(n, cpus=8) for n in (1, 2, 3, 8, 16)] == [8, 4, 2, 1, 1]


def test_workers_need_redis(settings_factory: Any) -> None:
    assert needs_redis(settings_factory(), 1) is None
    problem = needs_redis(settings_factory(), 2)
    assert problem is not None and "REDIS_URL" in problem.message and "one worker" in (problem.hint or "")
    assert needs_redis(settings_factory(redis_url="redis://127.0.0.1:1/0"), 4) is None


async def test_more_than_one_worker_without_redis_is_one_line_and_exit_2(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "digital_actors", "serve", "--workers", "3", "--port", str(free_port()),
        env=server_env(tmp_path), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), GUARD)
    assert proc.returncode == 2, err
    lines = err.decode().splitlines()
    assert lines[0].startswith("error: --workers 3 needs REDIS_URL") and lines[1].strip().startswith("hint:")
    assert len(lines) == 2 and not out


@pytest.fixture
async def two_workers(tmp_path: Path, redis_url: str) -> AsyncIterator[Served]:
    served = await Served.start(tmp_path, free_port(), "--workers", "2", ready=2,
                                env={"REDIS_URL": redis_url, "SESSION_RATE_BURST": "50",
                                     "WEB_MAX_SESSIONS_PER_CLIENT": "50"})
    try:
        yield served
    finally:
        await served.kill()


@pytest.mark.slow
async def test_two_workers_share_the_port_a_dead_one_is_replaced_and_sigterm_stops_all(two_workers: Served) -> None:
    logs, base = two_workers.logs, two_workers.base
    [started] = await logs.until("workers_started")
    assert len(started["pids"]) == 2 and started["voice_workers_each"] == str(cpu_share(2))
    for _ in range(24):  # a new connection each: the kernel hashes them to both workers
        async with aiohttp.ClientSession() as http, http.post(f"{base}/api/session") as r:
            assert r.status == 200
    issued = await logs.until("session_issued", 24)
    assert {line["worker"] for line in issued} == {0, 1}
    async with aiohttp.ClientSession() as http, http.get(f"{base}/metrics") as r:
        text = await r.text()
    assert 'digital_actors_http_requests_total{method="POST",route="/api/session",status="200"} 24.0' in text
    assert "digital_actors_active_sessions 24.0" in text  # summed over both workers

    os.kill(started["pids"][0], signal.SIGKILL)
    [died] = await logs.until("worker_died")
    assert died["pid"] == started["pids"][0] and died["code"] == -signal.SIGKILL
    await logs.until("worker_restarted")
    await logs.until("server_started", 3)
    async with aiohttp.ClientSession() as http, http.get(f"{base}/health") as r:
        assert r.status == 200

    assert await two_workers.stop() == 0
    assert [line["code"] for line in logs.seen if line.get("event") == "workers_stopped"] == [0]


async def test_a_busy_port_is_refused_before_any_worker_starts(tmp_path: Path, redis_url: str) -> None:
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # even a SO_REUSEPORT holder
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "digital_actors", "serve", "--workers", "2", "--port", str(port),
            env=server_env(tmp_path, REDIS_URL=redis_url), stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        _, err = await asyncio.wait_for(proc.communicate(), GUARD)
    assert proc.returncode == 2 and f"port {port} is in use" in err.decode()
